// credssp_context.h - the CREDSSP package: credential (settings, server certificate, inner
// credential) and context (the CredSSP state machine of MS-CSSP 3.1.5 over src/tls, with the
// Negotiate or NTLM package as inner authenticator).
//
// Client states (one ISC call ends in each "wait"):
//   kTlsHandshake     -> ClientHello ... Finished (raw TLS records)             [wait input]
//   kClientStart      -> TSRequest{negoTokens=[first inner token], nonce}       [wait input]
//   kClientNego       <- TSRequest{negoTokens}: step inner; when its keys are ready send
//                        {negoTokens=[last token], pubKeyAuth, clientNonce}     [wait input]
//                        (flow B: the last token alone, pubKeyAuth one round later)
//   kClientPubKey     <- TSRequest{[negoTokens=final], pubKeyAuth}: finish inner, verify the
//                        server's pubKeyAuth, only then send {authInfo}        [SEC_E_OK]
// Server states:
//   kTlsHandshake     <- ClientHello ... -> server flight                        [wait input]
//   kServerNego       <- TSRequest{negoTokens[, pubKeyAuth, nonce]}: step inner; on its
//                        completion verify pubKeyAuth and answer with ours      [wait input]
//   kServerPubKey     <- (flow B) TSRequest{pubKeyAuth, nonce}                  [wait input]
//   kServerAuthInfo   <- TSRequest{authInfo}: unwrap, decode TSCredentials       [SEC_E_OK]
// Any failure moves to kFailed; every later call fails.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <opencredssp/credssp.h>

#include <memory>
#include <mutex>
#include <string>

#include "core/package.h"
#include "credssp/ts_request.h"
#include "tls/tls.h"

namespace ocs::credssp {

// Settings is the parsed OCS_CREDSSP_SETTINGS plus defaults (see credssp.h).
struct Settings {
  ULONG flags = 0;
  uint32_t version = 6;      // what we announce
  uint32_t min_version = 5;  // MS-CSSP 5.1
  int tls_min = tls::kTls12;
  int tls_max = tls::kTls13;
  tls::KeyType generated_key = tls::KeyType::kRsa2048;
  bool Test(ULONG f) const {
    return (flags & OCS_CREDSSP_F_TEST_ENABLE) != 0 && (flags & f) != 0;
  }
};

class CredSspCredential final : public Credential {
 public:
  CredSspCredential(ULONG use, Settings settings, std::shared_ptr<tls::ServerIdentity> identity,
                    std::shared_ptr<Credential> inner_client, std::shared_ptr<Credential> inner_server,
                    std::optional<AuthIdentity> client_identity);
  PackageId package() const override { return PackageId::kCredSsp; }
  ULONG use() const override { return use_; }
  SECURITY_STATUS NewContext(Role role, std::unique_ptr<Context>* out) override;
  SECURITY_STATUS SetAttribute(ULONG attr, const void* buf, ULONG len, CharWidth width) override;

  // Snapshot for a new context (settings may change through SetAttribute).
  struct Snapshot {
    Settings settings;
    std::shared_ptr<tls::ServerIdentity> identity;
    std::shared_ptr<Credential> inner;
    std::optional<AuthIdentity> client_identity;
  };
  [[nodiscard]] SECURITY_STATUS TakeSnapshot(Role role, Snapshot* out);

 private:
  const ULONG use_;
  std::mutex mu_;
  Settings settings_;
  std::shared_ptr<tls::ServerIdentity> identity_;  // server; generated lazily when null
  std::shared_ptr<Credential> inner_client_;       // Negotiate/NTLM outbound credential
  std::shared_ptr<Credential> inner_client_ntlm_;  // raw-NTLM variant (OCS_CREDSSP_F_RAW_NTLM)
  std::shared_ptr<Credential> inner_server_;
  std::optional<AuthIdentity> client_identity_;
};

// ParseSettings validates an OCS_CREDSSP_SETTINGS and merges it into *io (server certificate
// loaded into *io_identity when the settings name one). SEC_E_UNKNOWN_CREDENTIALS on a bad
// structure, file or key.
[[nodiscard]] SECURITY_STATUS ParseSettings(const OCS_CREDSSP_SETTINGS* s, Settings* io,
                                            std::shared_ptr<tls::ServerIdentity>* io_identity);

// AllocDelegatedCreds lays `creds` out as one OCS_CREDSSP_DELEGATED_CREDS block (credssp.h)
// in a context buffer and points out->AuthBuffer at it (the SECPKG_ATTR_CREDS answer).
[[nodiscard]] SECURITY_STATUS AllocDelegatedCreds(const TsCredentials& creds,
                                                  SecPkgContext_ClientCreds* out);

// NtStatusToSecurityStatus maps the NTSTATUS of a TSRequest.errorCode to what ISC returns.
SECURITY_STATUS NtStatusToSecurityStatus(uint32_t nt);
// SecurityStatusToNtStatus picks the errorCode a server sends for an inner failure.
uint32_t SecurityStatusToNtStatus(SECURITY_STATUS st);

// IncrementLe adds 1 to `b` as a little-endian integer with carry (credssp.md 5.2: FreeRDP
// and sspi-rs; for real keys only the first byte changes).
void IncrementLe(Bytes* b);

// BindingHash = SHA256(magic || nonce || public key), MS-CSSP 3.1.5 steps 3-5.
enum class HashDirection { kClientToServer, kServerToClient };
[[nodiscard]] bool BindingHash(HashDirection dir, ByteSpan nonce, ByteSpan public_key, Bytes* out);

}  // namespace ocs::credssp
