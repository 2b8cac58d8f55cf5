// sspi_peer.cpp - see sspi_peer.h.
// SPDX-License-Identifier: Apache-2.0
#include "interop/sspi_peer.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ocs::interop {

namespace {

constexpr ULONG kMaxToken = 16384;
constexpr std::size_t kSignatureSize = 16;

std::uint32_t Le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint16_t Le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

std::string Utf16LeToAscii(const std::uint8_t* p, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i + 1 < n; i += 2) {
    const unsigned c = static_cast<unsigned>(p[i] | (p[i + 1] << 8));
    out.push_back(c < 0x80 ? static_cast<char>(c) : '?');
  }
  return out;
}

}  // namespace

std::u16string Utf16(std::string_view ascii) {
  std::u16string out;
  out.reserve(ascii.size());
  for (char c : ascii) out.push_back(static_cast<char16_t>(static_cast<unsigned char>(c)));
  return out;
}

std::string Narrow(const SEC_WCHAR* s) {
  std::string out;
  if (s == nullptr) return out;
  for (; *s != 0; ++s) out.push_back(*s < 0x80 ? static_cast<char>(*s) : '?');
  return out;
}

std::string StatusName(SECURITY_STATUS s) {
  struct Name {
    SECURITY_STATUS code;
    const char* name;
  };
  static constexpr std::array<Name, 22> kNames{{
      {SEC_E_OK, "SEC_E_OK"},
      {SEC_I_CONTINUE_NEEDED, "SEC_I_CONTINUE_NEEDED"},
      {SEC_I_COMPLETE_NEEDED, "SEC_I_COMPLETE_NEEDED"},
      {SEC_I_COMPLETE_AND_CONTINUE, "SEC_I_COMPLETE_AND_CONTINUE"},
      {SEC_E_INSUFFICIENT_MEMORY, "SEC_E_INSUFFICIENT_MEMORY"},
      {SEC_E_INVALID_HANDLE, "SEC_E_INVALID_HANDLE"},
      {SEC_E_UNSUPPORTED_FUNCTION, "SEC_E_UNSUPPORTED_FUNCTION"},
      {SEC_E_INTERNAL_ERROR, "SEC_E_INTERNAL_ERROR"},
      {SEC_E_SECPKG_NOT_FOUND, "SEC_E_SECPKG_NOT_FOUND"},
      {SEC_E_INVALID_TOKEN, "SEC_E_INVALID_TOKEN"},
      {SEC_E_LOGON_DENIED, "SEC_E_LOGON_DENIED"},
      {SEC_E_UNKNOWN_CREDENTIALS, "SEC_E_UNKNOWN_CREDENTIALS"},
      {SEC_E_NO_CREDENTIALS, "SEC_E_NO_CREDENTIALS"},
      {SEC_E_MESSAGE_ALTERED, "SEC_E_MESSAGE_ALTERED"},
      {SEC_E_OUT_OF_SEQUENCE, "SEC_E_OUT_OF_SEQUENCE"},
      {SEC_E_QOP_NOT_SUPPORTED, "SEC_E_QOP_NOT_SUPPORTED"},
      {SEC_E_BUFFER_TOO_SMALL, "SEC_E_BUFFER_TOO_SMALL"},
      {SEC_E_ILLEGAL_MESSAGE, "SEC_E_ILLEGAL_MESSAGE"},
      {SEC_E_INVALID_PARAMETER, "SEC_E_INVALID_PARAMETER"},
      {SEC_E_BAD_BINDINGS, "SEC_E_BAD_BINDINGS"},
      {SEC_E_WRONG_PRINCIPAL, "SEC_E_WRONG_PRINCIPAL"},
      {SEC_E_INCOMPLETE_MESSAGE, "SEC_E_INCOMPLETE_MESSAGE"},
  }};
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(s));
  for (const auto& n : kNames) {
    if (n.code == s) return std::string(n.name) + " (" + hex + ")";
  }
  return hex;
}

std::string Hex(const std::uint8_t* p, std::size_t n, std::size_t max) {
  std::string out;
  char b[4];
  for (std::size_t i = 0; i < n && i < max; ++i) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    out += b;
  }
  if (n > max) out += "...";
  return out;
}

// ---------------------------------------------------------------- Provider

std::unique_ptr<Provider> Provider::Load(const std::string& path, std::string label,
                                         std::string* error) {
  // RTLD_LOCAL: both libraries export AcquireCredentialsHandleW & co.; each must keep its own.
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* e = dlerror();
    *error = "dlopen(" + path + "): " + (e ? e : "unknown error");
    return nullptr;
  }
  auto init = reinterpret_cast<INIT_SECURITY_INTERFACE_W>(dlsym(h, "InitSecurityInterfaceW"));
  auto init_a = reinterpret_cast<INIT_SECURITY_INTERFACE_A>(dlsym(h, "InitSecurityInterfaceA"));
  PSecurityFunctionTableW table = init ? init() : nullptr;
  PSecurityFunctionTableA table_a = init_a ? init_a() : nullptr;
  if (table == nullptr || table_a == nullptr) {
    *error = path + ": InitSecurityInterfaceW/A missing or returned NULL";
    dlclose(h);
    return nullptr;
  }
  const bool winpr = path.find("winpr") != std::string::npos;
  return std::unique_ptr<Provider>(new Provider(h, table, table_a, std::move(label), winpr));
}

Provider::~Provider() {
  // WinPR keeps global state (its SSPI module table, registry cache) that is not safe to
  // unload; a test process loads each library once, so leave it mapped.
  (void)handle_;
}

// ---------------------------------------------------------------- Identity / handles

Identity::Identity(std::string_view user, std::string_view domain, std::string_view password)
    : user_(Utf16(user)), domain_(Utf16(domain)), password_(Utf16(password)) {
  id_.User = reinterpret_cast<USHORT*>(user_.data());
  id_.UserLength = static_cast<ULONG>(user_.size());
  id_.Domain = reinterpret_cast<USHORT*>(domain_.data());
  id_.DomainLength = static_cast<ULONG>(domain_.size());
  id_.Password = reinterpret_cast<USHORT*>(password_.data());
  id_.PasswordLength = static_cast<ULONG>(password_.size());
  id_.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
}

Credential::~Credential() {
  if (valid_) p_.T().FreeCredentialsHandle(&h_);
}

SECURITY_STATUS Credential::Acquire(std::string_view package, ULONG use, Identity* identity) {
  std::u16string pkg = Utf16(package);
  TimeStamp expiry{};
  const SECURITY_STATUS s = p_.T().AcquireCredentialsHandleW(
      nullptr, reinterpret_cast<SEC_WCHAR*>(pkg.data()), use, nullptr,
      identity ? identity->get() : nullptr, nullptr, nullptr, &h_, &expiry);
  valid_ = (s == SEC_E_OK);
  return s;
}

Context::~Context() {
  if (started_) p_.T().DeleteSecurityContext(&h_);
}

// ---------------------------------------------------------------- handshake

namespace {

bool IsError(SECURITY_STATUS s) { return s < 0; }

void Note(HandshakeResult& r, const std::string& who, SECURITY_STATUS s, const Bytes& token) {
  r.transcript += who + " -> " + StatusName(s) + ", token " + std::to_string(token.size()) +
                  " bytes";
  if (!token.empty()) {
    const NtlmInfo info = InspectNtlm(token);
    if (info.type != 0) r.transcript += " [" + info.Describe() + "]";
    r.transcript += "\n    " + Hex(token.data(), token.size(), 96);
  }
  r.transcript += "\n";
}

// Calls CompleteAuthToken when a package asks for it, returning the status that replaces
// SEC_I_COMPLETE_NEEDED (OK or an error) or SEC_I_COMPLETE_AND_CONTINUE (CONTINUE or error).
SECURITY_STATUS Complete(Context& ctx, SECURITY_STATUS s, HandshakeResult& r,
                         const std::string& who) {
  if (s != SEC_I_COMPLETE_NEEDED && s != SEC_I_COMPLETE_AND_CONTINUE) return s;
  SecBuffer b{0, SECBUFFER_TOKEN, nullptr};
  SecBufferDesc d{SECBUFFER_VERSION, 1, &b};
  const SECURITY_STATUS c = ctx.provider().T().CompleteAuthToken(ctx.handle(), &d);
  r.transcript += who + " CompleteAuthToken -> " + StatusName(c) + "\n";
  if (c != SEC_E_OK) return c;
  return s == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
}

}  // namespace

HandshakeResult RunHandshake(const Side& client, Credential& ccred, Context& cctx,
                             const Side& server, Credential& scred, Context& sctx,
                             std::string_view target) {
  HandshakeResult r;
  std::u16string target16 = Utf16(target);
  Bytes from_server;
  bool have_input = false;
  bool client_done = false;
  bool server_done = false;
  std::array<std::uint8_t, kMaxToken> out{};

  for (int round = 0; round < 8; ++round) {
    // ---- client leg
    SecBuffer in_buf{static_cast<ULONG>(from_server.size()), SECBUFFER_TOKEN, from_server.data()};
    SecBufferDesc in_desc{SECBUFFER_VERSION, 1, &in_buf};
    SecBuffer out_buf{kMaxToken, SECBUFFER_TOKEN, out.data()};
    SecBufferDesc out_desc{SECBUFFER_VERSION, 1, &out_buf};
    TimeStamp expiry{};
    SECURITY_STATUS cs = client.provider->T().InitializeSecurityContextW(
        ccred.handle(), cctx.in(), reinterpret_cast<SEC_WCHAR*>(target16.data()), client.req, 0,
        SECURITY_NATIVE_DREP, have_input ? &in_desc : nullptr, 0, cctx.handle(), &out_desc,
        &r.client_attrs, &expiry);
    if (!cctx.started() && !IsError(cs)) cctx.mark_started();
    Bytes to_server(out.data(), out.data() + (IsError(cs) ? 0 : out_buf.cbBuffer));
    Note(r, client.provider->label() + " ISC", cs, to_server);
    cs = Complete(cctx, cs, r, client.provider->label());
    r.client_status = cs;
    if (IsError(cs)) {
      r.failed_call = "ISC";
      return r;
    }
    if (!to_server.empty()) r.tokens.push_back(to_server);
    client_done = (cs == SEC_E_OK);
    if (to_server.empty()) {
      if (client_done && server_done) {
        r.established = true;
      } else {
        r.failed_call = "ISC";
        r.transcript += "client produced no token but the exchange is not complete\n";
      }
      return r;
    }

    // ---- server leg
    SecBuffer sin_buf{static_cast<ULONG>(to_server.size()), SECBUFFER_TOKEN, to_server.data()};
    SecBufferDesc sin_desc{SECBUFFER_VERSION, 1, &sin_buf};
    SecBuffer sout_buf{kMaxToken, SECBUFFER_TOKEN, out.data()};
    SecBufferDesc sout_desc{SECBUFFER_VERSION, 1, &sout_buf};
    const bool first = !sctx.started();
    SECURITY_STATUS ss = server.provider->T().AcceptSecurityContext(
        scred.handle(), sctx.in(), &sin_desc, server.req, SECURITY_NATIVE_DREP, sctx.handle(),
        &sout_desc, &r.server_attrs, &expiry);
    if (first && !IsError(ss)) sctx.mark_started();
    from_server.assign(out.data(), out.data() + (IsError(ss) ? 0 : sout_buf.cbBuffer));
    Note(r, server.provider->label() + " ASC", ss, from_server);
    if (first && !IsError(ss) && !server.sam_file.empty()) {
      // WinPR's NTLM server takes the user database path this way, and FreeRDP's nla.c sets
      // it through the A table (a char* path, strlen + 1 bytes); the context exists only
      // after the first AcceptSecurityContext.
      std::string path = server.sam_file;
      const SECURITY_STATUS a = server.provider->TA().SetContextAttributesA(
          sctx.handle(), SECPKG_ATTR_AUTH_NTLM_SAM_FILE, path.data(),
          static_cast<ULONG>(path.size() + 1));
      r.transcript += server.provider->label() + " SetContextAttributesA(1004 SAM file) -> " +
                      StatusName(a) + "\n";
    }
    ss = Complete(sctx, ss, r, server.provider->label());
    r.server_status = ss;
    if (IsError(ss)) {
      r.failed_call = "ASC";
      return r;
    }
    server_done = (ss == SEC_E_OK);
    if (!from_server.empty()) r.tokens.push_back(from_server);
    if (from_server.empty()) {
      if (client_done && server_done) {
        r.established = true;
      } else {
        r.failed_call = "ASC";
        r.transcript += "server produced no token but the exchange is not complete\n";
      }
      return r;
    }
    have_input = true;
  }
  r.failed_call = "loop";
  r.transcript += "no completion after 8 rounds\n";
  return r;
}

// ---------------------------------------------------------------- messages

SECURITY_STATUS Encrypt(Context& ctx, ULONG qop, const Bytes& plain, ULONG seq, Sealed* out) {
  out->data = plain;
  out->signature.assign(kSignatureSize, 0);
  std::array<SecBuffer, 2> b{{{static_cast<ULONG>(kSignatureSize), SECBUFFER_TOKEN,
                               out->signature.data()},
                              {static_cast<ULONG>(out->data.size()), SECBUFFER_DATA,
                               out->data.data()}}};
  SecBufferDesc d{SECBUFFER_VERSION, 2, b.data()};
  const SECURITY_STATUS s = ctx.provider().T().EncryptMessage(ctx.handle(), qop, &d, seq);
  if (s == SEC_E_OK) {
    out->signature.resize(b[0].cbBuffer);
    out->data.resize(b[1].cbBuffer);
  }
  return s;
}

SECURITY_STATUS Decrypt(Context& ctx, const Sealed& in, ULONG seq, Bytes* plain) {
  Bytes data = in.data;
  Bytes sig = in.signature;
  std::array<SecBuffer, 2> b{{{static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()},
                              {static_cast<ULONG>(sig.size()), SECBUFFER_TOKEN, sig.data()}}};
  SecBufferDesc d{SECBUFFER_VERSION, 2, b.data()};
  ULONG qop = 0;
  const SECURITY_STATUS s = ctx.provider().T().DecryptMessage(ctx.handle(), &d, seq, &qop);
  if (s == SEC_E_OK) {
    const auto* p = static_cast<const std::uint8_t*>(b[0].pvBuffer);
    plain->assign(p, p + b[0].cbBuffer);
  }
  return s;
}

SECURITY_STATUS Sign(Context& ctx, const Bytes& msg, ULONG seq, Bytes* signature) {
  if (ctx.provider().is_winpr()) {
    // WinPR 2.11's NTLM MakeSignature is a stub (SEC_E_UNSUPPORTED_FUNCTION). On a context
    // established without confidentiality its EncryptMessage leaves the data as is and writes
    // exactly the MS-NLMP 3.4.4.2 signature (RC4(SealingKey, HMAC_MD5(SignKey, seq||msg)[0..8])),
    // i.e. what MakeSignature would; the data must come back unchanged to prove it.
    Sealed s;
    const SECURITY_STATUS st = Encrypt(ctx, 0, msg, seq, &s);
    if (st != SEC_E_OK) return st;
    if (s.data != msg) return SEC_E_INTERNAL_ERROR;  // it sealed: the context has confidentiality
    *signature = std::move(s.signature);
    return st;
  }
  Bytes data = msg;
  signature->assign(kSignatureSize, 0);
  std::array<SecBuffer, 2> b{{{static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()},
                              {static_cast<ULONG>(kSignatureSize), SECBUFFER_TOKEN,
                               signature->data()}}};
  SecBufferDesc d{SECBUFFER_VERSION, 2, b.data()};
  const SECURITY_STATUS s = ctx.provider().T().MakeSignature(ctx.handle(), 0, &d, seq);
  if (s == SEC_E_OK) signature->resize(b[1].cbBuffer);
  return s;
}

SECURITY_STATUS Verify(Context& ctx, const Bytes& msg, const Bytes& signature, ULONG seq) {
  if (ctx.provider().is_winpr()) {
    // See Sign(): WinPR's DecryptMessage on a context without confidentiality verifies the
    // signature over the unchanged data.
    Bytes plain;
    const SECURITY_STATUS st = Decrypt(ctx, Sealed{msg, signature}, seq, &plain);
    if (st == SEC_E_OK && plain != msg) return SEC_E_INTERNAL_ERROR;
    return st;
  }
  Bytes data = msg;
  Bytes sig = signature;
  std::array<SecBuffer, 2> b{{{static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()},
                              {static_cast<ULONG>(sig.size()), SECBUFFER_TOKEN, sig.data()}}};
  SecBufferDesc d{SECBUFFER_VERSION, 2, b.data()};
  ULONG qop = 0;
  return ctx.provider().T().VerifySignature(ctx.handle(), &d, seq, &qop);
}

// ---------------------------------------------------------------- NTLM inspection

std::string NtlmInfo::Describe() const {
  char f[16];
  std::snprintf(f, sizeof f, "0x%08X", flags);
  std::string out = "NTLM type " + std::to_string(type) + " flags " + f;
  if (type == 2) out += has_timestamp ? " MsvAvTimestamp" : " no-timestamp";
  if (type == 3) {
    out += " user '" + domain + "\\" + user + "'";
    out += has_mic ? " MIC" : " no-MIC";
  }
  return out;
}

NtlmInfo InspectNtlm(const Bytes& token) {
  NtlmInfo info;
  static constexpr std::uint8_t kSig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
  std::size_t start = token.size();
  for (std::size_t i = 0; i + sizeof kSig <= token.size(); ++i) {
    if (std::memcmp(token.data() + i, kSig, sizeof kSig) == 0) {
      start = i;
      break;
    }
  }
  if (start == token.size()) return info;
  const std::uint8_t* m = token.data() + start;
  const std::size_t n = token.size() - start;
  if (n < 16) return info;
  const std::uint32_t type = Le32(m + 8);
  // Payload fields are {len16, maxlen16, offset32} relative to the message start.
  auto field = [&](std::size_t at, const std::uint8_t** p, std::size_t* len) {
    if (at + 8 > n) return false;
    const std::size_t l = Le16(m + at);
    const std::size_t o = Le32(m + at + 4);
    if (o > n || l > n - o) return false;
    *p = m + o;
    *len = l;
    return true;
  };
  auto has_av = [](const std::uint8_t* p, std::size_t len, std::uint16_t id,
                   std::uint32_t* value) {
    for (std::size_t i = 0; i + 4 <= len;) {
      const std::uint16_t av = Le16(p + i);
      const std::uint16_t l = Le16(p + i + 2);
      if (av == 0 || i + 4 + l > len) return false;
      if (av == id) {
        if (value != nullptr && l >= 4) *value = Le32(p + i + 4);
        return true;
      }
      i += 4u + l;
    }
    return false;
  };
  if (type == 1 && n >= 16) {
    info.type = 1;
    info.flags = Le32(m + 12);
  } else if (type == 2 && n >= 24) {
    info.type = 2;
    info.flags = Le32(m + 20);
    const std::uint8_t* ti = nullptr;
    std::size_t tl = 0;
    if (field(40, &ti, &tl)) info.has_timestamp = has_av(ti, tl, 7, nullptr);
  } else if (type == 3 && n >= 64) {
    info.type = 3;
    info.flags = Le32(m + 60);
    const std::uint8_t* p = nullptr;
    std::size_t l = 0;
    if (field(28, &p, &l)) info.domain = Utf16LeToAscii(p, l);
    if (field(36, &p, &l)) info.user = Utf16LeToAscii(p, l);
    // NTLMv2 response = NTProofStr(16) || blob; the blob's AV pairs start 28 bytes in.
    if (field(20, &p, &l) && l > 44) {
      std::uint32_t av_flags = 0;
      if (has_av(p + 44, l - 44, 6, &av_flags)) info.has_mic = (av_flags & 0x2) != 0;
    }
  }
  return info;
}

// ---------------------------------------------------------------- files

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ocs-interop-XXXXXX";
  if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

std::string TempDir::Write(const std::string& name, const std::string& content) const {
  const std::string p = path_ + "/" + name;
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << content;
  return p;
}

std::string SamFileContent() {
  return std::string(kUser) + ":" + std::string(kDomain) + "::" + std::string(kNtHashHex) +
         ":::\n";
}

}  // namespace ocs::interop
