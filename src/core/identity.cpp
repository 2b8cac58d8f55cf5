// identity.cpp - see identity.h.
// SPDX-License-Identifier: Apache-2.0
#include "core/identity.h"

#include <cstring>
#include <new>

#include "core/log.h"

namespace ocs {
namespace {

// Limits from Windows' SEC_WINNT_AUTH_IDENTITY handling (identity.h): characters, not bytes.
constexpr ULONG kMaxUser = 256;
constexpr ULONG kMaxDomain = 256;
constexpr ULONG kMaxPassword = 512;

// One string field of the structure as given by the caller.
struct Field {
  const void* ptr;
  ULONG len;
};

// ReadField copies `f` (a UTF-16 or UTF-8 string of f.len characters/bytes) into `out`.
// SAFETY: the caller promises f.ptr points at f.len characters of the declared width; we never
// read past that nor look for a terminator.
SECURITY_STATUS ReadField(Field f, bool wide, ULONG max_len, std::u16string* out) {
  if (f.len == 0) {
    out->clear();
    return SEC_E_OK;
  }
  if (f.ptr == nullptr || f.len > max_len) return SEC_E_UNKNOWN_CREDENTIALS;
  if (wide) {
    out->assign(static_cast<const char16_t*>(f.ptr), f.len);
  } else {
    *out = Utf8ToUtf16(std::string_view(static_cast<const char*>(f.ptr), f.len));
  }
  return SEC_E_OK;
}

void SplitUserName(AuthIdentity* id) {
  if (!id->domain.empty()) return;
  // DOMAIN\user (down-level logon name).
  if (auto pos = id->user.find(u'\\'); pos != std::u16string::npos) {
    id->domain = id->user.substr(0, pos);
    id->user.erase(0, pos + 1);
    return;
  }
  // user@domain (UPN).
  if (auto pos = id->user.rfind(u'@'); pos != std::u16string::npos && pos > 0) {
    id->domain = id->user.substr(pos + 1);
    id->user.erase(pos);
  }
}

template <typename T>
SECURITY_STATUS ParseFields(const T* s, CharWidth width, AuthIdentity* out) {
  out->flags = s->Flags;
  bool wide = width == CharWidth::kWide;
  // Honour the ANSI/UNICODE flag whatever entry point was used (FreeRDP passes Unicode
  // identities through the A functions on Linux; sspi-abi.md §3).
  if (s->Flags & SEC_WINNT_AUTH_IDENTITY_UNICODE) wide = true;
  else if (s->Flags & SEC_WINNT_AUTH_IDENTITY_ANSI) wide = false;
  std::u16string password;
  SECURITY_STATUS st = ReadField({s->User, s->UserLength}, wide, kMaxUser, &out->user);
  if (st == SEC_E_OK) st = ReadField({s->Domain, s->DomainLength}, wide, kMaxDomain, &out->domain);
  if (st == SEC_E_OK) st = ReadField({s->Password, s->PasswordLength}, wide, kMaxPassword, &password);
  out->password = SecretU16(std::move(password));
  if (st != SEC_E_OK) return st;
  SplitUserName(out);
  return SEC_E_OK;
}

}  // namespace

SECURITY_STATUS ParseAuthIdentity(const void* auth_data, CharWidth width, AuthIdentity* out) {
  if (auth_data == nullptr || out == nullptr) return SEC_E_UNKNOWN_CREDENTIALS;
  try {
    *out = AuthIdentity{};
    // The first ULONG tells the form apart: 0x200 = EX, 0x201 = EX2, otherwise the plain
    // structure, whose first member is a pointer (sspi-abi.md §3).
    ULONG version = 0;
    std::memcpy(&version, auth_data, sizeof version);
    if (version == SEC_WINNT_AUTH_IDENTITY_VERSION) {
      const auto* ex = static_cast<const SEC_WINNT_AUTH_IDENTITY_EXW*>(auth_data);
      if (ex->Length < sizeof(SEC_WINNT_AUTH_IDENTITY_EXW)) return SEC_E_UNKNOWN_CREDENTIALS;
      // EXW and EXA share the layout; the flag or width picks the string type.
      return ParseFields(ex, width, out);
    }
    if (version == SEC_WINNT_AUTH_IDENTITY_VERSION_2) {
      // Packed EX2 identities come from Windows' credential UI only; not supported here.
      OCS_LOG(kDebug, "SEC_WINNT_AUTH_IDENTITY_EX2 is not supported");
      return SEC_E_UNKNOWN_CREDENTIALS;
    }
    return ParseFields(static_cast<const SEC_WINNT_AUTH_IDENTITY_W*>(auth_data), width, out);
  } catch (const std::bad_alloc&) {
    return SEC_E_INSUFFICIENT_MEMORY;
  }
}

std::string Utf16ToUtf8(std::u16string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (static_cast<char32_t>(s[i + 1]) - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;  // unpaired surrogate
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

std::u16string Utf8ToUtf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    char32_t c = 0xFFFD;
    size_t n = 1;
    size_t need = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      c = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      need = 1, c = b0 & 0x1Fu, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      need = 2, c = b0 & 0x0Fu, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      need = 3, c = b0 & 0x07u, min = 0x10000;
    }
    if (need > 0) {
      bool ok = i + need < s.size();  // all continuation bytes present
      if (ok) {
        for (size_t k = 1; k <= need; ++k) {
          const auto b = static_cast<unsigned char>(s[i + k]);
          if ((b & 0xC0) != 0x80) { ok = false; break; }
          c = (c << 6) | (b & 0x3Fu);
        }
      }
      if (ok && c >= min && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF)) {
        n = need + 1;
      } else {
        c = 0xFFFD;  // invalid or overlong sequence: replace one byte and resynchronise
        n = 1;
      }
    } else if (b0 >= 0x80) {
      c = 0xFFFD;
    }
    if (c >= 0x10000) {
      c -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (c >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (c & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(c));
    }
    i += n;
  }
  return out;
}

}  // namespace ocs
