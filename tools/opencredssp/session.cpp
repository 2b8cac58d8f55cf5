// session.cpp - see session.h.
//
// The loops follow the SSPI contract (sspi-abi.md §9.2-9.3): the input is {SECBUFFER_TOKEN with
// every byte received and not yet consumed, SECBUFFER_EMPTY}; SEC_E_INCOMPLETE_MESSAGE means
// "read more and call again with the bytes appended" (SECBUFFER_MISSING may say how many);
// SECBUFFER_EXTRA in the second input buffer means the last cbBuffer bytes were not consumed
// and are the start of the next call's input; an output token is sent even with SEC_E_OK or
// with an error (a CredSSP server's TSRequest.errorCode travels that way).
// SPDX-License-Identifier: Apache-2.0
#include "session.h"

#include <opencredssp/credssp.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "cert.h"
#include "status.h"
#include "trace.h"

namespace ocs::cli {
namespace {

// A guard against a package that keeps answering SEC_I_CONTINUE_NEEDED without progress and
// without needing input.
constexpr int kMaxSteps = 64;

bool IsError(SECURITY_STATUS s) { return s < 0; }

// Printer writes the command's lines and flushes each, so that a script reading the output
// through a pipe sees a line as soon as it is printed.
struct Printer {
  FILE* out;
  FILE* err;
  bool trace;
  bool quiet;
  const char* side;  // "client" or "server"

  void Line(const std::string& s) const {
    std::fputs(s.c_str(), out);
    std::fputc('\n', out);
    std::fflush(out);
  }
  void Info(const std::string& s) const {
    if (!quiet) Line(s);
  }
  void Error(const std::string& s) const {
    std::fputs(s.c_str(), err);
    if (s.empty() || s.back() != '\n') std::fputc('\n', err);
    std::fflush(err);
  }
  void Token(bool sent, ByteSpan t) const {
    if (!trace) return;
    Line(std::string(side) + (sent ? " -> " : " <- ") + std::to_string(t.size()) + " bytes  " +
         DescribeToken(t));
  }
};

// ContextBuffer frees memory the package allocated, through the same table.
struct ContextBuffer {
  const SspiLibrary& lib;
  void* p = nullptr;
  ~ContextBuffer() {
    if (p != nullptr) lib.t().FreeContextBuffer(p);
  }
};

// OutToken is the output SECBUFFER_TOKEN of one ISC/ASC call: allocated by the package
// (ISC_REQ_ALLOCATE_MEMORY, freed with FreeContextBuffer) or, with --caller-buffers, a buffer of
// cbMaxToken bytes owned by the command (as FreeRDP does; WinPR needs it).
class OutToken {
 public:
  OutToken(const SspiLibrary& lib, ULONG caller_size) : lib_(lib) {
    if (caller_size > 0) storage_.resize(caller_size);
    buf_ = {caller_size, SECBUFFER_TOKEN, caller_size > 0 ? storage_.data() : nullptr};
  }
  ~OutToken() {
    if (storage_.empty() && buf_.pvBuffer != nullptr) lib_.t().FreeContextBuffer(buf_.pvBuffer);
  }
  OutToken(const OutToken&) = delete;
  OutToken& operator=(const OutToken&) = delete;
  SecBuffer* get() { return &buf_; }
  ByteSpan bytes() const {
    if (buf_.pvBuffer == nullptr) return {};
    return ByteSpan(static_cast<const std::byte*>(buf_.pvBuffer), buf_.cbBuffer);
  }

 private:
  const SspiLibrary& lib_;
  Bytes storage_;
  SecBuffer buf_{};
};

// CallerBufferSize is 0 (let the package allocate) or the package's cbMaxToken.
ULONG CallerBufferSize(const Options& opts, const SspiLibrary& lib, std::u16string& package) {
  if (!opts.caller_buffers) return 0;
  PSecPkgInfoW info = nullptr;
  ULONG size = 48 * 1024;  // more than any CredSSP/NTLM token; used if the query fails
  if (lib.t().QuerySecurityPackageInfoW != nullptr &&
      lib.t().QuerySecurityPackageInfoW(W(package), &info) == SEC_E_OK && info != nullptr) {
    if (info->cbMaxToken > 0) size = info->cbMaxToken;
    lib.t().FreeContextBuffer(info);
  }
  return size;
}

// WipeString overwrites a secret before its memory is released.
template <typename S>
void Wipe(S* s) {
  if (!s->empty()) OPENSSL_cleanse(s->data(), s->size() * sizeof((*s)[0]));
  s->clear();
}

// ---- what the context says about itself ----

struct ContextFacts {
  std::string user;       // SECPKG_ATTR_NAMES
  std::string mechanism;  // inner package of CredSSP / Negotiate; the package for NTLM
  std::optional<OCS_CREDSSP_INFO> credssp;
};

std::string QueryUser(const SspiLibrary& lib, CtxtHandle* ctx) {
  SecPkgContext_NamesW names{};
  if (lib.t().QueryContextAttributesW(ctx, SECPKG_ATTR_NAMES, &names) != SEC_E_OK) return "?";
  ContextBuffer free_it{lib, names.sUserName};
  return U8(names.sUserName);
}

std::string QueryMechanism(const SspiLibrary& lib, CtxtHandle* ctx, const std::string& package) {
  if (package == "NTLM") return "NTLM";
  if (package == "CREDSSP") {
    SecPkgContext_PackageInfoW info{};
    if (lib.t().QueryContextAttributesW(ctx, SECPKG_ATTR_NEGOTIATION_PACKAGE, &info) == SEC_E_OK &&
        info.PackageInfo != nullptr) {
      ContextBuffer free_it{lib, info.PackageInfo};
      return U8(info.PackageInfo->Name);
    }
    return "?";
  }
  SecPkgContext_NegotiationInfoW info{};
  if (lib.t().QueryContextAttributesW(ctx, SECPKG_ATTR_NEGOTIATION_INFO, &info) == SEC_E_OK &&
      info.PackageInfo != nullptr) {
    ContextBuffer free_it{lib, info.PackageInfo};
    return U8(info.PackageInfo->Name);
  }
  return "?";
}

ContextFacts QueryFacts(const SspiLibrary& lib, CtxtHandle* ctx, const std::string& package,
                        bool want_user) {
  ContextFacts f;
  if (want_user) f.user = QueryUser(lib, ctx);
  f.mechanism = QueryMechanism(lib, ctx, package);
  if (package == "CREDSSP") {
    OCS_CREDSSP_INFO info{};
    if (lib.t().QueryContextAttributesW(ctx, OCS_SECPKG_ATTR_CREDSSP_INFO, &info) == SEC_E_OK) {
      f.credssp = info;
    }
  }
  return f;
}

std::string FactsText(const ContextFacts& f, const std::string& package) {
  std::string s = "package=" + package + " mechanism=" + f.mechanism;
  if (package == "CREDSSP") {
    if (f.credssp) {
      s += " credssp=" + std::to_string(f.credssp->CredSspVersion);
      s += std::string(" inner=") + (f.credssp->InnerIsSpnego != 0 ? "spnego" : "raw-ntlm");
      s += std::string(" tls=") + (f.credssp->TlsVersion == 0x0304   ? "1.3"
                                   : f.credssp->TlsVersion == 0x0303 ? "1.2"
                                                                     : "?");
    } else {
      s += " credssp=?";
    }
  }
  return s;
}

std::string Str(const SEC_WCHAR* p, ULONG len) {
  if (p == nullptr || len == 0) return "";
  std::u16string tmp(reinterpret_cast<const char16_t*>(p), len);
  tmp.push_back(u'\0');
  std::string out = U8(reinterpret_cast<const SEC_WCHAR*>(tmp.data()));
  Wipe(&tmp);
  return out;
}

// DelegatedText reads SECPKG_ATTR_CREDS (credssp.h). The password is printed only when the
// operator asked for it with --show-credentials.
std::string DelegatedText(const SspiLibrary& lib, CtxtHandle* ctx, bool show, bool* out_kind_ok,
                          std::string* out_kind) {
  *out_kind_ok = false;
  SecPkgContext_ClientCreds creds{};
  SECURITY_STATUS st = lib.t().QueryContextAttributesW(ctx, SECPKG_ATTR_CREDS, &creds);
  if (st != SEC_E_OK || creds.AuthBuffer == nullptr ||
      creds.AuthBufferLen < sizeof(OCS_CREDSSP_DELEGATED_CREDS)) {
    *out_kind = "none";
    return "delegated credentials: none (" + StatusName(st) + ")";
  }
  ContextBuffer free_it{lib, creds.AuthBuffer};
  const auto* d = reinterpret_cast<const OCS_CREDSSP_DELEGATED_CREDS*>(creds.AuthBuffer);
  *out_kind_ok = true;
  std::string s;
  switch (d->CredType) {
    case OCS_CREDSSP_CRED_PASSWORD: {
      std::string domain = Str(d->Domain, d->DomainLength);
      std::string user = Str(d->User, d->UserLength);
      if (user.empty() && domain.empty() && d->PasswordLength == 0) {
        *out_kind = "restricted-admin";
        return "delegated credentials: none (Restricted Admin: empty TSPasswordCreds)";
      }
      *out_kind = "password";
      s = "delegated credentials: domain=" + domain + " user=" + user;
      if (show) {
        std::string pw = Str(d->Password, d->PasswordLength);
        s += " password=" + pw;
        Wipe(&pw);
      } else {
        s += " password=(" + std::to_string(d->PasswordLength) +
             " characters; --show-credentials prints it)";
      }
      return s;
    }
    case OCS_CREDSSP_CRED_SMARTCARD:
      *out_kind = "smartcard";
      s = "delegated credentials: smart card, card=" + Str(d->CardName, d->CardNameLength) +
          " reader=" + Str(d->ReaderName, d->ReaderNameLength) +
          " container=" + Str(d->ContainerName, d->ContainerNameLength) +
          " csp=" + Str(d->CspName, d->CspNameLength) +
          " user-hint=" + Str(d->UserHint, d->UserHintLength) +
          " domain-hint=" + Str(d->DomainHint, d->DomainHintLength);
      if (show) {
        std::string pin = Str(d->Pin, d->PinLength);
        s += " pin=" + pin;
        Wipe(&pin);
      }
      return s;
    case OCS_CREDSSP_CRED_REMOTE_GUARD:
      *out_kind = "remote-guard";
      return "delegated credentials: Remote Credential Guard, logon package " +
             Str(d->LogonCred.PackageName, d->LogonCred.PackageNameLength) + " (" +
             std::to_string(d->LogonCred.CredBufferLength) + " bytes), " +
             std::to_string(d->SupplementalCredCount) + " supplemental";
    default:
      *out_kind = "type-" + std::to_string(d->CredType);
      return "delegated credentials: credType " + std::to_string(d->CredType);
  }
}

// ---- the token loop shared by both sides ----

struct Step {
  SECURITY_STATUS status = SEC_E_OK;
  ULONG extra = 0;    // SECBUFFER_EXTRA count
  ULONG missing = 0;  // SECBUFFER_MISSING count
  ULONG attrs = 0;
};

// NetFailure turns an I/O failure in the middle of a handshake into the command's message.
std::string NetFailure(const IoResult& r, const char* side, int tokens_received) {
  std::string s = std::string(side) + ": " + r.error;
  if (r.io == Io::kClosed) {
    s += " after " + std::to_string(tokens_received) + " token(s), before authentication completed";
    s += std::string("\n  hint: ") +
         (std::string(side) == "client"
              ? "the server refused us without saying why: FreeRDP servers close the connection "
                "instead of sending a CredSSP errorCode when the logon fails (check --user, "
                "--domain, --password), and a server expecting another --framing or --package "
                "also just closes."
              : "the client gave up: it may have refused our certificate or token (see its "
                "output), or it uses another --framing or --package.");
  } else if (r.io == Io::kTimeout) {
    s += "\n  hint: the peer sent nothing for --timeout seconds: check that both sides use the "
         "same --framing.";
  }
  return s;
}

}  // namespace

// ======================================================================== server

namespace {

struct TempDir {
  std::string path;
  ~TempDir() {
    if (path.empty()) return;
    for (const char* f : {"/users.txt"}) ::unlink((path + f).c_str());
    ::rmdir(path.c_str());
  }
};

struct ServerSetup {
  CredHandle* cred = nullptr;
  std::string users_path;  // the file the library reads accounts from
  std::string users_label;
  ULONG out_size = 0;  // CallerBufferSize
};

// FollowingData reads what the client sends after CredSSP (a few seconds at most) and
// decrypts it with the context (Schannel-style DecryptMessage, sspi-abi.md 9.5) to name it.
void FollowingData(const SspiLibrary& lib, CtxtHandle* ctx, Transport& t, Bytes* pending,
                   int timeout_seconds, const Printer& pr) {
  SetTimeout(t.socket(), timeout_seconds == 0 || timeout_seconds > 5 ? 5 : timeout_seconds);
  for (int round = 0; round < 8; ++round) {
    if (pending->empty()) {
      std::optional<SECURITY_STATUS> verdict;
      if (!t.Receive(pending, &verdict)) return;
    }
    if (lib.t().DecryptMessage == nullptr) return;
    Bytes work = *pending;
    SecBuffer b[4] = {{static_cast<ULONG>(work.size()), SECBUFFER_DATA, work.data()},
                      {0, SECBUFFER_EMPTY, nullptr},
                      {0, SECBUFFER_EMPTY, nullptr},
                      {0, SECBUFFER_EMPTY, nullptr}};
    SecBufferDesc desc{SECBUFFER_VERSION, 4, b};
    ULONG qop = 0;
    SECURITY_STATUS st = lib.t().DecryptMessage(ctx, &desc, 0, &qop);
    if (st == SEC_E_INCOMPLETE_MESSAGE) {
      std::optional<SECURITY_STATUS> verdict;
      if (!t.Receive(pending, &verdict)) return;
      continue;
    }
    if (st != SEC_E_OK) {
      pr.Info("server: " + std::to_string(pending->size()) +
              " bytes followed the handshake; DecryptMessage: " + StatusName(st));
      return;
    }
    for (const SecBuffer& x : b) {
      if (x.BufferType != SECBUFFER_DATA || x.cbBuffer == 0) continue;
      ByteSpan plain(static_cast<const std::byte*>(x.pvBuffer), x.cbBuffer);
      const bool tpkt = plain.size() >= 9 && plain[0] == std::byte{3} && plain[1] == std::byte{0};
      // X.224 Data TPDU (02 f0 80) carrying BER [APPLICATION 101] = MCS Connect-Initial
      // (T.125 / MS-RDPBCGR 2.2.1.3).
      const bool mcs_ci = tpkt && plain[7] == std::byte{0x7f} && plain[8] == std::byte{0x65};
      pr.Info("server: the client continued with " + std::to_string(plain.size()) + " bytes" +
              (mcs_ci ? " of RDP (MCS Connect Initial)"
               : tpkt ? " of RDP (TPKT)"
                      : "") +
              "; closing: this server only authenticates");
      return;
    }
    pending->clear();  // a record without application data (e.g. a TLS 1.3 ticket): read on
  }
}

// ServeOne runs one connection to its end. Returns true if the client authenticated.
bool ServeOne(const Options& opts, const SspiLibrary& lib, const ServerSetup& setup, Socket sock,
              const std::string& peer, const Printer& pr) {
  SetTimeout(sock, opts.timeout_seconds);
  Transport t(std::move(sock), opts.EffectiveFraming());
  if (t.framing() == Framing::kRdp) {
    ConnectionRequest cr;
    if (IoResult r = t.ServerNegotiate(&cr); !r) {
      pr.Error("server: " + peer + ": X.224 negotiation failed: " + r.error +
               "\n  hint: the client must speak RDP with NLA (xfreerdp /sec:nla, or "
               "opencredssp client --framing rdp).");
      return false;
    }
    pr.Info("server: " + peer + " X.224 Connection Request" +
            (cr.cookie.empty() ? std::string() : " (Cookie: mstshash=" + cr.cookie + ")") +
            ", requestedProtocols=0x" +
            [&] {
              char b[16];
              std::snprintf(b, sizeof b, "%X", cr.requested_protocols);
              return std::string(b);
            }() +
            "; selected PROTOCOL_HYBRID (CredSSP)");
  }

  CtxtHandleGuard ctx(lib);
  const ULONG req = (setup.out_size == 0 ? ASC_REQ_ALLOCATE_MEMORY : 0) | ASC_REQ_CONNECTION |
                    ASC_REQ_EXTENDED_ERROR | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY |
                    ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT | ASC_REQ_MUTUAL_AUTH |
                    (opts.package == "CREDSSP" ? ASC_REQ_DELEGATE | ASC_REQ_STREAM : 0);
  Bytes pending;
  bool need_input = true;
  int received = 0;
  SECURITY_STATUS st = SEC_I_CONTINUE_NEEDED;
  // Calls that got no new bytes (re-entered with SECBUFFER_EXTRA, or producing tokens) are
  // bounded; calls after new bytes arrived are bounded by the peer and --timeout.
  for (int idle = 0;; idle = need_input ? 0 : idle + 1) {
    if (idle > kMaxSteps) {
      pr.Error("server: " + peer + ": the package made no progress after " +
               std::to_string(kMaxSteps) + " calls");
      return false;
    }
    if (need_input) {
      std::optional<SECURITY_STATUS> verdict;
      const size_t before = pending.size();
      if (IoResult r = t.Receive(&pending, &verdict); !r) {
        pr.Error(NetFailure(r, "server", received) + " (" + peer + ")");
        return false;
      }
      if (verdict) {
        pr.Error("server: " + peer +
                 ": the client sent a verdict frame: not an opencredssp "
                 "client?");
        return false;
      }
      ++received;
      pr.Token(false, ByteSpan(pending).subspan(before));
    }
    SecBuffer in[2] = {{static_cast<ULONG>(pending.size()), SECBUFFER_TOKEN, pending.data()},
                       {0, SECBUFFER_EMPTY, nullptr}};
    SecBufferDesc in_desc{SECBUFFER_VERSION, 2, in};
    OutToken out_token(lib, setup.out_size);
    SecBufferDesc out_desc{SECBUFFER_VERSION, 1, out_token.get()};
    ULONG attrs = 0;
    TimeStamp expiry{};
    st = lib.t().AcceptSecurityContext(setup.cred, ctx.valid() ? ctx.get() : nullptr, &in_desc, req,
                                       SECURITY_NATIVE_DREP, ctx.get(), &out_desc, &attrs, &expiry);
    if (st == SEC_E_INCOMPLETE_MESSAGE) {
      need_input = true;  // keep `pending`, append what comes next
      continue;
    }
    if (in[1].BufferType == SECBUFFER_EXTRA && in[1].cbBuffer > 0 &&
        in[1].cbBuffer <= pending.size()) {
      pending.erase(pending.begin(), pending.end() - static_cast<std::ptrdiff_t>(in[1].cbBuffer));
    } else {
      pending.clear();
    }
    if (ByteSpan tok = out_token.bytes(); !tok.empty()) {
      pr.Token(true, tok);
      if (IoResult r = t.SendToken(tok); !r && !IsError(st)) {
        pr.Error("server: " + peer + ": " + r.error);
        return false;
      }
    }
    const char* call = "AcceptSecurityContext";
    if (st == SEC_I_COMPLETE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE) {
      SECURITY_STATUS c = lib.t().CompleteAuthToken(ctx.get(), &out_desc);
      if (IsError(c)) {
        st = c;
        call = "CompleteAuthToken";
      } else {
        st = st == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
      }
    }
    if (IsError(st)) {
      if (t.framing() == Framing::kLength) (void)t.SendVerdict(st);
      pr.Error(DescribeFailure("server: " + peer + ": " + call + " failed", st));
      return false;
    }
    if (st == SEC_E_OK) break;
    if (st != SEC_I_CONTINUE_NEEDED) {
      pr.Error(DescribeFailure("server: " + peer + ": AcceptSecurityContext returned", st));
      return false;
    }
    need_input = pending.empty();
  }
  if (t.framing() == Framing::kLength) (void)t.SendVerdict(SEC_E_OK);

  ContextFacts f = QueryFacts(lib, ctx.get(), opts.package, true);
  std::string line = "authenticated user=" + f.user + " " + FactsText(f, opts.package);
  std::string cred_line;
  if (opts.package == "CREDSSP") {
    bool ok = false;
    std::string kind;
    cred_line = DelegatedText(lib, ctx.get(), opts.show_credentials, &ok, &kind);
    line += " delegated=" + kind;
  }
  line += " peer=" + peer;
  pr.Line(line);
  if (opts.show_credentials && !cred_line.empty()) pr.Line(cred_line);
  if (opts.package == "CREDSSP" && t.framing() == Framing::kRdp) {
    // An RDP client goes on with MCS Connect Initial inside the same TLS channel (MS-RDPBCGR
    // 5.4.2.1); xfreerdp +auth-only counts a server that closes before reading it as a failed
    // transport. Read it, show what it was through DecryptMessage, then close.
    FollowingData(lib, ctx.get(), t, &pending, opts.timeout_seconds, pr);
  }
  return true;
}

}  // namespace

int RunServer(const Options& opts, const SspiLibrary& lib, FILE* outf, FILE* errf) {
  Printer pr{outf, errf, opts.trace, opts.quiet, "server"};
  std::u16string package = U16(opts.package);

  // Accounts: --users, or the embedded demo account written to a private file.
  TempDir tmp;
  ServerSetup setup;
  if (!opts.users_file.empty()) {
    if (::access(opts.users_file.c_str(), R_OK) != 0) {
      pr.Error("server: cannot read --users " + opts.users_file + ": " + std::strerror(errno));
      return kExitSetup;
    }
    setup.users_path = opts.users_file;
    setup.users_label = opts.users_file;
  } else if (const char* env = std::getenv("OPENCREDSSP_USERS"); env != nullptr && *env != '\0') {
    // The operator configured the library's store already: respect it.
    setup.users_path = env;
    setup.users_label = std::string(env) + " (from $OPENCREDSSP_USERS)";
  } else {
    char tmpl[] = "/tmp/opencredssp-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      pr.Error(std::string("server: mkdtemp: ") + std::strerror(errno));
      return kExitSetup;
    }
    tmp.path = tmpl;
    const std::string file = tmp.path + "/users.txt";
    // "ntlm:" names the format (docs/users.md) instead of relying on detection.
    setup.users_path = "ntlm:" + file;
    {
      std::ofstream f(file);
      ::chmod(file.c_str(), 0600);
      f << "# opencredssp demo account (DOMAIN:user:password)\n"
        << kDemoDomain << ':' << kDemoUser << ':' << kDemoPassword << '\n';
      if (!f) {
        pr.Error("server: cannot write " + file);
        return kExitSetup;
      }
    }
    setup.users_label = std::string("demo account ") + kDemoDomain + "\\" + kDemoUser +
                        " (password " + kDemoPassword + ")";
  }

  // CredSSP: the TLS certificate.
  OCS_CREDSSP_SETTINGS settings{};
  settings.Version = OCS_CREDSSP_SETTINGS_VERSION;
  settings.CredSspVersion = opts.credssp_version;
  if (opts.credssp_version != 0 && opts.credssp_version < 5) settings.MinCredSspVersion = 2;
  CREDSSP_CRED credssp{};
  PemPair pem;
  std::string cert_label;
  if (opts.package == "CREDSSP") {
    if (!opts.cert_file.empty()) {
      settings.CertFile = opts.cert_file.c_str();
      settings.KeyFile = opts.key_file.c_str();
      std::ifstream f(opts.cert_file);
      std::stringstream ss;
      ss << f.rdbuf();
      std::string fp;
      if (!f || !FingerprintOfPem(ss.str(), &fp).empty()) {
        pr.Error("server: --cert " + opts.cert_file + " is not a readable PEM certificate");
        return kExitSetup;
      }
      cert_label = opts.cert_file + " sha256=" + fp;
    } else {
      char host[256] = "localhost";
      (void)gethostname(host, sizeof host - 1);
      if (std::string e = GenerateSelfSigned(host, &pem); !e.empty()) {
        pr.Error("server: cannot generate a certificate: " + e);
        return kExitSetup;
      }
      settings.CertPem = reinterpret_cast<const unsigned char*>(pem.cert_pem.data());
      settings.CertPemLength = static_cast<ULONG>(pem.cert_pem.size());
      settings.KeyPem = reinterpret_cast<const unsigned char*>(pem.key_pem.data());
      settings.KeyPemLength = static_cast<ULONG>(pem.key_pem.size());
      cert_label =
          std::string("self-signed RSA-2048 CN=") + host + " sha256=" + pem.sha256_fingerprint;
    }
    credssp.Type = CredsspPasswordCreds;
    credssp.pSchannelCred = &settings;
    credssp.pSpnegoCred = nullptr;
  }

  // The library's server credentials read their accounts from $OPENCREDSSP_USERS when acquired
  // with no auth data (include/opencredssp/store.h, docs/users.md); the CredSSP package passes
  // that on to its inner Negotiate/NTLM credential.
  if (::setenv("OPENCREDSSP_USERS", setup.users_path.c_str(), 1) != 0) {
    pr.Error(std::string("server: setenv: ") + std::strerror(errno));
    return kExitSetup;
  }
  CredHandleGuard cred(lib);
  TimeStamp expiry{};
  SECURITY_STATUS st = lib.t().AcquireCredentialsHandleW(
      nullptr, W(package), SECPKG_CRED_INBOUND, nullptr,
      opts.package == "CREDSSP" ? static_cast<void*>(&credssp) : nullptr, nullptr, nullptr,
      cred.get(), &expiry);
  Wipe(&pem.key_pem);
  if (st != SEC_E_OK) {
    pr.Error(
        DescribeFailure("server: AcquireCredentialsHandle(" + opts.package + ", INBOUND)", st));
    return kExitSetup;
  }
  setup.cred = cred.get();
  setup.out_size = CallerBufferSize(opts, lib, package);

  Socket listener;
  uint16_t port = 0;
  if (IoResult r = Listen(opts.host, opts.port, &listener, &port); !r) {
    pr.Error("server: " + r.error +
             (opts.port != 0 && r.error.find("in use") != std::string::npos
                  ? "\n  hint: another server uses this port: choose --port, or --port 0 for a "
                    "free one."
                  : ""));
    return kExitSetup;
  }
  // The first line is always printed (even with --quiet): scripts read the port from it.
  pr.Line("listening on " + FormatAddress(opts.host, port) + " package=" + opts.package +
          " framing=" + FramingName(opts.EffectiveFraming()));
  pr.Info("server: accounts: " + setup.users_label);
  if (!cert_label.empty()) pr.Info("server: certificate: " + cert_label);

  long served = 0;
  long failed = 0;
  while (opts.count == 0 || served < opts.count) {
    Socket conn;
    std::string peer;
    if (IoResult r = Accept(listener, &conn, &peer); !r) {
      pr.Error("server: " + r.error);
      return kExitSetup;
    }
    ++served;
    if (!ServeOne(opts, lib, setup, std::move(conn), peer, pr)) ++failed;
  }
  return failed == 0 ? kExitOk : kExitAuthFailed;
}

// ======================================================================== client

namespace {

// RunClientOnce is one connection. *out_spnego_refused: the server answered our SPNEGO token
// with an errorCode that is not a logon failure (it could not parse SPNEGO).
int RunClientOnce(const Options& opts, const SspiLibrary& lib, FILE* outf, FILE* errf,
                  bool* out_spnego_refused) {
  Printer pr{outf, errf, opts.trace, opts.quiet, "client"};
  std::u16string package = U16(opts.package);

  // The account: --user/--domain/--password, $OPENCREDSSP_PASSWORD, or the demo account.
  std::string user = opts.user.value_or(kDemoUser);
  std::string domain = opts.domain.value_or(opts.user ? "" : kDemoDomain);
  std::string password;
  if (opts.password) {
    password = *opts.password;
  } else if (const char* env = std::getenv("OPENCREDSSP_PASSWORD"); env != nullptr) {
    password = env;
  } else if (!opts.user) {
    password = kDemoPassword;
  } else {
    pr.Error("client: --user needs --password (or $OPENCREDSSP_PASSWORD)");
    return kExitUsage;
  }
  std::u16string wuser = U16(user), wdomain = U16(domain), wpassword = U16(password);
  Wipe(&password);
  SEC_WINNT_AUTH_IDENTITY_W id{};
  id.User = reinterpret_cast<USHORT*>(wuser.data());
  id.UserLength = static_cast<ULONG>(wuser.size());
  id.Domain = reinterpret_cast<USHORT*>(wdomain.data());
  id.DomainLength = static_cast<ULONG>(wdomain.size());
  id.Password = reinterpret_cast<USHORT*>(wpassword.data());
  id.PasswordLength = static_cast<ULONG>(wpassword.size());
  id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;

  OCS_CREDSSP_SETTINGS settings{};
  settings.Version = OCS_CREDSSP_SETTINGS_VERSION;
  settings.Flags = opts.raw_ntlm ? OCS_CREDSSP_F_RAW_NTLM : 0;
  settings.CredSspVersion = opts.credssp_version;
  if (opts.credssp_version != 0 && opts.credssp_version < 5) settings.MinCredSspVersion = 2;
  CREDSSP_CRED credssp{};
  credssp.Type = CredsspPasswordCreds;
  credssp.pSchannelCred = &settings;
  credssp.pSpnegoCred = &id;
  void* auth = opts.package == "CREDSSP" ? static_cast<void*>(&credssp) : &id;

  CredHandleGuard cred(lib);
  TimeStamp expiry{};
  SECURITY_STATUS st =
      lib.t().AcquireCredentialsHandleW(nullptr, W(package), SECPKG_CRED_OUTBOUND, nullptr, auth,
                                        nullptr, nullptr, cred.get(), &expiry);
  Wipe(&wpassword);
  if (st != SEC_E_OK) {
    pr.Error(
        DescribeFailure("client: AcquireCredentialsHandle(" + opts.package + ", OUTBOUND)", st));
    return kExitSetup;
  }

  Socket sock;
  std::string peer;
  if (IoResult r = Connect(opts.host, opts.port, &sock, &peer); !r) {
    pr.Error("client: " + r.error +
             "\n  hint: is `opencredssp server` (or the RDP server) "
             "running on " +
             FormatAddress(opts.host, opts.port) + "?");
    return kExitSetup;
  }
  SetTimeout(sock, opts.timeout_seconds);
  pr.Info("client: connected to " + peer + " package=" + opts.package +
          " framing=" + FramingName(opts.EffectiveFraming()) + " as " +
          (domain.empty() ? user : domain + "\\" + user));
  Transport t(std::move(sock), opts.EffectiveFraming());
  if (t.framing() == Framing::kRdp) {
    if (IoResult r = t.ClientNegotiate(user); !r) {
      pr.Error("client: X.224 negotiation failed: " + r.error +
               "\n  hint: the server must accept RDP with NLA (PROTOCOL_HYBRID); for an "
               "opencredssp server use the same --framing on both sides.");
      return kExitSetup;
    }
    pr.Info("client: X.224 Connection Confirm selected PROTOCOL_HYBRID (CredSSP)");
  }

  std::string target_s = opts.target.empty() ? "TERMSRV/" + opts.host : opts.target;
  std::u16string target = U16(target_s);
  const ULONG out_size = CallerBufferSize(opts, lib, package);
  ULONG req = (out_size == 0 ? ISC_REQ_ALLOCATE_MEMORY : 0) | ISC_REQ_CONNECTION |
              ISC_REQ_EXTENDED_ERROR | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY |
              ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_MUTUAL_AUTH |
              ISC_REQ_USE_SUPPLIED_CREDS;
  if (opts.package == "CREDSSP") {
    // MSDocs ISC (CredSSP): MANUAL_CRED_VALIDATION "always set when using CredSSP";
    // DELEGATE, or an empty credential set is delegated.
    req |=
        ISC_REQ_MANUAL_CRED_VALIDATION | ISC_REQ_STREAM | (opts.no_delegate ? 0 : ISC_REQ_DELEGATE);
  }

  CtxtHandleGuard ctx(lib);
  std::string server_fp;  // the certificate the server showed in the TLS handshake
  Bytes pending;
  bool need_input = false;
  int received = 0;
  // Calls that got no new bytes (re-entered with SECBUFFER_EXTRA, or producing tokens) are
  // bounded; calls after new bytes arrived are bounded by the peer and --timeout.
  for (int idle = 0;; idle = need_input ? 0 : idle + 1) {
    if (idle > kMaxSteps) {
      pr.Error("client: the package made no progress after " + std::to_string(kMaxSteps) +
               " calls");
      return kExitAuthFailed;
    }
    if (need_input) {
      std::optional<SECURITY_STATUS> verdict;
      const size_t before = pending.size();
      if (IoResult r = t.Receive(&pending, &verdict); !r) {
        pr.Error(NetFailure(r, "client", received));
        return kExitAuthFailed;
      }
      if (verdict) {
        pr.Error(DescribeFailure("client: the server refused the authentication", *verdict));
        return kExitAuthFailed;
      }
      ++received;
      pr.Token(false, ByteSpan(pending).subspan(before));
    }
    SecBuffer in[2] = {{static_cast<ULONG>(pending.size()), SECBUFFER_TOKEN, pending.data()},
                       {0, SECBUFFER_EMPTY, nullptr}};
    SecBufferDesc in_desc{SECBUFFER_VERSION, 2, in};
    OutToken out_token(lib, out_size);
    SecBufferDesc out_desc{SECBUFFER_VERSION, 1, out_token.get()};
    ULONG attrs = 0;
    TimeStamp ts{};
    const bool first = !ctx.valid();
    st = lib.t().InitializeSecurityContextW(cred.get(), first ? nullptr : ctx.get(), W(target), req,
                                            0, SECURITY_NATIVE_DREP, first ? nullptr : &in_desc, 0,
                                            ctx.get(), &out_desc, &attrs, &ts);
    if (st == SEC_E_INCOMPLETE_MESSAGE) {
      need_input = true;
      continue;
    }
    if (opts.package == "CREDSSP" && server_fp.empty() && ctx.valid() && !IsError(st)) {
      // MSDocs ISC (CredSSP): the package does not validate the server certificate
      // (ISC_REQ_MANUAL_CRED_VALIDATION); the caller does, here before any further token -
      // the password goes out only in the last one - is sent.
      OCS_CREDSSP_CERT_BLOB blob{};
      if (lib.t().QueryContextAttributesW(ctx.get(), SECPKG_ATTR_REMOTE_CERT_CONTEXT, &blob) ==
              SEC_E_OK &&
          blob.pbCertEncoded != nullptr) {
        ContextBuffer free_it{lib, blob.pbCertEncoded};
        server_fp = FingerprintOfDer(blob.pbCertEncoded, blob.cbCertEncoded);
        pr.Info("client: server certificate sha256=" + server_fp);
        if (!opts.pin_sha256.empty() && server_fp != opts.pin_sha256) {
          pr.Error(
              "client: the server's certificate is not the one given by "
              "--server-cert-sha256 (" +
              opts.pin_sha256 +
              "); nothing was sent\n"
              "  hint: a different server, or someone in between; compare with the "
              "fingerprint `opencredssp server` printed.");
          return kExitAuthFailed;
        }
      }
    }
    if (!first && in[1].BufferType == SECBUFFER_EXTRA && in[1].cbBuffer > 0 &&
        in[1].cbBuffer <= pending.size()) {
      pending.erase(pending.begin(), pending.end() - static_cast<std::ptrdiff_t>(in[1].cbBuffer));
    } else {
      pending.clear();
    }
    if (ByteSpan tok = out_token.bytes(); !tok.empty()) {
      pr.Token(true, tok);
      if (IoResult r = t.SendToken(tok); !r && !IsError(st)) {
        pr.Error(NetFailure(r, "client", received));
        return kExitAuthFailed;
      }
    }
    const char* call = "InitializeSecurityContext";
    if (st == SEC_I_COMPLETE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE) {
      SECURITY_STATUS c = lib.t().CompleteAuthToken(ctx.get(), &out_desc);
      if (IsError(c)) call = "CompleteAuthToken";
      st = IsError(c) ? c : (st == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED);
    }
    if (IsError(st)) {
      std::string msg = DescribeFailure(std::string("client: ") + call + " failed", st);
      if (opts.package == "CREDSSP" && ctx.valid()) {
        OCS_CREDSSP_INFO info{};
        if (lib.t().QueryContextAttributesW(ctx.get(), OCS_SECPKG_ATTR_CREDSSP_INFO, &info) ==
                SEC_E_OK &&
            info.PeerErrorCode != 0) {
          char b[96];
          const auto nt = static_cast<uint32_t>(info.PeerErrorCode);
          std::snprintf(b, sizeof b, "  the server's TSRequest.errorCode: NTSTATUS 0x%08X %s\n", nt,
                        std::string(NtStatusName(nt)).c_str());
          msg += b;
          if (NtStatusName(nt).empty() && !opts.raw_ntlm) {
            *out_spnego_refused = true;
            if (!opts.inner_explicit) {
              char note[200];
              std::snprintf(note, sizeof note,
                            "client: the server answered SPNEGO with errorCode 0x%08X, not a "
                            "logon status (FreeRDP 2 servers speak raw NTLM inside CredSSP); "
                            "retrying with --inner ntlm",
                            nt);
              pr.Info(note);
              return kExitAuthFailed;
            }
            msg +=
                "  hint: that is not a logon-failure status: the server could not process our "
                "token. FreeRDP 2 servers (freerdp-shadow-cli) accept only raw NTLM inside "
                "CredSSP: use --inner ntlm.\n";
          }
        }
      }
      pr.Error(msg);
      return kExitAuthFailed;
    }
    if (st == SEC_E_OK) break;
    if (st != SEC_I_CONTINUE_NEEDED) {
      pr.Error(DescribeFailure("client: InitializeSecurityContext returned", st));
      return kExitAuthFailed;
    }
    need_input = pending.empty();
  }

  if (t.framing() == Framing::kLength) {
    // NTLM's client is done before the server has checked anything: wait for the verdict.
    Bytes extra;
    std::optional<SECURITY_STATUS> verdict;
    if (IoResult r = t.Receive(&extra, &verdict); !r) {
      pr.Error(NetFailure(r, "client", received));
      return kExitAuthFailed;
    }
    if (!verdict) {
      pr.Error("client: the server sent a token after our context was complete");
      return kExitAuthFailed;
    }
    if (*verdict != SEC_E_OK) {
      pr.Error(DescribeFailure("client: the server refused the authentication", *verdict));
      return kExitAuthFailed;
    }
  }

  if (!opts.pin_sha256.empty() && server_fp.empty()) {
    pr.Error("client: could not read the server certificate to check --server-cert-sha256");
    return kExitAuthFailed;
  }
  ContextFacts f = QueryFacts(lib, ctx.get(), opts.package, false);
  std::string line = "authenticated to " + peer + " as " +
                     (domain.empty() ? user : domain + "\\" + user) + " " +
                     FactsText(f, opts.package);
  if (opts.package == "CREDSSP") line += opts.no_delegate ? " delegated=no" : " delegated=yes";
  pr.Line(line);
  return kExitOk;
}

}  // namespace

int RunClient(const Options& opts, const SspiLibrary& lib, FILE* outf, FILE* errf) {
  bool spnego_refused = false;
  int rc = RunClientOnce(opts, lib, outf, errf, &spnego_refused);
  if (rc == kExitOk || !spnego_refused || opts.inner_explicit) return rc;
  // Raw NTLM inside CredSSP is what FreeRDP 2 sends and what Windows servers also accept; the
  // NTLM MIC and the pubKeyAuth binding protect it as they protect SPNEGO.
  Options retry = opts;
  retry.raw_ntlm = true;
  retry.inner_explicit = true;
  bool ignored = false;
  return RunClientOnce(retry, lib, outf, errf, &ignored);
}

}  // namespace ocs::cli
