// secrets_wiped_test - proves that the password, the NT hash and the session key are wiped
// from memory the library gives back, by watching every block it frees.
//
// How the observation works (no hook in library code): this test executable replaces the
// global operator new/delete (C++ [replacement.functions]; the dlopen'ed libopencredssp binds
// to them like every other module of the process) and installs OpenSSL allocation functions
// with CRYPTO_set_mem_functions before OpenSSL allocates anything (libcrypto is shared with the
// library, so OPENSSL_free in the library and in OpenSSL itself lands here too). While a scan
// window is open, each block is searched for the secret byte patterns just before it really
// goes back to malloc. SecretBytes/SecretU16 wipe before their storage is freed, so a wiped
// block never matches; remove the OPENSSL_cleanse from secret.h (or keep a secret in a plain
// std::vector / std::string) and the freed block still holds the pattern and the test fails.
// The DetectorSeesAnUnwipedBlock test shows that the detector fires on exactly that.
//
// Limits (docs/security.md): memory that is never freed (the process-wide user store keeps
// the NT hashes of its users by design) and stack copies are not observed.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <malloc.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "core/secret.h"
#include "hardening/hardening_common.h"

namespace {

// ---- the observer (no allocation inside: it runs inside operator delete) ----
constexpr size_t kMaxPatterns = 4;
struct Pattern {
  unsigned char bytes[64];
  size_t len = 0;
  const char* name = "";
};
Pattern g_patterns[kMaxPatterns];
std::atomic<size_t> g_npatterns{0};
std::atomic<bool> g_scanning{false};
std::atomic<long> g_frees_seen{0};
std::atomic<long> g_hits[kMaxPatterns];
std::atomic<bool> g_openssl_hooked{false};

void Scan(void* p, size_t n) {
  if (p == nullptr || !g_scanning.load(std::memory_order_acquire)) return;
  g_frees_seen.fetch_add(1, std::memory_order_relaxed);
  const size_t np = g_npatterns.load(std::memory_order_acquire);
  for (size_t i = 0; i < np; ++i) {
    const Pattern& pat = g_patterns[i];
    if (pat.len == 0 || n < pat.len) continue;
    if (memmem(p, n, pat.bytes, pat.len) != nullptr) g_hits[i].fetch_add(1);
  }
}

void* OsslMalloc(size_t n, const char*, int) { return std::malloc(n); }
void OsslFree(void* p, const char*, int) {
  if (p != nullptr) Scan(p, malloc_usable_size(p));
  std::free(p);
}
void* OsslRealloc(void* p, size_t n, const char* f, int l) {
  // Never let realloc drop an unwiped old block silently: copy, scan the old one, free it.
  if (p == nullptr) return OsslMalloc(n, f, l);
  if (n == 0) {
    OsslFree(p, f, l);
    return nullptr;
  }
  void* q = std::malloc(n);
  if (q == nullptr) return nullptr;
  const size_t old = malloc_usable_size(p);
  std::memcpy(q, p, old < n ? old : n);
  OsslFree(p, f, l);
  return q;
}

// Installed during static initialisation, before anything in this process asks OpenSSL for
// memory (the library is only dlopen'ed by the first test).
const bool kHooked = [] {
  const bool ok = CRYPTO_set_mem_functions(OsslMalloc, OsslRealloc, OsslFree) == 1;
  g_openssl_hooked = ok;
  return ok;
}();

}  // namespace

// ---- replaced global allocation functions ----
void* operator new(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return std::malloc(n == 0 ? 1 : n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return std::malloc(n == 0 ? 1 : n); }
namespace {
void FreeScanned(void* p) noexcept {
  if (p != nullptr) Scan(p, malloc_usable_size(p));
  std::free(p);
}
}  // namespace
void operator delete(void* p) noexcept { FreeScanned(p); }
void operator delete[](void* p) noexcept { FreeScanned(p); }
void operator delete(void* p, size_t) noexcept { FreeScanned(p); }
void operator delete[](void* p, size_t) noexcept { FreeScanned(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { FreeScanned(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { FreeScanned(p); }

namespace ocs::hardening {
namespace {

// The identity lives in static storage, so the test's own copies are never freed memory.
char16_t g_user[] = u"alice";
char16_t g_domain[] = u"EXAMPLE";
char16_t g_pass[] = u"Secret123";

SEC_WINNT_AUTH_IDENTITY_W StaticIdentity() {
  SEC_WINNT_AUTH_IDENTITY_W id{};
  id.User = reinterpret_cast<USHORT*>(g_user);
  id.UserLength = 5;
  id.Domain = reinterpret_cast<USHORT*>(g_domain);
  id.DomainLength = 7;
  id.Password = reinterpret_cast<USHORT*>(g_pass);
  id.PasswordLength = 9;
  id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  return id;
}

void SetPatterns(std::initializer_list<std::pair<const char*, std::pair<const void*, size_t>>> ps) {
  g_npatterns = 0;
  size_t i = 0;
  for (const auto& [name, data] : ps) {
    Pattern& p = g_patterns[i];
    p.name = name;
    p.len = data.second < sizeof p.bytes ? data.second : sizeof p.bytes;
    std::memcpy(p.bytes, data.first, p.len);
    g_hits[i] = 0;
    ++i;
  }
  g_npatterns = i;
}

void Hex(const char* hex, unsigned char* out) {
  for (size_t i = 0; hex[2 * i] != '\0'; ++i) {
    unsigned v = 0;
    std::sscanf(hex + 2 * i, "%2x", &v);
    out[i] = static_cast<unsigned char>(v);
  }
}

// The UTF-16LE bytes of the password as they appear in memory on this little-endian host.
std::pair<const void*, size_t> PasswordBytes() { return {g_pass, 9 * sizeof(char16_t)}; }

unsigned char g_nt_hash[16];
unsigned char g_session_key[64];
size_t g_session_key_len = 0;

struct Window {
  Window() {
    g_frees_seen = 0;
    g_scanning.store(true, std::memory_order_release);
  }
  ~Window() { g_scanning.store(false, std::memory_order_release); }
};

std::string Report() {
  std::string s;
  for (size_t i = 0; i < g_npatterns; ++i)
    s += std::string(g_patterns[i].name) + ": " + std::to_string(g_hits[i].load()) +
         " unwiped freed block(s); ";
  return s;
}

long TotalHits() {
  long n = 0;
  for (size_t i = 0; i < g_npatterns; ++i) n += g_hits[i].load();
  return n;
}

TEST(SecretsWiped, OpenSslAllocatorHookIsInstalled) {
  ASSERT_TRUE(kHooked) << "CRYPTO_set_mem_functions came too late; OpenSSL frees are not observed";
}

// The detector must fire on a block that is freed without being wiped, or every other test in
// this file could pass by not looking.
TEST(SecretsWiped, DetectorSeesAnUnwipedBlock) {
  Hex(kNtHashHex, g_nt_hash);
  SetPatterns({{"NT hash", {g_nt_hash, 16}}});
  {
    Window w;
    auto* v = new std::vector<unsigned char>(g_nt_hash, g_nt_hash + 16);
    delete v;
    void* o = OPENSSL_malloc(32);
    std::memcpy(o, g_nt_hash, 16);
    OPENSSL_free(o);
  }
  EXPECT_EQ(g_hits[0].load(), 2) << "the observer missed an unwiped operator delete / OPENSSL_free";
  // And a wiped block does not match.
  SetPatterns({{"NT hash", {g_nt_hash, 16}}});
  {
    Window w;
    ocs::SecretBytes* sb = new ocs::SecretBytes(ocs::ByteSpan(reinterpret_cast<const std::byte*>(g_nt_hash), 16));
    delete sb;
  }
  EXPECT_EQ(g_hits[0].load(), 0) << "SecretBytes left the NT hash in freed memory";
}

// NTLM: the client credential holds the password (and the NT hash derived from it), both
// contexts hold the session key and keys derived from it. None may survive in freed memory
// after DeleteSecurityContext and FreeCredentialsHandle.
void CheckPackage(const char16_t* pkg) {
  Hex(kNtHashHex, g_nt_hash);
  SEC_WINNT_AUTH_IDENTITY_W id = StaticIdentity();
  CredHandle client{}, server{};
  TimeStamp ts{};
  OCS_CREDSSP_SETTINGS settings{};
  CREDSSP_CRED ccred{}, scred{};
  const bool credssp = std::u16string(pkg) == u"CREDSSP";
  settings.Version = OCS_CREDSSP_SETTINGS_VERSION;
  settings.GeneratedKeyType = OCS_CREDSSP_KEY_ECDSA_P256;
  ccred.Type = scred.Type = CredsspPasswordCreds;
  ccred.pSchannelCred = scred.pSchannelCred = &settings;
  ccred.pSpnegoCred = &id;
  ASSERT_EQ(T()->AcquireCredentialsHandleW(nullptr, Wstr(pkg), SECPKG_CRED_OUTBOUND, nullptr,
                                           credssp ? static_cast<void*>(&ccred) : &id, nullptr,
                                           nullptr, &client, &ts), SEC_E_OK);
  ASSERT_EQ(T()->AcquireCredentialsHandleW(nullptr, Wstr(pkg), SECPKG_CRED_INBOUND, nullptr,
                                           credssp ? &scred : nullptr, nullptr, nullptr, &server, &ts), SEC_E_OK);
  testlib::HandshakeResult r = testlib::RunHandshake(T(), client, T(), server, Options(pkg));
  ASSERT_TRUE(r.ok()) << r.error;
  g_session_key_len = 0;
  if (!credssp) {
    SecPkgContext_SessionKey sk{};
    ASSERT_EQ(T()->QueryContextAttributesW(&r.server_ctx, SECPKG_ATTR_SESSION_KEY, &sk), SEC_E_OK);
    ASSERT_GE(sk.SessionKeyLength, 16u);
    g_session_key_len = sk.SessionKeyLength < sizeof g_session_key ? sk.SessionKeyLength : sizeof g_session_key;
    std::memcpy(g_session_key, sk.SessionKey, g_session_key_len);
    SetPatterns({{"password", PasswordBytes()}, {"NT hash", {g_nt_hash, 16}},
                 {"session key", {g_session_key, g_session_key_len}}});
    Window w;  // FreeContextBuffer must wipe the key it handed out, too
    T()->FreeContextBuffer(sk.SessionKey);
  } else {
    // The CredSSP server received the password inside TSCredentials (TLS plaintext, then DER,
    // then the delegated-credentials block); all of it must be wiped as well.
    SetPatterns({{"password", PasswordBytes()}, {"NT hash", {g_nt_hash, 16}}});
  }
  {
    Window w;
    testlib::DeleteHandshakeContexts(&r, T(), T());
    ASSERT_EQ(T()->FreeCredentialsHandle(&client), SEC_E_OK);
    ASSERT_EQ(T()->FreeCredentialsHandle(&server), SEC_E_OK);
    EXPECT_GT(g_frees_seen.load(), 5) << "the library's frees are not reaching the observer";
  }
  EXPECT_EQ(TotalHits(), 0) << Report();
}

TEST(SecretsWiped, NtlmDeleteAndFree) { CheckPackage(u"NTLM"); }
TEST(SecretsWiped, NegotiateDeleteAndFree) { CheckPackage(u"Negotiate"); }
TEST(SecretsWiped, CredSspDeleteAndFree) { CheckPackage(u"CREDSSP"); }

// Stricter: no unwiped copy of the password or NT hash is freed at any point of a whole
// exchange (temporaries included), from AcquireCredentialsHandle to FreeCredentialsHandle.
void WholeLifecycle(const char16_t* pkg) {
  Hex(kNtHashHex, g_nt_hash);
  (void)Lib();
  SetPatterns({{"password", PasswordBytes()}, {"NT hash", {g_nt_hash, 16}}});
  {
    Window w;
    SEC_WINNT_AUTH_IDENTITY_W id = StaticIdentity();
    OCS_CREDSSP_SETTINGS settings{};
    settings.Version = OCS_CREDSSP_SETTINGS_VERSION;
    settings.GeneratedKeyType = OCS_CREDSSP_KEY_ECDSA_P256;
    CREDSSP_CRED ccred{}, scred{};
    ccred.Type = scred.Type = CredsspPasswordCreds;
    ccred.pSchannelCred = scred.pSchannelCred = &settings;
    ccred.pSpnegoCred = &id;
    const bool credssp = std::u16string(pkg) == u"CREDSSP";
    CredHandle client{}, server{};
    TimeStamp ts{};
    ASSERT_EQ(T()->AcquireCredentialsHandleW(nullptr, Wstr(pkg), SECPKG_CRED_OUTBOUND, nullptr,
                                             credssp ? static_cast<void*>(&ccred) : &id, nullptr,
                                             nullptr, &client, &ts), SEC_E_OK);
    ASSERT_EQ(T()->AcquireCredentialsHandleW(nullptr, Wstr(pkg), SECPKG_CRED_INBOUND, nullptr,
                                             credssp ? &scred : nullptr, nullptr, nullptr, &server, &ts), SEC_E_OK);
    testlib::HandshakeResult r = testlib::RunHandshake(T(), client, T(), server, Options(pkg));
    EXPECT_TRUE(r.ok()) << r.error;
    testlib::DeleteHandshakeContexts(&r, T(), T());
    T()->FreeCredentialsHandle(&client);
    T()->FreeCredentialsHandle(&server);
  }
  EXPECT_EQ(TotalHits(), 0) << Report();
}

TEST(SecretsWiped, NtlmWholeLifecycle) { WholeLifecycle(u"NTLM"); }
TEST(SecretsWiped, CredSspWholeLifecycle) { WholeLifecycle(u"CREDSSP"); }

}  // namespace
}  // namespace ocs::hardening
