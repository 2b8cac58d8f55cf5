// context_buffer.cpp - see context_buffer.h.
//
// Every block handed to a caller is recorded in a set so that FreeContextBuffer can refuse a
// pointer we did not hand out (or one already freed) instead of corrupting the heap. Blocks
// are wiped before they are released: some hold session keys or names.
// SPDX-License-Identifier: Apache-2.0
#include "core/context_buffer.h"

#include <openssl/crypto.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>

#include "core/identity.h"
#include "core/package_info.h"

namespace ocs {
namespace {

struct Tracker {
  std::mutex mu;
  std::unordered_map<void*, size_t> live;  // block -> size
};

Tracker& GetTracker() {
  // Leaked on purpose: FreeContextBuffer may run from other libraries' destructors at exit.
  static Tracker* t = new Tracker;
  return *t;
}

// A SecPkgInfo array plus its strings, laid out in one block.
template <typename Info, typename Char>
void* BuildInfoBlock(gsl::span<const PackageId> ids, CharWidth width) {
  // Convert strings first to know the total size.
  struct Strings {
    std::basic_string<Char> name, comment;
  };
  std::vector<Strings> strs;
  strs.reserve(ids.size());
  size_t total = sizeof(Info) * ids.size();
  for (PackageId id : ids) {
    const PackageInfo& p = GetPackageInfo(id);
    Strings s;
    if constexpr (sizeof(Char) == 2) {
      s.name.assign(p.name.begin(), p.name.end());
      s.comment.assign(p.comment.begin(), p.comment.end());
    } else {
      s.name = Utf16ToUtf8(p.name);
      s.comment = Utf16ToUtf8(p.comment);
    }
    (void)width;
    total += (s.name.size() + 1 + s.comment.size() + 1) * sizeof(Char);
    strs.push_back(std::move(s));
  }
  auto* block = static_cast<std::byte*>(AllocContextBuffer(total));
  if (block == nullptr) return nullptr;
  auto* infos = reinterpret_cast<Info*>(block);
  auto* cursor = reinterpret_cast<Char*>(block + sizeof(Info) * ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const PackageInfo& p = GetPackageInfo(ids[i]);
    infos[i].fCapabilities = p.capabilities;
    infos[i].wVersion = p.version;
    infos[i].wRPCID = p.rpcid;
    infos[i].cbMaxToken = p.max_token;
    infos[i].Name = reinterpret_cast<decltype(infos[i].Name)>(cursor);
    std::memcpy(cursor, strs[i].name.c_str(), (strs[i].name.size() + 1) * sizeof(Char));
    cursor += strs[i].name.size() + 1;
    infos[i].Comment = reinterpret_cast<decltype(infos[i].Comment)>(cursor);
    std::memcpy(cursor, strs[i].comment.c_str(), (strs[i].comment.size() + 1) * sizeof(Char));
    cursor += strs[i].comment.size() + 1;
  }
  return block;
}

}  // namespace

void* AllocContextBuffer(size_t size) {
  if (size == 0) size = 1;
  void* p = std::calloc(1, size);
  if (p == nullptr) return nullptr;
  Tracker& t = GetTracker();
  try {
    std::lock_guard<std::mutex> lock(t.mu);
    t.live.emplace(p, size);
  } catch (const std::bad_alloc&) {
    std::free(p);
    return nullptr;
  }
  return p;
}

bool FreeContextBufferTracked(void* p) {
  if (p == nullptr) return false;
  size_t size = 0;
  {
    Tracker& t = GetTracker();
    std::lock_guard<std::mutex> lock(t.mu);
    auto it = t.live.find(p);
    if (it == t.live.end()) return false;
    size = it->second;
    t.live.erase(it);
  }
  OPENSSL_cleanse(p, size);
  std::free(p);
  return true;
}

void* AllocPackageInfoArray(gsl::span<const PackageId> ids, CharWidth width) {
  try {
    if (width == CharWidth::kWide) return BuildInfoBlock<SecPkgInfoW, char16_t>(ids, width);
    return BuildInfoBlock<SecPkgInfoA, char>(ids, width);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void* AllocPackageInfo(PackageId id, CharWidth width) {
  const PackageId ids[1] = {id};
  return AllocPackageInfoArray(ids, width);
}

void* AllocString(std::u16string_view s, CharWidth width) {
  try {
    if (width == CharWidth::kWide) {
      void* p = AllocContextBuffer((s.size() + 1) * sizeof(char16_t));
      if (p != nullptr && !s.empty()) std::memcpy(p, s.data(), s.size() * sizeof(char16_t));
      return p;
    }
    std::string narrow = Utf16ToUtf8(s);
    void* p = AllocContextBuffer(narrow.size() + 1);
    if (p != nullptr && !narrow.empty()) std::memcpy(p, narrow.data(), narrow.size());
    return p;
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

}  // namespace ocs
