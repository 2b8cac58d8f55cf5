// sspi_peer.h - drive any SSPI provider's function table (ours or WinPR's) loaded with dlopen,
// client and server in one process, tokens passed over memory. The same code runs both
// providers, so the ratios in docs/performance.md compare providers, not harnesses.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <opencredssp/sspi.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ocsbench {

// Provider is one shared library with InitSecurityInterfaceW, loaded RTLD_LOCAL so that ours
// and WinPR's (which export the same names) can live in one process.
class Provider {
 public:
  ~Provider();
  static std::unique_ptr<Provider> Load(const std::string& path, std::string* err);
  const SecurityFunctionTableW& t() const { return *table_; }
  // The A table: used only for SetContextAttributesA(SECPKG_ATTR_AUTH_NTLM_SAM_FILE), whose
  // narrow path both providers read the same way (FreeRDP calls the A form).
  const SecurityFunctionTableA* a() const { return table_a_; }
  const std::string& path() const { return path_; }

 private:
  Provider() = default;
  void* dl_ = nullptr;
  PSecurityFunctionTableW table_ = nullptr;
  PSecurityFunctionTableA table_a_ = nullptr;
  std::string path_;
};

struct Account {
  std::u16string user = u"alice";
  std::u16string domain = u"EXAMPLE";
  std::u16string password = u"Secret123";
};

// Handshake options. `sam_file` is given to the server context with SetContextAttributesA
// (SECPKG_ATTR_AUTH_NTLM_SAM_FILE, WinPR's and FreeRDP's convention) after its first ASC call.
struct Setup {
  std::u16string package = u"NTLM";
  std::u16string target = u"HOST/localhost";
  std::string sam_file;
  ULONG isc_req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT |
                  ISC_REQ_REPLAY_DETECT | ISC_REQ_CONNECTION;
  ULONG asc_req = ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_SEQUENCE_DETECT |
                  ASC_REQ_REPLAY_DETECT | ASC_REQ_CONNECTION;
  void* client_auth_data = nullptr;  // overrides the SEC_WINNT_AUTH_IDENTITY_W built from Account
  void* server_auth_data = nullptr;
  // When set, every token sent is appended: (true = client to server, bytes).
  std::vector<std::pair<bool, std::vector<unsigned char>>>* transcript = nullptr;
};

// Credentials holds a client (OUTBOUND) and a server (INBOUND) credential handle.
struct Credentials {
  const Provider* p = nullptr;
  CredHandle client{};
  CredHandle server{};
  bool have_client = false, have_server = false;
  ~Credentials();
};

// Contexts holds the two contexts of one handshake.
struct Contexts {
  const Provider* p = nullptr;
  CtxtHandle client{};
  CtxtHandle server{};
  bool have_client = false, have_server = false;
  Contexts() = default;
  Contexts(Contexts&& o) noexcept;
  Contexts(const Contexts&) = delete;
  ~Contexts();
  void Reset();
};

bool AcquireBoth(const Provider& p, const Setup& s, const Account& a, Credentials* out,
                 std::string* err);
// Handshake runs ISC/ASC until both sides return SEC_E_OK. On failure *err says who failed
// with which status.
bool Handshake(const Provider& p, const Setup& s, Credentials& creds, Contexts* out,
               std::string* err);

std::string StatusName(SECURITY_STATUS s);

}  // namespace ocsbench
