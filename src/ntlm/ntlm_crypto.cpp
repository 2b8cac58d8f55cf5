// ntlm_crypto.cpp - NTLMv2 computations (MS-NLMP 3.3.2, 3.4.5, 3.1.5.1.2).
// SPDX-License-Identifier: Apache-2.0
#include "ntlm/ntlm_crypto.h"

#include <chrono>
#include <cstring>

#include "crypto/crypto.h"
#include "ntlm/flags.h"
#include "util/bytes.h"
#include "util/utf16.h"

namespace ocs::ntlm {

namespace {

// MS-NLMP 3.4.5.2 / 3.4.5.3: the magic constants include their terminating NUL.
constexpr char kClientSign[] = "session key to client-to-server signing key magic constant";
constexpr char kServerSign[] = "session key to server-to-client signing key magic constant";
constexpr char kClientSeal[] = "session key to client-to-server sealing key magic constant";
constexpr char kServerSeal[] = "session key to server-to-client sealing key magic constant";

ByteSpan Magic(const char (&s)[59]) { return AsBytes(s, sizeof(s)); }

bool ToSecret(SecretBytes* out, crypto::Md5Digest* d) {
  *out = SecretBytes(ByteSpan(d->data(), d->size()));
  OPENSSL_cleanse(d->data(), d->size());
  return true;
}

}  // namespace

bool NtOwfV2(SecretBytes* out, ByteSpan nt_hash, std::u16string_view user,
             std::u16string_view domain) {
  const Bytes u = util::U16ToLE(util::UpperCase(user));
  const Bytes d = util::U16ToLE(domain);
  crypto::Md5Digest h;
  if (!crypto::HmacMd5(&h, nt_hash, {u, d})) return false;
  return ToSecret(out, &h);
}

bool NtProofStr(Digest16* out, ByteSpan response_key, ByteSpan server_challenge,
                ByteSpan temp) {
  return crypto::HmacMd5(out, response_key, {server_challenge, temp});
}

bool SessionBaseKeyV2(SecretBytes* out, ByteSpan response_key, ByteSpan nt_proof_str) {
  crypto::Md5Digest h;
  if (!crypto::HmacMd5(&h, response_key, {nt_proof_str})) return false;
  return ToSecret(out, &h);
}

bool LmV2Response(Bytes* out, ByteSpan response_key, ByteSpan server_challenge,
                  ByteSpan client_challenge) {
  crypto::Md5Digest h;
  if (!crypto::HmacMd5(&h, response_key, {server_challenge, client_challenge})) return false;
  Bytes r(h.begin(), h.end());
  r.insert(r.end(), client_challenge.begin(), client_challenge.end());
  *out = std::move(r);
  return true;
}

Bytes BuildTemp(uint64_t filetime, ByteSpan client_challenge, ByteSpan av_pairs) {
  util::ByteWriter w;
  // Unbounded writer: these writes cannot fail.
  (void)w.WriteU8(1);
  (void)w.WriteU8(1);
  (void)w.WriteZeros(6);
  (void)w.WriteU64(filetime);
  (void)w.WriteBytes(client_challenge);
  (void)w.WriteZeros(4);
  (void)w.WriteBytes(av_pairs);
  (void)w.WriteZeros(4);
  return w.Take();
}

bool SignKey(SecretBytes* out, ByteSpan exported_key, bool client_to_server) {
  crypto::Md5Digest h;
  if (!crypto::Md5(&h, {exported_key, Magic(client_to_server ? kClientSign : kServerSign)})) {
    return false;
  }
  return ToSecret(out, &h);
}

bool SealKey(SecretBytes* out, ByteSpan exported_key, uint32_t flags, bool client_to_server) {
  // MS-NLMP 3.4.5.3 with ESS: 128-bit uses the whole key, 56-bit the first 7 bytes, else 5.
  size_t n = 5;
  if ((flags & kNegotiate128) != 0) {
    n = 16;
  } else if ((flags & kNegotiate56) != 0) {
    n = 7;
  }
  if (exported_key.size() < n) return false;
  crypto::Md5Digest h;
  if (!crypto::Md5(&h, {exported_key.first(n),
                        Magic(client_to_server ? kClientSeal : kServerSeal)})) {
    return false;
  }
  return ToSecret(out, &h);
}

bool ComputeMic(Digest16* out, ByteSpan exported_key, ByteSpan negotiate, ByteSpan challenge,
                ByteSpan authenticate) {
  if (authenticate.size() < kMicOffset + 16) return false;
  static const std::byte kZero[16] = {};
  return crypto::HmacMd5(out, exported_key,
                         {negotiate, challenge, authenticate.first(kMicOffset),
                          ByteSpan(kZero, 16), authenticate.subspan(kMicOffset + 16)});
}

bool HashChannelBindings(Digest16* out, ByteSpan cb) {
  util::ByteReader r(cb);
  uint32_t v[8];
  for (uint32_t& x : v) {
    if (!r.ReadU32(&x)) return false;
  }
  // SEC_CHANNEL_BINDINGS: InitiatorAddrType, cbInitiatorLength, dwInitiatorOffset,
  // AcceptorAddrType, cbAcceptorLength, dwAcceptorOffset, cbApplicationDataLength,
  // dwApplicationDataOffset.
  auto region = [&cb](uint32_t len, uint32_t off, ByteSpan* s) {
    if (len == 0) {
      *s = ByteSpan();
      return true;
    }
    if (off > cb.size() || cb.size() - off < len) return false;
    *s = cb.subspan(off, len);
    return true;
  };
  ByteSpan init, acc, app;
  if (!region(v[1], v[2], &init) || !region(v[4], v[5], &acc) || !region(v[6], v[7], &app)) {
    return false;
  }
  std::byte hdr[4][4];
  util::StoreU32(hdr[0], v[0]);
  util::StoreU32(hdr[1], v[1]);
  util::StoreU32(hdr[2], v[3]);
  util::StoreU32(hdr[3], v[4]);
  std::byte app_len[4];
  util::StoreU32(app_len, v[6]);
  return crypto::Md5(out, {ByteSpan(hdr[0], 4), ByteSpan(hdr[1], 4), init, ByteSpan(hdr[2], 4),
                           ByteSpan(hdr[3], 4), acc, ByteSpan(app_len, 4), app});
}

uint64_t FileTimeNow() {
  using namespace std::chrono;
  // 11644473600 s between 1601-01-01 and 1970-01-01.
  const auto since_epoch =
      duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
  return static_cast<uint64_t>(since_epoch / 100) + 116444736000000000ULL;
}

}  // namespace ocs::ntlm
