// negative_matrix_test - the table-driven negative-input matrix of issue 7, through the public
// SSPI table of the built library. Every row feeds one bad input and expects the code the SSPI
// documentation gives for it (docs/security.md has the table; the allowed codes are listed per
// row, more than one only where Windows' documentation itself allows either). Rows that leave a
// context behind also check that the context is unusable afterwards (a further call with a
// good token fails). Leaks are the ASan/LSan and valgrind stages' job: every row frees what it
// made. Set OCS_MATRIX_MD=path to write the table as Markdown.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hardening/hardening_common.h"

namespace ocs::hardening {
namespace {

using testlib::Bytes;

std::string Hex(SECURITY_STATUS s) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08X", static_cast<unsigned>(s));
  return b;
}

std::string Name(SECURITY_STATUS s) {
  static const std::map<SECURITY_STATUS, const char*> names = {
      {SEC_E_OK, "SEC_E_OK"},
      {SEC_I_CONTINUE_NEEDED, "SEC_I_CONTINUE_NEEDED"},
      {SEC_E_INVALID_HANDLE, "SEC_E_INVALID_HANDLE"},
      {SEC_E_INVALID_TOKEN, "SEC_E_INVALID_TOKEN"},
      {SEC_E_OUT_OF_SEQUENCE, "SEC_E_OUT_OF_SEQUENCE"},
      {SEC_E_MESSAGE_ALTERED, "SEC_E_MESSAGE_ALTERED"},
      {SEC_E_BUFFER_TOO_SMALL, "SEC_E_BUFFER_TOO_SMALL"},
      {SEC_E_INCOMPLETE_MESSAGE, "SEC_E_INCOMPLETE_MESSAGE"},
      {SEC_E_SECPKG_NOT_FOUND, "SEC_E_SECPKG_NOT_FOUND"},
      {SEC_E_UNSUPPORTED_FUNCTION, "SEC_E_UNSUPPORTED_FUNCTION"},
      {SEC_E_WRONG_CREDENTIAL_HANDLE, "SEC_E_WRONG_CREDENTIAL_HANDLE"},
      {SEC_E_NO_CREDENTIALS, "SEC_E_NO_CREDENTIALS"},
      {SEC_E_UNKNOWN_CREDENTIALS, "SEC_E_UNKNOWN_CREDENTIALS"},
      {SEC_E_LOGON_DENIED, "SEC_E_LOGON_DENIED"},
      {SEC_E_INVALID_PARAMETER, "SEC_E_INVALID_PARAMETER"},
      {SEC_E_INSUFFICIENT_MEMORY, "SEC_E_INSUFFICIENT_MEMORY"},
      {SEC_E_INTERNAL_ERROR, "SEC_E_INTERNAL_ERROR"},
      {SEC_E_CONTEXT_EXPIRED, "SEC_E_CONTEXT_EXPIRED"},
      {SEC_E_QOP_NOT_SUPPORTED, "SEC_E_QOP_NOT_SUPPORTED"},
      {SEC_E_DECRYPT_FAILURE, "SEC_E_DECRYPT_FAILURE"},
      {SEC_E_ILLEGAL_MESSAGE, "SEC_E_ILLEGAL_MESSAGE"},
      {SEC_E_NO_CONTEXT, "SEC_E_NO_CONTEXT"},
  };
  auto it = names.find(s);
  return it != names.end() ? it->second : Hex(s);
}

// Outcome of one row: the status, and (when the row left a context behind) whether a further
// call with a good input also failed.
struct Outcome {
  SECURITY_STATUS status = SEC_E_INTERNAL_ERROR;
  int sub_cases = 1;           // > 1 for the truncation rows
  std::string detail;          // first failing sub-case, if any
  bool dead_checked = false;
  bool dead_ok = true;
};

struct Row {
  const char* id;
  const char* what;
  std::vector<SECURITY_STATUS> allowed;
  std::function<Outcome()> run;
};

// ---------- helpers building states ----------

CredHandle Invalid() { return CredHandle{~ULONG_PTR{0}, ~ULONG_PTR{0}}; }

// Established runs a full handshake of `pkg` and keeps the contexts.
struct Established {
  Creds creds;
  testlib::HandshakeResult r;
  explicit Established(const char16_t* pkg) : creds(pkg) {
    if (creds.ok) r = testlib::RunHandshake(T(), creds.client, T(), creds.server, Options(pkg));
  }
  bool ok() const { return creds.ok && r.ok(); }
  ~Established() { testlib::DeleteHandshakeContexts(&r, T(), T()); }
};

// A real NTLM exchange's tokens (NEGOTIATE, CHALLENGE, AUTHENTICATE), taken once.
struct Transcript {
  Bytes negotiate, challenge, authenticate;
};
const Transcript& NtlmTranscript() {
  static Transcript t = [] {
    Established e(u"NTLM");
    Transcript x;
    if (e.ok() && e.r.client_tokens.size() >= 2 && !e.r.server_tokens.empty()) {
      x.negotiate = e.r.client_tokens[0];
      x.challenge = e.r.server_tokens[0];
      x.authenticate = e.r.client_tokens[1];
    }
    return x;
  }();
  return t;
}
const Transcript& SpnegoTranscript() {
  static Transcript t = [] {
    Established e(u"Negotiate");
    Transcript x;
    if (e.ok() && e.r.client_tokens.size() >= 2 && !e.r.server_tokens.empty()) {
      x.negotiate = e.r.client_tokens[0];
      x.challenge = e.r.server_tokens[0];
      x.authenticate = e.r.client_tokens[1];
    }
    return x;
  }();
  return t;
}

// Asc / Isc: one call with a single token buffer (plus EMPTY), caller-supplied output.
SECURITY_STATUS Asc(CredHandle* cred, CtxtHandle* ctx, bool* have, const Bytes& tok,
                    ULONG req = ASC_REQ_CONNECTION) {
  Bytes in = tok, out(1 << 17);
  SecBuffer ib[2] = {{static_cast<ULONG>(in.size()), SECBUFFER_TOKEN, in.empty() ? nullptr : in.data()},
                     {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc id{SECBUFFER_VERSION, 2, ib};
  SecBuffer ob{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  ULONG attr = 0;
  CtxtHandle next{};
  SECURITY_STATUS s = T()->AcceptSecurityContext(cred, *have ? ctx : nullptr, &id, req,
                                                 SECURITY_NATIVE_DREP, &next, &od, &attr, nullptr);
  if (!*have && s >= 0) *ctx = next, *have = true;
  return s;
}
SECURITY_STATUS Isc(CredHandle* cred, CtxtHandle* ctx, bool* have, const Bytes* tok,
                    Bytes* produced = nullptr) {
  Bytes in = tok ? *tok : Bytes{}, out(1 << 17);
  SecBuffer ib[2] = {{static_cast<ULONG>(in.size()), SECBUFFER_TOKEN, in.empty() ? nullptr : in.data()},
                     {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc id{SECBUFFER_VERSION, 2, ib};
  SecBuffer ob{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  ULONG attr = 0;
  CtxtHandle next{};
  auto target = testlib::W("HOST/localhost");
  SECURITY_STATUS s = T()->InitializeSecurityContextW(
      cred, *have ? ctx : nullptr, target.data(), ISC_REQ_CONNECTION | ISC_REQ_INTEGRITY, 0,
      SECURITY_NATIVE_DREP, tok ? &id : nullptr, 0, &next, &od, &attr, nullptr);
  if (!*have && s >= 0) *ctx = next, *have = true;
  if (produced != nullptr && s >= 0) produced->assign(out.data(), out.data() + ob.cbBuffer);
  return s;
}

// ServerAfterNegotiate: an NTLM/Negotiate server context that has answered `first`.
// Then `bad` is fed; the outcome records its status and whether the context is dead after
// (the genuine next token must then fail as well).
Outcome ServerSecondLeg(const char16_t* pkg, const Bytes& first, const Bytes& bad,
                        const Bytes& good_next) {
  Creds c(pkg);
  Outcome o;
  CtxtHandle ctx{};
  bool have = false;
  if (!c.ok || Asc(&c.server, &ctx, &have, first) != SEC_I_CONTINUE_NEEDED) {
    o.status = SEC_E_INTERNAL_ERROR;
    o.detail = "setup failed";
    return o;
  }
  o.status = Asc(&c.server, &ctx, &have, bad);
  if (o.status < 0) {
    o.dead_checked = true;
    o.dead_ok = Asc(&c.server, &ctx, &have, good_next) < 0;
  }
  T()->DeleteSecurityContext(&ctx);
  return o;
}

// Truncations: feed every proper prefix of `msg` (lengths 0..n-1) at one step of a fresh
// exchange; every one must give a code in `allowed` and leave the context dead.
// `valid_prefixes` lists prefix lengths that are complete messages in their own right (and so
// must not be refused); each is justified where the row is defined.
Outcome Truncations(const Bytes& msg, const std::vector<SECURITY_STATUS>& allowed,
                    const std::function<SECURITY_STATUS(const Bytes&, bool*)>& step,
                    std::set<size_t> valid_prefixes = {}) {
  Outcome o;
  if (msg.empty()) {
    o.status = SEC_E_INTERNAL_ERROR;
    o.detail = "no message to truncate";
    return o;
  }
  o.sub_cases = static_cast<int>(msg.size() - valid_prefixes.size());
  o.status = allowed.front();
  for (size_t n = 0; n < msg.size(); ++n) {
    if (valid_prefixes.count(n) != 0) continue;
    bool dead = true;
    const SECURITY_STATUS s = step(Bytes(msg.begin(), msg.begin() + static_cast<long>(n)), &dead);
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end() || !dead) {
      o.status = s;
      o.dead_checked = true;
      o.dead_ok = dead;
      o.detail = "prefix of " + std::to_string(n) + "/" + std::to_string(msg.size()) + " bytes";
      return o;
    }
  }
  o.dead_checked = true;
  return o;
}

// Message-level helpers on an established context.
SECURITY_STATUS Encrypt(const CtxtHandle& c, Bytes* sig, Bytes* data, ULONG qop = 0) {
  SecBuffer b[2] = {{static_cast<ULONG>(sig->size()), SECBUFFER_TOKEN, sig->data()},
                    {static_cast<ULONG>(data->size()), SECBUFFER_DATA, data->data()}};
  SecBufferDesc d{SECBUFFER_VERSION, 2, b};
  CtxtHandle h = c;
  SECURITY_STATUS s = T()->EncryptMessage(&h, qop, &d, 0);
  sig->resize(b[0].cbBuffer);
  return s;
}
SECURITY_STATUS Decrypt(const CtxtHandle& c, Bytes* sig, Bytes* data) {
  SecBuffer b[2] = {{static_cast<ULONG>(sig->size()), SECBUFFER_TOKEN, sig->data()},
                    {static_cast<ULONG>(data->size()), SECBUFFER_DATA, data->data()}};
  SecBufferDesc d{SECBUFFER_VERSION, 2, b};
  CtxtHandle h = c;
  ULONG qop = 0;
  return T()->DecryptMessage(&h, &d, 0, &qop);
}

Outcome Status(SECURITY_STATUS s) {
  Outcome o;
  o.status = s;
  return o;
}

// CredSSP record helpers (Schannel stream layout).
struct CredSspRecord {
  Bytes rec;
};
SECURITY_STATUS CredSspEncrypt(const CtxtHandle& c, const Bytes& msg, Bytes* rec) {
  SecPkgContext_StreamSizes sz{};
  CtxtHandle h = c;
  SECURITY_STATUS s = T()->QueryContextAttributesW(&h, SECPKG_ATTR_STREAM_SIZES, &sz);
  if (s != SEC_E_OK) return s;
  rec->assign(sz.cbHeader + msg.size() + sz.cbTrailer, 0);
  std::copy(msg.begin(), msg.end(), rec->begin() + sz.cbHeader);
  SecBuffer b[4] = {{sz.cbHeader, SECBUFFER_STREAM_HEADER, rec->data()},
                    {static_cast<ULONG>(msg.size()), SECBUFFER_DATA, rec->data() + sz.cbHeader},
                    {sz.cbTrailer, SECBUFFER_STREAM_TRAILER, rec->data() + sz.cbHeader + msg.size()},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc d{SECBUFFER_VERSION, 4, b};
  s = T()->EncryptMessage(&h, 0, &d, 0);
  if (s == SEC_E_OK) rec->resize(b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer);
  return s;
}
SECURITY_STATUS CredSspDecrypt(const CtxtHandle& c, Bytes rec) {
  SecBuffer b[4] = {{static_cast<ULONG>(rec.size()), SECBUFFER_DATA, rec.data()},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc d{SECBUFFER_VERSION, 4, b};
  CtxtHandle h = c;
  ULONG qop = 0;
  return T()->DecryptMessage(&h, &d, 0, &qop);
}

// ---------- the matrix ----------

std::vector<Row> Matrix() {
  std::vector<Row> m;
  const auto H = SEC_E_INVALID_HANDLE;
  const auto TOK = SEC_E_INVALID_TOKEN;

  // --- handles ---
  m.push_back({"H01", "ISC with phCredential = NULL", {H}, [] {
    CtxtHandle c{}; bool have = false;
    return Status(Isc(nullptr, &c, &have, nullptr));
  }});
  m.push_back({"H02", "ISC with SecInvalidateHandle'd credential (-1,-1)", {H}, [] {
    CredHandle bad = Invalid(); CtxtHandle c{}; bool have = false;
    return Status(Isc(&bad, &c, &have, nullptr));
  }});
  m.push_back({"H03", "ISC with an all-zero credential handle", {H}, [] {
    CredHandle bad{0, 0}; CtxtHandle c{}; bool have = false;
    return Status(Isc(&bad, &c, &have, nullptr));
  }});
  m.push_back({"H04", "ISC with a forged credential handle (random words)", {H}, [] {
    CredHandle bad{0x1234567890abcdefULL, 0x0fedcba987654321ULL}; CtxtHandle c{}; bool have = false;
    return Status(Isc(&bad, &c, &have, nullptr));
  }});
  m.push_back({"H05", "ISC with a stale credential (already freed)", {H}, [] {
    CredHandle h{}; Identity id; TimeStamp ts{};
    if (T()->AcquireCredentialsHandleW(nullptr, Wstr(u"NTLM"), SECPKG_CRED_OUTBOUND, nullptr, id.get(),
                                       nullptr, nullptr, &h, &ts) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    T()->FreeCredentialsHandle(&h);
    CtxtHandle c{}; bool have = false;
    return Status(Isc(&h, &c, &have, nullptr));
  }});
  m.push_back({"H06", "FreeCredentialsHandle twice (double free)", {H}, [] {
    CredHandle h{}; Identity id; TimeStamp ts{};
    if (T()->AcquireCredentialsHandleW(nullptr, Wstr(u"NTLM"), SECPKG_CRED_OUTBOUND, nullptr, id.get(),
                                       nullptr, nullptr, &h, &ts) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    if (T()->FreeCredentialsHandle(&h) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    return Status(T()->FreeCredentialsHandle(&h));
  }});
  m.push_back({"H07", "FreeCredentialsHandle(NULL)", {H}, [] {
    return Status(T()->FreeCredentialsHandle(nullptr));
  }});
  m.push_back({"H08", "DeleteSecurityContext twice (double free)", {H}, [] {
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    if (Isc(&c.client, &ctx, &have, nullptr) != SEC_I_CONTINUE_NEEDED) return Status(SEC_E_INTERNAL_ERROR);
    if (T()->DeleteSecurityContext(&ctx) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    return Status(T()->DeleteSecurityContext(&ctx));
  }});
  m.push_back({"H09", "DeleteSecurityContext(NULL)", {H}, [] {
    return Status(T()->DeleteSecurityContext(nullptr));
  }});
  m.push_back({"H10", "DeleteSecurityContext on a credential handle (wrong kind)", {H}, [] {
    Creds c(u"NTLM");
    CtxtHandle as_ctx = c.client;
    return Status(T()->DeleteSecurityContext(&as_ctx));
  }});
  m.push_back({"H11", "FreeCredentialsHandle on a context handle (wrong kind)", {H}, [] {
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    if (Isc(&c.client, &ctx, &have, nullptr) != SEC_I_CONTINUE_NEEDED) return Status(SEC_E_INTERNAL_ERROR);
    CredHandle as_cred = ctx;
    Outcome o = Status(T()->FreeCredentialsHandle(&as_cred));
    T()->DeleteSecurityContext(&ctx);
    return o;
  }});
  m.push_back({"H12", "ASC continuing a stale (deleted) context", {H}, [] {
    const Transcript& t = NtlmTranscript();
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    if (Asc(&c.server, &ctx, &have, t.negotiate) != SEC_I_CONTINUE_NEEDED) return Status(SEC_E_INTERNAL_ERROR);
    T()->DeleteSecurityContext(&ctx);
    return Status(Asc(&c.server, &ctx, &have, t.authenticate));
  }});
  m.push_back({"H13", "QueryContextAttributes on a deleted context", {H}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    CtxtHandle h = e.r.client_ctx;
    T()->DeleteSecurityContext(&h);
    e.r.have_client_ctx = false;
    SecPkgContext_Sizes sz{};
    return Status(T()->QueryContextAttributesW(&h, SECPKG_ATTR_SIZES, &sz));
  }});
  m.push_back({"H14", "EncryptMessage on a deleted context", {H}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    CtxtHandle h = e.r.client_ctx;
    T()->DeleteSecurityContext(&h);
    e.r.have_client_ctx = false;
    Bytes sig(16), data(32, 1);
    return Status(Encrypt(h, &sig, &data));
  }});
  m.push_back({"H15", "DecryptMessage with a forged context handle", {H}, [] {
    CtxtHandle h{0xdeadbeefULL, 0x12345ULL};
    Bytes sig(16), data(32, 1);
    return Status(Decrypt(h, &sig, &data));
  }});
  m.push_back({"H16", "ISC with a server-only (INBOUND) credential", {SEC_E_WRONG_CREDENTIAL_HANDLE, SEC_E_NO_CREDENTIALS}, [] {
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    Outcome o = Status(Isc(&c.server, &ctx, &have, nullptr));
    if (have) T()->DeleteSecurityContext(&ctx);
    return o;
  }});
  m.push_back({"H17", "ASC with a client-only (OUTBOUND) credential", {SEC_E_WRONG_CREDENTIAL_HANDLE, SEC_E_NO_CREDENTIALS}, [] {
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    Outcome o = Status(Asc(&c.client, &ctx, &have, NtlmTranscript().negotiate));
    if (have) T()->DeleteSecurityContext(&ctx);
    return o;
  }});
  m.push_back({"H18", "FreeContextBuffer on memory the library did not hand out", {H}, [] {
    static char foreign[32];
    return Status(T()->FreeContextBuffer(foreign));
  }});
  m.push_back({"H19", "FreeContextBuffer twice on the same block", {H}, [] {
    PSecPkgInfoW info = nullptr;
    if (T()->QuerySecurityPackageInfoW(Wstr(u"NTLM"), &info) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    if (T()->FreeContextBuffer(info) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    return Status(T()->FreeContextBuffer(info));
  }});

  // --- out of sequence ---
  m.push_back({"S01", "NTLM server: AUTHENTICATE as the first token", {TOK, SEC_E_OUT_OF_SEQUENCE}, [] {
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    Outcome o = Status(Asc(&c.server, &ctx, &have, NtlmTranscript().authenticate));
    if (have) T()->DeleteSecurityContext(&ctx);
    return o;
  }});
  m.push_back({"S02", "NTLM server: NEGOTIATE again instead of AUTHENTICATE", {TOK, SEC_E_OUT_OF_SEQUENCE}, [] {
    const Transcript& t = NtlmTranscript();
    return ServerSecondLeg(u"NTLM", t.negotiate, t.negotiate, t.authenticate);
  }});
  m.push_back({"S03", "NTLM client: a NEGOTIATE where the CHALLENGE belongs", {TOK, SEC_E_OUT_OF_SEQUENCE}, [] {
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    if (Isc(&c.client, &ctx, &have, nullptr) != SEC_I_CONTINUE_NEEDED) return Status(SEC_E_INTERNAL_ERROR);
    Outcome o = Status(Isc(&c.client, &ctx, &have, &NtlmTranscript().negotiate));
    if (o.status < 0) { o.dead_checked = true; o.dead_ok = Isc(&c.client, &ctx, &have, &NtlmTranscript().challenge) < 0; }
    T()->DeleteSecurityContext(&ctx);
    return o;
  }});
  m.push_back({"S04", "ASC called again on a completed NTLM server context", {SEC_E_OUT_OF_SEQUENCE, TOK}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    bool have = true;
    return Status(Asc(&e.creds.server, &e.r.server_ctx, &have, e.r.client_tokens.back()));
  }});
  m.push_back({"S05", "ISC called again on a completed NTLM client context", {SEC_E_OUT_OF_SEQUENCE, TOK}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    bool have = true;
    return Status(Isc(&e.creds.client, &e.r.client_ctx, &have, &e.r.server_tokens.back()));
  }});
  // The library answers SEC_E_NO_CONTEXT here (src/ntlm/session_security.cpp, also SPNEGO).
  m.push_back({"S06", "EncryptMessage before the NTLM handshake completed", {SEC_E_NO_CONTEXT, SEC_E_OUT_OF_SEQUENCE}, [] {
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    if (Isc(&c.client, &ctx, &have, nullptr) != SEC_I_CONTINUE_NEEDED) return Status(SEC_E_INTERNAL_ERROR);
    Bytes sig(16), data(32, 1);
    Outcome o = Status(Encrypt(ctx, &sig, &data));
    T()->DeleteSecurityContext(&ctx);
    return o;
  }});
  m.push_back({"S07", "NTLM DecryptMessage of message #2 before #1 (reordered)", {SEC_E_OUT_OF_SEQUENCE}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes s1(16), d1(32, 1), s2(16), d2(32, 2);
    if (Encrypt(e.r.client_ctx, &s1, &d1) != SEC_E_OK || Encrypt(e.r.client_ctx, &s2, &d2) != SEC_E_OK)
      return Status(SEC_E_INTERNAL_ERROR);
    return Status(Decrypt(e.r.server_ctx, &s2, &d2));
  }});
  m.push_back({"S08", "NTLM DecryptMessage of the same message twice (replay)", {SEC_E_OUT_OF_SEQUENCE, SEC_E_MESSAGE_ALTERED}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes s1(16), d1(32, 1);
    if (Encrypt(e.r.client_ctx, &s1, &d1) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    Bytes s1b = s1, d1b = d1;
    if (Decrypt(e.r.server_ctx, &s1, &d1) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    return Status(Decrypt(e.r.server_ctx, &s1b, &d1b));
  }});

  // --- sizes, NULL and zero-length buffers, wrong types and counts ---
  m.push_back({"B01", "ASC with a token larger than cbMaxToken", {TOK}, [] {
    PSecPkgInfoW info = nullptr;
    if (T()->QuerySecurityPackageInfoW(Wstr(u"NTLM"), &info) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    const ULONG max = info->cbMaxToken;
    T()->FreeContextBuffer(info);
    Bytes big = NtlmTranscript().negotiate;
    big.resize(max + 1, 0);
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    Outcome o = Status(Asc(&c.server, &ctx, &have, big));
    if (have) T()->DeleteSecurityContext(&ctx);
    return o;
  }});
  m.push_back({"B02", "NTLM client: server reply larger than cbMaxToken", {TOK}, [] {
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    if (Isc(&c.client, &ctx, &have, nullptr) != SEC_I_CONTINUE_NEEDED) return Status(SEC_E_INTERNAL_ERROR);
    Bytes big = NtlmTranscript().challenge;
    big.resize(70000, 0);
    Outcome o = Status(Isc(&c.client, &ctx, &have, &big));
    if (o.status < 0) { o.dead_checked = true; o.dead_ok = Isc(&c.client, &ctx, &have, &NtlmTranscript().challenge) < 0; }
    T()->DeleteSecurityContext(&ctx);
    return o;
  }});
  m.push_back({"B03", "ASC with pInput = NULL", {TOK}, [] {
    Creds c(u"NTLM"); Bytes out(4096);
    SecBuffer ob{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    CtxtHandle next{}; ULONG attr = 0;
    SECURITY_STATUS s = T()->AcceptSecurityContext(&c.server, nullptr, nullptr, 0, SECURITY_NATIVE_DREP, &next, &od, &attr, nullptr);
    if (s >= 0) T()->DeleteSecurityContext(&next);
    return Status(s);
  }});
  m.push_back({"B04", "ASC with a zero-length token", {TOK}, [] {
    Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
    Outcome o = Status(Asc(&c.server, &ctx, &have, Bytes{}));
    if (have) T()->DeleteSecurityContext(&ctx);
    return o;
  }});
  m.push_back({"B05", "ASC with cBuffers = 0", {TOK}, [] {
    Creds c(u"NTLM"); Bytes out(4096);
    SecBufferDesc id{SECBUFFER_VERSION, 0, nullptr};
    SecBuffer ob{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    CtxtHandle next{}; ULONG attr = 0;
    SECURITY_STATUS s = T()->AcceptSecurityContext(&c.server, nullptr, &id, 0, SECURITY_NATIVE_DREP, &next, &od, &attr, nullptr);
    if (s >= 0) T()->DeleteSecurityContext(&next);
    return Status(s);
  }});
  m.push_back({"B06", "ASC with the token in a SECBUFFER_DATA (no SECBUFFER_TOKEN)", {TOK}, [] {
    Creds c(u"NTLM"); Bytes in = NtlmTranscript().negotiate, out(4096);
    SecBuffer ib{static_cast<ULONG>(in.size()), SECBUFFER_DATA, in.data()};
    SecBufferDesc id{SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    CtxtHandle next{}; ULONG attr = 0;
    SECURITY_STATUS s = T()->AcceptSecurityContext(&c.server, nullptr, &id, 0, SECURITY_NATIVE_DREP, &next, &od, &attr, nullptr);
    if (s >= 0) T()->DeleteSecurityContext(&next);
    return Status(s);
  }});
  m.push_back({"B07", "ASC with SecBufferDesc.ulVersion != SECBUFFER_VERSION", {TOK, SEC_E_INVALID_PARAMETER}, [] {
    Creds c(u"NTLM"); Bytes in = NtlmTranscript().negotiate, out(4096);
    SecBuffer ib{static_cast<ULONG>(in.size()), SECBUFFER_TOKEN, in.data()};
    SecBufferDesc id{7, 1, &ib};
    SecBuffer ob{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    CtxtHandle next{}; ULONG attr = 0;
    SECURITY_STATUS s = T()->AcceptSecurityContext(&c.server, nullptr, &id, 0, SECURITY_NATIVE_DREP, &next, &od, &attr, nullptr);
    if (s >= 0) T()->DeleteSecurityContext(&next);
    return Status(s);
  }});
  m.push_back({"B08", "ASC with cBuffers = 2 but pBuffers = NULL", {TOK, SEC_E_INVALID_PARAMETER}, [] {
    Creds c(u"NTLM"); Bytes out(4096);
    SecBufferDesc id{SECBUFFER_VERSION, 2, nullptr};
    SecBuffer ob{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    CtxtHandle next{}; ULONG attr = 0;
    SECURITY_STATUS s = T()->AcceptSecurityContext(&c.server, nullptr, &id, 0, SECURITY_NATIVE_DREP, &next, &od, &attr, nullptr);
    if (s >= 0) T()->DeleteSecurityContext(&next);
    return Status(s);
  }});
  m.push_back({"B09", "ASC with a token buffer of 100 bytes at pvBuffer = NULL", {TOK, SEC_E_INVALID_PARAMETER}, [] {
    Creds c(u"NTLM"); Bytes out(4096);
    SecBuffer ib{100, SECBUFFER_TOKEN, nullptr};
    SecBufferDesc id{SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    CtxtHandle next{}; ULONG attr = 0;
    SECURITY_STATUS s = T()->AcceptSecurityContext(&c.server, nullptr, &id, 0, SECURITY_NATIVE_DREP, &next, &od, &attr, nullptr);
    if (s >= 0) T()->DeleteSecurityContext(&next);
    return Status(s);
  }});
  m.push_back({"B10", "ISC with a 4-byte output buffer (no ALLOCATE_MEMORY)", {SEC_E_BUFFER_TOO_SMALL, SEC_E_INSUFFICIENT_MEMORY}, [] {
    Creds c(u"NTLM"); unsigned char small[4];
    SecBuffer ob{sizeof small, SECBUFFER_TOKEN, small};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    CtxtHandle next{}; ULONG attr = 0;
    SECURITY_STATUS s = T()->InitializeSecurityContextW(&c.client, nullptr, nullptr, ISC_REQ_CONNECTION, 0, SECURITY_NATIVE_DREP,
                                                       nullptr, 0, &next, &od, &attr, nullptr);
    if (s >= 0) T()->DeleteSecurityContext(&next);
    return Status(s);
  }});
  m.push_back({"B11", "ISC with pOutput = NULL", {TOK, SEC_E_INVALID_PARAMETER}, [] {
    Creds c(u"NTLM"); CtxtHandle next{}; ULONG attr = 0;
    SECURITY_STATUS s = T()->InitializeSecurityContextW(&c.client, nullptr, nullptr, ISC_REQ_CONNECTION, 0, SECURITY_NATIVE_DREP,
                                                       nullptr, 0, &next, nullptr, &attr, nullptr);
    if (s >= 0) T()->DeleteSecurityContext(&next);
    return Status(s);
  }});
  m.push_back({"B12", "EncryptMessage with pMessage = NULL", {TOK, SEC_E_INVALID_PARAMETER}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    return Status(T()->EncryptMessage(&e.r.client_ctx, 0, nullptr, 0));
  }});
  m.push_back({"B13", "NTLM EncryptMessage without a SECBUFFER_TOKEN", {TOK}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes data(32, 1);
    SecBuffer b{static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()};
    SecBufferDesc d{SECBUFFER_VERSION, 1, &b};
    return Status(T()->EncryptMessage(&e.r.client_ctx, 0, &d, 0));
  }});
  m.push_back({"B14", "NTLM EncryptMessage with an 8-byte signature buffer", {SEC_E_BUFFER_TOO_SMALL, TOK}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes sig(8), data(32, 1);
    return Status(Encrypt(e.r.client_ctx, &sig, &data));
  }});
  m.push_back({"B15", "NTLM DecryptMessage with tampered data", {SEC_E_MESSAGE_ALTERED}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes s(16), d(32, 1);
    if (Encrypt(e.r.client_ctx, &s, &d) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    d[5] ^= 1;
    return Status(Decrypt(e.r.server_ctx, &s, &d));
  }});
  m.push_back({"B16", "NTLM DecryptMessage with a tampered signature", {SEC_E_MESSAGE_ALTERED}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes s(16), d(32, 1);
    if (Encrypt(e.r.client_ctx, &s, &d) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    s[6] ^= 1;
    return Status(Decrypt(e.r.server_ctx, &s, &d));
  }});
  m.push_back({"B17", "NTLM VerifySignature over altered data", {SEC_E_MESSAGE_ALTERED}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes sig(16), data(32, 1);
    SecBuffer b[2] = {{static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}, {16, SECBUFFER_TOKEN, sig.data()}};
    SecBufferDesc d{SECBUFFER_VERSION, 2, b};
    if (T()->MakeSignature(&e.r.client_ctx, 0, &d, 0) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    data[0] ^= 0x80;
    ULONG qop = 0;
    return Status(T()->VerifySignature(&e.r.server_ctx, &d, 0, &qop));
  }});
  m.push_back({"B18", "CredSSP EncryptMessage with 2 buffers instead of 4", {TOK}, [] {
    Established e(u"CREDSSP");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes sig(64), data(32, 1);
    return Status(Encrypt(e.r.client_ctx, &sig, &data));
  }});
  m.push_back({"B19", "CredSSP DecryptMessage of a truncated TLS record", {SEC_E_INCOMPLETE_MESSAGE}, [] {
    Established e(u"CREDSSP");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes rec;
    if (CredSspEncrypt(e.r.client_ctx, Bytes(100, 7), &rec) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    rec.resize(rec.size() - 10);
    return Status(CredSspDecrypt(e.r.server_ctx, rec));
  }});
  m.push_back({"B20", "CredSSP DecryptMessage of a tampered TLS record", {SEC_E_MESSAGE_ALTERED, SEC_E_DECRYPT_FAILURE}, [] {
    Established e(u"CREDSSP");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes rec;
    if (CredSspEncrypt(e.r.client_ctx, Bytes(100, 7), &rec) != SEC_E_OK) return Status(SEC_E_INTERNAL_ERROR);
    rec[rec.size() / 2] ^= 1;
    Outcome o = Status(CredSspDecrypt(e.r.server_ctx, rec));
    // After a tampered record the TLS session is dead: a genuine next record must fail too.
    Bytes rec2;
    if (CredSspEncrypt(e.r.client_ctx, Bytes(10, 8), &rec2) == SEC_E_OK) {
      o.dead_checked = true;
      o.dead_ok = CredSspDecrypt(e.r.server_ctx, rec2) < 0;
    }
    return o;
  }});
  m.push_back({"B21", "CredSSP MakeSignature (not offered by CredSSP)", {SEC_E_UNSUPPORTED_FUNCTION}, [] {
    Established e(u"CREDSSP");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    Bytes sig(16), data(32, 1);
    SecBuffer b[2] = {{static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}, {16, SECBUFFER_TOKEN, sig.data()}};
    SecBufferDesc d{SECBUFFER_VERSION, 2, b};
    return Status(T()->MakeSignature(&e.r.client_ctx, 0, &d, 0));
  }});
  m.push_back({"B22", "AcquireCredentialsHandle of an unknown package", {SEC_E_SECPKG_NOT_FOUND}, [] {
    CredHandle h{}; TimeStamp ts{};
    SECURITY_STATUS s = T()->AcquireCredentialsHandleW(nullptr, Wstr(u"Kerberos"), SECPKG_CRED_OUTBOUND, nullptr, nullptr,
                                                       nullptr, nullptr, &h, &ts);
    if (s == SEC_E_OK) T()->FreeCredentialsHandle(&h);
    return Status(s);
  }});
  m.push_back({"B23", "QueryContextAttributes of an unknown attribute", {SEC_E_UNSUPPORTED_FUNCTION}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    unsigned char buf[64];
    return Status(T()->QueryContextAttributesW(&e.r.client_ctx, 0x7777, buf));
  }});
  m.push_back({"B24", "QueryContextAttributes with pBuffer = NULL", {SEC_E_INVALID_PARAMETER, SEC_E_INVALID_TOKEN, SEC_E_INSUFFICIENT_MEMORY}, [] {
    Established e(u"NTLM");
    if (!e.ok()) return Status(SEC_E_INTERNAL_ERROR);
    return Status(T()->QueryContextAttributesW(&e.r.client_ctx, SECPKG_ATTR_SIZES, nullptr));
  }});

  // --- every truncation point of each message ---
  m.push_back({"T01", "NTLM server: every truncation of NEGOTIATE", {TOK}, [] {
    return Truncations(NtlmTranscript().negotiate, {TOK}, [](const Bytes& b, bool* dead) {
      Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
      SECURITY_STATUS s = Asc(&c.server, &ctx, &have, b);
      if (have) { *dead = Asc(&c.server, &ctx, &have, NtlmTranscript().negotiate) < 0; T()->DeleteSecurityContext(&ctx); }
      return s;
    }, {32});  // MS-NLMP 2.2.1.1: the 32-byte header without Version is a whole NEGOTIATE
  }});
  m.push_back({"T02", "NTLM client: every truncation of CHALLENGE", {TOK}, [] {
    return Truncations(NtlmTranscript().challenge, {TOK}, [](const Bytes& b, bool* dead) {
      Creds c(u"NTLM"); CtxtHandle ctx{}; bool have = false;
      if (Isc(&c.client, &ctx, &have, nullptr) != SEC_I_CONTINUE_NEEDED) return SEC_E_INTERNAL_ERROR;
      SECURITY_STATUS s = Isc(&c.client, &ctx, &have, &b);
      *dead = Isc(&c.client, &ctx, &have, &NtlmTranscript().challenge) < 0;
      T()->DeleteSecurityContext(&ctx);
      return s;
    });
  }});
  m.push_back({"T03", "NTLM server: every truncation of AUTHENTICATE", {TOK}, [] {
    // A fresh exchange per prefix: the AUTHENTICATE must answer this server's CHALLENGE, so
    // the real client makes it and the test truncates it.
    return Truncations(NtlmTranscript().authenticate, {TOK}, [](const Bytes& b, bool* dead) {
      Creds c(u"NTLM"); CtxtHandle cc{}, sc{}; bool hc = false, hs = false;
      Bytes n, ch, a;
      SECURITY_STATUS s = SEC_E_INTERNAL_ERROR;
      if (Isc(&c.client, &cc, &hc, nullptr, &n) == SEC_I_CONTINUE_NEEDED) {
        Bytes out(4096);
        SecBuffer ib[2] = {{static_cast<ULONG>(n.size()), SECBUFFER_TOKEN, n.data()}, {0, SECBUFFER_EMPTY, nullptr}};
        SecBufferDesc id{SECBUFFER_VERSION, 2, ib};
        SecBuffer ob{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
        SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
        ULONG attr = 0;
        if (T()->AcceptSecurityContext(&c.server, nullptr, &id, ASC_REQ_CONNECTION, SECURITY_NATIVE_DREP, &sc, &od, &attr, nullptr) ==
            SEC_I_CONTINUE_NEEDED) {
          hs = true;
          ch.assign(out.data(), out.data() + ob.cbBuffer);
          if (Isc(&c.client, &cc, &hc, &ch, &a) >= 0) {
            Bytes cut(a.begin(), a.begin() + static_cast<long>(std::min(b.size(), a.size())));
            s = Asc(&c.server, &sc, &hs, cut);
            *dead = Asc(&c.server, &sc, &hs, a) < 0;  // the genuine AUTHENTICATE is refused now
          }
        }
      }
      if (hc) T()->DeleteSecurityContext(&cc);
      if (hs) T()->DeleteSecurityContext(&sc);
      return s;
    });
  }});
  m.push_back({"T04", "Negotiate server: every truncation of the SPNEGO NegTokenInit", {TOK}, [] {
    return Truncations(SpnegoTranscript().negotiate, {TOK}, [](const Bytes& b, bool* dead) {
      Creds c(u"Negotiate"); CtxtHandle ctx{}; bool have = false;
      SECURITY_STATUS s = Asc(&c.server, &ctx, &have, b);
      if (have) { *dead = Asc(&c.server, &ctx, &have, SpnegoTranscript().negotiate) < 0; T()->DeleteSecurityContext(&ctx); }
      return s;
    }, {0});  // MS-SPNG 3.2.5.2: an empty first token asks the server for its NegTokenInit2
  }});
  m.push_back({"T05", "Negotiate client: every truncation of the SPNEGO NegTokenResp (CHALLENGE)", {TOK}, [] {
    return Truncations(SpnegoTranscript().challenge, {TOK}, [](const Bytes& b, bool* dead) {
      Creds c(u"Negotiate"); CtxtHandle ctx{}; bool have = false;
      if (Isc(&c.client, &ctx, &have, nullptr) != SEC_I_CONTINUE_NEEDED) return SEC_E_INTERNAL_ERROR;
      SECURITY_STATUS s = Isc(&c.client, &ctx, &have, &b);
      *dead = Isc(&c.client, &ctx, &have, &SpnegoTranscript().challenge) < 0;
      T()->DeleteSecurityContext(&ctx);
      return s;
    });
  }});
  m.push_back({"T06", "Negotiate server: every truncation of the SPNEGO NegTokenResp (AUTHENTICATE)", {TOK}, [] {
    return Truncations(SpnegoTranscript().authenticate, {TOK}, [](const Bytes& b, bool* dead) {
      const Transcript& t = SpnegoTranscript();
      Outcome o = ServerSecondLeg(u"Negotiate", t.negotiate, b, t.authenticate);
      *dead = o.dead_ok;
      return o.status;
    });
  }});
  return m;
}

class NegativeMatrix : public ::testing::TestWithParam<size_t> {};

std::vector<Row>& Rows() {
  static std::vector<Row> rows = Matrix();
  return rows;
}

struct Result {
  std::string id, what, expected, got;
  int sub_cases;
  bool pass;
};
std::vector<Result>& Results() {
  static std::vector<Result> r;
  return r;
}

TEST_P(NegativeMatrix, GivesDocumentedCodeAndKillsContext) {
  const Row& row = Rows()[GetParam()];
  const Outcome o = row.run();
  const bool code_ok = std::find(row.allowed.begin(), row.allowed.end(), o.status) != row.allowed.end();
  std::string expected;
  for (SECURITY_STATUS s : row.allowed) expected += (expected.empty() ? "" : " or ") + Name(s);
  Results().push_back({row.id, row.what, expected, Name(o.status) + (o.detail.empty() ? "" : " (" + o.detail + ")"),
                       o.sub_cases, code_ok && o.dead_ok});
  EXPECT_TRUE(code_ok) << row.id << " " << row.what << ": expected " << expected << ", got "
                       << Name(o.status) << " " << o.detail;
  if (o.dead_checked) {
    EXPECT_TRUE(o.dead_ok) << row.id << ": the context still worked after the error";
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, NegativeMatrix, ::testing::Range<size_t>(0, Matrix().size()),
                         [](const ::testing::TestParamInfo<size_t>& i) { return std::string(Rows()[i.param].id); });

TEST(NegativeMatrixSize, AtLeastFortyRows) {
  EXPECT_GE(Rows().size(), 40u);
}

// Writes the Markdown table for docs/security.md when asked (after all rows ran).
class MatrixReport : public ::testing::Environment {
 public:
  void TearDown() override {
    const char* path = std::getenv("OCS_MATRIX_MD");
    if (path == nullptr || Results().empty()) return;
    std::ofstream f(path);
    f << "| # | Bad input | Documented code | Result | Sub-cases |\n|---|---|---|---|---|\n";
    auto rs = Results();
    std::sort(rs.begin(), rs.end(), [](const Result& a, const Result& b) { return a.id < b.id; });
    for (const Result& r : rs)
      f << "| " << r.id << " | " << r.what << " | " << r.expected << " | " << (r.pass ? "pass: " : "**FAIL**: ")
        << r.got << " | " << r.sub_cases << " |\n";
  }
};
const auto* const kReport = ::testing::AddGlobalTestEnvironment(new MatrixReport);

}  // namespace
}  // namespace ocs::hardening
