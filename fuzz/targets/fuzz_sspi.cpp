// fuzz_sspi - stateful targets through the public SSPI table of libopencredssp:
//   fuzz_accept_ntlm / fuzz_accept_negotiate   AcceptSecurityContext fed arbitrary token
//                                              sequences (the first call creates the context);
//   fuzz_init_ntlm / fuzz_init_negotiate       InitializeSecurityContext: the first call makes
//                                              the client's token, then arbitrary server replies;
//   fuzz_accept_credssp / fuzz_init_credssp    the same for CREDSSP, past the TLS layer: the
//                                              fuzzer itself plays the TLS peer with OpenSSL,
//                                              completes a real TLS handshake with our context,
//                                              then sends each fuzz token as TLS application
//                                              data (a TSRequest). Nothing in the library is
//                                              bypassed, so no fuzz-only code ships in it.
// Input: a sequence of tokens, each a 2-byte little-endian length followed by that many bytes
// (a short last token takes what is left).
// Properties, besides "no crash, no leak, no sanitizer report":
//   * a call that fails leaves the context dead: one more call on the same handle with the
//     same token must fail too (package.h: "after an error the context is dead");
//   * SEC_E_OK / SEC_I_CONTINUE_NEEDED outputs fit the caller's buffer.
// SPDX-License-Identifier: Apache-2.0
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <opencredssp/credssp.h>
#include <opencredssp/sspi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" PSecurityFunctionTableW SEC_ENTRY InitSecurityInterfaceW(void);

namespace {

using Buf = std::vector<unsigned char>;

#if OCS_FUZZ_MODE == 1 || OCS_FUZZ_MODE == 3
const char16_t kPackage[] = u"NTLM";
#elif OCS_FUZZ_MODE == 2 || OCS_FUZZ_MODE == 4
const char16_t kPackage[] = u"Negotiate";
#else
const char16_t kPackage[] = u"CREDSSP";
#define OCS_FUZZ_CREDSSP 1
#endif
#if OCS_FUZZ_MODE == 1 || OCS_FUZZ_MODE == 2 || OCS_FUZZ_MODE == 5
#define OCS_FUZZ_SERVER 1
#endif

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_sspi(mode %d): property violated: %s\n", OCS_FUZZ_MODE, what);
  std::abort();
}

SEC_WCHAR* W(const char16_t* s) { return reinterpret_cast<SEC_WCHAR*>(const_cast<char16_t*>(s)); }

PSecurityFunctionTableW T() {
  static PSecurityFunctionTableW t = InitSecurityInterfaceW();
  return t;
}

std::vector<Buf> Split(const uint8_t* data, size_t size) {
  std::vector<Buf> out;
  while (size >= 2 && out.size() < 8) {
    size_t n = static_cast<size_t>(data[0]) | (static_cast<size_t>(data[1]) << 8);
    data += 2, size -= 2;
    if (n > size) n = size;
    out.emplace_back(data, data + n);
    data += n, size -= n;
  }
  return out;
}

// Identity for the client side.
std::u16string g_user = u"alice", g_domain = u"EXAMPLE", g_pass = u"Secret123";
SEC_WINNT_AUTH_IDENTITY_W Identity() {
  SEC_WINNT_AUTH_IDENTITY_W id{};
  id.User = reinterpret_cast<USHORT*>(g_user.data());
  id.UserLength = static_cast<ULONG>(g_user.size());
  id.Domain = reinterpret_cast<USHORT*>(g_domain.data());
  id.DomainLength = static_cast<ULONG>(g_domain.size());
  id.Password = reinterpret_cast<USHORT*>(g_pass.data());
  id.PasswordLength = static_cast<ULONG>(g_pass.size());
  id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  return id;
}

// One credential for the whole run (as a server keeps one): created on first use.
CredHandle* Cred() {
  static CredHandle cred;
  static bool done = [] {
    TimeStamp ts{};
#ifdef OCS_FUZZ_SERVER
    OCS_CREDSSP_SETTINGS settings{};
    settings.Version = OCS_CREDSSP_SETTINGS_VERSION;
    settings.GeneratedKeyType = OCS_CREDSSP_KEY_ECDSA_P256;  // fastest handshake
    CREDSSP_CRED cc{};
    cc.Type = CredsspPasswordCreds;
    cc.pSchannelCred = &settings;
    void* auth = nullptr;
#ifdef OCS_FUZZ_CREDSSP
    auth = &cc;
#endif
    SECURITY_STATUS s = T()->AcquireCredentialsHandleW(nullptr, W(kPackage), SECPKG_CRED_INBOUND,
                                                       nullptr, auth, nullptr, nullptr, &cred, &ts);
#else
    SEC_WINNT_AUTH_IDENTITY_W id = Identity();
    CREDSSP_CRED cc{};
    cc.Type = CredsspPasswordCreds;
    cc.pSpnegoCred = &id;
    void* auth = &id;
#ifdef OCS_FUZZ_CREDSSP
    auth = &cc;
#endif
    SECURITY_STATUS s = T()->AcquireCredentialsHandleW(nullptr, W(kPackage), SECPKG_CRED_OUTBOUND,
                                                       nullptr, auth, nullptr, nullptr, &cred, &ts);
#endif
    if (s != SEC_E_OK) {
      std::fprintf(stderr, "AcquireCredentialsHandleW: 0x%08x\n", static_cast<unsigned>(s));
      std::abort();
    }
    return true;
  }();
  (void)done;
  return &cred;
}

// Step runs one ISC or ASC call. *have says whether `ctx` holds a context (set on creation).
SECURITY_STATUS Step(CtxtHandle* ctx, bool* have, const Buf& in, bool with_input, Buf* out) {
  static thread_local Buf obuf(1 << 17);
  Buf in_copy = in;
  SecBuffer ib[2] = {{static_cast<ULONG>(in_copy.size()), SECBUFFER_TOKEN,
                      in_copy.empty() ? nullptr : in_copy.data()},
                     {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc id{SECBUFFER_VERSION, 2, ib};
  SecBuffer ob{static_cast<ULONG>(obuf.size()), SECBUFFER_TOKEN, obuf.data()};
  SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
  ULONG attrs = 0;
  TimeStamp ts{};
  CtxtHandle next{};
  SECURITY_STATUS s;
#ifdef OCS_FUZZ_SERVER
  (void)with_input;
  s = T()->AcceptSecurityContext(Cred(), *have ? ctx : nullptr, &id,
                                 ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY |
                                     ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT |
                                     ASC_REQ_CONNECTION,
                                 SECURITY_NATIVE_DREP, &next, &od, &attrs, &ts);
#else
  s = T()->InitializeSecurityContextW(
      Cred(), *have ? ctx : nullptr, W(u"TERMSRV/localhost"),
      ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT |
          ISC_REQ_REPLAY_DETECT | ISC_REQ_CONNECTION | ISC_REQ_MUTUAL_AUTH | ISC_REQ_DELEGATE,
      0, SECURITY_NATIVE_DREP, with_input ? &id : nullptr, 0, &next, &od, &attrs, &ts);
#endif
  if (!*have && (s == SEC_E_OK || s == SEC_I_CONTINUE_NEEDED)) {
    *ctx = next;
    *have = true;
  }
  out->clear();
  if (s >= 0) {
    if (ob.cbBuffer > obuf.size()) Fail("output token longer than the caller's buffer");
    out->assign(obuf.data(), obuf.data() + ob.cbBuffer);
  }
  return s;
}

// DeadAfterError: once a call failed, the context must refuse the same input again.
void DeadAfterError(CtxtHandle* ctx, bool have, const Buf& in) {
  if (!have) return;
  Buf out;
  bool h = true;
  const SECURITY_STATUS again = Step(ctx, &h, in, true, &out);
  if (again >= 0) Fail("a context that failed accepted another call");
}

void Finish(CtxtHandle* ctx, bool have) {
  if (!have) return;
  // Exercise the per-context queries on whatever state the sequence left.
  SecPkgContext_Sizes sizes{};
  (void)T()->QueryContextAttributesW(ctx, SECPKG_ATTR_SIZES, &sizes);
  SecPkgContext_NamesW names{};
  if (T()->QueryContextAttributesW(ctx, SECPKG_ATTR_NAMES, &names) == SEC_E_OK &&
      names.sUserName != nullptr)
    T()->FreeContextBuffer(names.sUserName);
  if (T()->DeleteSecurityContext(ctx) != SEC_E_OK) Fail("DeleteSecurityContext failed");
}

#ifndef OCS_FUZZ_CREDSSP

void RunSequence(const std::vector<Buf>& toks) {
  CtxtHandle ctx{};
  bool have = false;
  Buf out;
  size_t i = 0;
#ifndef OCS_FUZZ_SERVER
  // The client speaks first (NEGOTIATE / NegTokenInit); the fuzz tokens are the replies.
  if (Step(&ctx, &have, Buf{}, false, &out) != SEC_I_CONTINUE_NEEDED) Fail("first ISC failed");
#endif
  for (; i < toks.size(); ++i) {
    const SECURITY_STATUS s = Step(&ctx, &have, toks[i], true, &out);
    if (s < 0) {
      DeadAfterError(&ctx, have, toks[i]);
      break;
    }
    if (s == SEC_E_OK) break;
  }
  Finish(&ctx, have);
}

#else  // CredSSP: the fuzzer is the TLS peer.

struct Peer {
  SSL_CTX* ctx = nullptr;
  Peer() {
#ifdef OCS_FUZZ_SERVER
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
#else
    ctx = SSL_CTX_new(TLS_server_method());
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_sign(cert, key, EVP_sha256());
    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    X509_free(cert);
    EVP_PKEY_free(key);
#endif
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
  }
};

void Push(BIO* b, const Buf& v) {
  if (!v.empty()) BIO_write(b, v.data(), static_cast<int>(v.size()));
}
Buf Pull(BIO* b) {
  Buf v;
  unsigned char tmp[4096];
  int n;
  while ((n = BIO_read(b, tmp, sizeof tmp)) > 0) v.insert(v.end(), tmp, tmp + n);
  return v;
}

void RunSequence(const std::vector<Buf>& toks) {
  static Peer peer;
  SSL* ssl = SSL_new(peer.ctx);
  BIO* rb = BIO_new(BIO_s_mem());
  BIO* wb = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, rb, wb);
#ifdef OCS_FUZZ_SERVER
  SSL_set_connect_state(ssl);
#else
  SSL_set_accept_state(ssl);
#endif
  CtxtHandle ctx{};
  bool have = false;
  Buf out, app(1 << 16);
  bool ok = true;
  SECURITY_STATUS s = SEC_I_CONTINUE_NEEDED;
#ifndef OCS_FUZZ_SERVER
  s = Step(&ctx, &have, Buf{}, false, &out);  // ClientHello
  if (s != SEC_I_CONTINUE_NEEDED) Fail("first CredSSP ISC failed");
  Push(rb, out);
#endif
  // TLS handshake between the fuzzer's OpenSSL and our context; done when our side has sent
  // its first TSRequest (client) or when the TLS handshake is complete (server).
  bool got_app = false;
  for (int round = 0; round < 10 && ok; ++round) {
    const int r = SSL_do_handshake(ssl);
    if (r != 1 && SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ) { ok = false; break; }
    if (r == 1) {
      while (SSL_read(ssl, app.data(), static_cast<int>(app.size())) > 0) got_app = true;
    }
    Buf to_ours = Pull(wb);
#ifdef OCS_FUZZ_SERVER
    if (r == 1 && to_ours.empty()) break;  // handshake done on both sides
#else
    if (r == 1 && got_app) break;
#endif
    if (to_ours.empty()) { ok = false; break; }
    s = Step(&ctx, &have, to_ours, true, &out);
    if (s != SEC_I_CONTINUE_NEEDED) { ok = false; break; }
    Push(rb, out);
  }
  if (!ok) Fail("TLS handshake with our CredSSP context did not complete");
  // Fuzz phase: every token is one TSRequest inside TLS application data.
  for (const Buf& t : toks) {
    if (!t.empty() && SSL_write(ssl, t.data(), static_cast<int>(t.size())) <= 0) break;
    Buf rec = Pull(wb);
    s = Step(&ctx, &have, rec, true, &out);
    if (s < 0) {
      if (s != SEC_E_INCOMPLETE_MESSAGE) DeadAfterError(&ctx, have, rec);
      break;
    }
    Push(rb, out);
    while (SSL_read(ssl, app.data(), static_cast<int>(app.size())) > 0) {
    }
    if (s == SEC_E_OK) break;
  }
  SSL_free(ssl);
  ERR_clear_error();
  Finish(&ctx, have);
}

#endif

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The NTLM server needs a user store: alice / Secret123 (users file in the temp dir).
  static char path[] = "/tmp/ocs_fuzz_users_XXXXXX";
  const int fd = mkstemp(path);
  if (fd >= 0) {
    static const char line[] = "alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n";
    if (write(fd, line, sizeof line - 1) < 0) std::abort();
    close(fd);
    static std::string spec = std::string("sam:") + path;
    setenv("OPENCREDSSP_USERS", spec.c_str(), 1);
  }
  (void)T();
  (void)Cred();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RunSequence(Split(data, size));
  return 0;
}
