// log.h - diagnostics, off by default.
//
// OPENCREDSSP_LOG=error|warn|info|debug|trace switches logging on; OPENCREDSSP_LOG_FILE names a
// file to append to (default: stderr). Never pass a secret (password, hash, key, MIC input) to
// these functions: log names, lengths, flags and status codes only.
// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace ocs::log {

enum class Level { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };

// Enabled is cheap (one relaxed atomic load after the first call).
bool Enabled(Level level);

#if defined(__MINGW32__)
// mingw: libstdc++ turns on mingw's C99 printf (__USE_MINGW_ANSI_STDIO), which has %zu; plain
// "printf" would be checked as msvcrt's printf, which has not.
__attribute__((format(gnu_printf, 2, 3)))
#elif defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void Write(Level level, const char* fmt, ...);

}  // namespace ocs::log

#define OCS_LOG(level, ...)                                                      \
  do {                                                                           \
    if (::ocs::log::Enabled(::ocs::log::Level::level))                           \
      ::ocs::log::Write(::ocs::log::Level::level, __VA_ARGS__);                  \
  } while (0)
