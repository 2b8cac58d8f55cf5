// credssp_package.cpp - the CREDSSP package and its credential: parsing CREDSSP_CRED and
// OCS_CREDSSP_SETTINGS, choosing the server certificate, acquiring the inner credential.
// SPDX-License-Identifier: Apache-2.0
#include <opencredssp/credssp.h>

#if !defined(_WIN32)
#include <unistd.h>
#endif

#include <array>
#include <cstdlib>
#include <cstring>

#include "core/log.h"
#include "credssp/credssp_context.h"
#include "crypto/crypto.h"

namespace ocs::credssp {
namespace {

std::string HostName() {
  std::array<char, 256> buf{};
#if defined(_WIN32)
  // Winsock's gethostname needs WSAStartup; the DNS host name is what it would return.
  DWORD n = static_cast<DWORD>(buf.size() - 1);
  if (!GetComputerNameExA(ComputerNameDnsHostname, buf.data(), &n) || buf[0] == '\0') {
    return "localhost";
  }
#else
  if (gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "localhost";
#endif
  return std::string(buf.data());
}

// LooksLikeCredSspCred: CREDSSP_CRED starts with a CREDSPP_SUBMIT_TYPE; a
// SEC_WINNT_AUTH_IDENTITY_W/A starts with a pointer and _EX with 0x200/0x201
// (sspi-abi.md 3: "Distinguish the forms by reading the first ULONG").
bool IsSubmitType(ULONG t) {
  return t == CredsspPasswordCreds || t == CredsspSchannelCreds || t == CredsspCertificateCreds ||
         t == CredsspSubmitBufferBoth || t == CredsspSubmitBufferBothOld || t == CredsspCredEx;
}

// CREDSSP_CRED_EX (SDK credssp.h): Type, Version, Flags, Reserved, then a CREDSSP_CRED.
struct CredSspCredEx {
  CREDSPP_SUBMIT_TYPE Type;
  ULONG Version;
  ULONG Flags;
  ULONG Reserved;
  CREDSSP_CRED Cred;
};

class CredSspPackageImpl final : public Package {
 public:
  PackageId id() const override { return PackageId::kCredSsp; }
  SECURITY_STATUS AcquireCredentials(const AcquireArgs& args,
                                     std::shared_ptr<Credential>* out) override;
};

SECURITY_STATUS AcquireInner(bool negotiate, ULONG use, const std::optional<AuthIdentity>& id,
                             CharWidth width, std::shared_ptr<Credential>* out) {
  std::shared_ptr<Package> pkg = negotiate ? NegotiatePackage() : NtlmPackage();
  AcquireArgs a;
  a.use = use;
  a.identity = id;
  a.width = width;
  return pkg->AcquireCredentials(a, out);
}

SECURITY_STATUS CredSspPackageImpl::AcquireCredentials(const AcquireArgs& args,
                                                       std::shared_ptr<Credential>* out) {
  Settings settings;
  std::shared_ptr<tls::ServerIdentity> identity;
  std::optional<AuthIdentity> client_identity;
  const void* spnego_cred = nullptr;
  const void* schannel_cred = nullptr;

  if (args.auth_data != nullptr) {
    ULONG first;
    std::memcpy(&first, args.auth_data, sizeof first);
    if (first == CredsspCredEx) {
      const auto* ex = static_cast<const CredSspCredEx*>(args.auth_data);
      schannel_cred = ex->Cred.pSchannelCred;
      spnego_cred = ex->Cred.pSpnegoCred;
    } else if (IsSubmitType(first)) {
      const auto* c = static_cast<const CREDSSP_CRED*>(args.auth_data);
      schannel_cred = c->pSchannelCred;
      spnego_cred = c->pSpnegoCred;
    } else {
      // A bare SEC_WINNT_AUTH_IDENTITY_* (sspi-rs and FreeRDP-style callers pass one).
      spnego_cred = args.auth_data;
    }
  }
  if (schannel_cred != nullptr) {
    ULONG version;
    std::memcpy(&version, schannel_cred, sizeof version);
    if (version == OCS_CREDSSP_SETTINGS_VERSION) {
      SECURITY_STATUS st = ParseSettings(static_cast<const OCS_CREDSSP_SETTINGS*>(schannel_cred),
                                         &settings, &identity);
      if (st != SEC_E_OK) return st;
    } else {
      // A Windows SCHANNEL_CRED names certificates by CERT_CONTEXT, which does not exist here.
      OCS_LOG(kWarn, "credssp: pSchannelCred version 0x%x is not OCS_CREDSSP_SETTINGS; ignored",
              static_cast<unsigned>(version));
    }
  }
  if (spnego_cred != nullptr) {
    AuthIdentity id;
    SECURITY_STATUS st = ParseAuthIdentity(spnego_cred, args.width, &id);
    if (st != SEC_E_OK) return st;
    client_identity = std::move(id);
  }
  const bool inbound = (args.use & SECPKG_CRED_INBOUND) != 0;
  const bool outbound = (args.use & SECPKG_CRED_OUTBOUND) != 0;
  if (inbound && identity == nullptr) {
    // credssp.h order b: OPENCREDSSP_CERT / OPENCREDSSP_KEY.
    const char* cert = std::getenv("OPENCREDSSP_CERT");
    if (cert != nullptr && *cert != '\0') {
      const char* key = std::getenv("OPENCREDSSP_KEY");
      std::string err;
      identity = tls::ServerIdentity::FromPemFiles(crypto::LibCtx(), cert,
                                                   key != nullptr && *key != '\0' ? key : cert,
                                                   &err);
      if (identity == nullptr) {
        OCS_LOG(kError, "credssp: OPENCREDSSP_CERT: %s", err.c_str());
        return SEC_E_UNKNOWN_CREDENTIALS;
      }
    }
  }
  std::shared_ptr<Credential> inner_client, inner_server;
  if (outbound) {
    SECURITY_STATUS st = AcquireInner(/*negotiate=*/true, SECPKG_CRED_OUTBOUND, client_identity,
                                      args.width, &inner_client);
    if (st != SEC_E_OK) return st;
  }
  if (inbound) {
    SECURITY_STATUS st =
        AcquireInner(/*negotiate=*/true, SECPKG_CRED_INBOUND, std::nullopt, args.width, &inner_server);
    if (st != SEC_E_OK) return st;
  }
  *out = std::make_shared<CredSspCredential>(args.use, settings, std::move(identity),
                                             std::move(inner_client), std::move(inner_server),
                                             std::move(client_identity));
  return SEC_E_OK;
}

}  // namespace

SECURITY_STATUS ParseSettings(const OCS_CREDSSP_SETTINGS* s, Settings* io,
                              std::shared_ptr<tls::ServerIdentity>* io_identity) {
  if (s == nullptr || s->Version != OCS_CREDSSP_SETTINGS_VERSION) return SEC_E_UNKNOWN_CREDENTIALS;
  Settings n = *io;
  n.flags = s->Flags;
  if (s->CredSspVersion != 0) {
    if (s->CredSspVersion < 2 || s->CredSspVersion > 6) return SEC_E_UNKNOWN_CREDENTIALS;
    n.version = s->CredSspVersion;
  }
  if (s->MinCredSspVersion != 0) {
    if (s->MinCredSspVersion < 2 || s->MinCredSspVersion > 6) return SEC_E_UNKNOWN_CREDENTIALS;
    n.min_version = s->MinCredSspVersion;
  }
  auto tls_ok = [](ULONG v) { return v == 0 || v == tls::kTls12 || v == tls::kTls13; };
  if (!tls_ok(s->TlsMinVersion) || !tls_ok(s->TlsMaxVersion)) return SEC_E_UNKNOWN_CREDENTIALS;
  if (s->TlsMinVersion != 0) n.tls_min = static_cast<int>(s->TlsMinVersion);
  if (s->TlsMaxVersion != 0) n.tls_max = static_cast<int>(s->TlsMaxVersion);
  if (n.tls_min > n.tls_max) return SEC_E_UNKNOWN_CREDENTIALS;
  if (s->GeneratedKeyType > OCS_CREDSSP_KEY_ECDSA_P256) return SEC_E_UNKNOWN_CREDENTIALS;
  n.generated_key =
      s->GeneratedKeyType == OCS_CREDSSP_KEY_ECDSA_P256 ? tls::KeyType::kEcdsaP256 : tls::KeyType::kRsa2048;

  std::string err;
  std::shared_ptr<tls::ServerIdentity> id;
  if (s->CertPem != nullptr) {
    ByteSpan cert = AsBytes(s->CertPem, s->CertPemLength);
    ByteSpan key = s->KeyPem != nullptr ? AsBytes(s->KeyPem, s->KeyPemLength) : cert;
    id = tls::ServerIdentity::FromPem(crypto::LibCtx(), cert, key, &err);
    if (id == nullptr) {
      OCS_LOG(kError, "credssp: CertPem: %s", err.c_str());
      return SEC_E_UNKNOWN_CREDENTIALS;
    }
  } else if (s->CertFile != nullptr) {
    id = tls::ServerIdentity::FromPemFiles(crypto::LibCtx(), s->CertFile,
                                           s->KeyFile != nullptr ? s->KeyFile : s->CertFile, &err);
    if (id == nullptr) {
      OCS_LOG(kError, "credssp: CertFile: %s", err.c_str());
      return SEC_E_UNKNOWN_CREDENTIALS;
    }
  }
  *io = n;
  if (id != nullptr) *io_identity = std::move(id);
  return SEC_E_OK;
}

CredSspCredential::CredSspCredential(ULONG use, Settings settings,
                                     std::shared_ptr<tls::ServerIdentity> identity,
                                     std::shared_ptr<Credential> inner_client,
                                     std::shared_ptr<Credential> inner_server,
                                     std::optional<AuthIdentity> client_identity)
    : use_(use),
      settings_(settings),
      identity_(std::move(identity)),
      inner_client_(std::move(inner_client)),
      inner_server_(std::move(inner_server)),
      client_identity_(std::move(client_identity)) {}

SECURITY_STATUS CredSspCredential::SetAttribute(ULONG attr, const void* buf, ULONG len,
                                                CharWidth width) {
  (void)width;
  if (attr != OCS_SECPKG_CRED_ATTR_CREDSSP_SETTINGS) return SEC_E_UNSUPPORTED_FUNCTION;
  if (buf == nullptr || len < sizeof(OCS_CREDSSP_SETTINGS)) return SEC_E_INVALID_PARAMETER;
  std::lock_guard<std::mutex> lock(mu_);
  return ParseSettings(static_cast<const OCS_CREDSSP_SETTINGS*>(buf), &settings_, &identity_);
}

SECURITY_STATUS CredSspCredential::TakeSnapshot(Role role, Snapshot* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->settings = settings_;
  out->client_identity = client_identity_;
  if (role == Role::kServer) {
    if ((use_ & SECPKG_CRED_INBOUND) == 0 || inner_server_ == nullptr) {
      return SEC_E_WRONG_CREDENTIAL_HANDLE;
    }
    if (identity_ == nullptr) {
      // credssp.h order c: a certificate of our own, made once per credential.
      identity_ = tls::ServerIdentity::Generate(crypto::LibCtx(), settings_.generated_key, HostName());
      if (identity_ == nullptr) return SEC_E_INTERNAL_ERROR;
    }
    out->identity = identity_;
    out->inner = inner_server_;
    return SEC_E_OK;
  }
  if ((use_ & SECPKG_CRED_OUTBOUND) == 0 || inner_client_ == nullptr) {
    return SEC_E_WRONG_CREDENTIAL_HANDLE;
  }
  if ((settings_.flags & OCS_CREDSSP_F_RAW_NTLM) != 0) {
    if (inner_client_ntlm_ == nullptr) {
      SECURITY_STATUS st = AcquireInner(/*negotiate=*/false, SECPKG_CRED_OUTBOUND,
                                        client_identity_, CharWidth::kWide, &inner_client_ntlm_);
      if (st != SEC_E_OK) return st;
    }
    out->inner = inner_client_ntlm_;
  } else {
    out->inner = inner_client_;
  }
  return SEC_E_OK;
}

}  // namespace ocs::credssp

namespace ocs {

std::shared_ptr<Package> CredSspPackage() {
  static auto pkg = std::make_shared<credssp::CredSspPackageImpl>();
  return pkg;
}

}  // namespace ocs
