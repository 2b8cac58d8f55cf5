// options.h - the command line of `opencredssp server|client` (docs/cli.md).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "framing.h"

namespace ocs::cli {

enum class Mode { kServer, kClient, kHelp, kVersion };

// The embedded demo account: what the server accepts and the client sends when no account is
// given, so that `opencredssp server` and `opencredssp client` run a whole handshake with no
// options (tools/demo.sh).
inline constexpr const char* kDemoDomain = "EXAMPLE";
inline constexpr const char* kDemoUser = "alice";
inline constexpr const char* kDemoPassword = "Secret123";

struct Options {
  Mode mode = Mode::kHelp;
  std::string package = "CREDSSP";  // canonical: CREDSSP, Negotiate, NTLM
  std::optional<Framing> framing;   // default: rdp for CREDSSP, length otherwise
  std::string host;                 // server: --listen; client: --connect host
  uint16_t port = 3389;
  int timeout_seconds = 30;
  std::string library;  // --library; "" = DefaultLibraryPath()
  bool trace = false;   // one line per token
  bool quiet = false;
  bool caller_buffers = false;  // output tokens in cbMaxToken buffers, not ALLOCATE_MEMORY

  // server
  std::string users_file;           // "" = the demo account
  std::string cert_file, key_file;  // "" = a fresh self-signed certificate
  bool show_credentials = false;
  long count = 0;  // 0 = serve forever

  // client
  std::optional<std::string> user, domain, password;
  std::string target;  // "" = TERMSRV/<host>
  bool no_delegate = false;
  std::string pin_sha256;  // --server-cert-sha256: refuse any other certificate
  bool inner_explicit = false;       // --inner given: no automatic retry with raw NTLM
  bool raw_ntlm = false;   // --inner ntlm: raw NTLMSSP in negoTokens (FreeRDP 2 servers)

  // CredSSP, both sides
  unsigned credssp_version = 0;  // --credssp-version; 0 = the library's default (6)

  Framing EffectiveFraming() const {
    return framing.value_or(package == "CREDSSP" ? Framing::kRdp : Framing::kLength);
  }
};

// ParseOptions parses argv[1..]. Returns "" or a usage error message.
std::string ParseOptions(const std::vector<std::string>& args, Options* out);

// Usage is the --help text.
std::string Usage();

// CanonicalPackage maps a case-insensitive name to CREDSSP/Negotiate/NTLM, or "".
std::string CanonicalPackage(std::string_view name);

}  // namespace ocs::cli
