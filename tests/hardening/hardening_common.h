// hardening_common.h - what the hardening tests share: the provider loaded from the built
// libopencredssp (dlopen, as an application would), a user store for the NTLM server, and
// helpers to acquire credentials and run handshakes through the public table.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <opencredssp/credssp.h>
#include <opencredssp/sspi.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "testlib/sspi_testlib.h"

namespace ocs::hardening {

inline const char kPassword[] = "Secret123";
// NT hash of Secret123 (MD4 of its UTF-16LE), as winpr-hash prints it.
inline const char kNtHashHex[] = "63647965f13544c6551d5fdb7ffd13e0";

// Provider loads the library once per process. The NTLM server reads its users from
// OPENCREDSSP_USERS, which must be set before the library first looks (hence here).
inline testlib::Provider* Lib() {
  static testlib::Provider* p = [] {
    const std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                             "/ocs_hardening_users." + std::to_string(getpid());
    std::ofstream(path) << "alice:EXAMPLE::" << kNtHashHex << ":::\n";
    setenv("OPENCREDSSP_USERS", ("sam:" + path).c_str(), 1);
    std::string err;
    auto lp = testlib::LoadProvider(testlib::LibraryPath(), &err);
    if (!lp) {
      std::fprintf(stderr, "cannot load %s: %s\n", testlib::LibraryPath(), err.c_str());
      std::abort();
    }
    return lp.release();
  }();
  return p;
}
inline const SecurityFunctionTableW* T() { return Lib()->w; }

inline SEC_WCHAR* Wstr(const char16_t* s) {
  return reinterpret_cast<SEC_WCHAR*>(const_cast<char16_t*>(s));
}

// Identity holds a SEC_WINNT_AUTH_IDENTITY_W and the strings it points to.
struct Identity {
  std::u16string user = u"alice", domain = u"EXAMPLE", password = u"Secret123";
  SEC_WINNT_AUTH_IDENTITY_W id{};
  SEC_WINNT_AUTH_IDENTITY_W* get() {
    id.User = reinterpret_cast<USHORT*>(user.data());
    id.UserLength = static_cast<ULONG>(user.size());
    id.Domain = reinterpret_cast<USHORT*>(domain.data());
    id.DomainLength = static_cast<ULONG>(domain.size());
    id.Password = reinterpret_cast<USHORT*>(password.data());
    id.PasswordLength = static_cast<ULONG>(password.size());
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    return &id;
  }
};

// CredSspAuth is the pAuthData of a CREDSSP credential: settings (ECDSA generated server key,
// fast) plus the identity on the client side.
struct CredSspAuth {
  OCS_CREDSSP_SETTINGS settings{};
  CREDSSP_CRED cred{};
  Identity ident;
  void* get(bool client) {
    settings.Version = OCS_CREDSSP_SETTINGS_VERSION;
    settings.GeneratedKeyType = OCS_CREDSSP_KEY_ECDSA_P256;
    cred.Type = CredsspPasswordCreds;
    cred.pSchannelCred = &settings;
    cred.pSpnegoCred = client ? ident.get() : nullptr;
    return &cred;
  }
};

// Creds acquires an OUTBOUND (client) and an INBOUND (server) credential of `package`.
struct Creds {
  CredHandle client{}, server{};
  bool ok = false;
  Identity ident;
  CredSspAuth cc, sc;
  explicit Creds(const char16_t* package) {
    TimeStamp ts{};
    const bool credssp = std::u16string(package) == u"CREDSSP";
    void* cad = credssp ? cc.get(true) : static_cast<void*>(ident.get());
    void* sad = credssp ? sc.get(false) : nullptr;
    ok = T()->AcquireCredentialsHandleW(nullptr, Wstr(package), SECPKG_CRED_OUTBOUND, nullptr,
                                        cad, nullptr, nullptr, &client, &ts) == SEC_E_OK &&
         T()->AcquireCredentialsHandleW(nullptr, Wstr(package), SECPKG_CRED_INBOUND, nullptr,
                                        sad, nullptr, nullptr, &server, &ts) == SEC_E_OK;
  }
  ~Creds() {
    T()->FreeCredentialsHandle(&client);
    T()->FreeCredentialsHandle(&server);
  }
};

inline testlib::HandshakeOptions Options(const char16_t* package) {
  testlib::HandshakeOptions o;
  o.target = testlib::W(std::u16string(package) == u"CREDSSP" ? "TERMSRV/localhost" : "HOST/localhost");
  o.isc_req |= ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT;
  o.asc_req |= ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT;
  if (std::u16string(package) == u"CREDSSP") {
    o.isc_req |= ISC_REQ_MUTUAL_AUTH | ISC_REQ_DELEGATE;
    o.max_token = 1 << 17;
  }
  return o;
}

}  // namespace ocs::hardening
