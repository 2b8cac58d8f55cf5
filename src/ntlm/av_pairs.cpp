// av_pairs.cpp - AV_PAIR list codec (MS-NLMP 2.2.2.1).
// SPDX-License-Identifier: Apache-2.0
#include "ntlm/av_pairs.h"

#include "util/bytes.h"
#include "util/utf16.h"

namespace ocs::ntlm {

bool AvList::Parse(ByteSpan in, AvList* out, size_t* out_consumed) {
  util::ByteReader r(in);
  AvList list;
  for (;;) {
    uint16_t id = 0;
    uint16_t len = 0;
    ByteSpan value;
    if (!r.ReadU16(&id) || !r.ReadU16(&len) || !r.ReadBytes(len, &value)) return false;
    if (id == kAvEol) {
      if (len != 0) return false;
      break;
    }
    if ((id == kAvFlags && len != 4) || (id == kAvTimestamp && len != 8) ||
        (id == kAvChannelBindings && len != 16)) {
      return false;
    }
    if (list.Find(id) != nullptr) return false;
    list.pairs_.push_back(AvPair{id, Bytes(value.begin(), value.end())});
  }
  *out_consumed = r.position();
  *out = std::move(list);
  return true;
}

bool AvList::ParseExact(ByteSpan in, AvList* out) {
  size_t used = 0;
  AvList list;
  if (!Parse(in, &list, &used) || used != in.size()) return false;
  *out = std::move(list);
  return true;
}

Bytes AvList::Serialize() const {
  Bytes b;
  auto put16 = [&b](size_t v) {
    b.push_back(std::byte(v & 0xff));
    b.push_back(std::byte((v >> 8) & 0xff));
  };
  for (const AvPair& p : pairs_) {
    put16(p.id);
    put16(p.value.size());
    b.insert(b.end(), p.value.begin(), p.value.end());
  }
  put16(kAvEol);
  put16(0);
  return b;
}

const AvPair* AvList::Find(uint16_t id) const {
  for (const AvPair& p : pairs_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

void AvList::Set(uint16_t id, ByteSpan value) {
  for (AvPair& p : pairs_) {
    if (p.id == id) {
      p.value.assign(value.begin(), value.end());
      return;
    }
  }
  pairs_.push_back(AvPair{id, Bytes(value.begin(), value.end())});
}

void AvList::SetU32(uint16_t id, uint32_t v) {
  std::byte b[4];
  util::StoreU32(b, v);
  Set(id, b);
}

std::optional<uint32_t> AvList::GetU32(uint16_t id) const {
  const AvPair* p = Find(id);
  if (p == nullptr || p->value.size() != 4) return std::nullopt;
  return util::LoadU32(p->value);
}

std::optional<uint64_t> AvList::GetU64(uint16_t id) const {
  const AvPair* p = Find(id);
  if (p == nullptr || p->value.size() != 8) return std::nullopt;
  return util::LoadU64(p->value);
}

std::optional<std::u16string> AvList::GetString(uint16_t id) const {
  const AvPair* p = Find(id);
  std::u16string s;
  if (p == nullptr || !util::LEToU16(p->value, &s)) return std::nullopt;
  return s;
}

}  // namespace ocs::ntlm
