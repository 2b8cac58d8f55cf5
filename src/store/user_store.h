// user_store.h - where an NTLM server finds the NT hash (MD4 of the UTF-16LE password) of a
// user: one interface, three backends (WinPR SAM file, gss-ntlmssp/Heimdal user file, memory).
//
// Matching (docs/users.md): user names compare case-insensitively with Windows' upper-case
// map (util::UpcaseChar), as Windows does for account names. The domain is tried exactly
// (case-insensitively) first, then an entry with an empty domain, which serves any domain.
// WinPR differs: it compares user and domain case-sensitively (byte-wise).
//
// All stores are thread-safe; Lookup is a hash-map probe (by upper-cased user name) plus a
// short scan of that user's domains.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/secret.h"
#include "core/types.h"

namespace ocs::store {

class UserStore {
 public:
  virtual ~UserStore() = default;
  // Lookup sets *out_nt_hash (16 bytes) and returns true if (user, domain) is known.
  virtual bool Lookup(std::u16string_view user, std::u16string_view domain,
                      SecretBytes* out_nt_hash) = 0;
};

// NtHash is MD4(UTF-16LE(password)) (MS-NLMP 3.3.1 NTOWFv1). False if MD4 is unavailable.
[[nodiscard]] bool NtHash(std::u16string_view password, SecretBytes* out);

// UserTable is the in-memory map the stores share (not thread-safe by itself).
class UserTable {
 public:
  void Add(std::u16string_view user, std::u16string_view domain, SecretBytes nt_hash);
  bool Remove(std::u16string_view user, std::u16string_view domain);
  bool Lookup(std::u16string_view user, std::u16string_view domain, SecretBytes* out) const;
  size_t size() const { return count_; }

 private:
  struct Entry {
    std::u16string domain_upper;
    SecretBytes nt_hash;
  };
  std::unordered_map<std::u16string, std::vector<Entry>> users_;  // key: upper-cased user
  size_t count_ = 0;
};

// MemoryStore is the embedder/test backend.
class MemoryStore : public UserStore {
 public:
  // AddPassword / AddNtHash replace an existing (user, domain) entry. AddNtHash needs 16 bytes.
  [[nodiscard]] bool AddPassword(std::u16string_view user, std::u16string_view domain,
                                 std::u16string_view password);
  [[nodiscard]] bool AddNtHash(std::u16string_view user, std::u16string_view domain,
                               ByteSpan nt_hash);
  bool Remove(std::u16string_view user, std::u16string_view domain);
  bool Lookup(std::u16string_view user, std::u16string_view domain,
              SecretBytes* out_nt_hash) override;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  UserTable table_;
};

enum class FileFormat {
  kAuto,          // first entry line with exactly two ':' -> kNtlmUserFile, else kSam
  kSam,           // WinPR/FreeRDP: User:Domain:LMHASH:NTHASH:::  (NT hash 32 hex)
  kNtlmUserFile,  // gss-ntlmssp/Heimdal/pyspnego: DOMAIN:USER:PASSWORD per line, or the
                  // smbpasswd form [DOMAIN\]USER:UID:LMHASH:NTHASH:... (gss-ntlmssp rules)
};

// ParseUserFile fills `table` from file contents; malformed lines are skipped with a kWarn log
// line naming the line number (never its content). Returns the number of entries added.
size_t ParseUserFile(std::string_view contents, FileFormat format, UserTable* table);

// FileStore reads a user file and re-reads it when its mtime, size or inode changed (checked
// with one stat() per Lookup). A missing or unreadable file is an empty store (logged once per
// change of state).
class FileStore : public UserStore {
 public:
  FileStore(std::string path, FileFormat format);
  bool Lookup(std::u16string_view user, std::u16string_view domain,
              SecretBytes* out_nt_hash) override;
  const std::string& path() const { return path_; }
  FileFormat format() const { return format_; }

 private:
  void RefreshLocked();

  const std::string path_;
  const FileFormat format_;
  std::mutex mu_;
  std::shared_ptr<const UserTable> table_;
  bool have_stat_ = false;
  long long mtime_ns_ = 0;
  long long size_ = -1;
  unsigned long long ino_ = 0;
  bool missing_logged_ = false;
};

// OpenFileStore returns the shared FileStore for (path, format), creating it once: many
// contexts naming the same file (SECPKG_ATTR_AUTH_NTLM_SAM_FILE) share one parsed table.
// A "sam:" or "ntlm:" prefix on `spec` overrides `format`.
std::shared_ptr<UserStore> OpenFileStore(std::string_view spec, FileFormat format);

// DefaultStore is what an INBOUND credential acquired with NULL auth data uses:
//   1. a store installed by SetDefaultStore (embedders, ocs_user_store_set_default);
//   2. OPENCREDSSP_USERS = [sam:|ntlm:]path (format auto-detected without a prefix);
//   3. NTLM_USER_FILE = path (gss-ntlmssp's variable; kNtlmUserFile format);
//   4. /etc/opencredssp/users if it exists (auto), else /etc/winpr/SAM (WinPR's default, kSam).
// The environment is read at each call, so a credential acquired later sees a changed variable.
std::shared_ptr<UserStore> DefaultStore();
// SetDefaultStore installs (or with nullptr removes) the process-wide override.
void SetDefaultStore(std::shared_ptr<UserStore> store);

constexpr char kDefaultUsersPath[] = "/etc/opencredssp/users";
constexpr char kWinprSamPath[] = "/etc/winpr/SAM";

}  // namespace ocs::store

namespace ocs::store {

// CallbackStore adapts an embedder's OCS_USER_LOOKUP_FN (include/opencredssp/store.h).
class CallbackStore : public UserStore {
 public:
  using Fn = int (*)(void* context, const SEC_WCHAR* user, const SEC_WCHAR* domain,
                     unsigned char nt_hash[16]);
  CallbackStore(Fn fn, void* context) : fn_(fn), context_(context) {}
  bool Lookup(std::u16string_view user, std::u16string_view domain,
              SecretBytes* out_nt_hash) override;

 private:
  Fn fn_;
  void* context_;
};

}  // namespace ocs::store
