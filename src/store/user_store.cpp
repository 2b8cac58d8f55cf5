// user_store.cpp - user store backends (see user_store.h and docs/users.md).
// SPDX-License-Identifier: Apache-2.0
#include "store/user_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "core/log.h"
#include "crypto/crypto.h"
#include "util/bytes.h"
#include "util/utf16.h"

namespace ocs::store {

bool NtHash(std::u16string_view password, SecretBytes* out) {
  const SecretBytes pw = util::U16ToLESecret(password);
  crypto::Md4Digest d;
  if (!crypto::Md4(&d, {pw.span()})) return false;
  *out = SecretBytes(ByteSpan(d.data(), d.size()));
  OPENSSL_cleanse(d.data(), d.size());
  return true;
}

void UserTable::Add(std::u16string_view user, std::u16string_view domain, SecretBytes nt_hash) {
  std::vector<Entry>& v = users_[util::UpperCase(user)];
  const std::u16string dom = util::UpperCase(domain);
  for (Entry& e : v) {
    if (e.domain_upper == dom) {
      e.nt_hash = std::move(nt_hash);
      return;
    }
  }
  v.push_back(Entry{dom, std::move(nt_hash)});
  ++count_;
}

bool UserTable::Remove(std::u16string_view user, std::u16string_view domain) {
  auto it = users_.find(util::UpperCase(user));
  if (it == users_.end()) return false;
  const std::u16string dom = util::UpperCase(domain);
  for (auto e = it->second.begin(); e != it->second.end(); ++e) {
    if (e->domain_upper == dom) {
      it->second.erase(e);
      --count_;
      if (it->second.empty()) users_.erase(it);
      return true;
    }
  }
  return false;
}

bool UserTable::Lookup(std::u16string_view user, std::u16string_view domain,
                       SecretBytes* out) const {
  auto it = users_.find(util::UpperCase(user));
  if (it == users_.end()) return false;
  const std::u16string dom = util::UpperCase(domain);
  const Entry* wildcard = nullptr;
  for (const Entry& e : it->second) {
    if (e.domain_upper == dom) {
      *out = e.nt_hash;
      return true;
    }
    if (e.domain_upper.empty()) wildcard = &e;
  }
  if (wildcard == nullptr) return false;
  *out = wildcard->nt_hash;
  return true;
}

bool MemoryStore::AddPassword(std::u16string_view user, std::u16string_view domain,
                              std::u16string_view password) {
  SecretBytes h;
  if (!NtHash(password, &h)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  table_.Add(user, domain, std::move(h));
  return true;
}

bool MemoryStore::AddNtHash(std::u16string_view user, std::u16string_view domain,
                            ByteSpan nt_hash) {
  if (nt_hash.size() != 16 || user.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  table_.Add(user, domain, SecretBytes(nt_hash));
  return true;
}

bool MemoryStore::Remove(std::u16string_view user, std::u16string_view domain) {
  std::lock_guard<std::mutex> lock(mu_);
  return table_.Remove(user, domain);
}

bool MemoryStore::Lookup(std::u16string_view user, std::u16string_view domain,
                         SecretBytes* out_nt_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  return table_.Lookup(user, domain, out_nt_hash);
}

size_t MemoryStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return table_.size();
}

namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

bool ParseNtHex(std::string_view hex, SecretBytes* out) {
  if (hex.size() != 32) return false;
  Bytes b;
  // util::FromHex skips white space, so 32 characters can hold fewer than 16 bytes
  // ("636479 5F13...": found by fuzz_store_ntlmuser); an NT hash is exactly 16.
  if (!util::FromHex(hex, &b) || b.size() != 16) {
    OPENSSL_cleanse(b.data(), b.size());
    return false;
  }
  *out = SecretBytes(ByteSpan(b));
  OPENSSL_cleanse(b.data(), b.size());
  return true;
}

// AddSamLine: User:Domain:LMHASH:NTHASH:... (WinPR sam.c). An empty NT hash cannot serve
// NTLMv2 (LM-only accounts are refused anyway).
bool AddSamLine(const std::vector<std::string_view>& f, UserTable* table) {
  if (f.size() < 4 || f[0].empty()) return false;
  SecretBytes nt;
  if (!ParseNtHex(f[3], &nt)) return false;
  table->Add(util::Utf8ToUtf16(f[0]), util::Utf8ToUtf16(f[1]), std::move(nt));
  return true;
}

// AddUserFileLine follows gss-ntlmssp's get_user_file_creds: exactly three fields is
// DOMAIN:USER:PASSWORD (the password is the rest of the line); four or more is the smbpasswd
// form [DOMAIN\]USER:UID:LMHASH:NTHASH:...
bool AddUserFileLine(std::string_view line, UserTable* table) {
  const size_t c1 = line.find(':');
  if (c1 == std::string_view::npos) return false;
  const size_t c2 = line.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return false;
  const size_t c3 = line.find(':', c2 + 1);
  if (c3 == std::string_view::npos) {
    const std::string_view dom = line.substr(0, c1);
    const std::string_view usr = line.substr(c1 + 1, c2 - c1 - 1);
    if (usr.empty()) return false;
    std::u16string pw = util::Utf8ToUtf16(line.substr(c2 + 1));
    SecretBytes h;
    const bool ok = NtHash(pw, &h);
    OPENSSL_cleanse(pw.data(), pw.size() * sizeof(char16_t));
    if (!ok) return false;
    table->Add(util::Utf8ToUtf16(usr), util::Utf8ToUtf16(dom), std::move(h));
    return true;
  }
  const std::vector<std::string_view> f = Split(line, ':');
  if (f.size() < 4 || f[0].empty()) return false;
  std::string_view usr = f[0];
  std::string_view dom;
  const size_t bs = usr.find('\\');
  if (bs != std::string_view::npos) {
    dom = usr.substr(0, bs);
    usr = usr.substr(bs + 1);
  }
  if (usr.empty()) return false;
  SecretBytes nt;
  if (!ParseNtHex(f[3], &nt)) return false;
  table->Add(util::Utf8ToUtf16(usr), util::Utf8ToUtf16(dom), std::move(nt));
  return true;
}

}  // namespace

size_t ParseUserFile(std::string_view contents, FileFormat format, UserTable* table) {
  size_t added = 0;
  size_t line_no = 0;
  size_t start = 0;
  while (start <= contents.size()) {
    size_t end = contents.find('\n', start);
    if (end == std::string_view::npos) end = contents.size();
    std::string_view line = contents.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') {
      if (end == contents.size()) break;
      continue;
    }
    if (format == FileFormat::kAuto) {
      const auto colons = std::count(line.begin(), line.end(), ':');
      format = colons == 2 ? FileFormat::kNtlmUserFile : FileFormat::kSam;
    }
    const bool ok = format == FileFormat::kSam ? AddSamLine(Split(line, ':'), table)
                                               : AddUserFileLine(line, table);
    if (ok) {
      ++added;
    } else {
      OCS_LOG(kWarn, "store: user file line %zu is malformed and was skipped", line_no);
    }
    if (end == contents.size()) break;
  }
  return added;
}

FileStore::FileStore(std::string path, FileFormat format)
    : path_(std::move(path)), format_(format), table_(std::make_shared<UserTable>()) {}

void FileStore::RefreshLocked() {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    if (!missing_logged_) {
      OCS_LOG(kWarn, "store: user file %s cannot be read; no user can log on through it",
              path_.c_str());
      missing_logged_ = true;
    }
    if (have_stat_) table_ = std::make_shared<UserTable>();
    have_stat_ = false;
    return;
  }
#if defined(_WIN32)
  // Windows' struct stat has whole seconds only (and st_ino 0); size + mtime still see edits.
  const long long mtime_ns = static_cast<long long>(st.st_mtime) * 1000000000LL;
#else
  const long long mtime_ns =
      static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
#endif
  if (have_stat_ && mtime_ns == mtime_ns_ && st.st_size == size_ &&
      static_cast<unsigned long long>(st.st_ino) == ino_) {
    return;
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (!missing_logged_) {
      OCS_LOG(kWarn, "store: user file %s cannot be opened", path_.c_str());
      missing_logged_ = true;
    }
    table_ = std::make_shared<UserTable>();
    have_stat_ = false;
    return;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string contents = ss.str();
  auto table = std::make_shared<UserTable>();
  const size_t n = ParseUserFile(contents, format_, table.get());
  OPENSSL_cleanse(contents.data(), contents.size());
  OCS_LOG(kInfo, "store: loaded %zu user(s) from %s", n, path_.c_str());
  table_ = std::move(table);
  have_stat_ = true;
  missing_logged_ = false;
  mtime_ns_ = mtime_ns;
  size_ = st.st_size;
  ino_ = static_cast<unsigned long long>(st.st_ino);
}

bool FileStore::Lookup(std::u16string_view user, std::u16string_view domain,
                       SecretBytes* out_nt_hash) {
  std::shared_ptr<const UserTable> table;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RefreshLocked();
    table = table_;
  }
  return table->Lookup(user, domain, out_nt_hash);
}

namespace {

std::mutex g_mu;
std::shared_ptr<UserStore> g_default;  // embedder override
std::map<std::pair<std::string, int>, std::weak_ptr<UserStore>> g_files;

}  // namespace

std::shared_ptr<UserStore> OpenFileStore(std::string_view spec, FileFormat format) {
  if (spec.substr(0, 4) == "sam:") {
    format = FileFormat::kSam;
    spec.remove_prefix(4);
  } else if (spec.substr(0, 5) == "ntlm:") {
    format = FileFormat::kNtlmUserFile;
    spec.remove_prefix(5);
  }
  const auto key = std::make_pair(std::string(spec), static_cast<int>(format));
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_files.find(key);
  if (it != g_files.end()) {
    if (auto s = it->second.lock()) return s;
  }
  auto s = std::make_shared<FileStore>(key.first, format);
  g_files[key] = s;
  return s;
}

std::shared_ptr<UserStore> DefaultStore() {
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (g_default) return g_default;
  }
  if (const char* v = std::getenv("OPENCREDSSP_USERS"); v != nullptr && *v != '\0') {
    return OpenFileStore(v, FileFormat::kAuto);
  }
  if (const char* v = std::getenv("NTLM_USER_FILE"); v != nullptr && *v != '\0') {
    return OpenFileStore(v, FileFormat::kNtlmUserFile);
  }
  struct stat st {};
  if (stat(kDefaultUsersPath, &st) == 0) return OpenFileStore(kDefaultUsersPath, FileFormat::kAuto);
  return OpenFileStore(kWinprSamPath, FileFormat::kSam);
}

void SetDefaultStore(std::shared_ptr<UserStore> store) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_default = std::move(store);
}

}  // namespace ocs::store

namespace ocs::store {

bool CallbackStore::Lookup(std::u16string_view user, std::u16string_view domain,
                           SecretBytes* out_nt_hash) {
  if (fn_ == nullptr) return false;
  // NUL-terminated copies in the ABI's 16-bit character type.
  std::vector<SEC_WCHAR> u(user.begin(), user.end());
  std::vector<SEC_WCHAR> d(domain.begin(), domain.end());
  u.push_back(0);
  d.push_back(0);
  unsigned char hash[16] = {};
  const int found = fn_(context_, u.data(), d.data(), hash);
  if (found == 1) *out_nt_hash = SecretBytes(AsBytes(hash, sizeof(hash)));
  OPENSSL_cleanse(hash, sizeof(hash));
  return found == 1;
}

}  // namespace ocs::store
