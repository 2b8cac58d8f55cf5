// options.cpp - see options.h.
// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ocs::cli {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

template <typename T>
bool ParseNumber(std::string_view s, T min, T max, T* out) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max) return false;
  *out = v;
  return true;
}

// SplitHostPort accepts "host", "host:port", "[v6]", "[v6]:port" and a bare IPv6 literal.
std::string SplitHostPort(std::string_view s, std::string* host, uint16_t* port) {
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return "missing ']' in " + std::string(s);
    *host = std::string(s.substr(1, close - 1));
    std::string_view rest = s.substr(close + 1);
    if (rest.empty()) return "";
    if (rest.front() != ':' || !ParseNumber<uint16_t>(rest.substr(1), 0, 65535, port)) {
      return "bad port in " + std::string(s);
    }
    return "";
  }
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || s.find(':') != colon) {
    *host = std::string(s);  // no port, or a bare IPv6 literal
    return "";
  }
  *host = std::string(s.substr(0, colon));
  if (!ParseNumber<uint16_t>(s.substr(colon + 1), 0, 65535, port)) {
    return "bad port in " + std::string(s);
  }
  return "";
}

}  // namespace

std::string CanonicalPackage(std::string_view name) {
  for (const char* p : {"CREDSSP", "Negotiate", "NTLM"}) {
    if (EqualsNoCase(name, p)) return p;
  }
  return "";
}

std::string ParseOptions(const std::vector<std::string>& args, Options* out) {
  *out = Options{};
  if (args.empty()) return "missing command: server or client (see --help)";
  const std::string& cmd = args[0];
  if (cmd == "server") {
    out->mode = Mode::kServer;
  } else if (cmd == "client") {
    out->mode = Mode::kClient;
  } else if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    out->mode = Mode::kHelp;
    return "";
  } else if (cmd == "--version" || cmd == "version") {
    out->mode = Mode::kVersion;
    return "";
  } else {
    return "unknown command '" + cmd + "': use server or client";
  }
  const bool server = out->mode == Mode::kServer;
  bool port_given = false;

  for (size_t i = 1; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto value = [&](std::string* v) -> std::string {
      if (inline_value) {
        *v = *inline_value;
        return "";
      }
      if (i + 1 >= args.size()) return name + " needs a value";
      *v = args[++i];
      return "";
    };
    auto flag = [&](bool* f) -> std::string {
      if (inline_value) return name + " takes no value";
      *f = true;
      return "";
    };
    auto only = [&](bool for_server) -> std::string {
      if (for_server != server) {
        return name + " is a " + std::string(for_server ? "server" : "client") + " option";
      }
      return "";
    };
    std::string v, e;
    if (name == "-h" || name == "--help") {
      out->mode = Mode::kHelp;
      return "";
    } else if (name == "--package") {
      if (!(e = value(&v)).empty()) return e;
      out->package = CanonicalPackage(v);
      if (out->package.empty()) return "--package must be CREDSSP, Negotiate or NTLM";
    } else if (name == "--framing") {
      if (!(e = value(&v)).empty()) return e;
      out->framing = ParseFraming(v);
      if (!out->framing) return "--framing must be rdp, stream or length";
    } else if (name == "--port") {
      if (!(e = value(&v)).empty()) return e;
      if (!ParseNumber<uint16_t>(v, server ? 0 : 1, 65535, &out->port)) {
        return "--port must be a number from " + std::string(server ? "0" : "1") + " to 65535";
      }
      port_given = true;
    } else if (name == "--timeout") {
      if (!(e = value(&v)).empty()) return e;
      if (!ParseNumber<int>(v, 0, 86400, &out->timeout_seconds)) {
        return "--timeout must be seconds (0 = none)";
      }
    } else if (name == "--library") {
      if (!(e = value(&out->library)).empty()) return e;
    } else if (name == "--trace") {
      if (!(e = flag(&out->trace)).empty()) return e;
    } else if (name == "--caller-buffers") {
      if (!(e = flag(&out->caller_buffers)).empty()) return e;
    } else if (name == "--quiet" || name == "-q") {
      if (!(e = flag(&out->quiet)).empty()) return e;
    } else if (name == "--listen") {
      if (!(e = only(true)).empty() || !(e = value(&v)).empty()) return e;
      uint16_t p = out->port;
      if (!(e = SplitHostPort(v, &out->host, &p)).empty()) return e;
      if (p != out->port) {
        out->port = p;
        port_given = true;
      }
    } else if (name == "--users") {
      if (!(e = only(true)).empty() || !(e = value(&out->users_file)).empty()) return e;
    } else if (name == "--cert") {
      if (!(e = only(true)).empty() || !(e = value(&out->cert_file)).empty()) return e;
    } else if (name == "--key") {
      if (!(e = only(true)).empty() || !(e = value(&out->key_file)).empty()) return e;
    } else if (name == "--show-credentials") {
      if (!(e = only(true)).empty() || !(e = flag(&out->show_credentials)).empty()) return e;
    } else if (name == "--count") {
      if (!(e = only(true)).empty() || !(e = value(&v)).empty()) return e;
      if (!ParseNumber<long>(v, 1, 1000000000L, &out->count)) return "--count must be >= 1";
    } else if (name == "--once") {
      bool once = false;
      if (!(e = only(true)).empty() || !(e = flag(&once)).empty()) return e;
      out->count = 1;
    } else if (name == "--connect") {
      if (!(e = only(false)).empty() || !(e = value(&v)).empty()) return e;
      uint16_t p = out->port;
      if (!(e = SplitHostPort(v, &out->host, &p)).empty()) return e;
      if (p != out->port) {
        if (p == 0) return "--connect: port 0 is not a port to connect to";
        out->port = p;
        port_given = true;
      }
    } else if (name == "--user" || name == "-u") {
      if (!(e = only(false)).empty() || !(e = value(&v)).empty()) return e;
      out->user = v;
    } else if (name == "--domain" || name == "-d") {
      if (!(e = only(false)).empty() || !(e = value(&v)).empty()) return e;
      out->domain = v;
    } else if (name == "--password" || name == "-p") {
      if (!(e = only(false)).empty() || !(e = value(&v)).empty()) return e;
      out->password = v;
    } else if (name == "--target") {
      if (!(e = only(false)).empty() || !(e = value(&out->target)).empty()) return e;
    } else if (name == "--inner") {
      if (!(e = only(false)).empty() || !(e = value(&v)).empty()) return e;
      out->inner_explicit = true;
      if (v == "ntlm") {
        out->raw_ntlm = true;
      } else if (v == "spnego") {
        out->raw_ntlm = false;
      } else {
        return "--inner must be spnego or ntlm";
      }
    } else if (name == "--server-cert-sha256") {
      if (!(e = only(false)).empty() || !(e = value(&v)).empty()) return e;
      std::string fp;
      for (char c : v) {
        if (std::isxdigit(static_cast<unsigned char>(c))) {
          fp.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
        } else if (c != ':') {
          return "--server-cert-sha256 takes a SHA-256 fingerprint (hex, colons optional)";
        }
      }
      if (fp.size() != 64) return "--server-cert-sha256 takes 32 bytes of hex";
      for (size_t k = 0; k < 64; k += 2) {
        out->pin_sha256 += (k == 0 ? "" : ":") + fp.substr(k, 2);
      }
    } else if (name == "--credssp-version") {
      if (!(e = value(&v)).empty()) return e;
      if (!ParseNumber<unsigned>(v, 2, 6, &out->credssp_version)) {
        return "--credssp-version must be 2 to 6";
      }
    } else if (name == "--no-delegate") {
      if (!(e = only(false)).empty() || !(e = flag(&out->no_delegate)).empty()) return e;
    } else {
      return "unknown option '" + args[i] + "' (see --help)";
    }
  }
  (void)port_given;
  if (out->host.empty()) out->host = "127.0.0.1";
  if (out->cert_file.empty() != out->key_file.empty()) {
    return "--cert and --key go together";
  }
  if (out->package != "CREDSSP" &&
      (out->raw_ntlm || out->credssp_version != 0 || !out->pin_sha256.empty())) {
    return "--inner, --credssp-version and --server-cert-sha256 are CredSSP options";
  }
  if (out->package != "CREDSSP" && (!out->cert_file.empty())) {
    return "--cert/--key are for --package CREDSSP (NTLM and Negotiate use no certificate)";
  }
  if (out->package != "CREDSSP" && out->EffectiveFraming() != Framing::kLength) {
    // NTLM and SPNEGO tokens carry no length of their own, so on a raw stream a reader could
    // not tell where one ends; CredSSP's TLS records can.
    return "--package " + out->package +
           " needs --framing length (its tokens are not self-delimiting)";
  }
  return "";
}

std::string Usage() {
  return R"(usage: opencredssp server [options]
       opencredssp client [options]

Runs a CredSSP (or Negotiate / NTLM) authentication over TCP through the SSPI table of
libopencredssp, the way an RDP server or client does. With no options both sides use the
embedded demo account EXAMPLE\alice / Secret123 on 127.0.0.1:3389.

common options
  --package CREDSSP|Negotiate|NTLM   security package (default CREDSSP)
  --framing rdp|stream|length        rdp: X.224 Connection Request/Confirm selecting
                                     PROTOCOL_HYBRID, then the raw TLS stream (as mstsc and
                                     FreeRDP); stream: the same without X.224; length: each token
                                     after a 4-byte big-endian length.
                                     Default: rdp for CREDSSP, length for Negotiate and NTLM.
  --port N                           TCP port (default 3389; server: 0 picks a free port)
  --timeout SECONDS                  give up on a silent peer (default 30, 0 = never)
  --library PATH                     SSPI provider to load (default: libopencredssp;
                                     also $OPENCREDSSP_LIBRARY)
  --trace                            print one line per token sent or received
  --caller-buffers                   give the package output buffers of cbMaxToken bytes instead
                                     of asking it to allocate (ISC/ASC_REQ_ALLOCATE_MEMORY); for
                                     providers without that flag, such as WinPR
  -q, --quiet                        print only results and errors

server options
  --listen ADDRESS[:PORT]            address to bind (default 127.0.0.1; [::1] for IPv6)
  --users FILE                       accounts (docs/users.md: "DOMAIN:user:password" lines or
                                     WinPR SAM "user:DOMAIN::NThash:::" lines); default:
                                     $OPENCREDSSP_USERS if set, else the demo account
  --cert FILE --key FILE             PEM certificate and key for TLS (CredSSP); default: a fresh
                                     self-signed RSA-2048 certificate
  --show-credentials                 also print the credentials the client delegated
  --count N, --once                  exit after N connections (exit status 1 if any failed)

client options
  --connect HOST[:PORT]              server (default 127.0.0.1)
  -u, --user NAME                    user (DOMAIN\user and user@domain are accepted)
  -d, --domain NAME                  domain
  -p, --password PASSWORD            password (or $OPENCREDSSP_PASSWORD)
  --target SPN                       service principal name (default TERMSRV/<host>)
  --no-delegate                      CredSSP: do not ask for delegation (ISC_REQ_DELEGATE)
  --server-cert-sha256 FINGERPRINT   CredSSP: accept only the server certificate with this
                                     SHA-256 fingerprint (the server prints it); checked as soon
                                     as TLS is up, before any credential leaves. Without it the
                                     client prints the fingerprint it saw and trusts the
                                     certificate only through CredSSP's public-key binding.
  --inner spnego|ntlm                CredSSP: what negoTokens carry (default spnego, as
                                     Windows; if the server refuses SPNEGO itself - FreeRDP 2's
                                     freerdp-shadow-cli does - the client retries once with ntlm)
  --credssp-version N                CredSSP: the TSRequest version to announce (2..6, default 6;
                                     also a server option)

The server prints one line per authenticated connection:
  authenticated user=EXAMPLE\alice package=CREDSSP mechanism=NTLM credssp=6 peer=127.0.0.1:50312
Every failure prints the SEC_E name, its meaning and a hint, and the exit status is non-zero:
1 authentication failed, 2 usage error, 3 network or setup error.
)";
}

}  // namespace ocs::cli
