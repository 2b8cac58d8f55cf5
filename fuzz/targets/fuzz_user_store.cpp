// fuzz_store_{sam,ntlmuser} - the two user-file formats of src/store (WinPR SAM lines and the
// gss-ntlmssp DOMAIN:USER:PASSWORD / smbpasswd forms), plus kAuto detection on the same bytes.
// Property: parsing never crashes; the table never holds more entries than lines accepted;
// two parses of the same bytes answer every lookup identically, always with a 16-byte hash.
// SPDX-License-Identifier: Apache-2.0
#include <string_view>

#include "fuzz_common.h"
#include "store/user_store.h"

using namespace ocs::store;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
#if OCS_FUZZ_STORE_WHICH == 1
  const FileFormat fmt = FileFormat::kSam;
  const char* name = "fuzz_store_sam";
#else
  const FileFormat fmt = FileFormat::kNtlmUserFile;
  const char* name = "fuzz_store_ntlmuser";
#endif
  UserTable a, b, c;
  const size_t n = ParseUserFile(text, fmt, &a);
  // A repeated (user, domain) line replaces the earlier one but still counts as added.
  if (n < a.size()) ocsfuzz::Fail(name, "table holds more entries than were added");
  if (ParseUserFile(text, fmt, &b) != n) ocsfuzz::Fail(name, "two parses of the same bytes differ");
  (void)ParseUserFile(text, FileFormat::kAuto, &c);
  static const std::u16string_view kUsers[] = {u"alice", u"ALICE", u"", u"bob"};
  static const std::u16string_view kDomains[] = {u"EXAMPLE", u"", u"example"};
  for (auto u : kUsers)
    for (auto d : kDomains) {
      ocs::SecretBytes h1, h2;
      const bool f1 = a.Lookup(u, d, &h1), f2 = b.Lookup(u, d, &h2);
      if (f1 != f2 || (f1 && !ocs::ConstantTimeEqual(h1.span(), h2.span())))
        ocsfuzz::Fail(name, "lookups differ between two parses");
      if (f1 && h1.size() != 16) ocsfuzz::Fail(name, "NT hash is not 16 bytes");
    }
  return 0;
}
