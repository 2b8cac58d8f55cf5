// vector_file.h - reads tests/vectors/*.txt known-answer files ("name = hex", '#' comments,
// a trailing '\' continues a value on the next line). Found through OCS_TEST_DATA.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/types.h"
#include "util/bytes.h"

namespace ocs::testing {

class VectorFile {
 public:
  explicit VectorFile(const std::string& name) {
    const char* dir = std::getenv("OCS_TEST_DATA");
    const std::string path = std::string(dir != nullptr ? dir : "tests") + "/vectors/" + name;
    std::ifstream in(path);
    if (!in) {
      ADD_FAILURE() << "cannot open " << path;
      return;
    }
    std::string line, pending;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\\') {
        line.pop_back();
        pending += line;
        continue;
      }
      line = pending + line;
      pending.clear();
      if (line.empty() || line[0] == '#') continue;
      const size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string key = line.substr(0, eq);
      while (!key.empty() && key.back() == ' ') key.pop_back();
      Bytes b;
      if (!util::FromHex(line.substr(eq + 1), &b)) {
        ADD_FAILURE() << "bad hex for " << key << " in " << path;
        continue;
      }
      values_[key] = b;
    }
  }
  const Bytes& operator[](const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) {
      ADD_FAILURE() << "missing vector " << key;
      static const Bytes empty;
      return empty;
    }
    return it->second;
  }

 private:
  std::map<std::string, Bytes> values_;
};

inline std::string Hex(ByteSpan b) { return util::ToHex(b); }

}  // namespace ocs::testing
