// concurrency_test - N threads x M full CredSSP handshakes (NTLM inside, TLS 1.3) against one
// shared server credential and one shared client credential, through the public table; every
// handshake must succeed and the established pair must exchange a message both ways. Run under
// ThreadSanitizer by tools/test.d/70-tsan-valgrind.sh (ctest label "concurrency").
// OCS_CONCURRENCY_THREADS / OCS_CONCURRENCY_HANDSHAKES override the defaults (4 x 25).
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "hardening/hardening_common.h"

namespace ocs::hardening {
namespace {

int EnvInt(const char* name, int def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : def;
}

// RoundTrip encrypts on the client and decrypts on the server (Schannel stream layout).
bool RoundTrip(const CtxtHandle& client, const CtxtHandle& server) {
  SecPkgContext_StreamSizes sz{};
  CtxtHandle c = client, s = server;
  if (T()->QueryContextAttributesW(&c, SECPKG_ATTR_STREAM_SIZES, &sz) != SEC_E_OK) return false;
  const std::string msg = "hello from a concurrent client";
  testlib::Bytes rec(sz.cbHeader + msg.size() + sz.cbTrailer);
  std::copy(msg.begin(), msg.end(), rec.begin() + sz.cbHeader);
  SecBuffer b[4] = {{sz.cbHeader, SECBUFFER_STREAM_HEADER, rec.data()},
                    {static_cast<ULONG>(msg.size()), SECBUFFER_DATA, rec.data() + sz.cbHeader},
                    {sz.cbTrailer, SECBUFFER_STREAM_TRAILER, rec.data() + sz.cbHeader + msg.size()},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc d{SECBUFFER_VERSION, 4, b};
  if (T()->EncryptMessage(&c, 0, &d, 0) != SEC_E_OK) return false;
  rec.resize(b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer);
  SecBuffer r[4] = {{static_cast<ULONG>(rec.size()), SECBUFFER_DATA, rec.data()},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr},
                    {0, SECBUFFER_EMPTY, nullptr}};
  SecBufferDesc rd{SECBUFFER_VERSION, 4, r};
  ULONG qop = 0;
  if (T()->DecryptMessage(&s, &rd, 0, &qop) != SEC_E_OK) return false;
  for (const SecBuffer& x : r)
    if (x.BufferType == SECBUFFER_DATA)
      return std::string(static_cast<const char*>(x.pvBuffer), x.cbBuffer) == msg;
  return false;
}

TEST(Concurrency, ThreadsTimesHandshakesOnOneSharedServerCredential) {
  const int threads = EnvInt("OCS_CONCURRENCY_THREADS", 4);
  const int per_thread = EnvInt("OCS_CONCURRENCY_HANDSHAKES", 25);
  Creds creds(u"CREDSSP");
  ASSERT_TRUE(creds.ok);
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::string> first_error(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        testlib::HandshakeResult r =
            testlib::RunHandshake(T(), creds.client, T(), creds.server, Options(u"CREDSSP"));
        const bool good = r.ok() && RoundTrip(r.client_ctx, r.server_ctx);
        if (good) {
          ++ok;
        } else {
          ++failed;
          if (first_error[static_cast<size_t>(t)].empty()) {
            char b[96];
            std::snprintf(b, sizeof b, "client 0x%08X server 0x%08X %s",
                          static_cast<unsigned>(r.client_status),
                          static_cast<unsigned>(r.server_status), r.error.c_str());
            first_error[static_cast<size_t>(t)] = b;
          }
        }
        testlib::DeleteHandshakeContexts(&r, T(), T());
      }
    });
  }
  for (auto& th : pool) th.join();
  for (int t = 0; t < threads; ++t)
    EXPECT_TRUE(first_error[static_cast<size_t>(t)].empty()) << "thread " << t << ": " << first_error[static_cast<size_t>(t)];
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), threads * per_thread);
}

// The same with NTLM and Negotiate contexts sharing their credentials (no TLS in the way, so
// races in the NTLM/SPNEGO layers and the handle registry show up faster).
TEST(Concurrency, NtlmAndNegotiateSharedCredentials) {
  const int threads = EnvInt("OCS_CONCURRENCY_THREADS", 4);
  const int per_thread = EnvInt("OCS_CONCURRENCY_HANDSHAKES", 25) * 4;
  for (const char16_t* pkg : {u"NTLM", u"Negotiate"}) {
    Creds creds(pkg);
    ASSERT_TRUE(creds.ok);
    std::atomic<int> failed{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        for (int i = 0; i < per_thread; ++i) {
          testlib::HandshakeResult r = testlib::RunHandshake(T(), creds.client, T(), creds.server, Options(pkg));
          if (!r.ok()) ++failed;
          testlib::DeleteHandshakeContexts(&r, T(), T());
        }
      });
    for (auto& th : pool) th.join();
    EXPECT_EQ(failed.load(), 0);
  }
}

}  // namespace
}  // namespace ocs::hardening
