// gss_peer.cpp - a client and a server speaking MIT krb5's gss-sample protocol (gss-client /
// gss-server 1.20) over an SSPI provider's function table, so that opencredssp (or WinPR, to
// validate the program) can face gss-ntlmssp through the real MIT sample programs.
//
// The protocol, as MIT's src/appl/gss-sample does it (behaviour read from gss-misc.c,
// gss-client.c, gss-server.c; this is our own code):
// * every message is  flags (1 byte) || length (4 bytes, big-endian) || token;
// * the client opens with an empty NOOP|CONTEXT_NEXT token, then sends each context token
//   with flag CONTEXT and reads the acceptor's reply while its init call says CONTINUE;
//   the server answers each token it accepts with a CONTEXT token when it has output;
// * then the client sends DATA|WRAPPED|ENCRYPTED|SEND_MIC carrying gss_wrap(msg), which for
//   NTLM is the 16-byte NTLMSSP_MESSAGE_SIGNATURE followed by the sealed bytes;
// * the server unwraps, answers with a MIC token = gss_get_mic(plaintext) (NTLM: the 16-byte
//   signature), the client verifies it and ends with an empty NOOP.
//
// Usage:
//   gss_peer server --lib L --package P --port N [--sam FILE]
//   gss_peer client --lib L --package P --port N --user DOMAIN\user --pass PW
//                   [--target host/localhost] [--msg TEXT] [--count N] [--no-mic]
// Both bind/connect 127.0.0.1 only. Exit status 0 = the whole exchange succeeded.
// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "interop/sspi_peer.h"

// WinPR 2.11 leaks small allocations per context (e.g. the SAM path strdup'ed by
// SetContextAttributes is never freed). In the ASan build, LeakSanitizer calls this hook:
// ignore leaks allocated inside libwinpr2 only; ours are still reported.
extern "C" __attribute__((visibility("default"), used)) const char* __lsan_default_suppressions() {
  return "leak:libwinpr2.so\n";
}

namespace ocs::interop {
namespace {

// gss-misc.h token flags.
constexpr std::uint8_t kTokenNoop = 1 << 0;
constexpr std::uint8_t kTokenContext = 1 << 1;
constexpr std::uint8_t kTokenData = 1 << 2;
constexpr std::uint8_t kTokenMic = 1 << 3;
constexpr std::uint8_t kTokenContextNext = 1 << 4;
constexpr std::uint8_t kTokenWrapped = 1 << 5;
constexpr std::uint8_t kTokenEncrypted = 1 << 6;
constexpr std::uint8_t kTokenSendMic = 1 << 7;

constexpr std::size_t kMaxWireToken = 1 << 20;
constexpr ULONG kMaxToken = 16384;
constexpr std::size_t kSig = 16;

int Fail(const std::string& what) {
  std::fprintf(stderr, "gss_peer: %s\n", what.c_str());
  return 1;
}

bool WriteAll(int fd, const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool SendToken(int fd, std::uint8_t flags, const Bytes& tok) {
  const auto n = static_cast<std::uint32_t>(tok.size());
  const std::array<std::uint8_t, 5> hdr{flags, static_cast<std::uint8_t>(n >> 24),
                                        static_cast<std::uint8_t>(n >> 16),
                                        static_cast<std::uint8_t>(n >> 8),
                                        static_cast<std::uint8_t>(n)};
  return WriteAll(fd, hdr.data(), hdr.size()) && WriteAll(fd, tok.data(), tok.size());
}

// Reads one flagged token (the v1 format without flags is never used by these programs).
bool RecvToken(int fd, std::uint8_t* flags, Bytes* tok) {
  std::array<std::uint8_t, 5> hdr{};
  if (!ReadAll(fd, hdr.data(), hdr.size())) return false;
  *flags = hdr[0];
  const std::size_t n = (static_cast<std::size_t>(hdr[1]) << 24) |
                        (static_cast<std::size_t>(hdr[2]) << 16) |
                        (static_cast<std::size_t>(hdr[3]) << 8) | hdr[4];
  if (n > kMaxWireToken) return false;
  tok->assign(n, 0);
  return ReadAll(fd, tok->data(), n);
}

void SetTimeouts(int fd) {
  timeval tv{20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

struct Options {
  std::string mode, lib, package = "NTLM", sam, user, pass, target = "host/localhost";
  std::string msg = "hello from gss_peer";
  int port = 0;
  int count = 1;  // messages to send, like gss-client -mcount
  bool mic = true;
};

bool Parse(int argc, char** argv, Options* o) {
  if (argc < 2) return false;
  o->mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&](std::string* v) {
      if (i + 1 >= argc) return false;
      *v = argv[++i];
      return true;
    };
    std::string port;
    if (a == "--lib") {
      if (!next(&o->lib)) return false;
    } else if (a == "--package") {
      if (!next(&o->package)) return false;
    } else if (a == "--sam") {
      if (!next(&o->sam)) return false;
    } else if (a == "--user") {
      if (!next(&o->user)) return false;
    } else if (a == "--pass") {
      if (!next(&o->pass)) return false;
    } else if (a == "--target") {
      if (!next(&o->target)) return false;
    } else if (a == "--msg") {
      if (!next(&o->msg)) return false;
    } else if (a == "--port") {
      if (!next(&port)) return false;
      o->port = std::atoi(port.c_str());
    } else if (a == "--count") {
      if (!next(&port)) return false;
      o->count = std::atoi(port.c_str());
    } else if (a == "--no-mic") {
      o->mic = false;
    } else {
      return false;
    }
  }
  return !o->lib.empty() && o->port > 0 && o->count > 0 && o->count < 1000 &&
         (o->mode == "server" || o->mode == "client");
}

void Trace(const char* who, SECURITY_STATUS s, const Bytes& tok) {
  std::printf("%s -> %s, token %zu bytes", who, StatusName(s).c_str(), tok.size());
  const NtlmInfo i = InspectNtlm(tok);
  if (i.type != 0) std::printf(" [%s]", i.Describe().c_str());
  std::printf("\n");
  if (!tok.empty()) std::printf("    %s\n", Hex(tok.data(), tok.size(), 400).c_str());
  std::fflush(stdout);
}

SECURITY_STATUS CompleteIfNeeded(Context& ctx, SECURITY_STATUS s) {
  if (s != SEC_I_COMPLETE_NEEDED && s != SEC_I_COMPLETE_AND_CONTINUE) return s;
  SecBuffer b{0, SECBUFFER_TOKEN, nullptr};
  SecBufferDesc d{SECBUFFER_VERSION, 1, &b};
  const SECURITY_STATUS c = ctx.provider().T().CompleteAuthToken(ctx.handle(), &d);
  std::printf("CompleteAuthToken -> %s\n", StatusName(c).c_str());
  if (c != SEC_E_OK) return c;
  return s == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
}

// ---------------------------------------------------------------- server

int RunServer(const Options& o, Provider& p) {
  Credential cred(p);
  SECURITY_STATUS s = cred.Acquire(o.package, SECPKG_CRED_INBOUND, nullptr);
  if (s != SEC_E_OK) return Fail("AcquireCredentialsHandleW(INBOUND): " + StatusName(s));

  const int ls = socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr = Loopback(o.port);
  if (bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(ls, 1) != 0)
    return Fail("cannot listen on 127.0.0.1:" + std::to_string(o.port));
  std::printf("listening on 127.0.0.1:%d\n", o.port);
  std::fflush(stdout);
  const int fd = accept(ls, nullptr, nullptr);
  close(ls);
  if (fd < 0) return Fail("accept failed");
  SetTimeouts(fd);

  std::uint8_t flags = 0;
  Bytes tok;
  if (!RecvToken(fd, &flags, &tok) || (flags & kTokenNoop) == 0 ||
      (flags & kTokenContextNext) == 0)
    return Fail("expected the NOOP|CONTEXT_NEXT opening token");

  Context ctx(p);
  std::array<std::uint8_t, kMaxToken> out{};
  const ULONG req = ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |
                    ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONNECTION;
  do {
    if (!RecvToken(fd, &flags, &tok)) return Fail("reading a context token failed");
    if ((flags & kTokenContext) == 0) return Fail("expected a CONTEXT token");
    SecBuffer ib{static_cast<ULONG>(tok.size()), SECBUFFER_TOKEN, tok.data()};
    SecBufferDesc id{SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob{kMaxToken, SECBUFFER_TOKEN, out.data()};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    ULONG attrs = 0;
    TimeStamp ts{};
    const bool first = !ctx.started();
    s = p.T().AcceptSecurityContext(cred.handle(), ctx.in(), &id, req, SECURITY_NATIVE_DREP,
                                    ctx.handle(), &od, &attrs, &ts);
    std::printf("received context token %zu bytes [%s]\n", tok.size(),
                InspectNtlm(tok).Describe().c_str());
    if (first && s >= 0) {
      ctx.mark_started();
      if (!o.sam.empty()) {
        std::string path = o.sam;
        // As FreeRDP's server: the A entry point with a char* path.
        const SECURITY_STATUS a = p.TA().SetContextAttributesA(
            ctx.handle(), SECPKG_ATTR_AUTH_NTLM_SAM_FILE, path.data(),
            static_cast<ULONG>(path.size() + 1));
        std::printf("SetContextAttributesA(1004 SAM file) -> %s\n", StatusName(a).c_str());
      }
    }
    const Bytes reply(out.data(), out.data() + (s >= 0 ? ob.cbBuffer : 0));
    Trace("AcceptSecurityContext", s, reply);
    s = CompleteIfNeeded(ctx, s);
    if (!reply.empty() && !SendToken(fd, kTokenContext, reply))
      return Fail("sending a context token failed");
    if (s < 0) {
      std::printf("REFUSED: accepting context: %s\n", StatusName(s).c_str());
      close(fd);
      return 1;
    }
  } while (s == SEC_I_CONTINUE_NEEDED);

  SecPkgContext_NamesW names{};
  s = p.T().QueryContextAttributesW(ctx.handle(), SECPKG_ATTR_NAMES, &names);
  if (s == SEC_E_OK) {
    std::printf("Accepted connection: \"%s\"\n", Narrow(names.sUserName).c_str());
    p.T().FreeContextBuffer(names.sUserName);
  } else {
    std::printf("Accepted connection (SECPKG_ATTR_NAMES: %s)\n", StatusName(s).c_str());
  }

  ULONG recv_seq = 0, send_seq = 0;
  int messages = 0;
  for (;;) {
    if (!RecvToken(fd, &flags, &tok)) return Fail("reading a message token failed");
    if (flags & kTokenNoop) break;
    Bytes plain = tok;
    if (flags & kTokenWrapped) {
      if (tok.size() < kSig) return Fail("wrapped token shorter than a signature");
      Sealed in{Bytes(tok.begin() + kSig, tok.end()), Bytes(tok.begin(), tok.begin() + kSig)};
      s = Decrypt(ctx, in, recv_seq++, &plain);
      if (s != SEC_E_OK) {
        std::printf("REFUSED: unsealing message: %s\n    token %s\n", StatusName(s).c_str(),
                    Hex(tok).c_str());
        return 1;
      }
    }
    std::printf("Received message: \"%s\"\n", std::string(plain.begin(), plain.end()).c_str());
    ++messages;
    if (flags & kTokenSendMic) {
      Bytes sig;
      s = Sign(ctx, plain, send_seq++, &sig);
      if (s != SEC_E_OK) return Fail("signing the reply: " + StatusName(s));
      if (!SendToken(fd, kTokenMic, sig)) return Fail("sending the MIC failed");
    } else if (!SendToken(fd, kTokenNoop, Bytes())) {
      return Fail("sending NOOP failed");
    }
  }
  close(fd);
  std::printf("server done: %d message(s)\n", messages);
  return messages > 0 ? 0 : 1;
}

// ---------------------------------------------------------------- client

int RunClient(const Options& o, Provider& p) {
  std::string domain, user = o.user;
  if (const auto bs = user.find('\\'); bs != std::string::npos) {
    domain = user.substr(0, bs);
    user = user.substr(bs + 1);
  }
  Identity id(user, domain, o.pass);
  Credential cred(p);
  SECURITY_STATUS s = cred.Acquire(o.package, SECPKG_CRED_OUTBOUND, &id);
  if (s != SEC_E_OK) return Fail("AcquireCredentialsHandleW(OUTBOUND): " + StatusName(s));

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback(o.port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return Fail("cannot connect to 127.0.0.1:" + std::to_string(o.port));
  SetTimeouts(fd);
  if (!SendToken(fd, kTokenNoop | kTokenContextNext, Bytes()))
    return Fail("sending the opening token failed");

  Context ctx(p);
  std::u16string target = Utf16(o.target);
  std::array<std::uint8_t, kMaxToken> out{};
  Bytes in;
  bool have_in = false;
  const ULONG req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |
                    ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONNECTION;
  do {
    SecBuffer ib{static_cast<ULONG>(in.size()), SECBUFFER_TOKEN, in.data()};
    SecBufferDesc id_desc{SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob{kMaxToken, SECBUFFER_TOKEN, out.data()};
    SecBufferDesc od{SECBUFFER_VERSION, 1, &ob};
    ULONG attrs = 0;
    TimeStamp ts{};
    s = p.T().InitializeSecurityContextW(cred.handle(), ctx.in(),
                                         reinterpret_cast<SEC_WCHAR*>(target.data()), req, 0,
                                         SECURITY_NATIVE_DREP, have_in ? &id_desc : nullptr, 0,
                                         ctx.handle(), &od, &attrs, &ts);
    if (!ctx.started() && s >= 0) ctx.mark_started();
    const Bytes tok(out.data(), out.data() + (s >= 0 ? ob.cbBuffer : 0));
    Trace("InitializeSecurityContextW", s, tok);
    s = CompleteIfNeeded(ctx, s);
    if (!tok.empty() && !SendToken(fd, kTokenContext, tok))
      return Fail("sending a context token failed");
    if (s < 0) {
      std::printf("REFUSED: initializing context: %s\n", StatusName(s).c_str());
      return 1;
    }
    if (s == SEC_I_CONTINUE_NEEDED) {
      std::uint8_t flags = 0;
      if (!RecvToken(fd, &flags, &in)) {
        std::printf("REFUSED: the server closed the connection during the handshake\n");
        return 1;
      }
      std::printf("received context token %zu bytes [%s]\n", in.size(),
                  InspectNtlm(in).Describe().c_str());
      have_in = true;
    }
  } while (s == SEC_I_CONTINUE_NEEDED);
  std::printf("context established\n");

  // Each message is wrapped (sealed) by us and answered with the server's MIC of the plaintext;
  // both RC4 streams and sequence numbers advance with every message.
  for (int i = 0; i < o.count; ++i) {
    const std::string text = o.count == 1 ? o.msg : o.msg + " #" + std::to_string(i);
    const Bytes msg(text.begin(), text.end());
    Sealed sealed;
    s = Encrypt(ctx, 0, msg, static_cast<ULONG>(i), &sealed);
    if (s != SEC_E_OK) return Fail("EncryptMessage: " + StatusName(s));
    Bytes wire = sealed.signature;
    wire.insert(wire.end(), sealed.data.begin(), sealed.data.end());
    const std::uint8_t flags =
        kTokenData | kTokenWrapped | kTokenEncrypted | (o.mic ? kTokenSendMic : 0);
    if (!SendToken(fd, flags, wire)) return Fail("sending the wrapped message failed");
    std::uint8_t rflags = 0;
    Bytes reply;
    if (!RecvToken(fd, &rflags, &reply)) {
      std::printf("REFUSED: no reply to wrapped message %d (the server dropped the connection)\n",
                  i);
      return 1;
    }
    if (o.mic) {
      if ((rflags & kTokenMic) == 0) return Fail("expected a MIC token");
      s = Verify(ctx, msg, reply, static_cast<ULONG>(i));
      if (s != SEC_E_OK) {
        std::printf("REFUSED: verifying signature %d: %s (MIC %s)\n", i, StatusName(s).c_str(),
                    Hex(reply).c_str());
        return 1;
      }
      std::printf("Signature verified (message %d).\n", i);
    } else {
      std::printf("Response received (message %d).\n", i);
    }
  }
  SendToken(fd, kTokenNoop, Bytes());
  close(fd);
  return 0;
}

}  // namespace
}  // namespace ocs::interop

int main(int argc, char** argv) {
  using namespace ocs::interop;
  Options o;
  if (!Parse(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: gss_peer server|client --lib LIB --package NTLM|Negotiate --port N\n"
                 "       [--sam FILE] [--user DOMAIN\\user --pass PW] [--target T] [--msg M]"
                 " [--count N] [--no-mic]\n");
    return 2;
  }
  std::string error;
  auto p = Provider::Load(o.lib, o.lib, &error);
  if (!p) return Fail(error);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return o.mode == "server" ? RunServer(o, *p) : RunClient(o, *p);
}
