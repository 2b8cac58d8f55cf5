// fuzz_common.h - helpers shared by the parser targets.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "core/types.h"

namespace ocsfuzz {

// Fail reports a violated property; libFuzzer records the input as a crash.
[[noreturn]] inline void Fail(const char* target, const char* what) {
  std::fprintf(stderr, "%s: property violated: %s\n", target, what);
  std::abort();
}

inline ocs::ByteSpan Span(const uint8_t* data, size_t size) {
  return ocs::ByteSpan(reinterpret_cast<const std::byte*>(data), size);
}
inline ocs::ByteSpan Span(const ocs::Bytes& b) { return ocs::ByteSpan(b.data(), b.size()); }

// Fixpoint checks the re-encoding property every parser here must have:
// parse(x) ok -> write(parse(x)) = e1 parses again -> write of that = e1.
// (Not e1 == x: several parsers accept variants they never write, e.g. payload order.)
template <class Msg, class Parse, class Write>
void Fixpoint(const char* target, ocs::ByteSpan in, Parse parse, Write write) {
  Msg m{};
  if (!parse(in, &m)) return;
  ocs::Bytes e1;
  if (!write(m, &e1)) Fail(target, "a parsed message cannot be written back");
  Msg again{};
  if (!parse(Span(e1), &again)) Fail(target, "our own encoding does not parse");
  ocs::Bytes e2;
  if (!write(again, &e2) || e1 != e2) Fail(target, "write(parse(write(x))) != write(x)");
}

}  // namespace ocsfuzz
