// utf16.cpp - UTF-16LE helpers and the Windows-style upper-case map described in utf16.h.
// SPDX-License-Identifier: Apache-2.0
#include "util/utf16.h"

namespace ocs::util {

Bytes U16ToLE(std::u16string_view s) {
  Bytes b(s.size() * 2);
  for (size_t i = 0; i < s.size(); ++i) {
    b[2 * i] = std::byte(s[i] & 0xff);
    b[2 * i + 1] = std::byte(s[i] >> 8);
  }
  return b;
}

SecretBytes U16ToLESecret(std::u16string_view s) {
  SecretBytes b(s.size() * 2);
  for (size_t i = 0; i < s.size(); ++i) {
    b.data()[2 * i] = std::byte(s[i] & 0xff);
    b.data()[2 * i + 1] = std::byte(s[i] >> 8);
  }
  return b;
}

bool LEToU16(ByteSpan b, std::u16string* out) {
  if (b.size() % 2 != 0) return false;
  std::u16string s(b.size() / 2, u'\0');
  for (size_t i = 0; i < s.size(); ++i) {
    s[i] = static_cast<char16_t>(std::to_integer<unsigned>(b[2 * i]) |
                                 (std::to_integer<unsigned>(b[2 * i + 1]) << 8));
  }
  *out = std::move(s);
  return true;
}

char16_t UpcaseChar(char16_t c) {
  const unsigned u = c;
  auto minus = [](unsigned v, unsigned d) { return static_cast<char16_t>(v - d); };
  if (u < 0x80) return (u >= 'a' && u <= 'z') ? minus(u, 0x20) : c;
  if (u >= 0xE0 && u <= 0xFE) return u == 0xF7 ? c : minus(u, 0x20);
  if (u == 0xFF) return u'\u0178';
  if (u >= 0x100 && u <= 0x17F) {
    if (u == 0x131 || u == 0x138 || u == 0x149 || u == 0x17F) return c;
    // U+0139..U+0148 and U+0179..U+017E pair odd (upper) with even (lower).
    if ((u >= 0x139 && u <= 0x148) || (u >= 0x179 && u <= 0x17E)) {
      return (u % 2 == 0) ? minus(u, 1) : c;
    }
    return (u % 2 == 1) ? minus(u, 1) : c;
  }
  if (u >= 0x3B1 && u <= 0x3C9) return u == 0x3C2 ? u'\u03A3' : minus(u, 0x20);
  if (u == 0x3AC) return u'\u0386';
  if (u >= 0x3AD && u <= 0x3AF) return minus(u, 0x25);
  if (u == 0x3CC) return u'\u038C';
  if (u == 0x3CD || u == 0x3CE) return minus(u, 0x3F);
  if (u >= 0x430 && u <= 0x44F) return minus(u, 0x20);
  if (u >= 0x450 && u <= 0x45F) return minus(u, 0x50);
  if (u >= 0x561 && u <= 0x586) return minus(u, 0x30);
  if (u >= 0xFF41 && u <= 0xFF5A) return minus(u, 0x20);
  return c;
}

std::u16string UpperCase(std::u16string_view s) {
  std::u16string r(s);
  for (char16_t& c : r) c = UpcaseChar(c);
  return r;
}

bool EqualsIgnoreCase(std::u16string_view a, std::u16string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (UpcaseChar(a[i]) != UpcaseChar(b[i])) return false;
  }
  return true;
}

std::u16string Utf8ToUtf16(std::string_view s) {
  std::u16string r;
  r.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    char32_t cp = 0xFFFD;
    size_t n = 1;
    if (b0 < 0x80) {
      cp = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xF4) {
      const size_t need = b0 < 0xE0 ? 2 : (b0 < 0xF0 ? 3 : 4);
      char32_t v = b0 & (need == 2 ? 0x1F : (need == 3 ? 0x0F : 0x07));
      size_t k = 1;
      for (; k < need && i + k < s.size(); ++k) {
        const auto bk = static_cast<unsigned char>(s[i + k]);
        if ((bk & 0xC0) != 0x80) break;
        v = (v << 6) | (bk & 0x3F);
      }
      if (k == need) {
        const char32_t min = need == 2 ? 0x80 : (need == 3 ? 0x800 : 0x10000);
        if (v >= min && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF)) cp = v;
        n = need;
      } else {
        n = k;
      }
    }
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      r.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      r.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      r.push_back(static_cast<char16_t>(cp));
    }
  }
  return r;
}

std::string Utf16ToUtf8(std::u16string_view s) {
  std::string r;
  r.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t cp = s[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 &&
        s[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<char32_t>(s[i + 1]) - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    if (cp < 0x80) {
      r.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      r.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      r.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      r.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      r.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      r.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      r.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      r.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      r.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      r.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return r;
}

}  // namespace ocs::util
