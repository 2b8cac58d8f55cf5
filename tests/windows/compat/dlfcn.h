// dlfcn.h - Windows stand-in for POSIX <dlfcn.h>, for the test programs of the mingw build only
// (tests/windows/CMakeLists.txt puts this directory on their include path).  The tests load the
// provider the way a Linux host does (dlopen + dlsym of InitSecurityInterfaceW/A); on Windows
// that is LoadLibrary + GetProcAddress, which is what this maps it to.  Paths such as
// /work/build/src/abi/opencredssp.dll work under Wine: they resolve on the current drive (Z:).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <cstdio>

#define RTLD_LAZY 0x1
#define RTLD_NOW 0x2
#define RTLD_GLOBAL 0x100
#define RTLD_LOCAL 0x0
#define RTLD_NOLOAD 0x4

namespace ocs_win_compat {
inline char* LastError(bool set, const char* what) {
  static thread_local char buf[160];
  static thread_local bool pending = false;
  if (set) {
    std::snprintf(buf, sizeof buf, "%s failed: Windows error %lu", what, GetLastError());
    pending = true;
    return buf;
  }
  if (!pending) return nullptr;
  pending = false;
  return buf;
}
}  // namespace ocs_win_compat

inline void* dlopen(const char* path, int flags) {
  HMODULE m = nullptr;
  if ((flags & RTLD_NOLOAD) != 0) {
    m = GetModuleHandleA(path);
  } else {
    m = path == nullptr ? GetModuleHandleA(nullptr) : LoadLibraryA(path);
  }
  if (m == nullptr) ocs_win_compat::LastError(true, "LoadLibraryA");
  return reinterpret_cast<void*>(m);
}

inline void* dlsym(void* handle, const char* name) {
  FARPROC f = GetProcAddress(reinterpret_cast<HMODULE>(handle), name);
  if (f == nullptr) ocs_win_compat::LastError(true, "GetProcAddress");
  return reinterpret_cast<void*>(f);
}

inline int dlclose(void* handle) {
  return FreeLibrary(reinterpret_cast<HMODULE>(handle)) ? 0 : -1;
}

inline char* dlerror() { return ocs_win_compat::LastError(false, nullptr); }
