// harness.cpp - a Windows program that uses opencredssp.dll the way a Windows application does:
// LoadLibraryW, then only the function tables InitSecurityInterfaceW/A return (no import
// library, no header of ours beyond the public ones).  It prints every step:
//   1. load the DLL, resolve and call InitSecurityInterfaceW and InitSecurityInterfaceA, check
//      the tables point at the DLL's own exports;
//   2. EnumerateSecurityPackagesW and ...A;
//   3. an NTLM handshake between a client and a server context, then EncryptMessage /
//      DecryptMessage both ways (sealed messages with a signature token);
//   4. a CredSSP handshake (TLS + SPNEGO/NTLM + pubKeyAuth) with credential delegation: the
//      server reads the delegated user/password with QueryContextAttributes(SECPKG_ATTR_CREDS);
//      then EncryptMessage / DecryptMessage both ways over the TLS channel (stream buffers).
// Usage: sspi_harness.exe [path\to\opencredssp.dll]
//        sspi_harness.exe --secur32 path\to\opencredssp.dll   (register it under
//        SecurityProviders, then run CredSSP through secur32.dll's table)
// Exit status: 0 all done; 1 a step failed; 77 a package the step needs is not in the DLL
// (SEC_E_SECPKG_NOT_FOUND / SEC_E_UNSUPPORTED_FUNCTION), which tools/test.d/50-windows.sh
// reports as incomplete.
// SPDX-License-Identifier: Apache-2.0
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <opencredssp/sspi.h>
#include <opencredssp/credssp.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kSkip = 77;
using Bytes = std::vector<unsigned char>;

void Say(const char* fmt, ...) __attribute__((format(gnu_printf, 1, 2)));
void Say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vprintf(fmt, ap);
  va_end(ap);
  std::printf("\n");
  std::fflush(stdout);
}

std::string Hex(SECURITY_STATUS s) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08lX", static_cast<unsigned long>(static_cast<ULONG>(s)));
  return b;
}

std::string Narrow(const SEC_WCHAR* w) {
  std::string out;
  for (; w != nullptr && *w != 0; ++w) out.push_back(*w < 0x80 ? static_cast<char>(*w) : '?');
  return out;
}


// A failed step: missing package => skip (77), anything else => 1.
int Fail(const char* what, SECURITY_STATUS s) {
  const bool missing = s == SEC_E_SECPKG_NOT_FOUND || s == SEC_E_UNSUPPORTED_FUNCTION;
  Say("%s: %s failed with %s", missing ? "INCOMPLETE" : "FAIL", what, Hex(s).c_str());
  return missing ? kSkip : 1;
}

struct Tables {
  PSecurityFunctionTableW w = nullptr;
  PSecurityFunctionTableA a = nullptr;
};

int LoadAndInit(const std::wstring& path, HMODULE* mod, Tables* t) {
  *mod = LoadLibraryW(path.c_str());
  if (*mod == nullptr) {
    Say("FAIL: LoadLibraryW(%ls) error %lu", path.c_str(), GetLastError());
    return 1;
  }
  wchar_t loaded[MAX_PATH] = {};
  GetModuleFileNameW(*mod, loaded, MAX_PATH);
  Say("LoadLibraryW(%ls) -> %ls", path.c_str(), loaded);

  auto init_w = reinterpret_cast<INIT_SECURITY_INTERFACE_W>(
      reinterpret_cast<void*>(GetProcAddress(*mod, "InitSecurityInterfaceW")));
  auto init_a = reinterpret_cast<INIT_SECURITY_INTERFACE_A>(
      reinterpret_cast<void*>(GetProcAddress(*mod, "InitSecurityInterfaceA")));
  if (init_w == nullptr || init_a == nullptr) {
    Say("FAIL: GetProcAddress(InitSecurityInterfaceW/A) returned NULL");
    return 1;
  }
  t->w = init_w();
  t->a = init_a();
  if (t->w == nullptr || t->a == nullptr) {
    Say("FAIL: InitSecurityInterfaceW/A returned NULL");
    return 1;
  }
  Say("InitSecurityInterfaceW -> table version %lu; InitSecurityInterfaceA -> table version %lu",
      static_cast<unsigned long>(t->w->dwVersion), static_cast<unsigned long>(t->a->dwVersion));

  // The tables must hold the DLL's exported functions (a Windows caller may use either).
  struct Slot {
    const char* name;
    void* in_table;
  } slots[] = {
      {"AcquireCredentialsHandleW", reinterpret_cast<void*>(t->w->AcquireCredentialsHandleW)},
      {"InitializeSecurityContextW", reinterpret_cast<void*>(t->w->InitializeSecurityContextW)},
      {"AcceptSecurityContext", reinterpret_cast<void*>(t->w->AcceptSecurityContext)},
      {"EncryptMessage", reinterpret_cast<void*>(t->w->EncryptMessage)},
      {"DecryptMessage", reinterpret_cast<void*>(t->w->DecryptMessage)},
      {"AcquireCredentialsHandleA", reinterpret_cast<void*>(t->a->AcquireCredentialsHandleA)},
      {"InitializeSecurityContextA", reinterpret_cast<void*>(t->a->InitializeSecurityContextA)},
      {"FreeContextBuffer", reinterpret_cast<void*>(t->a->FreeContextBuffer)},
  };
  for (const Slot& s : slots) {
    void* exported = reinterpret_cast<void*>(GetProcAddress(*mod, s.name));
    if (exported == nullptr || exported != s.in_table) {
      Say("FAIL: table slot %s (%p) is not the export (%p)", s.name, s.in_table, exported);
      return 1;
    }
  }
  Say("function tables match the DLL's exports (%zu slots checked)", sizeof slots / sizeof slots[0]);
  return 0;
}

int Enumerate(const Tables& t, std::vector<std::string>* names) {
  ULONG n = 0;
  PSecPkgInfoW infos = nullptr;
  SECURITY_STATUS s = t.w->EnumerateSecurityPackagesW(&n, &infos);
  if (s != SEC_E_OK) return Fail("EnumerateSecurityPackagesW", s);
  Say("EnumerateSecurityPackagesW: %lu packages", static_cast<unsigned long>(n));
  for (ULONG i = 0; i < n; ++i) {
    names->push_back(Narrow(infos[i].Name));
    Say("  %-10s caps 0x%08lX rpcid %u maxtoken %lu  \"%s\"", names->back().c_str(),
        static_cast<unsigned long>(infos[i].fCapabilities), infos[i].wRPCID,
        static_cast<unsigned long>(infos[i].cbMaxToken), Narrow(infos[i].Comment).c_str());
  }
  t.w->FreeContextBuffer(infos);

  ULONG na = 0;
  PSecPkgInfoA infos_a = nullptr;
  s = t.a->EnumerateSecurityPackagesA(&na, &infos_a);
  if (s != SEC_E_OK) return Fail("EnumerateSecurityPackagesA", s);
  std::string list;
  for (ULONG i = 0; i < na; ++i) list += std::string(list.empty() ? "" : ", ") + infos_a[i].Name;
  Say("EnumerateSecurityPackagesA: %lu packages (%s)", static_cast<unsigned long>(na), list.c_str());
  t.a->FreeContextBuffer(infos_a);
  if (na != n) {
    Say("FAIL: the A and W tables list different package counts");
    return 1;
  }
  return 0;
}

// The test account the server side knows (a users file named by OPENCREDSSP_USERS).
const wchar_t kUser[] = L"alice";
const wchar_t kDomain[] = L"EXAMPLE";
const wchar_t kPassword[] = L"Secret123";

int WriteUsersFile(std::string* path) {
  char dir[MAX_PATH] = {};
  if (GetTempPathA(MAX_PATH, dir) == 0) return 1;
  char file[MAX_PATH] = {};
  if (GetTempFileNameA(dir, "ocs", 0, file) == 0) return 1;
  FILE* f = std::fopen(file, "wb");
  if (f == nullptr) return 1;
  std::fputs("EXAMPLE:alice:Secret123\n", f);
  std::fclose(f);
  *path = file;
  // The DLL and this program share msvcrt.dll, so _putenv_s reaches the DLL's getenv.
  if (_putenv_s("OPENCREDSSP_USERS", file) != 0) return 1;
  Say("server user store: OPENCREDSSP_USERS=%s (EXAMPLE\\alice)", file);
  return 0;
}

SEC_WINNT_AUTH_IDENTITY_W ClientIdentity() {
  SEC_WINNT_AUTH_IDENTITY_W id{};
  id.User = reinterpret_cast<unsigned short*>(const_cast<wchar_t*>(kUser));
  id.UserLength = static_cast<ULONG>(wcslen(kUser));
  id.Domain = reinterpret_cast<unsigned short*>(const_cast<wchar_t*>(kDomain));
  id.DomainLength = static_cast<ULONG>(wcslen(kDomain));
  id.Password = reinterpret_cast<unsigned short*>(const_cast<wchar_t*>(kPassword));
  id.PasswordLength = static_cast<ULONG>(wcslen(kPassword));
  id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  return id;
}

struct Pair {
  const SecurityFunctionTableW* t;
  CredHandle client_cred{}, server_cred{};
  CtxtHandle client_ctx{}, server_ctx{};
  bool have_client_cred = false, have_server_cred = false;
  bool have_client_ctx = false, have_server_ctx = false;
  explicit Pair(const SecurityFunctionTableW* table) : t(table) {}
  ~Pair() {
    if (have_client_ctx) t->DeleteSecurityContext(&client_ctx);
    if (have_server_ctx) t->DeleteSecurityContext(&server_ctx);
    if (have_client_cred) t->FreeCredentialsHandle(&client_cred);
    if (have_server_cred) t->FreeCredentialsHandle(&server_cred);
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
};

// One handshake: ISC and ASC alternate, passing tokens in memory, until both say SEC_E_OK.  A
// SEC_E_OK with a final output token still sends it (MSDocs ISC/ASC (CredSSP)); SECBUFFER_EXTRA
// input tails are fed again.
int Handshake(Pair* p, const wchar_t* target, ULONG isc_req, ULONG asc_req, const char* label,
              ULONG* client_attrs, ULONG* server_attrs) {
  Bytes to_server, to_client;
  bool client_done = false, server_done = false;
  std::wstring tgt = target;
  int rounds = 0;
  for (int step = 0; step < 40 && !(client_done && server_done); ++step) {
    if (step % 2 == 0) {
      if (client_done) continue;
      if (step > 0 && to_client.empty()) {
        Say("FAIL: %s: client expects a token the server did not send", label);
        return 1;
      }
      Bytes out(65536);
      SecBuffer in_b[2] = {{static_cast<ULONG>(to_client.size()), SECBUFFER_TOKEN, to_client.data()},
                           {0, SECBUFFER_EMPTY, nullptr}};
      SecBufferDesc in_d{SECBUFFER_VERSION, 2, in_b};
      SecBuffer out_b{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
      SecBufferDesc out_d{SECBUFFER_VERSION, 1, &out_b};
      TimeStamp ts{};
      SECURITY_STATUS s = p->t->InitializeSecurityContextW(
          &p->client_cred, p->have_client_ctx ? &p->client_ctx : nullptr,
          reinterpret_cast<SEC_WCHAR*>(tgt.data()), isc_req, 0, SECURITY_NATIVE_DREP,
          step == 0 ? nullptr : &in_d, 0, &p->client_ctx, &out_d, client_attrs, &ts);
      ++rounds;
      if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) return Fail("InitializeSecurityContextW", s);
      p->have_client_ctx = true;
      Say("  client ISC #%d -> %s, token %lu bytes", step / 2 + 1,
          s == SEC_E_OK ? "SEC_E_OK" : "SEC_I_CONTINUE_NEEDED",
          static_cast<unsigned long>(out_b.cbBuffer));
      to_client.clear();
      if (in_b[1].BufferType == SECBUFFER_EXTRA && in_b[1].cbBuffer > 0) {
        Say("FAIL: %s: client left %lu bytes unprocessed", label,
            static_cast<unsigned long>(in_b[1].cbBuffer));
        return 1;
      }
      to_server.assign(out.begin(), out.begin() + out_b.cbBuffer);
      client_done = s == SEC_E_OK;
    } else {
      if (to_server.empty()) {
        if (server_done) continue;
        Say("FAIL: %s: server expects a token the client did not send", label);
        return 1;
      }
      Bytes out(65536);
      SecBuffer in_b[2] = {{static_cast<ULONG>(to_server.size()), SECBUFFER_TOKEN, to_server.data()},
                           {0, SECBUFFER_EMPTY, nullptr}};
      SecBufferDesc in_d{SECBUFFER_VERSION, 2, in_b};
      SecBuffer out_b{static_cast<ULONG>(out.size()), SECBUFFER_TOKEN, out.data()};
      SecBufferDesc out_d{SECBUFFER_VERSION, 1, &out_b};
      TimeStamp ts{};
      SECURITY_STATUS s = p->t->AcceptSecurityContext(
          &p->server_cred, p->have_server_ctx ? &p->server_ctx : nullptr, &in_d, asc_req,
          SECURITY_NATIVE_DREP, &p->server_ctx, &out_d, server_attrs, &ts);
      ++rounds;
      if (s != SEC_E_OK && s != SEC_I_CONTINUE_NEEDED) return Fail("AcceptSecurityContext", s);
      p->have_server_ctx = true;
      Say("  server ASC #%d -> %s, token %lu bytes", step / 2 + 1,
          s == SEC_E_OK ? "SEC_E_OK" : "SEC_I_CONTINUE_NEEDED",
          static_cast<unsigned long>(out_b.cbBuffer));
      if (in_b[1].BufferType == SECBUFFER_EXTRA && in_b[1].cbBuffer > 0) {
        Say("FAIL: %s: server left %lu bytes unprocessed", label,
            static_cast<unsigned long>(in_b[1].cbBuffer));
        return 1;
      }
      to_server.clear();
      to_client.assign(out.begin(), out.begin() + out_b.cbBuffer);
      server_done = s == SEC_E_OK;
      // The client may already be done and the server's final token carries nothing for it
      // (NTLM); a CredSSP server never ends with a token the client still needs.
      if (server_done && client_done) break;
    }
  }
  if (!(client_done && server_done)) {
    Say("FAIL: %s: handshake did not complete in 40 calls", label);
    return 1;
  }
  Say("%s handshake complete in %d calls (client attrs 0x%08lX, server attrs 0x%08lX)", label,
      rounds, static_cast<unsigned long>(*client_attrs), static_cast<unsigned long>(*server_attrs));
  return 0;
}

// NTLM-style sealing: {TOKEN (signature), DATA}.
int SealRoundTrip(const SecurityFunctionTableW* t, CtxtHandle* from, CtxtHandle* to,
                  const char* dir, const std::string& text) {
  SecPkgContext_Sizes sizes{};
  SECURITY_STATUS s = t->QueryContextAttributesW(from, SECPKG_ATTR_SIZES, &sizes);
  if (s != SEC_E_OK) return Fail("QueryContextAttributesW(SECPKG_ATTR_SIZES)", s);
  Bytes sig(sizes.cbSecurityTrailer), data(text.begin(), text.end());
  SecBuffer b[2] = {{static_cast<ULONG>(sig.size()), SECBUFFER_TOKEN, sig.data()},
                    {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}};
  SecBufferDesc d{SECBUFFER_VERSION, 2, b};
  s = t->EncryptMessage(from, 0, &d, 0);
  if (s != SEC_E_OK) return Fail("EncryptMessage", s);
  if (std::memcmp(data.data(), text.data(), text.size()) == 0) {
    Say("FAIL: EncryptMessage left the plaintext unchanged");
    return 1;
  }
  ULONG qop = 0;
  s = t->DecryptMessage(to, &d, 0, &qop);
  if (s != SEC_E_OK) return Fail("DecryptMessage", s);
  std::string got(reinterpret_cast<char*>(b[1].pvBuffer), b[1].cbBuffer);
  if (got != text) {
    Say("FAIL: %s: decrypted \"%s\", expected \"%s\"", dir, got.c_str(), text.c_str());
    return 1;
  }
  Say("  %s: EncryptMessage (%lu-byte signature) / DecryptMessage -> \"%s\"", dir,
      static_cast<unsigned long>(b[0].cbBuffer), got.c_str());
  return 0;
}

int NtlmStep(const Tables& tables) {
  Say("--- NTLM: client and server contexts in this process");
  Pair p(tables.w);
  TimeStamp ts{};
  SEC_WINNT_AUTH_IDENTITY_W id = ClientIdentity();
  wchar_t pkg[] = L"NTLM";
  SECURITY_STATUS s = p.t->AcquireCredentialsHandleW(
      nullptr, reinterpret_cast<SEC_WCHAR*>(pkg), SECPKG_CRED_OUTBOUND, nullptr, &id, nullptr,
      nullptr, &p.client_cred, &ts);
  if (s != SEC_E_OK) return Fail("AcquireCredentialsHandleW(NTLM, OUTBOUND)", s);
  p.have_client_cred = true;
  s = p.t->AcquireCredentialsHandleW(nullptr, reinterpret_cast<SEC_WCHAR*>(pkg),
                                     SECPKG_CRED_INBOUND, nullptr, nullptr, nullptr, nullptr,
                                     &p.server_cred, &ts);
  if (s != SEC_E_OK) return Fail("AcquireCredentialsHandleW(NTLM, INBOUND)", s);
  p.have_server_cred = true;
  ULONG ca = 0, sa = 0;
  const ULONG isc = ISC_REQ_CONNECTION | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY |
                    ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT;
  const ULONG asc = ASC_REQ_CONNECTION | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY |
                    ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT;
  if (int rc = Handshake(&p, L"HOST/localhost", isc, asc, "NTLM", &ca, &sa); rc != 0) return rc;
  SecPkgContext_NamesW names{};
  s = p.t->QueryContextAttributesW(&p.server_ctx, SECPKG_ATTR_NAMES, &names);
  if (s != SEC_E_OK) return Fail("QueryContextAttributesW(server, SECPKG_ATTR_NAMES)", s);
  Say("  server sees the client as %s", Narrow(names.sUserName).c_str());
  p.t->FreeContextBuffer(names.sUserName);
  if (int rc = SealRoundTrip(p.t, &p.client_ctx, &p.server_ctx, "client->server", "hello server");
      rc != 0)
    return rc;
  return SealRoundTrip(p.t, &p.server_ctx, &p.client_ctx, "server->client", "hello client");
}

// Schannel-style stream sealing on a CredSSP context (sspi-abi.md 9.5).
int StreamRoundTrip(const SecurityFunctionTableW* t, CtxtHandle* from, CtxtHandle* to,
                    const char* dir, const std::string& text) {
  SecPkgContext_StreamSizes ss{};
  SECURITY_STATUS s = t->QueryContextAttributesW(from, SECPKG_ATTR_STREAM_SIZES, &ss);
  if (s != SEC_E_OK) return Fail("QueryContextAttributesW(SECPKG_ATTR_STREAM_SIZES)", s);
  Bytes record(ss.cbHeader + text.size() + ss.cbTrailer);
  std::memcpy(record.data() + ss.cbHeader, text.data(), text.size());
  SecBuffer b[4] = {{ss.cbHeader, SECBUFFER_STREAM_HEADER, record.data()},
                    {static_cast<ULONG>(text.size()), SECBUFFER_DATA, record.data() + ss.cbHeader},
                    {ss.cbTrailer, SECBUFFER_STREAM_TRAILER,
                     record.data() + ss.cbHeader + text.size()},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc d{SECBUFFER_VERSION, 4, b};
  s = t->EncryptMessage(from, 0, &d, 0);
  if (s != SEC_E_OK) return Fail("EncryptMessage (stream)", s);
  // header || data || trailer as produced (the header/trailer may be shorter than reserved).
  Bytes wire;
  for (int i = 0; i < 3; ++i) {
    const auto* p = static_cast<unsigned char*>(b[i].pvBuffer);
    wire.insert(wire.end(), p, p + b[i].cbBuffer);
  }
  SecBuffer r[4] = {{static_cast<ULONG>(wire.size()), SECBUFFER_DATA, wire.data()},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc rd{SECBUFFER_VERSION, 4, r};
  ULONG qop = 0;
  s = t->DecryptMessage(to, &rd, 0, &qop);
  if (s != SEC_E_OK) return Fail("DecryptMessage (stream)", s);
  std::string got;
  for (const SecBuffer& x : r) {
    if (x.BufferType == SECBUFFER_DATA) got.assign(static_cast<char*>(x.pvBuffer), x.cbBuffer);
  }
  if (got != text) {
    Say("FAIL: %s: decrypted \"%s\", expected \"%s\"", dir, got.c_str(), text.c_str());
    return 1;
  }
  Say("  %s: EncryptMessage -> one %zu-byte TLS record (header %lu, trailer %lu) / "
      "DecryptMessage -> \"%s\"",
      dir, wire.size(), static_cast<unsigned long>(b[0].cbBuffer),
      static_cast<unsigned long>(b[2].cbBuffer), got.c_str());
  return 0;
}

std::string Field(const SEC_WCHAR* s, ULONG n) {
  std::string out;
  for (ULONG i = 0; i < n; ++i) out.push_back(s[i] < 0x80 ? static_cast<char>(s[i]) : '?');
  return out;
}

int CredSspStep(const Tables& tables) {
  Say("--- CredSSP: client and server contexts in this process, credential delegation");
  Pair p(tables.w);
  TimeStamp ts{};
  wchar_t pkg[] = L"CREDSSP";

  // Server: a self-signed certificate generated in memory (OCS_CREDSSP_SETTINGS, credssp.h:
  // there is no CryptoAPI certificate store behind this DLL), passed as pSchannelCred.
  OCS_CREDSSP_SETTINGS server_settings{};
  server_settings.Version = OCS_CREDSSP_SETTINGS_VERSION;
  server_settings.GeneratedKeyType = OCS_CREDSSP_KEY_RSA_2048;
  CREDSSP_CRED server_cred{};
  server_cred.Type = CredsspSubmitBufferBoth;
  server_cred.pSchannelCred = &server_settings;
  SECURITY_STATUS s = p.t->AcquireCredentialsHandleW(
      nullptr, reinterpret_cast<SEC_WCHAR*>(pkg), SECPKG_CRED_INBOUND, nullptr, &server_cred,
      nullptr, nullptr, &p.server_cred, &ts);
  if (s != SEC_E_OK) return Fail("AcquireCredentialsHandleW(CREDSSP, INBOUND)", s);
  p.have_server_cred = true;
  Say("server credential: generated RSA-2048 self-signed certificate");

  SEC_WINNT_AUTH_IDENTITY_W id = ClientIdentity();
  CREDSSP_CRED client_cred{};
  client_cred.Type = CredsspSubmitBufferBoth;
  client_cred.pSpnegoCred = &id;
  s = p.t->AcquireCredentialsHandleW(nullptr, reinterpret_cast<SEC_WCHAR*>(pkg),
                                     SECPKG_CRED_OUTBOUND, nullptr, &client_cred, nullptr,
                                     nullptr, &p.client_cred, &ts);
  if (s != SEC_E_OK) return Fail("AcquireCredentialsHandleW(CREDSSP, OUTBOUND)", s);
  p.have_client_cred = true;
  Say("client credential: EXAMPLE\\alice (SEC_WINNT_AUTH_IDENTITY_W in CREDSSP_CRED.pSpnegoCred)");

  ULONG ca = 0, sa = 0;
  const ULONG isc = ISC_REQ_DELEGATE | ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY |
                    ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT |
                    ISC_REQ_STREAM | ISC_REQ_CONNECTION;
  const ULONG asc = ASC_REQ_DELEGATE | ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY |
                    ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT |
                    ASC_REQ_STREAM | ASC_REQ_CONNECTION;
  if (int rc = Handshake(&p, L"TERMSRV/localhost", isc, asc, "CredSSP", &ca, &sa); rc != 0)
    return rc;

  OCS_CREDSSP_INFO info{};
  s = p.t->QueryContextAttributesW(&p.client_ctx, OCS_SECPKG_ATTR_CREDSSP_INFO, &info);
  if (s == SEC_E_OK) {
    Say("  negotiated CredSSP version %lu, TLS 0x%04lX, inner %s",
        static_cast<unsigned long>(info.CredSspVersion), static_cast<unsigned long>(info.TlsVersion),
        info.InnerIsSpnego ? "SPNEGO" : "raw NTLM");
  }

  // Delegation: the server now holds the client's password credentials (TSPasswordCreds).
  SecPkgContext_ClientCreds creds{};
  s = p.t->QueryContextAttributesW(&p.server_ctx, SECPKG_ATTR_CREDS, &creds);
  if (s != SEC_E_OK) return Fail("QueryContextAttributesW(server, SECPKG_ATTR_CREDS)", s);
  if (creds.AuthBuffer == nullptr || creds.AuthBufferLen < sizeof(OCS_CREDSSP_DELEGATED_CREDS)) {
    Say("FAIL: SECPKG_ATTR_CREDS returned %lu bytes", static_cast<unsigned long>(creds.AuthBufferLen));
    return 1;
  }
  const auto* dc = reinterpret_cast<const OCS_CREDSSP_DELEGATED_CREDS*>(creds.AuthBuffer);
  const std::string user = Field(dc->User, dc->UserLength);
  const std::string domain = Field(dc->Domain, dc->DomainLength);
  const std::string password = Field(dc->Password, dc->PasswordLength);
  const bool match = dc->CredType == OCS_CREDSSP_CRED_PASSWORD && user == "alice" &&
                     domain == "EXAMPLE" && password == "Secret123";
  // Print the password's length only: this is a credential, even in a test.
  Say("  server received delegated credentials: type %lu, %s\\%s, password of %zu characters (%s)",
      static_cast<unsigned long>(dc->CredType), domain.c_str(), user.c_str(), password.size(),
      match ? "matches what the client sent" : "DOES NOT MATCH");
  p.t->FreeContextBuffer(creds.AuthBuffer);
  if (!match) return 1;

  if (int rc = StreamRoundTrip(p.t, &p.client_ctx, &p.server_ctx, "client->server",
                               "hello from the client");
      rc != 0)
    return rc;
  return StreamRoundTrip(p.t, &p.server_ctx, &p.client_ctx, "server->client",
                         "hello from the server");
}

// --secur32 mode: register the DLL as a user-mode security provider (the SecurityProviders
// registry value), then use secur32.dll's own table: secur32 must have loaded our DLL and route
// the CREDSSP package to it (Wine has no CredSSP package of its own).
int ViaSecur32(const std::wstring& dll) {
  wchar_t full[MAX_PATH] = {};
  if (GetFullPathNameW(dll.c_str(), MAX_PATH, full, nullptr) == 0) {
    Say("FAIL: GetFullPathNameW(%ls)", dll.c_str());
    return 1;
  }
  HKEY key = nullptr;
  LONG r = RegCreateKeyExW(HKEY_LOCAL_MACHINE,
                           L"SYSTEM\\CurrentControlSet\\Control\\SecurityProviders", 0, nullptr, 0,
                           KEY_SET_VALUE, nullptr, &key, nullptr);
  if (r != ERROR_SUCCESS) {
    Say("FAIL: RegCreateKeyExW(SecurityProviders) error %ld", r);
    return 1;
  }
  const DWORD bytes = static_cast<DWORD>((wcslen(full) + 1) * sizeof(wchar_t));
  r = RegSetValueExW(key, L"SecurityProviders", 0, REG_SZ, reinterpret_cast<const BYTE*>(full),
                     bytes);
  RegCloseKey(key);
  if (r != ERROR_SUCCESS) {
    Say("FAIL: RegSetValueExW(SecurityProviders) error %ld", r);
    return 1;
  }
  Say("HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders: SecurityProviders = %ls", full);
  HMODULE secur32 = LoadLibraryW(L"secur32.dll");
  if (secur32 == nullptr) {
    Say("FAIL: LoadLibraryW(secur32.dll) error %lu", GetLastError());
    return 1;
  }
  auto init_w = reinterpret_cast<INIT_SECURITY_INTERFACE_W>(
      reinterpret_cast<void*>(GetProcAddress(secur32, "InitSecurityInterfaceW")));
  auto init_a = reinterpret_cast<INIT_SECURITY_INTERFACE_A>(
      reinterpret_cast<void*>(GetProcAddress(secur32, "InitSecurityInterfaceA")));
  Tables t;
  t.w = init_w != nullptr ? init_w() : nullptr;
  t.a = init_a != nullptr ? init_a() : nullptr;
  if (t.w == nullptr || t.a == nullptr) {
    Say("FAIL: secur32 InitSecurityInterfaceW/A");
    return 1;
  }
  Say("secur32.dll table version %lu", static_cast<unsigned long>(t.w->dwVersion));
  std::vector<std::string> packages;
  if (int rc = Enumerate(t, &packages); rc != 0) return rc;
  bool found = false;
  for (const std::string& n : packages) found = found || n == "CREDSSP";
  if (!found) {
    Say("FAIL: secur32 does not list CREDSSP after registering %ls", full);
    return 1;
  }
  std::string users_file;
  if (WriteUsersFile(&users_file) != 0) return 1;
  const int rc = CredSspStep(t);
  DeleteFileA(users_file.c_str());
  Say("CredSSP through secur32.dll: %s", rc == 0 ? "OK" : "FAILED");
  return rc;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  if (argc > 2 && std::wstring(argv[1]) == L"--secur32") return ViaSecur32(argv[2]);
  const std::wstring dll = argc > 1 ? argv[1] : L"opencredssp.dll";
  HMODULE mod = nullptr;
  Tables tables;
  if (int rc = LoadAndInit(dll, &mod, &tables); rc != 0) return rc;
  std::vector<std::string> packages;
  if (int rc = Enumerate(tables, &packages); rc != 0) return rc;
  std::string users_file;
  if (WriteUsersFile(&users_file) != 0) {
    Say("FAIL: cannot write the users file");
    return 1;
  }
  int worst = 0;
  const int ntlm = NtlmStep(tables);
  Say("NTLM: %s", ntlm == 0 ? "OK" : ntlm == kSkip ? "INCOMPLETE" : "FAILED");
  const int credssp = CredSspStep(tables);
  Say("CredSSP: %s", credssp == 0 ? "OK" : credssp == kSkip ? "INCOMPLETE" : "FAILED");
  for (int rc : {ntlm, credssp}) {
    if (rc == 1 || (rc == kSkip && worst == 0)) worst = rc;
  }
  DeleteFileA(users_file.c_str());
  // The DLL stays loaded until exit: FreeLibrary of a DLL whose OpenSSL started threads is not
  // what a service does either.
  Say("sspi_harness: %s", worst == 0 ? "all steps passed" : worst == kSkip ? "incomplete" : "FAILED");
  return worst;
}
