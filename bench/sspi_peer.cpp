// SPDX-License-Identifier: Apache-2.0
#include "sspi_peer.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <utility>

namespace ocsbench {

Provider::~Provider() {
  if (dl_ != nullptr) dlclose(dl_);
}

std::unique_ptr<Provider> Provider::Load(const std::string& path, std::string* err) {
  void* dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (dl == nullptr) {
    *err = std::string("dlopen ") + path + ": " + dlerror();
    return nullptr;
  }
  using InitFn = PSecurityFunctionTableW (*)();
  auto init = reinterpret_cast<InitFn>(dlsym(dl, "InitSecurityInterfaceW"));
  if (init == nullptr || init() == nullptr) {
    *err = "no InitSecurityInterfaceW in " + path;
    dlclose(dl);
    return nullptr;
  }
  std::unique_ptr<Provider> p(new Provider());
  p->dl_ = dl;
  p->table_ = init();
  using InitAFn = PSecurityFunctionTableA (*)();
  if (auto init_a = reinterpret_cast<InitAFn>(dlsym(dl, "InitSecurityInterfaceA")))
    p->table_a_ = init_a();
  p->path_ = path;
  return p;
}

Credentials::~Credentials() {
  if (p == nullptr) return;
  if (have_client) p->t().FreeCredentialsHandle(&client);
  if (have_server) p->t().FreeCredentialsHandle(&server);
}

Contexts::Contexts(Contexts&& o) noexcept
    : p(o.p), client(o.client), server(o.server), have_client(o.have_client),
      have_server(o.have_server) {
  o.have_client = o.have_server = false;
}

void Contexts::Reset() {
  if (p == nullptr) return;
  if (have_client) p->t().DeleteSecurityContext(&client);
  if (have_server) p->t().DeleteSecurityContext(&server);
  have_client = have_server = false;
}

Contexts::~Contexts() { Reset(); }

std::string StatusName(SECURITY_STATUS s) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(s));
  return buf;
}

namespace {

SEC_WINNT_AUTH_IDENTITY_W Identity(const Account& a) {
  SEC_WINNT_AUTH_IDENTITY_W id{};
  id.User = reinterpret_cast<USHORT*>(const_cast<char16_t*>(a.user.c_str()));
  id.UserLength = static_cast<ULONG>(a.user.size());
  id.Domain = reinterpret_cast<USHORT*>(const_cast<char16_t*>(a.domain.c_str()));
  id.DomainLength = static_cast<ULONG>(a.domain.size());
  id.Password = reinterpret_cast<USHORT*>(const_cast<char16_t*>(a.password.c_str()));
  id.PasswordLength = static_cast<ULONG>(a.password.size());
  id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
  return id;
}

SEC_WCHAR* W(const std::u16string& s) {
  return reinterpret_cast<SEC_WCHAR*>(const_cast<char16_t*>(s.c_str()));
}

// Complete handles SEC_I_COMPLETE_NEEDED / SEC_I_COMPLETE_AND_CONTINUE the way an SSPI caller
// must (CompleteAuthToken, then carry on as SEC_E_OK / SEC_I_CONTINUE_NEEDED). WinPR's NTLM
// server asks for it; ours never does.
SECURITY_STATUS Complete(const Provider& p, CtxtHandle* h, SecBufferDesc* out,
                         SECURITY_STATUS st) {
  if (st != SEC_I_COMPLETE_NEEDED && st != SEC_I_COMPLETE_AND_CONTINUE) return st;
  const SECURITY_STATUS c = p.t().CompleteAuthToken(h, out);
  if (c != SEC_E_OK) return c;
  return st == SEC_I_COMPLETE_NEEDED ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
}

}  // namespace

bool AcquireBoth(const Provider& p, const Setup& s, const Account& a, Credentials* out,
                 std::string* err) {
  out->p = &p;
  TimeStamp ts{};
  SEC_WINNT_AUTH_IDENTITY_W id = Identity(a);
  std::u16string pkg = s.package;
  void* cad = s.client_auth_data != nullptr ? s.client_auth_data : &id;
  SECURITY_STATUS st = p.t().AcquireCredentialsHandleW(nullptr, W(pkg), SECPKG_CRED_OUTBOUND,
                                                       nullptr, cad, nullptr, nullptr,
                                                       &out->client, &ts);
  if (st != SEC_E_OK) {
    *err = "client AcquireCredentialsHandleW: " + StatusName(st);
    return false;
  }
  out->have_client = true;
  st = p.t().AcquireCredentialsHandleW(nullptr, W(pkg), SECPKG_CRED_INBOUND, nullptr,
                                       s.server_auth_data, nullptr, nullptr, &out->server, &ts);
  if (st != SEC_E_OK) {
    *err = "server AcquireCredentialsHandleW: " + StatusName(st);
    return false;
  }
  out->have_server = true;
  return true;
}

bool Handshake(const Provider& p, const Setup& s, Credentials& creds, Contexts* out,
               std::string* err) {
  out->Reset();
  out->p = &p;
  // Caller-supplied output buffers (no ALLOCATE_MEMORY): identical for both providers.
  static thread_local std::vector<unsigned char> cbuf(1 << 17), sbuf(1 << 17);
  std::vector<unsigned char> to_server, to_client;
  std::u16string target = s.target;
  bool client_done = false, server_done = false;
  for (int round = 0; round < 16; ++round) {
    if (!client_done) {
      SecBuffer in_b[2] = {{static_cast<ULONG>(to_client.size()), SECBUFFER_TOKEN,
                            to_client.data()},
                           {0, SECBUFFER_EMPTY, nullptr}};
      SecBufferDesc in{SECBUFFER_VERSION, 2, in_b};
      SecBuffer out_b{static_cast<ULONG>(cbuf.size()), SECBUFFER_TOKEN, cbuf.data()};
      SecBufferDesc outd{SECBUFFER_VERSION, 1, &out_b};
      ULONG attr = 0;
      TimeStamp ts{};
      SECURITY_STATUS st = p.t().InitializeSecurityContextW(
          &creds.client, out->have_client ? &out->client : nullptr, W(target), s.isc_req, 0,
          SECURITY_NATIVE_DREP, out->have_client ? &in : nullptr, 0, &out->client, &outd, &attr,
          &ts);
      st = Complete(p, &out->client, &outd, st);
      if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED) {
        *err = "client ISC round " + std::to_string(round) + ": " + StatusName(st);
        out->have_client = true;  // a handle may have been returned; delete it either way
        return false;
      }
      out->have_client = true;
      client_done = st == SEC_E_OK;
      to_server.assign(cbuf.data(), cbuf.data() + out_b.cbBuffer);
      to_client.clear();
      if (s.transcript != nullptr && !to_server.empty()) s.transcript->emplace_back(true, to_server);
    }
    if (server_done && client_done) return true;
    if (to_server.empty()) {
      if (client_done && server_done) return true;
      if (client_done) {
        *err = "client done, server not, and no token to send";
        return false;
      }
    }
    if (!to_server.empty() || !server_done) {
      if (server_done) {
        *err = "client sent a token after the server finished";
        return false;
      }
      SecBuffer in_b[2] = {{static_cast<ULONG>(to_server.size()), SECBUFFER_TOKEN,
                            to_server.data()},
                           {0, SECBUFFER_EMPTY, nullptr}};
      SecBufferDesc in{SECBUFFER_VERSION, 2, in_b};
      SecBuffer out_b{static_cast<ULONG>(sbuf.size()), SECBUFFER_TOKEN, sbuf.data()};
      SecBufferDesc outd{SECBUFFER_VERSION, 1, &out_b};
      ULONG attr = 0;
      TimeStamp ts{};
      const bool first = !out->have_server;
      SECURITY_STATUS st = p.t().AcceptSecurityContext(
          &creds.server, out->have_server ? &out->server : nullptr, &in, s.asc_req,
          SECURITY_NATIVE_DREP, &out->server, &outd, &attr, &ts);
      st = Complete(p, &out->server, &outd, st);
      if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED) {
        *err = "server ASC round " + std::to_string(round) + ": " + StatusName(st);
        out->have_server = !first;
        return false;
      }
      out->have_server = true;
      if (first && !s.sam_file.empty() && p.a() != nullptr &&
          p.a()->SetContextAttributesA != nullptr) {
        // FreeRDP's call: the SAM path as a NUL-terminated narrow string, A entry point.
        (void)p.a()->SetContextAttributesA(&out->server, SECPKG_ATTR_AUTH_NTLM_SAM_FILE,
                                           const_cast<char*>(s.sam_file.c_str()),
                                           static_cast<ULONG>(s.sam_file.size() + 1));
      }
      server_done = st == SEC_E_OK;
      to_client.assign(sbuf.data(), sbuf.data() + out_b.cbBuffer);
      to_server.clear();
      if (s.transcript != nullptr && !to_client.empty()) s.transcript->emplace_back(false, to_client);
      if (client_done && server_done && to_client.empty()) return true;
      if (client_done && !to_client.empty()) {
        *err = "server sent a token after the client finished";
        return false;
      }
    }
  }
  *err = "handshake did not finish in 16 rounds";
  return false;
}

}  // namespace ocsbench
