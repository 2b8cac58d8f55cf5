// sspi_testlib.h - shared test helpers for SSPI providers (header-only; link `ocs_testlib`,
// an INTERFACE target that also adds -ldl and the OCS_LIBRARY_PATH definition).
//
// API
//   const char* ocs::testlib::LibraryPath()
//       Path of the built libopencredssp: $OCS_LIBRARY_PATH if set, else the compile-time
//       OCS_LIBRARY_PATH (= $<TARGET_FILE:opencredssp>).
//   std::unique_ptr<Provider> ocs::testlib::LoadProvider(const char* path, std::string* err)
//       dlopen(path, RTLD_NOW | RTLD_LOCAL), resolve InitSecurityInterfaceW/A and call them.
//       Provider::w / Provider::a are the two tables; Provider::Sym(name) resolves any other
//       export. nullptr (and *err) on failure. The library stays loaded until process exit
//       (dlclose of a library that started OpenSSL threads is not worth the trouble).
//   HandshakeResult ocs::testlib::RunHandshake(const SecurityFunctionTableW* client_table,
//       CredHandle client_cred, const SecurityFunctionTableW* server_table,
//       CredHandle server_cred, const HandshakeOptions& opt)
//       Runs InitializeSecurityContextW on the client table and AcceptSecurityContextW on the
//       server table, passing tokens in memory, until both return SEC_E_OK or one fails.
//       Handles SEC_E_OK with a final token (the peer is called once more), SECBUFFER_EXTRA
//       (the unconsumed tail is fed again) and *_REQ_ALLOCATE_MEMORY (opt.allocate_memory).
//       The result holds every status, the tokens each side sent, the number of calls, and
//       both context handles (delete them with DeleteHandshakeContexts, or yourself).
//   void ocs::testlib::DeleteHandshakeContexts(HandshakeResult*, client_table, server_table)
//   std::vector<uint16_t> ocs::testlib::W(const char* ascii)
//       A NUL-terminated SEC_WCHAR string for W entry points: W("NTLM").data().
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <dlfcn.h>

#include <opencredssp/sspi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace ocs::testlib {

inline const char* LibraryPath() {
  const char* env = std::getenv("OCS_LIBRARY_PATH");
  if (env != nullptr && *env != '\0') return env;
#if defined(OCS_LIBRARY_PATH)
  return OCS_LIBRARY_PATH;
#else
  return "libopencredssp.so.0";
#endif
}

struct Provider {
  void* dl = nullptr;
  PSecurityFunctionTableW w = nullptr;
  PSecurityFunctionTableA a = nullptr;
  void* Sym(const char* name) const { return dlsym(dl, name); }
};

inline std::unique_ptr<Provider> LoadProvider(const char* path, std::string* err = nullptr) {
  auto p = std::make_unique<Provider>();
  p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (p->dl == nullptr) {
    if (err != nullptr) *err = dlerror();
    return nullptr;
  }
  auto init_w = reinterpret_cast<INIT_SECURITY_INTERFACE_W>(dlsym(p->dl, "InitSecurityInterfaceW"));
  auto init_a = reinterpret_cast<INIT_SECURITY_INTERFACE_A>(dlsym(p->dl, "InitSecurityInterfaceA"));
  if (init_w == nullptr || init_a == nullptr) {
    if (err != nullptr) *err = std::string("InitSecurityInterfaceW/A missing in ") + path;
    return nullptr;
  }
  p->w = init_w();
  p->a = init_a();
  if (p->w == nullptr || p->a == nullptr) {
    if (err != nullptr) *err = "InitSecurityInterface returned NULL";
    return nullptr;
  }
  return p;
}

inline std::vector<uint16_t> W(const char* ascii) {
  std::vector<uint16_t> out;
  for (const char* c = ascii; *c != '\0'; ++c) out.push_back(static_cast<uint8_t>(*c));
  out.push_back(0);
  return out;
}

using Bytes = std::vector<uint8_t>;

struct HandshakeOptions {
  std::vector<uint16_t> target;  // NUL-terminated pszTargetName; empty = NULL
  ULONG isc_req = ISC_REQ_CONNECTION | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY;
  ULONG asc_req = ASC_REQ_CONNECTION | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY;
  bool allocate_memory = false;  // adds ISC/ASC_REQ_ALLOCATE_MEMORY; frees with FreeContextBuffer
  Bytes channel_bindings;        // SEC_CHANNEL_BINDINGS + data, sent with every call if set
  ULONG max_token = 65536;       // output buffer size without allocate_memory
  int max_calls = 32;            // per side
};

struct HandshakeResult {
  SECURITY_STATUS client_status = SEC_E_INTERNAL_ERROR;  // last ISC status
  SECURITY_STATUS server_status = SEC_E_INTERNAL_ERROR;  // last ASC status
  std::vector<SECURITY_STATUS> client_statuses, server_statuses;
  std::vector<Bytes> client_tokens, server_tokens;  // tokens each side produced, in order
  int client_calls = 0, server_calls = 0;
  CtxtHandle client_ctx{}, server_ctx{};
  bool have_client_ctx = false, have_server_ctx = false;
  ULONG client_attrs = 0, server_attrs = 0;
  std::string error;  // harness-level failure (protocol stalled, too many calls)
  bool ok() const {
    return error.empty() && client_status == SEC_E_OK && server_status == SEC_E_OK;
  }
  int rounds() const { return client_calls + server_calls; }
};

namespace detail {

// One side's call: input token (+ optional channel bindings), output token, EXTRA tail.
struct Leg {
  Bytes out;
  Bytes extra;  // unconsumed input tail (SECBUFFER_EXTRA)
  SECURITY_STATUS st = SEC_E_INTERNAL_ERROR;
  ULONG attrs = 0;
};

template <typename Call>
Leg RunLeg(const SecurityFunctionTableW* t, const Bytes& in, bool have_input,
           const HandshakeOptions& opt, Call&& call) {
  Leg leg;
  Bytes in_copy = in;  // the package may not modify input, but keep the caller's bytes safe
  SecBuffer in_bufs[3] = {};
  ULONG n_in = 0;
  in_bufs[n_in++] = {static_cast<ULONG>(in_copy.size()), SECBUFFER_TOKEN,
                     in_copy.empty() ? nullptr : in_copy.data()};
  in_bufs[n_in++] = {0, SECBUFFER_EMPTY, nullptr};
  Bytes cb = opt.channel_bindings;
  if (!cb.empty()) {
    in_bufs[n_in++] = {static_cast<ULONG>(cb.size()), SECBUFFER_CHANNEL_BINDINGS, cb.data()};
  }
  SecBufferDesc in_desc = {SECBUFFER_VERSION, n_in, in_bufs};
  Bytes out_mem(opt.allocate_memory ? 0 : opt.max_token);
  SecBuffer out_buf = {opt.allocate_memory ? 0 : opt.max_token, SECBUFFER_TOKEN,
                       opt.allocate_memory ? nullptr : out_mem.data()};
  SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, &out_buf};
  leg.st = call(have_input || !cb.empty() ? &in_desc : nullptr, &out_desc, &leg.attrs);
  if (out_buf.cbBuffer > 0 && out_buf.pvBuffer != nullptr) {
    const auto* p = static_cast<const uint8_t*>(out_buf.pvBuffer);
    leg.out.assign(p, p + out_buf.cbBuffer);
  }
  if (opt.allocate_memory && out_buf.pvBuffer != nullptr) t->FreeContextBuffer(out_buf.pvBuffer);
  if ((in_bufs[1].BufferType & ~SECBUFFER_ATTRMASK) == SECBUFFER_EXTRA && in_bufs[1].cbBuffer > 0 &&
      in_bufs[1].cbBuffer <= in_copy.size()) {
    leg.extra.assign(in_copy.end() - in_bufs[1].cbBuffer, in_copy.end());
  }
  return leg;
}

}  // namespace detail

inline HandshakeResult RunHandshake(const SecurityFunctionTableW* ct, CredHandle client_cred,
                                    const SecurityFunctionTableW* st, CredHandle server_cred,
                                    const HandshakeOptions& opt = {}) {
  HandshakeResult r;
  const ULONG isc_req = opt.isc_req | (opt.allocate_memory ? ISC_REQ_ALLOCATE_MEMORY : 0);
  const ULONG asc_req = opt.asc_req | (opt.allocate_memory ? ASC_REQ_ALLOCATE_MEMORY : 0);
  std::vector<uint16_t> target = opt.target;
  Bytes to_server, to_client;
  bool client_done = false, server_done = false;
  bool client_first = true;

  auto client_call = [&](const Bytes& in) {
    detail::Leg leg = detail::RunLeg(ct, in, !client_first, opt,
        [&](PSecBufferDesc pin, PSecBufferDesc pout, ULONG* attrs) {
          CtxtHandle next{};
          SECURITY_STATUS s = ct->InitializeSecurityContextW(
              &client_cred, r.have_client_ctx ? &r.client_ctx : nullptr,
              target.empty() ? nullptr : target.data(), isc_req, 0, SECURITY_NATIVE_DREP, pin, 0,
              &next, pout, attrs, nullptr);
          if (!r.have_client_ctx && s >= 0) r.client_ctx = next, r.have_client_ctx = true;
          return s;
        });
    client_first = false;
    ++r.client_calls;
    r.client_status = leg.st;
    r.client_statuses.push_back(leg.st);
    r.client_attrs = leg.attrs;
    if (!leg.out.empty()) r.client_tokens.push_back(leg.out);
    return leg;
  };
  auto server_call = [&](const Bytes& in) {
    detail::Leg leg = detail::RunLeg(st, in, true, opt,
        [&](PSecBufferDesc pin, PSecBufferDesc pout, ULONG* attrs) {
          CtxtHandle next{};
          SECURITY_STATUS s = st->AcceptSecurityContext(
              &server_cred, r.have_server_ctx ? &r.server_ctx : nullptr, pin, asc_req,
              SECURITY_NATIVE_DREP, &next, pout, attrs, nullptr);
          if (!r.have_server_ctx && s >= 0) r.server_ctx = next, r.have_server_ctx = true;
          return s;
        });
    ++r.server_calls;
    r.server_status = leg.st;
    r.server_statuses.push_back(leg.st);
    r.server_attrs = leg.attrs;
    if (!leg.out.empty()) r.server_tokens.push_back(leg.out);
    return leg;
  };

  while (true) {
    if (r.client_calls > opt.max_calls || r.server_calls > opt.max_calls) {
      r.error = "too many calls";
      return r;
    }
    if (!client_done) {
      detail::Leg leg = client_call(to_client);
      to_client = leg.extra;
      if (leg.st < 0) return r;
      if (leg.st == SEC_E_OK) client_done = true;
      else if (leg.st != SEC_I_CONTINUE_NEEDED) {
        r.error = "unexpected client status";
        return r;
      }
      to_server.insert(to_server.end(), leg.out.begin(), leg.out.end());
    } else if (!to_client.empty()) {
      r.error = "server sent a token after the client finished";
      return r;
    }
    if (to_server.empty()) {
      if (client_done && server_done) return r;
      if (client_done) {
        r.error = "client finished but the server is still waiting";
        return r;
      }
      continue;  // the client continues without sending (bounded by max_calls)
    }
    if (server_done) {
      r.error = "client sent a token after the server finished";
      return r;
    }
    detail::Leg leg = server_call(to_server);
    to_server = leg.extra;
    if (leg.st < 0) return r;
    if (leg.st == SEC_E_OK) server_done = true;
    else if (leg.st != SEC_I_CONTINUE_NEEDED) {
      r.error = "unexpected server status";
      return r;
    }
    to_client.insert(to_client.end(), leg.out.begin(), leg.out.end());
    if (client_done && server_done && to_client.empty() && to_server.empty()) return r;
  }
}

inline void DeleteHandshakeContexts(HandshakeResult* r, const SecurityFunctionTableW* ct,
                                    const SecurityFunctionTableW* st) {
  if (r->have_client_ctx) ct->DeleteSecurityContext(&r->client_ctx);
  if (r->have_server_ctx) st->DeleteSecurityContext(&r->server_ctx);
  r->have_client_ctx = r->have_server_ctx = false;
}

}  // namespace ocs::testlib
