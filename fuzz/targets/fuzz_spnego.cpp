// fuzz_spnego_{init,resp} - SPNEGO NegTokenInit (framed InitialContextToken, NegTokenInit2)
// and NegTokenResp parsers (src/spnego, RFC 4178 4.2, MS-SPNG 2.2). Property: what parses
// encodes to a fixpoint, and the MechTypeList kept for the mechListMIC is exactly the DER of
// a MechTypeList (it is signed as received, spnego.md 6.1).
// SPDX-License-Identifier: Apache-2.0
#include "asn1/der.h"
#include "fuzz_common.h"
#include "spnego/spnego_messages.h"

using namespace ocs::spnego;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ocs::ByteSpan in = ocsfuzz::Span(data, size);
#if OCS_FUZZ_SPNEGO_WHICH == 1
  NegTokenInit init;
  if (!ParseInitialContextToken(in, &init)) {
    NegTokenInit body;
    (void)ParseNegTokenInitBody(in, &body);
    return 0;
  }
  if (!init.mech_type_list.empty()) {
    if (!ocs::asn1::ValidateDer(init.mech_type_list))
      ocsfuzz::Fail("fuzz_spnego_init", "mech_type_list is not DER");
    if (EncodeMechTypeList(init.mech_types) !=
        ocs::Bytes(init.mech_type_list.begin(), init.mech_type_list.end()))
      ocsfuzz::Fail("fuzz_spnego_init", "mech_type_list != MechTypeList(mech_types)");
  }
  const ocs::Bytes e1 = EncodeInitialContextToken(init);
  NegTokenInit again;
  if (!ParseInitialContextToken(ocsfuzz::Span(e1), &again))
    ocsfuzz::Fail("fuzz_spnego_init", "our own encoding does not parse");
  if (EncodeInitialContextToken(again) != e1)
    ocsfuzz::Fail("fuzz_spnego_init", "encode(parse(encode(x))) != encode(x)");
#elif OCS_FUZZ_SPNEGO_WHICH == 2
  NegTokenResp resp;
  if (!ParseNegTokenResp(in, &resp)) return 0;
  const ocs::Bytes e1 = EncodeNegTokenResp(resp);
  NegTokenResp again;
  if (!ParseNegTokenResp(ocsfuzz::Span(e1), &again))
    ocsfuzz::Fail("fuzz_spnego_resp", "our own encoding does not parse");
  if (EncodeNegTokenResp(again) != e1)
    ocsfuzz::Fail("fuzz_spnego_resp", "encode(parse(encode(x))) != encode(x)");
#else
#error "OCS_FUZZ_SPNEGO_WHICH must be 1 or 2"
#endif
  return 0;
}
