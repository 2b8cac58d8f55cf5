// log.cpp - see log.h.
// SPDX-License-Identifier: Apache-2.0
#include "core/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

namespace ocs::log {
namespace {

constexpr int kUnset = -2;
constexpr int kOff = -1;
std::atomic<int> g_level{kUnset};
std::mutex g_mu;
FILE* g_file = nullptr;  // guarded by g_mu; nullptr means stderr

int ParseLevel(const char* v) {
  if (v == nullptr || *v == '\0') return kOff;
  static const char* const kNames[] = {"error", "warn", "info", "debug", "trace"};
  for (int i = 0; i < 5; ++i) {
    if (std::strcmp(v, kNames[i]) == 0) return i;
  }
  if (std::strcmp(v, "1") == 0 || std::strcmp(v, "on") == 0) return static_cast<int>(Level::kDebug);
  return kOff;
}

int CurrentLevel() {
  int l = g_level.load(std::memory_order_relaxed);
  if (l != kUnset) return l;
  std::lock_guard<std::mutex> lock(g_mu);
  l = g_level.load(std::memory_order_relaxed);
  if (l != kUnset) return l;
  l = ParseLevel(std::getenv("OPENCREDSSP_LOG"));
  if (l != kOff) {
    const char* path = std::getenv("OPENCREDSSP_LOG_FILE");
    if (path != nullptr && *path != '\0') g_file = std::fopen(path, "a");
  }
  g_level.store(l, std::memory_order_relaxed);
  return l;
}

}  // namespace

bool Enabled(Level level) { return static_cast<int>(level) <= CurrentLevel(); }

void Write(Level level, const char* fmt, ...) {
  static const char* const kTags[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  std::lock_guard<std::mutex> lock(g_mu);
  FILE* out = g_file != nullptr ? g_file : stderr;
  std::fprintf(out, "opencredssp %s: %s\n", kTags[static_cast<int>(level)], msg);
  std::fflush(out);
}

}  // namespace ocs::log
