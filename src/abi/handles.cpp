// handles.cpp - see handles.h.
// SPDX-License-Identifier: Apache-2.0
#include "abi/handles.h"

#include <openssl/rand.h>

#include <chrono>

namespace ocs::abi {

HandleTable& HandleTable::Get() {
  // Leaked on purpose: handles may be freed from other libraries' destructors at exit.
  static HandleTable* t = new HandleTable;
  return *t;
}

HandleTable::HandleTable() {
  // A per-process salt in dwUpper: a handle from another copy of the library, or bytes that
  // merely look like a handle, do not match. Ids start at a random offset for the same reason.
  uint64_t r[2] = {0, 0};
  if (RAND_bytes(reinterpret_cast<unsigned char*>(r), sizeof r) != 1) {
    r[0] = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    r[1] = r[0] * 0x9E3779B97F4A7C15ull;
  }
  salt_ = static_cast<ULONG_PTR>(r[0] & ~static_cast<uint64_t>(0xFF));
  // Never produce the reserved values -1 (invalid) or -2 (deleted), nor 0.
  if (salt_ == 0 || ~salt_ < 0x100) salt_ = static_cast<ULONG_PTR>(0x4F43535000ull);
  next_id_.store(((r[1] >> 16) & 0xFFFFFFFFull) + 1, std::memory_order_relaxed);
}

ULONG_PTR HandleTable::Tag(HandleKind kind) const {
  return salt_ | static_cast<ULONG_PTR>(kind);
}

bool HandleTable::Decode(const SecHandle* h, HandleKind kind, uint64_t* id) const {
  if (h == nullptr) return false;
  // SAFETY: `h` is the caller's SecHandle; reading its two words is what the API promises.
  if (h->dwUpper != Tag(kind)) return false;
  *id = static_cast<uint64_t>(h->dwLower);
  return *id != 0;
}

void HandleTable::InsertRaw(std::shared_ptr<void> obj, HandleKind kind, SecHandle* out) {
  const uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  Shard& s = ShardFor(id);
  {
    std::unique_lock<std::shared_mutex> lock(s.mu);
    s.map.emplace(id, Slot{kind, std::move(obj)});
  }
  out->dwLower = static_cast<ULONG_PTR>(id);
  out->dwUpper = Tag(kind);
}

std::shared_ptr<void> HandleTable::FindRaw(const SecHandle* h, HandleKind kind) {
  uint64_t id = 0;
  if (!Decode(h, kind, &id)) return nullptr;
  Shard& s = ShardFor(id);
  std::shared_lock<std::shared_mutex> lock(s.mu);
  auto it = s.map.find(id);
  if (it == s.map.end() || it->second.kind != kind) return nullptr;
  return it->second.obj;
}

bool HandleTable::RemoveRaw(const SecHandle* h, HandleKind kind) {
  uint64_t id = 0;
  if (!Decode(h, kind, &id)) return false;
  Shard& s = ShardFor(id);
  std::shared_ptr<void> victim;  // destroyed after the lock is released
  std::unique_lock<std::shared_mutex> lock(s.mu);
  auto it = s.map.find(id);
  if (it == s.map.end() || it->second.kind != kind) return false;
  victim = std::move(it->second.obj);
  s.map.erase(it);
  lock.unlock();
  return true;
}

void HandleTable::Insert(std::shared_ptr<CredentialEntry> obj, SecHandle* out) {
  InsertRaw(std::move(obj), HandleKind::kCredential, out);
}
void HandleTable::Insert(std::shared_ptr<ContextEntry> obj, SecHandle* out) {
  InsertRaw(std::move(obj), HandleKind::kContext, out);
}
// The stored shared_ptr<void> was created from the kind the tag names, so the cast is exact.
std::shared_ptr<CredentialEntry> HandleTable::FindCredential(const SecHandle* h) {
  return std::static_pointer_cast<CredentialEntry>(FindRaw(h, HandleKind::kCredential));
}
std::shared_ptr<ContextEntry> HandleTable::FindContext(const SecHandle* h) {
  return std::static_pointer_cast<ContextEntry>(FindRaw(h, HandleKind::kContext));
}
bool HandleTable::RemoveCredential(const SecHandle* h) {
  return RemoveRaw(h, HandleKind::kCredential);
}
bool HandleTable::RemoveContext(const SecHandle* h) { return RemoveRaw(h, HandleKind::kContext); }

}  // namespace ocs::abi
