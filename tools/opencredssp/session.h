// session.h - the two sides of the opencredssp command: the AcceptSecurityContext loop of
// `opencredssp server` and the InitializeSecurityContext loop of `opencredssp client`, both
// through the SSPI function table only.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdio>

#include "options.h"
#include "sspi_lib.h"

namespace ocs::cli {

// Exit statuses of the command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitAuthFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitSetup = 3;

// RunServer listens and serves connections one after another (forever, or opts.count times).
// Results go to `out` (one line per authenticated connection), failures to `err`.
int RunServer(const Options& opts, const SspiLibrary& lib, FILE* out, FILE* err);

// RunClient authenticates once.
int RunClient(const Options& opts, const SspiLibrary& lib, FILE* out, FILE* err);

}  // namespace ocs::cli
