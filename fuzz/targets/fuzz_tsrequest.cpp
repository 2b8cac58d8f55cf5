// fuzz_tsrequest - CredSSP TSRequest decoder (src/credssp/ts_request.h, MS-CSSP 2.2.1).
// Properties: decoding never crashes or leaks; anything decoded re-encodes to bytes that
// decode again and re-encode identically (fixpoint); TsRequestSize agrees with the decoder on
// the whole message and never claims more than a prefix can prove.
// SPDX-License-Identifier: Apache-2.0
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "credssp/ts_request.h"

namespace {
[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_tsrequest property violated: %s\n", what);
  std::abort();
}
bool Same(const ocs::Bytes& a, const ocs::Bytes& b) { return a == b; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ocs::ByteSpan in(reinterpret_cast<const std::byte*>(data), size);
  ocs::credssp::TsRequest req;
  const bool ok = ocs::credssp::DecodeTsRequest(in, &req);
  const size_t framed = ocs::credssp::TsRequestSize(in);
  if (ok && framed != size) Fail("TsRequestSize disagrees with a decoded message");
  if (framed != 0 && framed != SIZE_MAX && framed > ocs::credssp::kMaxTsRequest)
    Fail("TsRequestSize above kMaxTsRequest");
  if (!ok) return 0;
  if (req.client_nonce && req.client_nonce->size() != ocs::credssp::kNonceSize)
    Fail("accepted a clientNonce of the wrong size");
  if (req.nego_tokens.empty() && size > 0) {
    // negoTokens absent is fine; an empty NegoData must have been refused (nothing to check).
  }
  const ocs::Bytes e1 = ocs::credssp::EncodeTsRequest(req);
  ocs::credssp::TsRequest again;
  if (!ocs::credssp::DecodeTsRequest(ocs::ByteSpan(e1.data(), e1.size()), &again))
    Fail("our own encoding does not decode");
  const ocs::Bytes e2 = ocs::credssp::EncodeTsRequest(again);
  if (!Same(e1, e2)) Fail("encode(decode(encode(x))) != encode(x)");
  return 0;
}
