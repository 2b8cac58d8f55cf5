// net.cpp - see net.h.
// SPDX-License-Identifier: Apache-2.0
#include "net.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ocs::cli {
namespace {

IoResult Fail(const std::string& what) {
  return IoResult{Io::kError, what + ": " + std::strerror(errno)};
}

IoResult FromErrno(const char* what) {
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    return IoResult{Io::kTimeout, std::string(what) + ": timed out"};
  }
  return Fail(what);
}

std::string SockaddrToString(const sockaddr* sa) {
  char host[NI_MAXHOST] = {};
  char serv[NI_MAXSERV] = {};
  socklen_t len = sa->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) !=
      0) {
    return "?";
  }
  return FormatAddress(host, static_cast<uint16_t>(std::strtoul(serv, nullptr, 10)));
}

struct AddrInfo {
  addrinfo* list = nullptr;
  ~AddrInfo() {
    if (list != nullptr) freeaddrinfo(list);
  }
};

IoResult Resolve(const std::string& host, uint16_t port, bool passive, AddrInfo* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  const std::string service = std::to_string(port);
  // Brackets are accepted around IPv6 literals ("[::1]") as in URLs.
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int rc = getaddrinfo(h.c_str(), service.c_str(), &hints, &out->list);
  if (rc != 0) return IoResult{Io::kError, "cannot resolve " + host + ": " + gai_strerror(rc)};
  return {};
}

}  // namespace

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    Close();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Socket::~Socket() { Close(); }

void Socket::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string FormatAddress(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos && host.front() != '[') {
    return "[" + host + "]:" + std::to_string(port);
  }
  return host + ":" + std::to_string(port);
}

IoResult Listen(const std::string& host, uint16_t port, Socket* out, uint16_t* out_port) {
  AddrInfo ai;
  if (IoResult r = Resolve(host, port, true, &ai); !r) return r;
  IoResult last{Io::kError, "no address for " + host};
  for (addrinfo* a = ai.list; a != nullptr; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!s.valid()) {
      last = Fail("socket");
      continue;
    }
    int one = 1;
    (void)setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a->ai_family == AF_INET6) {
      // Bind exactly the address asked for; "::1" must not also mean 127.0.0.1.
      (void)setsockopt(s.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (::bind(s.fd(), a->ai_addr, a->ai_addrlen) != 0) {
      last = Fail("bind " + FormatAddress(host, port));
      continue;
    }
    if (::listen(s.fd(), 16) != 0) {
      last = Fail("listen");
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (getsockname(s.fd(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      last = Fail("getsockname");
      continue;
    }
    *out_port = bound.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                    : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    *out = std::move(s);
    return {};
  }
  return last;
}

IoResult Accept(const Socket& listener, Socket* out, std::string* out_peer) {
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  int fd;
  do {
    fd = ::accept4(listener.fd(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return FromErrno("accept");
  *out = Socket(fd);
  *out_peer = SockaddrToString(reinterpret_cast<sockaddr*>(&peer));
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return {};
}

IoResult Connect(const std::string& host, uint16_t port, Socket* out, std::string* out_peer) {
  AddrInfo ai;
  if (IoResult r = Resolve(host, port, false, &ai); !r) return r;
  IoResult last{Io::kError, "no address for " + host};
  for (addrinfo* a = ai.list; a != nullptr; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!s.valid()) {
      last = Fail("socket");
      continue;
    }
    int rc;
    do {
      rc = ::connect(s.fd(), a->ai_addr, a->ai_addrlen);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      last = Fail("connect to " + SockaddrToString(a->ai_addr));
      continue;
    }
    int one = 1;
    (void)setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *out_peer = SockaddrToString(a->ai_addr);
    *out = std::move(s);
    return {};
  }
  return last;
}

void SetTimeout(const Socket& s, int seconds) {
  timeval tv{};
  tv.tv_sec = seconds;
  (void)setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)setsockopt(s.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

IoResult WriteAll(const Socket& s, ByteSpan data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(s.fd(), data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FromErrno("send");
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

IoResult ReadSome(const Socket& s, Bytes* buf, size_t max) {
  const size_t old = buf->size();
  buf->resize(old + max);
  ssize_t n;
  do {
    n = ::recv(s.fd(), buf->data() + old, max, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    buf->resize(old);
    if (n == 0) return IoResult{Io::kClosed, "connection closed by peer"};
    if (errno == ECONNRESET) return IoResult{Io::kClosed, "connection reset by peer"};
    return FromErrno("recv");
  }
  buf->resize(old + static_cast<size_t>(n));
  return {};
}

IoResult ReadExact(const Socket& s, Bytes* buf, size_t n) {
  const size_t want = buf->size() + n;
  while (buf->size() < want) {
    if (IoResult r = ReadSome(s, buf, want - buf->size()); !r) return r;
  }
  return {};
}

}  // namespace ocs::cli
