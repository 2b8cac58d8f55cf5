// ntlm_package.cpp - NtlmPackage(), the NTLM credential, server names.
// SPDX-License-Identifier: Apache-2.0
#include "ntlm/ntlm_package.h"

#if !defined(_WIN32)
#include <unistd.h>
#endif

#include <cstdlib>
#include <cstring>

#include <opencredssp/store.h>

#include "core/context_buffer.h"
#include "core/log.h"
#include "util/utf16.h"

namespace ocs::ntlm {

ServerNames LocalServerNames() {
  ServerNames n;
  char host[256] = {};
#if defined(_WIN32)
  // Winsock's gethostname needs WSAStartup; the DNS host name is what it would return.
  DWORD host_len = sizeof(host) - 1;
  if (!GetComputerNameExA(ComputerNameDnsHostname, host, &host_len) || host[0] == '\0') {
    std::strcpy(host, "localhost");
  }
#else
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::strcpy(host, "localhost");
  }
#endif
  std::string h(host);
  std::string first = h.substr(0, h.find('.'));
  if (first.size() > 15) first.resize(15);  // NetBIOS names are at most 15 characters
  n.nb_computer = util::UpperCase(util::Utf8ToUtf16(first));
  n.dns_computer = util::Utf8ToUtf16(h);
  if (const char* v = std::getenv("OPENCREDSSP_NTLM_COMPUTER"); v != nullptr && *v != '\0') {
    n.nb_computer = util::Utf8ToUtf16(v);
  }
  n.nb_domain = n.nb_computer;
  if (const char* v = std::getenv("OPENCREDSSP_NTLM_DOMAIN"); v != nullptr && *v != '\0') {
    n.nb_domain = util::Utf8ToUtf16(v);
  }
  if (const char* v = std::getenv("OPENCREDSSP_NTLM_DNS_DOMAIN"); v != nullptr && *v != '\0') {
    n.dns_domain = util::Utf8ToUtf16(v);
  }
  return n;
}

NtlmCredential::NtlmCredential(ULONG use, std::optional<AuthIdentity> identity,
                               SecretBytes nt_hash, std::shared_ptr<store::UserStore> store)
    : use_(use), identity_(std::move(identity)), nt_hash_(std::move(nt_hash)),
      store_(std::move(store)) {}

std::shared_ptr<store::UserStore> NtlmCredential::user_store() const {
  std::lock_guard<std::mutex> lock(mu_);
  return store_;
}

void NtlmCredential::set_user_store(std::shared_ptr<store::UserStore> s) {
  std::lock_guard<std::mutex> lock(mu_);
  store_ = std::move(s);
}

SECURITY_STATUS NtlmCredential::NewContext(Role role, std::unique_ptr<Context>* out) {
  const ULONG need = role == Role::kClient ? SECPKG_CRED_OUTBOUND : SECPKG_CRED_INBOUND;
  if ((use_ & need) == 0) return SEC_E_WRONG_CREDENTIAL_HANDLE;
  auto self = std::static_pointer_cast<NtlmCredential>(shared_from_this());
  *out = std::make_unique<NtlmContextImpl>(role, std::move(self));
  return SEC_E_OK;
}

SECURITY_STATUS NtlmCredential::QueryAttribute(ULONG attr, void* buf, CharWidth width) {
  if (attr != SECPKG_CRED_ATTR_NAMES) return SEC_E_UNSUPPORTED_FUNCTION;
  if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
  if (!identity_) return SEC_E_NO_CREDENTIALS;
  const std::u16string name =
      identity_->domain.empty() ? identity_->user : identity_->domain + u"\\" + identity_->user;
  void* s = AllocString(name, width);
  if (s == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
  static_cast<SecPkgCredentials_NamesW*>(buf)->sUserName = static_cast<SEC_WCHAR*>(s);
  return SEC_E_OK;
}

bool PathFromAttribute(const void* buf, ULONG len, CharWidth width, std::string* out) {
  if (buf == nullptr || len == 0 || len > 4096) return false;
  if (width == CharWidth::kWide) {
    // W entry point: a NUL-terminated UTF-16 string within `len` bytes.
    const auto* p = static_cast<const char16_t*>(buf);
    const size_t max = len / 2;
    size_t n = 0;
    while (n < max && p[n] != 0) ++n;
    *out = util::Utf16ToUtf8(std::u16string_view(p, n));
  } else {
    // A entry point (FreeRDP: strlen(path) + 1 bytes).
    const auto* p = static_cast<const char*>(buf);
    size_t n = 0;
    while (n < len && p[n] != '\0') ++n;
    out->assign(p, n);
  }
  return !out->empty();
}

namespace {

// CString reads a NUL-terminated string of the entry point's width (bounded: 1024 units).
bool CString(const void* p, CharWidth width, std::u16string* out) {
  out->clear();
  if (p == nullptr) return true;
  constexpr size_t kMax = 1024;
  if (width == CharWidth::kWide) {
    const auto* w = static_cast<const SEC_WCHAR*>(p);
    size_t n = 0;
    while (n < kMax && w[n] != 0) ++n;
    if (n == kMax) return false;
    out->assign(w, w + n);
  } else {
    const auto* a = static_cast<const char*>(p);
    size_t n = 0;
    while (n < kMax && a[n] != '\0') ++n;
    if (n == kMax) return false;
    *out = util::Utf8ToUtf16(std::string_view(a, n));
  }
  return true;
}

}  // namespace

SECURITY_STATUS NtlmCredential::SetAttribute(ULONG attr, const void* buf, ULONG len,
                                             CharWidth width) {
  if ((use_ & SECPKG_CRED_INBOUND) == 0) return SEC_E_UNSUPPORTED_FUNCTION;
  if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
  switch (attr) {
    case OCS_ATTR_USER_FILE: {
      std::string path;
      if (!PathFromAttribute(buf, len, width, &path)) return SEC_E_INVALID_PARAMETER;
      set_user_store(store::OpenFileStore(path, store::FileFormat::kSam));
      return SEC_E_OK;
    }
    case OCS_ATTR_ADD_USER: {
      // OCS_USER_ENTRY_W and _A have the same layout; only the string type differs.
      if (len < sizeof(OCS_USER_ENTRY_W)) return SEC_E_INVALID_PARAMETER;
      const auto* e = static_cast<const OCS_USER_ENTRY_W*>(buf);
      if (e->Version != OCS_USER_STRUCT_VERSION) return SEC_E_INVALID_PARAMETER;
      if ((e->Password == nullptr) == (e->NtHash == nullptr)) return SEC_E_INVALID_PARAMETER;
      std::u16string user, domain;
      if (!CString(e->User, width, &user) || !CString(e->Domain, width, &domain) ||
          user.empty()) {
        return SEC_E_INVALID_PARAMETER;
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (!own_users_) {
        own_users_ = std::make_shared<store::MemoryStore>();
        store_ = own_users_;
      }
      if (e->NtHash != nullptr) {
        return own_users_->AddNtHash(user, domain, AsBytes(e->NtHash, 16))
                   ? SEC_E_OK
                   : SEC_E_INVALID_PARAMETER;
      }
      std::u16string pw;
      if (!CString(e->Password, width, &pw)) return SEC_E_INVALID_PARAMETER;
      const SecretU16 password(std::move(pw));
      return own_users_->AddPassword(user, domain, password.str()) ? SEC_E_OK
                                                                   : SEC_E_INTERNAL_ERROR;
    }
    case OCS_ATTR_USER_LOOKUP: {
      if (len < sizeof(OCS_USER_LOOKUP)) return SEC_E_INVALID_PARAMETER;
      const auto* l = static_cast<const OCS_USER_LOOKUP*>(buf);
      if (l->Version != OCS_USER_STRUCT_VERSION || l->Lookup == nullptr) {
        return SEC_E_INVALID_PARAMETER;
      }
      set_user_store(std::make_shared<store::CallbackStore>(l->Lookup, l->Context));
      return SEC_E_OK;
    }
    default:
      return SEC_E_UNSUPPORTED_FUNCTION;
  }
}

std::shared_ptr<NtlmCredential> NewNtlmServerCredential(std::shared_ptr<store::UserStore> s) {
  return std::make_shared<NtlmCredential>(SECPKG_CRED_INBOUND, std::nullopt, SecretBytes(),
                                          std::move(s));
}

SECURITY_STATUS NewNtlmClientCredential(AuthIdentity identity,
                                        std::shared_ptr<NtlmCredential>* out) {
  SecretBytes hash;
  if (!store::NtHash(identity.password.str(), &hash)) {
    OCS_LOG(kError, "ntlm: MD4 unavailable (OpenSSL legacy provider): cannot hash the password");
    return SEC_E_INTERNAL_ERROR;
  }
  *out = std::make_shared<NtlmCredential>(SECPKG_CRED_OUTBOUND, std::move(identity),
                                          std::move(hash), nullptr);
  return SEC_E_OK;
}

namespace {

class NtlmPackageImpl : public Package {
 public:
  PackageId id() const override { return PackageId::kNtlm; }

  SECURITY_STATUS AcquireCredentials(const AcquireArgs& args,
                                     std::shared_ptr<Credential>* out) override {
    const ULONG use = args.use & SECPKG_CRED_BOTH;
    if (use == 0) return SEC_E_INVALID_PARAMETER;
    if (crypto::LibCtx() == nullptr) {
      OCS_LOG(kError, "ntlm: %s", crypto::InitError().c_str());
      return SEC_E_INTERNAL_ERROR;
    }
    if (use == SECPKG_CRED_OUTBOUND && !args.identity) {
      OCS_LOG(kError,
              "ntlm: AcquireCredentialsHandle(OUTBOUND) with NULL auth data: there is no "
              "logged-on Windows user here; pass a SEC_WINNT_AUTH_IDENTITY");
      return SEC_E_NO_CREDENTIALS;
    }
    SecretBytes hash;
    if (args.identity && !store::NtHash(args.identity->password.str(), &hash)) {
      return SEC_E_INTERNAL_ERROR;
    }
    // INBOUND with NULL auth data must succeed (FreeRDP): users come from the default store,
    // which attribute 1004 can replace later.
    std::shared_ptr<store::UserStore> st;
    if ((use & SECPKG_CRED_INBOUND) != 0) st = store::DefaultStore();
    *out = std::make_shared<NtlmCredential>(use, args.identity, std::move(hash), std::move(st));
    return SEC_E_OK;
  }
};

}  // namespace

}  // namespace ocs::ntlm

namespace ocs {

std::shared_ptr<Package> NtlmPackage() {
  static const std::shared_ptr<Package> p = std::make_shared<ntlm::NtlmPackageImpl>();
  return p;
}

}  // namespace ocs
