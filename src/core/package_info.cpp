// package_info.cpp - see package_info.h.
// SPDX-License-Identifier: Apache-2.0
#include "core/package_info.h"

namespace ocs {
namespace {

// Values from a Windows 10/11 host (sspi-abi.md §8: mimikatz and EnumerateSecurityPackages
// dumps). cbMaxToken of Negotiate and CREDSSP follow the default Kerberos MaxTokenSize (48000).
constexpr std::array<PackageInfo, 3> kPackages = {{
    {PackageId::kNegotiate,
     0x00883BB3,  // INTEGRITY|PRIVACY|CONNECTION|MULTI_REQUIRED|EXTENDED_ERROR|IMPERSONATION|
                  // ACCEPT_WIN32_NAME|NEGOTIABLE|GSS_COMPATIBLE|LOGON|RESTRICTED_TOKENS|
                  // APPCONTAINER_CHECKS
     1, RPC_C_AUTHN_GSS_NEGOTIATE, 48256, u"Negotiate", u"Microsoft Package Negotiator"},
    {PackageId::kNtlm,
     0x02882B37,  // INTEGRITY|PRIVACY|TOKEN_ONLY|CONNECTION|MULTI_REQUIRED|IMPERSONATION|
                  // ACCEPT_WIN32_NAME|NEGOTIABLE|LOGON|RESTRICTED_TOKENS|APPCONTAINER_CHECKS|
                  // APPLY_LOOPBACK
     1, RPC_C_AUTHN_WINNT, 2888, u"NTLM", u"NTLM Security Package"},
    {PackageId::kCredSsp,
     0x00810733,  // INTEGRITY|PRIVACY|CONNECTION|MULTI_REQUIRED|IMPERSONATION|
                  // ACCEPT_WIN32_NAME|STREAM|MUTUAL_AUTH|APPCONTAINER_CHECKS
     1, SECPKG_ID_NONE, 73032, u"CREDSSP", u"Microsoft CredSSP Security Provider"},
}};

char16_t FoldAscii(char16_t c) {
  return (c >= u'a' && c <= u'z') ? static_cast<char16_t>(c - u'a' + u'A') : c;
}

}  // namespace

const std::array<PackageInfo, 3>& AllPackages() { return kPackages; }

const PackageInfo& GetPackageInfo(PackageId id) {
  for (const auto& p : kPackages) {
    if (p.id == id) return p;
  }
  return kPackages[0];  // unreachable: every PackageId has an entry
}

std::optional<PackageId> FindPackage(std::u16string_view name) {
  for (const auto& p : kPackages) {
    if (p.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = FoldAscii(p.name[i]) == FoldAscii(name[i]);
    if (same) return p.id;
  }
  return std::nullopt;
}

}  // namespace ocs
