// sspi_peer.h - drive any SSPI provider (opencredssp or WinPR 2.x) through its function table.
//
// The interop tests load each provider with dlopen(RTLD_LOCAL): libwinpr2.so.2 and
// libopencredssp.so export the same symbol names, so neither may be linked. The public header
// opencredssp/sspi.h has WinPR's Linux layout (32-bit ULONG, 16-bit WCHAR), so one
// SecurityFunctionTableW type serves both tables.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "opencredssp/sspi.h"

namespace ocs::interop {

using Bytes = std::vector<std::uint8_t>;

// The account every interop test uses (also in docs/interop.md).
inline constexpr std::string_view kUser = "alice";
inline constexpr std::string_view kDomain = "EXAMPLE";
inline constexpr std::string_view kPassword = "Secret123";
inline constexpr std::string_view kWrongPassword = "Wrong-Password-1";
// NT hash (MD4 of UTF-16LE "Secret123"); WinPR's `winpr-hash -u alice -p Secret123` prints it.
inline constexpr std::string_view kNtHashHex = "63647965f13544c6551d5fdb7ffd13e0";

std::u16string Utf16(std::string_view ascii);
std::string Narrow(const SEC_WCHAR* s);  // ASCII-only view of a NUL-terminated UTF-16 string
std::string StatusName(SECURITY_STATUS s);  // "SEC_E_LOGON_DENIED (0x8009030C)"
std::string Hex(const std::uint8_t* p, std::size_t n, std::size_t max = 4096);
inline std::string Hex(const Bytes& b) { return Hex(b.data(), b.size()); }

// A provider library loaded with RTLD_LOCAL; holds its W function table.
class Provider {
 public:
  // Returns nullptr and sets *error when the library or its InitSecurityInterfaceW is missing.
  static std::unique_ptr<Provider> Load(const std::string& path, std::string label,
                                        std::string* error);
  ~Provider();
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  const SecurityFunctionTableW& T() const { return *table_; }
  // The A table: FreeRDP's server calls the module's A functions (InitSecurityInterfaceA).
  const SecurityFunctionTableA& TA() const { return *table_a_; }
  const std::string& label() const { return label_; }
  // WinPR 2.11 NTLM: MakeSignature/VerifySignature return SEC_E_UNSUPPORTED_FUNCTION and
  // Encrypt/DecryptMessage take the caller's MessageSeqNo; tests adapt to it.
  bool is_winpr() const { return is_winpr_; }

 private:
  Provider(void* handle, PSecurityFunctionTableW table, PSecurityFunctionTableA table_a,
           std::string label, bool winpr)
      : handle_(handle), table_(table), table_a_(table_a), label_(std::move(label)),
        is_winpr_(winpr) {}
  void* handle_;
  PSecurityFunctionTableW table_;
  PSecurityFunctionTableA table_a_;
  std::string label_;
  bool is_winpr_;
};

// Password identity in the plain SEC_WINNT_AUTH_IDENTITY_W form (UNICODE flag).
class Identity {
 public:
  Identity(std::string_view user, std::string_view domain, std::string_view password);
  SEC_WINNT_AUTH_IDENTITY_W* get() { return &id_; }

 private:
  std::u16string user_, domain_, password_;
  SEC_WINNT_AUTH_IDENTITY_W id_{};
};

class Credential {
 public:
  Credential(const Provider& p) : p_(p) { SecInvalidateHandle(&h_); }
  ~Credential();
  Credential(const Credential&) = delete;
  Credential& operator=(const Credential&) = delete;
  // Identity may be null (server side, or default credentials).
  SECURITY_STATUS Acquire(std::string_view package, ULONG use, Identity* identity);
  CredHandle* handle() { return &h_; }

 private:
  const Provider& p_;
  CredHandle h_;
  bool valid_ = false;
};

class Context {
 public:
  explicit Context(const Provider& p) : p_(p) { SecInvalidateHandle(&h_); }
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  CtxtHandle* handle() { return &h_; }
  // First call passes no context handle; later calls pass this one.
  CtxtHandle* in() { return started_ ? &h_ : nullptr; }
  void mark_started() { started_ = true; }
  bool started() const { return started_; }
  const Provider& provider() const { return p_; }

 private:
  const Provider& p_;
  CtxtHandle h_;
  bool started_ = false;
};

// One side of a handshake.
struct Side {
  const Provider* provider = nullptr;
  std::string package;  // "NTLM" or "Negotiate"
  ULONG req = 0;        // ISC_REQ_* / ASC_REQ_* flags
  // Server: SetContextAttributesA(SECPKG_ATTR_AUTH_NTLM_SAM_FILE, path) after the first ASC,
  // as FreeRDP's server does through the A table.
  std::string sam_file;
};

struct HandshakeResult {
  bool established = false;         // both sides reached SEC_E_OK
  SECURITY_STATUS client_status = SEC_E_INTERNAL_ERROR;  // last ISC status
  SECURITY_STATUS server_status = SEC_E_INTERNAL_ERROR;  // last ASC (or CompleteAuthToken) status
  std::string failed_call;          // "ISC", "ASC" or "CompleteAuthToken" when not established
  std::vector<Bytes> tokens;        // every token on the wire, client's first
  std::string transcript;           // human-readable, for failure messages
  ULONG client_attrs = 0;
  ULONG server_attrs = 0;
};

// Runs ISC on client.provider against ASC on server.provider until both finish or one fails.
// Handles SEC_I_COMPLETE_NEEDED / SEC_I_COMPLETE_AND_CONTINUE with CompleteAuthToken (WinPR's
// NTLM server checks the response only there). Contexts stay owned by the caller.
HandshakeResult RunHandshake(const Side& client, Credential& ccred, Context& cctx,
                             const Side& server, Credential& scred, Context& sctx,
                             std::string_view target = "HOST/localhost");

// Per-message helpers. The 16-byte NTLM signature travels separately from the data.
struct Sealed {
  Bytes data;       // ciphertext (or plaintext for an integrity-only "seal")
  Bytes signature;  // NTLMSSP_MESSAGE_SIGNATURE
};
SECURITY_STATUS Encrypt(Context& ctx, ULONG qop, const Bytes& plain, ULONG seq, Sealed* out);
SECURITY_STATUS Decrypt(Context& ctx, const Sealed& in, ULONG seq, Bytes* plain);
SECURITY_STATUS Sign(Context& ctx, const Bytes& msg, ULONG seq, Bytes* signature);
SECURITY_STATUS Verify(Context& ctx, const Bytes& msg, const Bytes& signature, ULONG seq);

// Reads the interesting fields of an NTLM message (raw, or the NTLMSSP inside a SPNEGO token
// found by searching for the signature) for evidence in test output.
struct NtlmInfo {
  int type = 0;             // 1, 2, 3; 0 when no NTLMSSP message was found
  std::uint32_t flags = 0;
  bool has_mic = false;     // type 3: MsvAvFlags bit 0x2 in the NTLMv2 client blob
  bool has_timestamp = false;  // type 2: MsvAvTimestamp in TargetInfo
  std::string user, domain;    // type 3, ASCII view
  std::string Describe() const;
};
NtlmInfo InspectNtlm(const Bytes& token);

// A private temporary directory removed (with its files) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// WinPR SAM line for the test account (User:Domain:LMHASH:NTHASH:::).
std::string SamFileContent();

}  // namespace ocs::interop
