// fuzz_tscredentials - CredSSP TSCredentials and each inner credential type (TSPasswordCreds,
// TSSmartCardCreds with TSCspDataDetail, TSRemoteGuardCreds), MS-CSSP 2.2.1.2.
// The first input byte chooses the mode:
//   0..3  -> the rest is a whole TSCredentials;
//   4..   -> the rest is the inner structure, wrapped here in a TSCredentials whose credType is
//            1 (password), 2 (smart card) or 6 (Remote Guard), so the fuzzer reaches each inner
//            parser directly instead of having to find the outer framing first.
// Property: decoded credentials re-encode to a fixpoint (encode(decode(encode(x))) == encode(x)).
// SPDX-License-Identifier: Apache-2.0
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "asn1/der.h"
#include "credssp/ts_request.h"

namespace {
[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_tscredentials property violated: %s\n", what);
  std::abort();
}
bool Same(const ocs::SecretBytes& a, const ocs::SecretBytes& b) {
  return ocs::ConstantTimeEqual(a.span(), b.span());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const ocs::ByteSpan rest(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  ocs::SecretBytes wrapped;
  ocs::ByteSpan in = rest;
  if (data[0] >= 4) {
    static constexpr int64_t kTypes[3] = {1, 2, 6};
    ocs::asn1::DerWriter w;
    w.AddConstructed(ocs::asn1::kSequence, [&](ocs::asn1::DerWriter& s) {
      s.AddConstructed(ocs::asn1::ContextTag(0),
                       [&](ocs::asn1::DerWriter& t) { t.AddInteger(kTypes[data[0] % 3]); });
      s.AddConstructed(ocs::asn1::ContextTag(1),
                       [&](ocs::asn1::DerWriter& c) { c.AddOctetString(rest); });
    });
    wrapped = w.FinishSecret();
    in = wrapped.span();
  }
  ocs::credssp::TsCredentials creds;
  if (!ocs::credssp::DecodeTsCredentials(in, &creds)) return 0;
  const ocs::SecretBytes e1 = ocs::credssp::EncodeTsCredentials(creds);
  ocs::credssp::TsCredentials again;
  if (!ocs::credssp::DecodeTsCredentials(e1.span(), &again)) Fail("own encoding does not decode");
  if (again.cred_type != creds.cred_type) Fail("credType changed");
  const ocs::SecretBytes e2 = ocs::credssp::EncodeTsCredentials(again);
  if (!Same(e1, e2)) Fail("encode(decode(encode(x))) != encode(x)");
  return 0;
}
