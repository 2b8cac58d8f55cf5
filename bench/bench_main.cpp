// bench_main.cpp - Google Benchmark suite for issue 8. Every figure that matters is a ratio
// against a peer measured in the same run by the same binary:
//   * CredSSP handshake (ours, through the SSPI table, NTLM inside) vs a bare OpenSSL TLS
//     handshake with the same key and version (BM_CredSsp* vs BM_BareTls*);
//   * NTLM / Negotiate handshakes through our table vs WinPR 2.11's table, same harness
//     (BM_Handshake/<pkg>/<provider>);
//   * EncryptMessage (+ DecryptMessage) on a CredSSP context vs SSL_write (+ SSL_read);
//   * NTLM seal / unseal throughput (MB/s);
//   * CredSSP handshakes with 1 and 2 threads sharing one server credential.
// Memory per context is measured by `ocs_bench --memory N` (see MemoryMode below), not by a
// benchmark. tools/bench.sh runs everything and writes docs/performance.md.
// SPDX-License-Identifier: Apache-2.0
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <opencredssp/credssp.h>
#include <opencredssp/sspi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sspi_peer.h"
#include "tls_peer.h"

using namespace ocsbench;

namespace {

#ifndef OCS_BENCH_LIB_DEFAULT
#define OCS_BENCH_LIB_DEFAULT "libopencredssp.so"
#endif

std::string Env(const char* name, const char* def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : def;
}

const std::string& SamFile() {
  static const std::string path = [] {
    std::string p = Env("TMPDIR", "/tmp") + "/ocs_bench_sam." + std::to_string(getpid());
    std::ofstream(p) << "alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n";
    return p;
  }();
  return path;
}

Provider* Ours() {
  static std::unique_ptr<Provider> p = [] {
    // CredSSP's inner NTLM server finds users through OPENCREDSSP_USERS (no SAM attribute
    // reaches it before the inner context exists).
    setenv("OPENCREDSSP_USERS", ("sam:" + SamFile()).c_str(), 0);
    std::string err;
    auto r = Provider::Load(Env("OCS_BENCH_LIB", OCS_BENCH_LIB_DEFAULT), &err);
    if (!r) std::fprintf(stderr, "ours: %s\n", err.c_str());
    return r;
  }();
  return p.get();
}

Provider* WinPr() {
  static std::unique_ptr<Provider> p = [] {
    setenv("WLOG_LEVEL", "OFF", 0);  // WinPR logs a warning per SEC_I_COMPLETE_NEEDED
    std::string err;
    auto r = Provider::Load(Env("OCS_BENCH_WINPR", "libwinpr2.so.2"), &err);
    if (!r) std::fprintf(stderr, "winpr: %s\n", err.c_str());
    return r;
  }();
  return p.get();
}

// ---------------- NTLM / Negotiate handshakes: ours vs WinPR ----------------

void BM_Handshake(benchmark::State& st, const char16_t* pkg, bool ours) {
  Provider* p = ours ? Ours() : WinPr();
  if (p == nullptr) return st.SkipWithError("provider not loadable");
  Setup s;
  s.package = pkg;
  s.sam_file = SamFile();
  Credentials creds;
  std::string err;
  if (!AcquireBoth(*p, s, Account{}, &creds, &err)) return st.SkipWithError(err.c_str());
  for (auto _ : st) {
    Contexts c;
    if (!Handshake(*p, s, creds, &c, &err)) return st.SkipWithError(err.c_str());
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK_CAPTURE(BM_Handshake, NTLM/ours, u"NTLM", true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Handshake, NTLM/winpr, u"NTLM", false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Handshake, Negotiate/ours, u"Negotiate", true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Handshake, Negotiate/winpr, u"Negotiate", false)->Unit(benchmark::kMicrosecond);

// ---------------- CredSSP vs bare TLS ----------------

struct KeyCache {
  std::mutex mu;
  std::map<int, std::unique_ptr<KeyPair>> keys;
  KeyPair* Get(Key k) {
    std::lock_guard<std::mutex> l(mu);
    auto& slot = keys[static_cast<int>(k)];
    if (!slot) {
      slot = std::make_unique<KeyPair>();
      if (!MakeKeyPair(k, slot.get())) slot.reset();
    }
    return slot.get();
  }
};
KeyCache& Keys() {
  static KeyCache c;
  return c;
}

// CredSspSetup owns what a CredSSP credential pair needs (settings with the PEM key, identity).
struct CredSspSetup {
  OCS_CREDSSP_SETTINGS server_settings{}, client_settings{};
  CREDSSP_CRED server_cred{}, client_cred{};
  SEC_WINNT_AUTH_IDENTITY_W id{};
  Account acct;
  Setup setup;
  CredSspSetup(const KeyPair& kp, int version) {
    for (OCS_CREDSSP_SETTINGS* s : {&server_settings, &client_settings}) {
      s->Version = OCS_CREDSSP_SETTINGS_VERSION;
      s->TlsMinVersion = static_cast<ULONG>(version);
      s->TlsMaxVersion = static_cast<ULONG>(version);
    }
    server_settings.CertPem = reinterpret_cast<const unsigned char*>(kp.cert_pem.data());
    server_settings.CertPemLength = static_cast<ULONG>(kp.cert_pem.size());
    server_settings.KeyPem = reinterpret_cast<const unsigned char*>(kp.key_pem.data());
    server_settings.KeyPemLength = static_cast<ULONG>(kp.key_pem.size());
    id.User = reinterpret_cast<USHORT*>(acct.user.data());
    id.UserLength = static_cast<ULONG>(acct.user.size());
    id.Domain = reinterpret_cast<USHORT*>(acct.domain.data());
    id.DomainLength = static_cast<ULONG>(acct.domain.size());
    id.Password = reinterpret_cast<USHORT*>(acct.password.data());
    id.PasswordLength = static_cast<ULONG>(acct.password.size());
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    server_cred.Type = CredsspPasswordCreds;
    server_cred.pSchannelCred = &server_settings;
    client_cred.Type = CredsspPasswordCreds;
    client_cred.pSchannelCred = &client_settings;
    client_cred.pSpnegoCred = &id;
    setup.package = u"CREDSSP";
    setup.target = u"TERMSRV/localhost";
    setup.isc_req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY |
                    ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_DELEGATE |
                    ISC_REQ_STREAM | ISC_REQ_MANUAL_CRED_VALIDATION;
    setup.asc_req = ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_SEQUENCE_DETECT |
                    ASC_REQ_REPLAY_DETECT | ASC_REQ_STREAM | ASC_REQ_DELEGATE;
    setup.client_auth_data = &client_cred;
    setup.server_auth_data = &server_cred;
  }
};

int Version(int64_t v) { return v == 13 ? TLS1_3_VERSION : TLS1_2_VERSION; }

void BM_CredSsp(benchmark::State& st) {
  Provider* p = Ours();
  if (p == nullptr) return st.SkipWithError("libopencredssp not loadable");
  KeyPair* kp = Keys().Get(st.range(1) == 0 ? Key::kRsa2048 : Key::kEcdsaP256);
  if (kp == nullptr) return st.SkipWithError("key generation failed");
  CredSspSetup cs(*kp, Version(st.range(0)));
  Credentials creds;
  std::string err;
  if (!AcquireBoth(*p, cs.setup, cs.acct, &creds, &err)) return st.SkipWithError(err.c_str());
  for (auto _ : st) {
    Contexts c;
    if (!Handshake(*p, cs.setup, creds, &c, &err)) return st.SkipWithError(err.c_str());
  }
  st.SetItemsProcessed(st.iterations());
}
void BM_BareTls(benchmark::State& st) {
  KeyPair* kp = Keys().Get(st.range(1) == 0 ? Key::kRsa2048 : Key::kEcdsaP256);
  if (kp == nullptr) return st.SkipWithError("key generation failed");
  SSL_CTX* sc = ServerCtx(*kp, Version(st.range(0)));
  SSL_CTX* cc = ClientCtx(Version(st.range(0)));
  for (auto _ : st) {
    TlsPair t(cc, sc);
    if (!t.Handshake()) {
      st.SkipWithError("TLS handshake failed");
      break;
    }
  }
  SSL_CTX_free(sc);
  SSL_CTX_free(cc);
  st.SetItemsProcessed(st.iterations());
}
// Args: {TLS version 12|13, key 0 = RSA-2048 | 1 = ECDSA P-256}
BENCHMARK(BM_CredSsp)->ArgsProduct({{12, 13}, {0, 1}})->ArgNames({"tls", "ecdsa"})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BareTls)->ArgsProduct({{12, 13}, {0, 1}})->ArgNames({"tls", "ecdsa"})
    ->Unit(benchmark::kMicrosecond);

// CredSSP handshake throughput with 1 and 2 threads: one shared server credential and one
// shared client credential (credentials are thread-safe; contexts are per thread).
struct SharedCredSsp {
  std::unique_ptr<CredSspSetup> cs;
  std::unique_ptr<Credentials> creds;
  std::string err;
};
SharedCredSsp* Shared() {
  static SharedCredSsp* s = [] {
    auto* r = new SharedCredSsp;
    Provider* p = Ours();
    KeyPair* kp = Keys().Get(Key::kEcdsaP256);
    if (p == nullptr || kp == nullptr) return r;
    r->cs = std::make_unique<CredSspSetup>(*kp, TLS1_3_VERSION);
    r->creds = std::make_unique<Credentials>();
    if (!AcquireBoth(*p, r->cs->setup, r->cs->acct, r->creds.get(), &r->err)) r->creds.reset();
    return r;
  }();
  return s;
}
void BM_CredSspThreads(benchmark::State& st) {
  SharedCredSsp* sh = Shared();
  if (!sh->creds) return st.SkipWithError(("shared credentials: " + sh->err).c_str());
  std::string err;
  for (auto _ : st) {
    Contexts c;
    if (!Handshake(*Ours(), sh->cs->setup, *sh->creds, &c, &err)) {
      st.SkipWithError(err.c_str());
      break;
    }
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_CredSspThreads)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

// ---------------- Per-message: EncryptMessage vs SSL_write ----------------

struct Established {
  std::unique_ptr<CredSspSetup> cs;
  std::unique_ptr<Credentials> creds;
  Contexts ctx;
  SecPkgContext_StreamSizes sizes{};
  std::string err;
  bool ok = false;
};
// One context pair per benchmark: a benchmark that only encrypts moves the client's sequence
// on, and the server of that pair could not decrypt anything afterwards.
Established* CredSspEstablished(int which) {
  static Established* pairs[2] = {nullptr, nullptr};
  Established*& e = pairs[which];
  if (e == nullptr) e = [] {
    auto* r = new Established;
    Provider* p = Ours();
    KeyPair* kp = Keys().Get(Key::kRsa2048);
    if (p == nullptr || kp == nullptr) return r;
    r->cs = std::make_unique<CredSspSetup>(*kp, TLS1_3_VERSION);
    r->creds = std::make_unique<Credentials>();
    if (!AcquireBoth(*p, r->cs->setup, r->cs->acct, r->creds.get(), &r->err)) return r;
    if (!Handshake(*p, r->cs->setup, *r->creds, &r->ctx, &r->err)) return r;
    SECURITY_STATUS s = p->t().QueryContextAttributesW(&r->ctx.client, SECPKG_ATTR_STREAM_SIZES,
                                                        &r->sizes);
    if (s != SEC_E_OK) {
      r->err = "SECPKG_ATTR_STREAM_SIZES: " + StatusName(s);
      return r;
    }
    r->ok = true;
    return r;
  }();
  return e;
}

// EncryptOne seals `n` bytes on the client context as Schannel does (header, data, trailer,
// empty) into `rec` (one TLS record); returns the record length or 0.
size_t EncryptOne(Established* e, const std::vector<unsigned char>& msg,
                  std::vector<unsigned char>* rec) {
  const size_t n = msg.size();
  rec->resize(e->sizes.cbHeader + n + e->sizes.cbTrailer);
  std::memcpy(rec->data() + e->sizes.cbHeader, msg.data(), n);
  SecBuffer b[4] = {{e->sizes.cbHeader, SECBUFFER_STREAM_HEADER, rec->data()},
                    {static_cast<ULONG>(n), SECBUFFER_DATA, rec->data() + e->sizes.cbHeader},
                    {e->sizes.cbTrailer, SECBUFFER_STREAM_TRAILER,
                     rec->data() + e->sizes.cbHeader + n},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc d{SECBUFFER_VERSION, 4, b};
  if (Ours()->t().EncryptMessage(&e->ctx.client, 0, &d, 0) != SEC_E_OK) return 0;
  return b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer;
}

bool DecryptOne(Established* e, std::vector<unsigned char>* rec, size_t len, size_t expect) {
  SecBuffer b[4] = {{static_cast<ULONG>(len), SECBUFFER_DATA, rec->data()},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc d{SECBUFFER_VERSION, 4, b};
  ULONG qop = 0;
  if (Ours()->t().DecryptMessage(&e->ctx.server, &d, 0, &qop) != SEC_E_OK) return false;
  for (auto& x : b)
    if (x.BufferType == SECBUFFER_DATA) return x.cbBuffer == expect;
  return false;
}

void BM_CredSspEncrypt(benchmark::State& st) {
  Established* e = CredSspEstablished(0);
  if (!e->ok) return st.SkipWithError(("CredSSP context: " + e->err).c_str());
  std::vector<unsigned char> msg(static_cast<size_t>(st.range(0)), 0x5a), rec;
  for (auto _ : st) {
    if (EncryptOne(e, msg, &rec) == 0) return st.SkipWithError("EncryptMessage failed");
    benchmark::DoNotOptimize(rec.data());
  }
  st.SetBytesProcessed(st.iterations() * st.range(0));
}
void BM_CredSspEncryptDecrypt(benchmark::State& st) {
  Established* e = CredSspEstablished(1);
  if (!e->ok) return st.SkipWithError(("CredSSP context: " + e->err).c_str());
  std::vector<unsigned char> msg(static_cast<size_t>(st.range(0)), 0x5a), rec;
  for (auto _ : st) {
    size_t n = EncryptOne(e, msg, &rec);
    if (n == 0) return st.SkipWithError("EncryptMessage failed");
    if (!DecryptOne(e, &rec, n, msg.size())) return st.SkipWithError("DecryptMessage failed");
  }
  st.SetBytesProcessed(st.iterations() * st.range(0));
}

struct RawTls {
  std::unique_ptr<TlsPair> pair;
  SSL_CTX* sc = nullptr;
  SSL_CTX* cc = nullptr;
  bool ok = false;
};
// One pair per benchmark: SslWrite drains the client's records, so its pair's server is out of
// step and cannot be reused for reading.
RawTls* RawEstablished(int which) {
  static RawTls* pairs[2] = {nullptr, nullptr};
  RawTls*& r = pairs[which];
  if (r == nullptr) r = [] {
    auto* t = new RawTls;
    KeyPair* kp = Keys().Get(Key::kRsa2048);
    if (kp == nullptr) return t;
    t->sc = ServerCtx(*kp, TLS1_3_VERSION);
    t->cc = ClientCtx(TLS1_3_VERSION);
    t->pair = std::make_unique<TlsPair>(t->cc, t->sc);
    t->ok = t->pair->Handshake();
    return t;
  }();
  return r;
}
void BM_SslWrite(benchmark::State& st) {
  RawTls* r = RawEstablished(0);
  if (!r->ok) return st.SkipWithError("TLS");
  std::vector<unsigned char> msg(static_cast<size_t>(st.range(0)), 0x5a), rec;
  for (auto _ : st) {
    // The same work EncryptMessage must do: copy in, seal one record, hand the record out.
    if (!r->pair->WriteAndDrain(msg.data(), static_cast<int>(msg.size()), &rec))
      return st.SkipWithError("SSL_write");
    benchmark::DoNotOptimize(rec.data());
  }
  st.SetBytesProcessed(st.iterations() * st.range(0));
}
void BM_SslWriteRead(benchmark::State& st) {
  RawTls* r = RawEstablished(1);
  if (!r->ok) return st.SkipWithError("TLS");
  std::vector<unsigned char> msg(static_cast<size_t>(st.range(0)), 0x5a), out(msg.size());
  for (auto _ : st) {
    if (!r->pair->Transfer(true, msg.data(), static_cast<int>(msg.size())))
      return st.SkipWithError("SSL_write");
    if (r->pair->ReadServer(out.data(), static_cast<int>(out.size())) !=
        static_cast<int>(msg.size()))
      return st.SkipWithError("SSL_read");
  }
  st.SetBytesProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_CredSspEncrypt)->Arg(1024)->Arg(16384);
BENCHMARK(BM_SslWrite)->Arg(1024)->Arg(16384);
BENCHMARK(BM_CredSspEncryptDecrypt)->Arg(1024)->Arg(16384);
BENCHMARK(BM_SslWriteRead)->Arg(1024)->Arg(16384);

// ---------------- NTLM seal / unseal ----------------

struct NtlmEstablished {
  std::unique_ptr<Credentials> creds;
  Contexts ctx;
  Setup s;
  bool ok = false;
  std::string err;
};
NtlmEstablished* Ntlm(int which) {
  static NtlmEstablished* pairs[2] = {nullptr, nullptr};
  NtlmEstablished*& n = pairs[which];
  if (n == nullptr) n = [] {
    auto* r = new NtlmEstablished;
    Provider* p = Ours();
    if (p == nullptr) return r;
    r->s.sam_file = SamFile();
    r->creds = std::make_unique<Credentials>();
    r->ok = AcquireBoth(*p, r->s, Account{}, r->creds.get(), &r->err) &&
            Handshake(*p, r->s, *r->creds, &r->ctx, &r->err);
    return r;
  }();
  return n;
}
void BM_NtlmSeal(benchmark::State& st) {
  NtlmEstablished* n = Ntlm(0);
  if (!n->ok) return st.SkipWithError(("NTLM context: " + n->err).c_str());
  std::vector<unsigned char> data(static_cast<size_t>(st.range(0)), 0x5a);
  unsigned char sig[16];
  for (auto _ : st) {
    SecBuffer b[2] = {{sizeof sig, SECBUFFER_TOKEN, sig},
                      {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}};
    SecBufferDesc d{SECBUFFER_VERSION, 2, b};
    if (Ours()->t().EncryptMessage(&n->ctx.client, 0, &d, 0) != SEC_E_OK)
      return st.SkipWithError("EncryptMessage");
  }
  st.SetBytesProcessed(st.iterations() * st.range(0));
}
void BM_NtlmSealUnseal(benchmark::State& st) {
  NtlmEstablished* n = Ntlm(1);
  if (!n->ok) return st.SkipWithError(("NTLM context: " + n->err).c_str());
  std::vector<unsigned char> data(static_cast<size_t>(st.range(0)), 0x5a);
  unsigned char sig[16];
  for (auto _ : st) {
    SecBuffer b[2] = {{sizeof sig, SECBUFFER_TOKEN, sig},
                      {static_cast<ULONG>(data.size()), SECBUFFER_DATA, data.data()}};
    SecBufferDesc d{SECBUFFER_VERSION, 2, b};
    if (Ours()->t().EncryptMessage(&n->ctx.client, 0, &d, 0) != SEC_E_OK)
      return st.SkipWithError("EncryptMessage");
    ULONG qop = 0;
    if (Ours()->t().DecryptMessage(&n->ctx.server, &d, 0, &qop) != SEC_E_OK)
      return st.SkipWithError("DecryptMessage");
  }
  st.SetBytesProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_NtlmSeal)->Arg(1024)->Arg(16384);
BENCHMARK(BM_NtlmSealUnseal)->Arg(1024)->Arg(16384);

// ---------------- Memory per established context ----------------
// `ocs_bench --memory N`: establishes N contexts of each kind, keeps them all alive, and
// reports the heap growth per context (glibc mallinfo2: bytes in use, which covers OpenSSL's
// allocations too) as JSON on stdout. Client and server halves are told apart by deleting one
// side's contexts and measuring again.
size_t HeapInUse() {
  malloc_trim(0);
  return mallinfo2().uordblks;
}

int MemoryMode(long n) {
  Provider* p = Ours();
  if (p == nullptr) return 1;
  std::printf("{\n  \"contexts\": %ld", n);
  auto measure = [&](const char* name, Setup s, void* cad, void* sad) -> bool {
    s.client_auth_data = cad;
    s.server_auth_data = sad;
    Credentials creds;
    std::string err;
    if (!AcquireBoth(*p, s, Account{}, &creds, &err)) {
      std::fprintf(stderr, "%s: %s\n", name, err.c_str());
      return false;
    }
    // Warm up once so lazily created library state is not charged to the contexts.
    { Contexts w; if (!Handshake(*p, s, creds, &w, &err)) { std::fprintf(stderr, "%s: %s\n", name, err.c_str()); return false; } }
    std::vector<Contexts> all;
    all.reserve(static_cast<size_t>(n));
    const size_t base = HeapInUse();
    for (long i = 0; i < n; ++i) {
      Contexts c;
      if (!Handshake(*p, s, creds, &c, &err)) {
        std::fprintf(stderr, "%s #%ld: %s\n", name, i, err.c_str());
        return false;
      }
      all.push_back(std::move(c));
    }
    const size_t both = HeapInUse();
    for (auto& c : all) {
      if (c.have_client) p->t().DeleteSecurityContext(&c.client);
      c.have_client = false;
    }
    const size_t server_only = HeapInUse();
    all.clear();
    const size_t after = HeapInUse();
    const double per_server = (static_cast<double>(server_only) - static_cast<double>(base)) / n;
    const double per_client = (static_cast<double>(both) - static_cast<double>(server_only)) / n;
    std::printf(",\n  \"%s\": {\"server_bytes\": %.0f, \"client_bytes\": %.0f, "
                "\"residual_after_free_bytes\": %.0f}",
                name, per_server, per_client,
                (static_cast<double>(after) - static_cast<double>(base)));
    return true;
  };
  Setup ntlm;
  ntlm.sam_file = SamFile();
  bool ok = measure("ntlm", ntlm, nullptr, nullptr);
  KeyPair* kp = Keys().Get(Key::kRsa2048);
  if (kp != nullptr) {
    CredSspSetup cs(*kp, TLS1_3_VERSION);
    ok = measure("credssp_tls13_rsa", cs.setup, &cs.client_cred, &cs.server_cred) && ok;
  }
  // The peer figure: bare OpenSSL connections with the same key and version, established and
  // idle, once as they come and once with SSL_MODE_RELEASE_BUFFERS (OpenSSL frees its 16 KiB+
  // read/write buffers while a connection is idle). Explains most of a CredSSP context's size.
  if (kp != nullptr) {
    for (int release = 0; release < 2; ++release) {
      SSL_CTX* sc = ServerCtx(*kp, TLS1_3_VERSION);
      SSL_CTX* cc = ClientCtx(TLS1_3_VERSION);
      if (release != 0) {
        SSL_CTX_set_mode(sc, SSL_MODE_RELEASE_BUFFERS);
        SSL_CTX_set_mode(cc, SSL_MODE_RELEASE_BUFFERS);
      }
      std::vector<std::unique_ptr<TlsPair>> pairs;
      pairs.reserve(static_cast<size_t>(n));
      const size_t base = HeapInUse();
      for (long i = 0; i < n; ++i) {
        auto t = std::make_unique<TlsPair>(cc, sc);
        if (!t->Handshake()) break;
        pairs.push_back(std::move(t));
      }
      const size_t both = HeapInUse();
      pairs.clear();
      std::printf(",\n  \"bare_tls13_rsa%s\": {\"pair_bytes\": %.0f, \"per_side_bytes\": %.0f}",
                  release != 0 ? "_release_buffers" : "",
                  (static_cast<double>(both) - static_cast<double>(base)) / n,
                  (static_cast<double>(both) - static_cast<double>(base)) / n / 2);
      SSL_CTX_free(sc);
      SSL_CTX_free(cc);
    }
  }
  std::printf("\n}\n");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--memory") == 0) {
    const int rc = MemoryMode(std::strtol(argv[2], nullptr, 10));
    std::remove(SamFile().c_str());
    return rc;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::remove(SamFile().c_str());
  return 0;
}
