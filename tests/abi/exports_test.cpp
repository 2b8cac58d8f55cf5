// exports_test.cpp - the library's dynamic symbol table holds exactly the names of
// sspi_exports.def: nothing is missing and nothing else leaks (C++ internals, OpenSSL, GSL).
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "testlib/sspi_testlib.h"

namespace {

std::set<std::string> DefNames() {
  std::ifstream f(OCS_DEF_PATH);
  std::set<std::string> names;
  std::string line;
  bool in_exports = false;
  while (std::getline(f, line)) {
    std::istringstream ss(line);
    std::string word;
    if (!(ss >> word) || word[0] == ';') continue;
    if (word == "EXPORTS") {
      in_exports = true;
      continue;
    }
    if (in_exports) names.insert(word);
  }
  return names;
}

// Sanitizer runtimes add their own interceptors to instrumented libraries' dynamic tables.
bool IsSanitizerSymbol(const std::string& s) {
  return s.rfind("__asan", 0) == 0 || s.rfind("__ubsan", 0) == 0 || s.rfind("__tsan", 0) == 0 ||
         s.rfind("__sanitizer", 0) == 0 || s.rfind("__lsan", 0) == 0;
}

TEST(AbiExports, DynamicSymbolsEqualTheDefFile) {
  const std::set<std::string> want = DefNames();
  ASSERT_EQ(want.size(), 42u) << "sspi_exports.def should list the 42 SSPI names";
  std::string cmd = std::string("nm -D --defined-only '") + ocs::testlib::LibraryPath() + "'";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::set<std::string> got;
  char line[1024];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    std::istringstream ss(line);
    std::string addr, type, name;
    if (!(ss >> addr >> type >> name)) continue;
    if (IsSanitizerSymbol(name)) continue;
    got.insert(name);
  }
  ASSERT_EQ(pclose(p), 0) << cmd;
  for (const auto& n : want) EXPECT_TRUE(got.count(n)) << "missing export " << n;
  for (const auto& n : got) EXPECT_TRUE(want.count(n)) << "unexpected export " << n;
}

TEST(AbiExports, SonameIsVersioned) {
  std::string cmd = std::string("readelf -d '") + ocs::testlib::LibraryPath() + "'";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char line[1024];
  while (std::fgets(line, sizeof line, p) != nullptr) out += line;
  pclose(p);
  EXPECT_NE(out.find("Library soname: [libopencredssp.so.0]"), std::string::npos) << out;
}

}  // namespace
