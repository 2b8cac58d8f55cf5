// store_test.cpp - the user store: memory backend, SAM and gss-ntlmssp file formats, reload on
// change, the default-store environment variables and the embedder override.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "store/user_store.h"
#include "util/bytes.h"

namespace ocs::store {
namespace {

// NT hash of "Secret123" (peers.md, winpr-hash) and of "Password" (MS-NLMP 4.2.2).
constexpr char kSecret123[] = "63647965f13544c6551d5fdb7ffd13e0";
constexpr char kPassword[] = "a4f49c406510bdcab6824ee7c30fd852";

std::string Hex(const SecretBytes& b) { return util::ToHex(b.span()); }

class TempFile {
 public:
  TempFile() {
    char p[] = "/tmp/ocs-store-XXXXXX";
    const int fd = mkstemp(p);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = p;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  void Write(const std::string& s) {
    std::ofstream f(path_, std::ios::trunc);
    f << s;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(MemoryStore, LookupCaseInsensitiveWithDomainFallback) {
  MemoryStore s;
  ASSERT_TRUE(s.AddPassword(u"Alice", u"Example", u"Secret123"));
  ASSERT_TRUE(s.AddPassword(u"carol", u"", u"Password"));
  SecretBytes h;
  ASSERT_TRUE(s.Lookup(u"ALICE", u"EXAMPLE", &h));
  EXPECT_EQ(Hex(h), kSecret123);
  EXPECT_FALSE(s.Lookup(u"alice", u"OTHER", &h));  // no wildcard entry for alice
  ASSERT_TRUE(s.Lookup(u"Carol", u"ANY", &h));     // empty domain serves any domain
  EXPECT_EQ(Hex(h), kPassword);
  EXPECT_FALSE(s.Lookup(u"dave", u"", &h));
  EXPECT_EQ(s.size(), 2u);
  // Exact domain wins over the wildcard.
  ASSERT_TRUE(s.AddPassword(u"carol", u"EXAMPLE", u"Secret123"));
  ASSERT_TRUE(s.Lookup(u"carol", u"example", &h));
  EXPECT_EQ(Hex(h), kSecret123);
  EXPECT_TRUE(s.Remove(u"CAROL", u"example"));
  ASSERT_TRUE(s.Lookup(u"carol", u"example", &h));
  EXPECT_EQ(Hex(h), kPassword);
  EXPECT_FALSE(s.AddNtHash(u"x", u"", Bytes(15)));
  EXPECT_FALSE(s.AddNtHash(u"", u"", Bytes(16)));
}

TEST(UserFile, SamFormat) {
  UserTable t;
  const size_t n = ParseUserFile(
      "# comment\n"
      "alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n"
      "\n"
      "carol::aad3b435b51404eeaad3b435b51404ee:A4F49C406510BDCAB6824EE7C30FD852:::\r\n"
      "lmonly:EXAMPLE:aad3b435b51404eeaad3b435b51404ee::::\n"
      "short:EXAMPLE\n"
      "badhex:EXAMPLE::zz647965f13544c6551d5fdb7ffd13e0:::\n",
      FileFormat::kSam, &t);
  EXPECT_EQ(n, 2u);
  SecretBytes h;
  ASSERT_TRUE(t.Lookup(u"alice", u"example", &h));
  EXPECT_EQ(Hex(h), kSecret123);
  ASSERT_TRUE(t.Lookup(u"carol", u"whatever", &h));
  EXPECT_EQ(Hex(h), kPassword);
  EXPECT_FALSE(t.Lookup(u"lmonly", u"EXAMPLE", &h));
}

TEST(UserFile, GssNtlmsspFormats) {
  UserTable t;
  const size_t n = ParseUserFile(
      "EXAMPLE:alice:Secret123\n"
      ":carol:Password\n"                                             // any domain
      "OTHER\\dave:1000:aad3b435b51404eeaad3b435b51404ee:a4f49c406510bdcab6824ee7c30fd852:[U]:\n"
      "erin:1001::63647965f13544c6551d5fdb7ffd13e0:\n"                // smbpasswd, no domain
      "EXAMPLE::nouser\n",
      FileFormat::kNtlmUserFile, &t);
  EXPECT_EQ(n, 4u);
  SecretBytes h;
  ASSERT_TRUE(t.Lookup(u"ALICE", u"example", &h));
  EXPECT_EQ(Hex(h), kSecret123);
  ASSERT_TRUE(t.Lookup(u"carol", u"X", &h));
  EXPECT_EQ(Hex(h), kPassword);
  ASSERT_TRUE(t.Lookup(u"dave", u"other", &h));
  EXPECT_EQ(Hex(h), kPassword);
  ASSERT_TRUE(t.Lookup(u"erin", u"ANY", &h));
  EXPECT_EQ(Hex(h), kSecret123);
}

TEST(UserFile, HashFieldWithSpacesIsRefused) {
  // 32 characters that hold only 15 bytes of hex once the spaces are skipped: a line that
  // fuzz_store_ntlmuser found accepted with a 15-byte "NT hash" (fuzz/corpus regression seed).
  UserTable t;
  EXPECT_EQ(ParseUserFile("EXAMPLE\\alice:1000::636479 5F134C456551D5FDB7FFD13E :[U]:\n",
                          FileFormat::kNtlmUserFile, &t),
            0u);
  EXPECT_EQ(ParseUserFile("alice:EXAMPLE::636479 5F134C456551D5FDB7FFD13E :::\n", FileFormat::kSam,
                          &t),
            0u);
  SecretBytes h;
  EXPECT_FALSE(t.Lookup(u"alice", u"EXAMPLE", &h));
}

TEST(UserFile, AutoDetect) {
  UserTable a, b;
  EXPECT_EQ(ParseUserFile("EXAMPLE:alice:Secret123\n", FileFormat::kAuto, &a), 1u);
  SecretBytes h;
  EXPECT_TRUE(a.Lookup(u"alice", u"EXAMPLE", &h));
  EXPECT_EQ(ParseUserFile("alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n",
                          FileFormat::kAuto, &b),
            1u);
  EXPECT_TRUE(b.Lookup(u"alice", u"EXAMPLE", &h));
}

TEST(FileStore, ReloadsWhenTheFileChanges) {
  TempFile f;
  f.Write("alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n");
  FileStore s(f.path(), FileFormat::kSam);
  SecretBytes h;
  ASSERT_TRUE(s.Lookup(u"alice", u"EXAMPLE", &h));
  EXPECT_FALSE(s.Lookup(u"carol", u"EXAMPLE", &h));
  f.Write("alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n"
          "carol:EXAMPLE::a4f49c406510bdcab6824ee7c30fd852:::\n");
  ASSERT_TRUE(s.Lookup(u"carol", u"EXAMPLE", &h));
  EXPECT_EQ(Hex(h), kPassword);
  std::remove(f.path().c_str());
  EXPECT_FALSE(s.Lookup(u"alice", u"EXAMPLE", &h));  // gone with the file
  f.Write("alice:EXAMPLE::a4f49c406510bdcab6824ee7c30fd852:::\n");
  ASSERT_TRUE(s.Lookup(u"alice", u"EXAMPLE", &h));
  EXPECT_EQ(Hex(h), kPassword);
}

TEST(FileStore, MissingFileIsEmpty) {
  FileStore s("/nonexistent/ocs-users", FileFormat::kAuto);
  SecretBytes h;
  EXPECT_FALSE(s.Lookup(u"alice", u"", &h));
}

TEST(DefaultStore, EnvironmentAndOverride) {
  TempFile f;
  f.Write("EXAMPLE:alice:Secret123\n");
  ASSERT_EQ(setenv("OPENCREDSSP_USERS", ("ntlm:" + f.path()).c_str(), 1), 0);
  SecretBytes h;
  auto d = DefaultStore();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->Lookup(u"alice", u"EXAMPLE", &h));
  EXPECT_EQ(Hex(h), kSecret123);
  // The same file spec gives the same shared store.
  EXPECT_EQ(OpenFileStore("ntlm:" + f.path(), FileFormat::kAuto), d);
  unsetenv("OPENCREDSSP_USERS");
  ASSERT_EQ(setenv("NTLM_USER_FILE", f.path().c_str(), 1), 0);
  ASSERT_TRUE(DefaultStore()->Lookup(u"alice", u"EXAMPLE", &h));
  unsetenv("NTLM_USER_FILE");

  auto mem = std::make_shared<MemoryStore>();
  ASSERT_TRUE(mem->AddPassword(u"zed", u"", u"pw"));
  SetDefaultStore(mem);
  EXPECT_EQ(DefaultStore(), mem);
  SetDefaultStore(nullptr);
  EXPECT_NE(DefaultStore(), mem);
}

}  // namespace
}  // namespace ocs::store

#include <atomic>
#include <thread>

namespace ocs::store {
namespace {

TEST(FileStore, ConcurrentLookupsWhileTheFileChanges) {
  TempFile f;
  f.Write("alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n");
  auto s = OpenFileStore(f.path(), FileFormat::kSam);
  std::atomic<bool> stop{false};
  std::atomic<int> found{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      SecretBytes h;
      while (!stop.load()) {
        if (s->Lookup(u"alice", u"EXAMPLE", &h)) found.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    f.Write(i % 2 == 0 ? "alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n# pad\n"
                       : "alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n");
  }
  stop.store(true);
  for (auto& th : readers) th.join();
  EXPECT_GT(found.load(), 0);
}

}  // namespace
}  // namespace ocs::store
