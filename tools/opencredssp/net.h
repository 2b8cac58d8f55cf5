// net.h - blocking TCP sockets for the opencredssp command (IPv4 and IPv6). Every call reports
// failure as a message instead of throwing; reads and writes honour a per-socket timeout so that
// a silent peer cannot hang the command.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <gsl/span>
#include <string>
#include <vector>

namespace ocs::cli {

using Bytes = std::vector<std::byte>;
using ByteSpan = gsl::span<const std::byte>;

// Socket owns one file descriptor.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void Close();

 private:
  int fd_ = -1;
};

// IoResult: kOk, kClosed (orderly EOF before the bytes wanted), kTimeout, kError (`error` says).
enum class Io { kOk, kClosed, kTimeout, kError };
struct IoResult {
  Io io = Io::kOk;
  std::string error;
  explicit operator bool() const { return io == Io::kOk; }
};

// Listen binds `host` (numeric address or name; loopback by default in the command) and `port`
// (0 = any free port) and listens. On success *out_port is the bound port.
IoResult Listen(const std::string& host, uint16_t port, Socket* out, uint16_t* out_port);

// Accept waits for one connection; *out_peer is "address:port" of the client.
IoResult Accept(const Socket& listener, Socket* out, std::string* out_peer);

// Connect tries every address of `host` in turn.
IoResult Connect(const std::string& host, uint16_t port, Socket* out, std::string* out_peer);

// SetTimeout sets the receive and send timeout (seconds, 0 = none).
void SetTimeout(const Socket& s, int seconds);

// WriteAll sends every byte.
IoResult WriteAll(const Socket& s, ByteSpan data);

// ReadSome appends whatever bytes arrive next (at least one, at most `max`) to *buf.
IoResult ReadSome(const Socket& s, Bytes* buf, size_t max = 65536);

// ReadExact appends exactly `n` bytes to *buf.
IoResult ReadExact(const Socket& s, Bytes* buf, size_t n);

// FormatAddress renders "127.0.0.1:3389" or "[::1]:3389".
std::string FormatAddress(const std::string& host, uint16_t port);

}  // namespace ocs::cli
