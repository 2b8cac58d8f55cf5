// main.cpp - `opencredssp server` and `opencredssp client` (docs/cli.md).
// SPDX-License-Identifier: Apache-2.0
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "options.h"
#include "session.h"
#include "sspi_lib.h"

int main(int argc, char** argv) {
  using namespace ocs::cli;
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  Options opts;
  if (std::string e = ParseOptions(args, &opts); !e.empty()) {
    std::fprintf(stderr, "opencredssp: %s\n", e.c_str());
    std::fprintf(stderr, "  hint: opencredssp --help lists the options.\n");
    return kExitUsage;
  }
  if (opts.mode == Mode::kHelp) {
    std::fputs(Usage().c_str(), stdout);
    return kExitOk;
  }
  if (opts.mode == Mode::kVersion) {
    std::printf("opencredssp %s\n", OCS_CLI_VERSION);
    return kExitOk;
  }
  SspiLibrary lib;
  const std::string path = opts.library.empty() ? DefaultLibraryPath() : opts.library;
  if (std::string e = lib.Load(path); !e.empty()) {
    std::fprintf(stderr, "opencredssp: %s\n", e.c_str());
    std::fprintf(stderr,
                 "  hint: build libopencredssp, or name it with --library PATH or "
                 "$OPENCREDSSP_LIBRARY.\n");
    return kExitSetup;
  }
  return opts.mode == Mode::kServer ? RunServer(opts, lib, stdout, stderr)
                                    : RunClient(opts, lib, stdout, stderr);
}
