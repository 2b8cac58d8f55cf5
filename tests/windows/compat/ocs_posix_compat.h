// ocs_posix_compat.h - the few POSIX calls the test programs use that msvcrt lacks, mapped to
// their Windows equivalents.  Force-included (-include) into every test program of the mingw
// build by tests/windows/CMakeLists.txt, so that the test sources stay as they are on Linux.
// SPDX-License-Identifier: Apache-2.0
#pragma once
#if defined(_WIN32) && defined(__cplusplus)
#include <cstdlib>

// setenv/unsetenv: _putenv_s changes the CRT environment that getenv reads, in this program and
// in opencredssp.dll (both use msvcrt.dll).  _putenv_s(name, "") removes the variable.
inline int setenv(const char* name, const char* value, int overwrite) {
  if (overwrite == 0 && std::getenv(name) != nullptr) return 0;
  return _putenv_s(name, value) == 0 ? 0 : -1;
}
inline int unsetenv(const char* name) { return _putenv_s(name, "") == 0 ? 0 : -1; }

// write(fd, p, size_t) as POSIX declares it (msvcrt's takes an unsigned int count, which makes
// -Wconversion reject the Linux call sites).
#include <io.h>
#include <sys/types.h>
inline ssize_t write(int fd, const void* buf, size_t n) {
  return _write(fd, buf, static_cast<unsigned int>(n));
}

// mkdtemp: msvcrt has _mktemp_s (names only) and _mkdir.
#include <direct.h>
#include <cstring>
inline char* mkdtemp(char* templ) {
  if (_mktemp_s(templ, std::strlen(templ) + 1) != 0) return nullptr;
  return _mkdir(templ) == 0 ? templ : nullptr;
}
#endif
