// handles.h - the registry that turns SecHandles into our objects, and back.
//
// A handle never carries a pointer. dwLower is an id drawn from a 64-bit counter that is never
// reused, so a stale or double-freed handle finds nothing; dwUpper is a per-process tag with
// the kind (credential or context) in its low byte, so a context handle passed as a
// credential, a zeroed handle, or garbage is refused before any lookup succeeds. Lookups take
// a shared lock on one of kShards shards (chosen by id) just long enough to copy a shared_ptr:
// DeleteSecurityContext on one thread cannot free an object another thread is using.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/package.h"

namespace ocs::abi {

enum class HandleKind : uint8_t { kCredential = 0x43, kContext = 0x58 };

struct CredentialEntry {
  PackageId package;
  std::shared_ptr<Credential> cred;
};

struct ContextEntry {
  PackageId package;
  Role role;
  std::shared_ptr<Credential> cred;  // keeps the credential alive while the context lives
  std::mutex mu;                     // serialises calls on this context (contexts are not
                                     // thread-safe; package.h)
  std::unique_ptr<Context> ctx;      // guarded by mu
};

class HandleTable {
 public:
  static HandleTable& Get();

  // Insert stores `obj` and writes its handle. Throws std::bad_alloc.
  void Insert(std::shared_ptr<CredentialEntry> obj, SecHandle* out);
  void Insert(std::shared_ptr<ContextEntry> obj, SecHandle* out);

  // Find returns the object for `h`, or nullptr for NULL, garbage, stale, freed or wrong-kind
  // handles. `h` is read only after the NULL check.
  std::shared_ptr<CredentialEntry> FindCredential(const SecHandle* h);
  std::shared_ptr<ContextEntry> FindContext(const SecHandle* h);

  // Remove drops the table's reference; false if `h` was not a live handle of that kind.
  bool RemoveCredential(const SecHandle* h);
  bool RemoveContext(const SecHandle* h);

 private:
  static constexpr size_t kShards = 16;
  struct Slot {
    HandleKind kind;  // checked on every lookup: ids of both kinds share one space
    std::shared_ptr<void> obj;
  };
  struct Shard {
    std::shared_mutex mu;
    std::unordered_map<uint64_t, Slot> map;
  };

  HandleTable();
  ULONG_PTR Tag(HandleKind kind) const;
  bool Decode(const SecHandle* h, HandleKind kind, uint64_t* id) const;
  void InsertRaw(std::shared_ptr<void> obj, HandleKind kind, SecHandle* out);
  std::shared_ptr<void> FindRaw(const SecHandle* h, HandleKind kind);
  bool RemoveRaw(const SecHandle* h, HandleKind kind);
  Shard& ShardFor(uint64_t id) { return shards_[id % kShards]; }

  ULONG_PTR salt_;
  std::atomic<uint64_t> next_id_{1};
  std::array<Shard, kShards> shards_;
};

}  // namespace ocs::abi
