// sspi_lib.cpp - see sspi_lib.h.
// SPDX-License-Identifier: Apache-2.0
#include "sspi_lib.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

namespace ocs::cli {

std::string DefaultLibraryPath() {
  if (const char* env = std::getenv("OPENCREDSSP_LIBRARY"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef OCS_CLI_BUILD_LIBRARY
  // The build tree's library, so that `build/tools/opencredssp/opencredssp` works uninstalled.
  if (::access(OCS_CLI_BUILD_LIBRARY, R_OK) == 0) return OCS_CLI_BUILD_LIBRARY;
#endif
  return "libopencredssp.so";
}

SspiLibrary::~SspiLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

std::string SspiLibrary::Load(const std::string& path) {
  path_ = path;
  // RTLD_NODELETE: the provider stays mapped after dlclose, so process-lifetime objects it keeps
  // (package singletons, OpenSSL contexts) remain reachable at exit instead of looking leaked
  // to LeakSanitizer, and their code stays symbolizable.
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle_ == nullptr) {
    const char* e = dlerror();
    return "cannot load the SSPI library " + path + ": " + (e != nullptr ? e : "?");
  }
  auto init = reinterpret_cast<INIT_SECURITY_INTERFACE_W>(dlsym(handle_, SECURITY_ENTRYPOINTW));
  if (init == nullptr) return path + " does not export " SECURITY_ENTRYPOINTW;
  table_ = init();
  if (table_ == nullptr) return SECURITY_ENTRYPOINTW "() of " + path + " returned NULL";
  if (table_->AcquireCredentialsHandleW == nullptr ||
      table_->InitializeSecurityContextW == nullptr || table_->AcceptSecurityContext == nullptr ||
      table_->FreeContextBuffer == nullptr || table_->DeleteSecurityContext == nullptr ||
      table_->FreeCredentialsHandle == nullptr || table_->QueryContextAttributesW == nullptr) {
    return "the SSPI table of " + path + " lacks a function this command needs";
  }
  return "";
}

std::u16string U16(std::string_view s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0xFFFD;
    size_t n = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6 && i + 1 < s.size()) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      n = 2;
    } else if ((c >> 4) == 0xE && i + 2 < s.size()) {
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
      n = 3;
    } else if ((c >> 3) == 0x1E && i + 3 < s.size()) {
      cp = ((c & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
           ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
      n = 4;
    }
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

std::string U8(const SEC_WCHAR* s) {
  std::string out;
  if (s == nullptr) return out;
  for (size_t i = 0; s[i] != 0; ++i) {
    uint32_t cp = s[i];
    if (cp >= 0xD800 && cp < 0xDC00 && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (s[i + 1] - 0xDC00u);
      ++i;
    } else if (cp >= 0xD800 && cp < 0xE000) {
      cp = 0xFFFD;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

}  // namespace ocs::cli
