// exports.cpp - the SSPI entry points (the only extern "C" code of the library) and the two
// function tables InitSecurityInterfaceW/A return.
//
// Every entry point: (1) resolves handles through HandleTable, which refuses NULL, garbage,
// stale, freed and wrong-kind handles with SEC_E_INVALID_HANDLE; (2) checks pointers and
// SecBufferDescs; (3) calls the C++ package under the context's mutex; (4) runs inside
// Guard, so no exception crosses the boundary. Status choices are listed in docs/abi.md.
// SPDX-License-Identifier: Apache-2.0
#include <opencredssp/sspi.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "abi/boundary.h"
#include "abi/handles.h"
#include "abi/registry.h"
#include "core/context_buffer.h"
#include "core/identity.h"
#include "core/package.h"
#include "core/package_info.h"

namespace ocs::abi {
namespace {

// Credentials and contexts of this library do not expire; report "never" (the largest
// TimeStamp), as Windows' NTLM does for a password credential.
void SetNeverExpires(PTimeStamp ts) {
  if (ts != nullptr) ts->QuadPart = std::numeric_limits<LONGLONG>::max();
}

std::optional<std::u16string> ReadName(const void* s, CharWidth w) {
  return w == CharWidth::kWide ? ReadWide(static_cast<const SEC_WCHAR*>(s))
                               : ReadNarrow(static_cast<const SEC_CHAR*>(s));
}

// LookupPackage maps a caller's package name to a PackageId (case-insensitive).
std::optional<PackageId> LookupPackage(const void* name, CharWidth w) {
  auto n = ReadName(name, w);
  if (!n) return std::nullopt;
  return FindPackage(*n);
}

SECURITY_STATUS EnumeratePackages(ULONG* pcPackages, void** ppPackageInfo, CharWidth w) {
  if (pcPackages == nullptr || ppPackageInfo == nullptr) return SEC_E_INVALID_PARAMETER;
  PackageId ids[3];
  size_t n = 0;
  for (const auto& p : AllPackages()) ids[n++] = p.id;
  void* block = AllocPackageInfoArray(gsl::span<const PackageId>(ids, n), w);
  if (block == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
  *pcPackages = static_cast<ULONG>(n);
  *ppPackageInfo = block;
  return SEC_E_OK;
}

SECURITY_STATUS QueryPackageInfo(const void* name, void** ppPackageInfo, CharWidth w) {
  auto id = LookupPackage(name, w);
  if (!id) return SEC_E_SECPKG_NOT_FOUND;
  if (ppPackageInfo == nullptr) return SEC_E_INVALID_PARAMETER;
  void* block = AllocPackageInfo(*id, w);
  if (block == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
  *ppPackageInfo = block;
  return SEC_E_OK;
}

constexpr ULONG kKnownCredUse = SECPKG_CRED_BOTH | SECPKG_CRED_DEFAULT |
                                SECPKG_CRED_AUTOLOGON_RESTRICTED |
                                SECPKG_CRED_PROCESS_POLICY_ONLY;

SECURITY_STATUS AcquireCredentials(const void* principal, const void* package, ULONG use,
                                   void* auth_data, PCredHandle phCredential,
                                   PTimeStamp ptsExpiry, CharWidth w) {
  auto id = LookupPackage(package, w);
  if (!id) return SEC_E_SECPKG_NOT_FOUND;
  if (phCredential == nullptr) return SEC_E_INVALID_PARAMETER;
  if ((use & SECPKG_CRED_BOTH) == 0 || (use & ~kKnownCredUse) != 0) {
    return SEC_E_UNKNOWN_CREDENTIALS;
  }
  AcquireArgs args;
  args.use = use;
  args.width = w;
  args.auth_data = auth_data;
  if (principal != nullptr) {
    auto p = ReadName(principal, w);
    if (!p) return SEC_E_UNKNOWN_CREDENTIALS;
    args.principal = std::move(*p);
  }
  // NTLM and Negotiate take a SEC_WINNT_AUTH_IDENTITY_*; CredSSP parses its own CREDSSP_CRED.
  if (auth_data != nullptr && *id != PackageId::kCredSsp) {
    AuthIdentity identity;
    SECURITY_STATUS st = ParseAuthIdentity(auth_data, w, &identity);
    if (st != SEC_E_OK) return st;
    args.identity = std::move(identity);
  }
  std::shared_ptr<Credential> cred;
  SECURITY_STATUS st = GetPackage(*id).AcquireCredentials(args, &cred);
  if (st != SEC_E_OK) return st;
  if (cred == nullptr) return SEC_E_INTERNAL_ERROR;
  auto entry = std::make_shared<CredentialEntry>();
  entry->package = *id;
  entry->cred = std::move(cred);
  HandleTable::Get().Insert(std::move(entry), phCredential);
  SetNeverExpires(ptsExpiry);
  return SEC_E_OK;
}

// WriteOutputToken puts `token` into `buf` (the first SECBUFFER_TOKEN of pOutput): into the
// caller's memory, or a new context buffer when the caller asked *_REQ_ALLOCATE_MEMORY.
SECURITY_STATUS WriteOutputToken(const Bytes& token, bool allocate, SecBuffer* buf) {
  if (token.size() > std::numeric_limits<ULONG>::max()) return SEC_E_INTERNAL_ERROR;
  const auto len = static_cast<ULONG>(token.size());
  if (allocate) {
    buf->pvBuffer = nullptr;
    buf->cbBuffer = 0;
    if (len == 0) return SEC_E_OK;
    void* p = AllocContextBuffer(len);
    if (p == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
    std::memcpy(p, token.data(), len);
    buf->pvBuffer = p;
    buf->cbBuffer = len;
    return SEC_E_OK;
  }
  if (len > buf->cbBuffer) return SEC_E_BUFFER_TOO_SMALL;
  if (len > 0) std::memcpy(buf->pvBuffer, token.data(), len);
  buf->cbBuffer = len;
  return SEC_E_OK;
}

// MarkInputTail reports unconsumed (SECBUFFER_EXTRA) or missing (SECBUFFER_MISSING) bytes in
// the first SECBUFFER_EMPTY buffer of pInput, as Schannel does.
void MarkInputTail(PSecBufferDesc pInput, ULONG type, ULONG count) {
  if (pInput == nullptr || count == 0) return;
  SecBuffer* b = FindBuffer(pInput, SECBUFFER_EMPTY);
  if (b == nullptr) return;
  b->BufferType = type;
  b->cbBuffer = count;
  b->pvBuffer = nullptr;
}

struct StepArgs {
  Role role;
  PCredHandle phCredential;
  PCtxtHandle phContext;
  std::u16string target;
  ULONG req;
  PSecBufferDesc pInput;
  PCtxtHandle phNewContext;
  PSecBufferDesc pOutput;
  ULONG* pfContextAttr;
  PTimeStamp ptsExpiry;
};

// ContextStep is InitializeSecurityContext and AcceptSecurityContext after the strings are
// converted.
SECURITY_STATUS ContextStep(const StepArgs& a) {
  HandleTable& table = HandleTable::Get();
  std::shared_ptr<ContextEntry> entry;
  std::shared_ptr<CredentialEntry> cred;
  if (a.phContext == nullptr && a.phCredential == nullptr) return SEC_E_INVALID_HANDLE;
  if (a.phCredential != nullptr) {
    cred = table.FindCredential(a.phCredential);
    if (cred == nullptr) return SEC_E_INVALID_HANDLE;
  }
  if (a.phContext != nullptr) {
    entry = table.FindContext(a.phContext);
    // A server context passed to InitializeSecurityContext (or the reverse) is not a handle
    // this function knows.
    if (entry == nullptr || entry->role != a.role) return SEC_E_INVALID_HANDLE;
  }
  if (a.phNewContext == nullptr || a.pfContextAttr == nullptr) return SEC_E_INVALID_PARAMETER;
  const bool allocate = (a.req & ISC_REQ_ALLOCATE_MEMORY) != 0;  // == ASC_REQ_ALLOCATE_MEMORY
  if (a.pInput != nullptr && ValidateDesc(a.pInput) != SEC_E_OK) return SEC_E_INVALID_TOKEN;
  if (ValidateDesc(a.pOutput, allocate) != SEC_E_OK) return SEC_E_INVALID_TOKEN;
  SecBuffer* out_buf = FindBuffer(a.pOutput, SECBUFFER_TOKEN);
  if (out_buf == nullptr) return SEC_E_INVALID_TOKEN;

  StepIn in;
  in.req_flags = a.req;
  in.target_name = a.target;
  if (SecBuffer* t = FindBuffer(a.pInput, SECBUFFER_TOKEN); t != nullptr && t->cbBuffer > 0) {
    in.token = AsBytes(t->pvBuffer, t->cbBuffer);
  }
  if (SecBuffer* cb = FindBuffer(a.pInput, SECBUFFER_CHANNEL_BINDINGS); cb != nullptr) {
    if (!ValidateChannelBindings(*cb)) return SEC_E_INVALID_TOKEN;
    in.channel_bindings = AsBytes(cb->pvBuffer, cb->cbBuffer);
  }

  const bool first = entry == nullptr;
  if (first) {
    std::unique_ptr<Context> ctx;
    SECURITY_STATUS st = cred->cred->NewContext(a.role, &ctx);
    if (st != SEC_E_OK) return st;
    if (ctx == nullptr) return SEC_E_INTERNAL_ERROR;
    entry = std::make_shared<ContextEntry>();
    entry->package = cred->package;
    entry->role = a.role;
    entry->cred = cred->cred;
    entry->ctx = std::move(ctx);
  }

  StepOut out;
  SECURITY_STATUS st;
  {
    std::lock_guard<std::mutex> lock(entry->mu);
    if (entry->ctx == nullptr) return SEC_E_INVALID_HANDLE;
    st = entry->ctx->Step(in, &out);
  }
  // A token is handed back even with an error status: SPNEGO rejects and CredSSP error
  // TSRequests are meant for the peer.
  if (!out.token.empty() || Succeeded(st)) {
    SECURITY_STATUS wst = WriteOutputToken(out.token, allocate, out_buf);
    if (wst != SEC_E_OK) {
      st = wst;
    } else if (allocate && out_buf->pvBuffer != nullptr) {
      out.ret_flags |= ISC_RET_ALLOCATED_MEMORY;  // == ASC_RET_ALLOCATED_MEMORY
    }
  } else if (!allocate) {
    out_buf->cbBuffer = 0;
  }
  if (st == SEC_E_INCOMPLETE_MESSAGE) MarkInputTail(a.pInput, SECBUFFER_MISSING, out.missing);
  else if (Succeeded(st)) MarkInputTail(a.pInput, SECBUFFER_EXTRA, out.extra);
  *a.pfContextAttr = out.ret_flags;
  SetNeverExpires(a.ptsExpiry);
  // On a failed first call no handle exists (nothing for the caller to delete).
  if (first && Succeeded(st)) table.Insert(entry, a.phNewContext);
  else if (!first && a.phNewContext != a.phContext) *a.phNewContext = *a.phContext;
  return st;
}

// WithContext runs `f(ContextEntry&, Context&)` under the context's mutex after resolving
// the handle.
template <typename F>
SECURITY_STATUS WithContext(PCtxtHandle h, F&& f) {
  std::shared_ptr<ContextEntry> entry = HandleTable::Get().FindContext(h);
  if (entry == nullptr) return SEC_E_INVALID_HANDLE;
  std::lock_guard<std::mutex> lock(entry->mu);
  if (entry->ctx == nullptr) return SEC_E_INVALID_HANDLE;
  return f(*entry, *entry->ctx);
}

template <typename F>
SECURITY_STATUS MessageCall(PCtxtHandle h, PSecBufferDesc msg, F&& f) {
  std::shared_ptr<ContextEntry> entry = HandleTable::Get().FindContext(h);
  if (entry == nullptr) return SEC_E_INVALID_HANDLE;
  if (msg == nullptr) return SEC_E_INVALID_PARAMETER;
  if (ValidateDesc(msg) != SEC_E_OK) return SEC_E_INVALID_TOKEN;
  gsl::span<SecBuffer> bufs(msg->pBuffers, msg->cBuffers);
  std::lock_guard<std::mutex> lock(entry->mu);
  if (entry->ctx == nullptr) return SEC_E_INVALID_HANDLE;
  return f(*entry->ctx, bufs);
}

// Sizes of the top-level structures of the attributes we know, for the *Ex forms (which
// tell us the caller's buffer size). 0 = unknown attribute.
size_t ContextAttrSize(ULONG attr, CharWidth w) {
  const bool wide = w == CharWidth::kWide;
  switch (attr) {
    case SECPKG_ATTR_SIZES: return sizeof(SecPkgContext_Sizes);
    case SECPKG_ATTR_NAMES: return wide ? sizeof(SecPkgContext_NamesW) : sizeof(SecPkgContext_NamesA);
    case SECPKG_ATTR_LIFESPAN: return sizeof(SecPkgContext_Lifespan);
    case SECPKG_ATTR_STREAM_SIZES: return sizeof(SecPkgContext_StreamSizes);
    case SECPKG_ATTR_SESSION_KEY: return sizeof(SecPkgContext_SessionKey);
    case SECPKG_ATTR_PACKAGE_INFO:
    case SECPKG_ATTR_NEGOTIATION_PACKAGE:
      return wide ? sizeof(SecPkgContext_PackageInfoW) : sizeof(SecPkgContext_PackageInfoA);
    case SECPKG_ATTR_NEGOTIATION_INFO:
      return wide ? sizeof(SecPkgContext_NegotiationInfoW) : sizeof(SecPkgContext_NegotiationInfoA);
    case SECPKG_ATTR_NATIVE_NAMES:
      return wide ? sizeof(SecPkgContext_NativeNamesW) : sizeof(SecPkgContext_NativeNamesA);
    case SECPKG_ATTR_FLAGS:
    case SECPKG_ATTR_SERVER_AUTH_FLAGS:
      return sizeof(SecPkgContext_Flags);
    case SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS: return sizeof(SecPkgContext_LastClientTokenStatus);
    case SECPKG_ATTR_CREDS: return sizeof(SecPkgContext_ClientCreds);
    case SECPKG_ATTR_ENDPOINT_BINDINGS:
    case SECPKG_ATTR_UNIQUE_BINDINGS:
      return sizeof(SecPkgContext_Bindings);
    default: return 0;
  }
}

size_t CredentialAttrSize(ULONG attr, CharWidth w) {
  if (attr == SECPKG_CRED_ATTR_NAMES) {
    return w == CharWidth::kWide ? sizeof(SecPkgCredentials_NamesW)
                                 : sizeof(SecPkgCredentials_NamesA);
  }
  return 0;
}

SECURITY_STATUS QueryContextAttr(PCtxtHandle h, ULONG attr, void* buf, CharWidth w) {
  return WithContext(h, [&](ContextEntry& e, Context& c) -> SECURITY_STATUS {
    if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
    SECURITY_STATUS st = c.QueryAttribute(attr, buf, w);
    // Every context can say which package it belongs to, whatever the package implements.
    if (st == SEC_E_UNSUPPORTED_FUNCTION && attr == SECPKG_ATTR_PACKAGE_INFO) {
      void* info = AllocPackageInfo(e.package, w);
      if (info == nullptr) return SEC_E_INSUFFICIENT_MEMORY;
      std::memcpy(buf, &info, sizeof info);  // PackageInfo is the only member of both forms
      return SEC_E_OK;
    }
    return st;
  });
}

SECURITY_STATUS QueryContextAttrEx(PCtxtHandle h, ULONG attr, void* buf, ULONG len, CharWidth w) {
  if (HandleTable::Get().FindContext(h) == nullptr) return SEC_E_INVALID_HANDLE;
  if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
  const size_t need = ContextAttrSize(attr, w);
  if (need == 0) return SEC_E_UNSUPPORTED_FUNCTION;
  if (len < need) return SEC_E_BUFFER_TOO_SMALL;
  return QueryContextAttr(h, attr, buf, w);
}

SECURITY_STATUS SetContextAttr(PCtxtHandle h, ULONG attr, void* buf, ULONG len, CharWidth w) {
  return WithContext(h, [&](ContextEntry&, Context& c) -> SECURITY_STATUS {
    if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
    return c.SetAttribute(attr, buf, len, w);
  });
}

SECURITY_STATUS QueryCredAttr(PCredHandle h, ULONG attr, void* buf, CharWidth w) {
  auto cred = HandleTable::Get().FindCredential(h);
  if (cred == nullptr) return SEC_E_INVALID_HANDLE;
  if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
  return cred->cred->QueryAttribute(attr, buf, w);
}

SECURITY_STATUS QueryCredAttrEx(PCredHandle h, ULONG attr, void* buf, ULONG len, CharWidth w) {
  if (HandleTable::Get().FindCredential(h) == nullptr) return SEC_E_INVALID_HANDLE;
  if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
  const size_t need = CredentialAttrSize(attr, w);
  if (need == 0) return SEC_E_UNSUPPORTED_FUNCTION;
  if (len < need) return SEC_E_BUFFER_TOO_SMALL;
  return QueryCredAttr(h, attr, buf, w);
}

SECURITY_STATUS SetCredAttr(PCredHandle h, ULONG attr, void* buf, ULONG len, CharWidth w) {
  auto cred = HandleTable::Get().FindCredential(h);
  if (cred == nullptr) return SEC_E_INVALID_HANDLE;
  if (buf == nullptr) return SEC_E_INVALID_PARAMETER;
  return cred->cred->SetAttribute(attr, buf, len, w);
}

SECURITY_STATUS ImportContext(const void* package, PSecBuffer packed, PCtxtHandle h, CharWidth w) {
  if (!LookupPackage(package, w)) return SEC_E_SECPKG_NOT_FOUND;
  if (packed == nullptr || h == nullptr) return SEC_E_INVALID_PARAMETER;
  if (packed->cbBuffer > 0 && packed->pvBuffer == nullptr) return SEC_E_INVALID_TOKEN;
  // No package of this library serialises a context (there is no LSA to hand it to).
  return SEC_E_UNSUPPORTED_FUNCTION;
}

SECURITY_STATUS AddCreds(PCredHandle h, const void* package, ULONG use, CharWidth w) {
  if (HandleTable::Get().FindCredential(h) == nullptr) return SEC_E_INVALID_HANDLE;
  if (!LookupPackage(package, w)) return SEC_E_SECPKG_NOT_FOUND;
  if ((use & SECPKG_CRED_BOTH) == 0 || (use & ~kKnownCredUse) != 0) {
    return SEC_E_UNKNOWN_CREDENTIALS;
  }
  // Credentials cannot be combined: each AcquireCredentialsHandle makes one.
  return SEC_E_UNSUPPORTED_FUNCTION;
}

SECURITY_STATUS ChangePassword(const void* package, const void* domain, const void* account,
                               const void* old_pw, const void* new_pw, PSecBufferDesc out,
                               CharWidth w) {
  if (!LookupPackage(package, w)) return SEC_E_SECPKG_NOT_FOUND;
  if (domain == nullptr || account == nullptr || old_pw == nullptr || new_pw == nullptr ||
      out == nullptr) {
    return SEC_E_INVALID_PARAMETER;
  }
  if (ValidateDesc(out) != SEC_E_OK) return SEC_E_INVALID_TOKEN;
  // Changing a domain password needs a domain controller; this library has none.
  return SEC_E_UNSUPPORTED_FUNCTION;
}

SECURITY_STATUS FreeBuffer(void* p) {
  // FreeContextBuffer(NULL) is a no-op, as free(NULL).
  if (p == nullptr) return SEC_E_OK;
  return FreeContextBufferTracked(p) ? SEC_E_OK : SEC_E_INVALID_HANDLE;
}

}  // namespace
}  // namespace ocs::abi

using ocs::CharWidth;
using ocs::Role;
using ocs::abi::Guard;
using ocs::abi::HandleTable;

extern "C" {

SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesW(ULONG* pcPackages, PSecPkgInfoW* ppPackageInfo) {
  return Guard(__func__, [&] {
    return ocs::abi::EnumeratePackages(pcPackages, reinterpret_cast<void**>(ppPackageInfo),
                                       CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesA(ULONG* pcPackages, PSecPkgInfoA* ppPackageInfo) {
  return Guard(__func__, [&] {
    return ocs::abi::EnumeratePackages(pcPackages, reinterpret_cast<void**>(ppPackageInfo),
                                       CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoW(SEC_WCHAR* pszPackageName,
                                                    PSecPkgInfoW* ppPackageInfo) {
  return Guard(__func__, [&] {
    return ocs::abi::QueryPackageInfo(pszPackageName, reinterpret_cast<void**>(ppPackageInfo),
                                      CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoA(SEC_CHAR* pszPackageName,
                                                    PSecPkgInfoA* ppPackageInfo) {
  return Guard(__func__, [&] {
    return ocs::abi::QueryPackageInfo(pszPackageName, reinterpret_cast<void**>(ppPackageInfo),
                                      CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleW(SEC_WCHAR* pszPrincipal, SEC_WCHAR* pszPackage,
                                                    ULONG fCredentialUse, void* /*pvLogonId*/,
                                                    void* pAuthData, SEC_GET_KEY_FN /*pGetKeyFn*/,
                                                    void* /*pvGetKeyArgument*/,
                                                    PCredHandle phCredential, PTimeStamp ptsExpiry) {
  return Guard(__func__, [&] {
    return ocs::abi::AcquireCredentials(pszPrincipal, pszPackage, fCredentialUse, pAuthData,
                                        phCredential, ptsExpiry, CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleA(SEC_CHAR* pszPrincipal, SEC_CHAR* pszPackage,
                                                    ULONG fCredentialUse, void* /*pvLogonId*/,
                                                    void* pAuthData, SEC_GET_KEY_FN /*pGetKeyFn*/,
                                                    void* /*pvGetKeyArgument*/,
                                                    PCredHandle phCredential, PTimeStamp ptsExpiry) {
  return Guard(__func__, [&] {
    return ocs::abi::AcquireCredentials(pszPrincipal, pszPackage, fCredentialUse, pAuthData,
                                        phCredential, ptsExpiry, CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY FreeCredentialsHandle(PCredHandle phCredential) {
  return Guard(__func__, [&] {
    return HandleTable::Get().RemoveCredential(phCredential) ? SEC_E_OK : SEC_E_INVALID_HANDLE;
  });
}

SECURITY_STATUS SEC_ENTRY InitializeSecurityContextW(
    PCredHandle phCredential, PCtxtHandle phContext, SEC_WCHAR* pszTargetName, ULONG fContextReq,
    ULONG /*Reserved1*/, ULONG /*TargetDataRep*/, PSecBufferDesc pInput, ULONG /*Reserved2*/,
    PCtxtHandle phNewContext, PSecBufferDesc pOutput, ULONG* pfContextAttr, PTimeStamp ptsExpiry) {
  return Guard(__func__, [&]() -> SECURITY_STATUS {
    std::u16string target;
    if (pszTargetName != nullptr) {
      auto t = ocs::abi::ReadWide(pszTargetName);
      if (!t) return SEC_E_TARGET_UNKNOWN;
      target = std::move(*t);
    }
    return ocs::abi::ContextStep({Role::kClient, phCredential, phContext, std::move(target),
                                  fContextReq, pInput, phNewContext, pOutput, pfContextAttr,
                                  ptsExpiry});
  });
}

SECURITY_STATUS SEC_ENTRY InitializeSecurityContextA(
    PCredHandle phCredential, PCtxtHandle phContext, SEC_CHAR* pszTargetName, ULONG fContextReq,
    ULONG /*Reserved1*/, ULONG /*TargetDataRep*/, PSecBufferDesc pInput, ULONG /*Reserved2*/,
    PCtxtHandle phNewContext, PSecBufferDesc pOutput, ULONG* pfContextAttr, PTimeStamp ptsExpiry) {
  return Guard(__func__, [&]() -> SECURITY_STATUS {
    std::u16string target;
    if (pszTargetName != nullptr) {
      auto t = ocs::abi::ReadNarrow(pszTargetName);
      if (!t) return SEC_E_TARGET_UNKNOWN;
      target = std::move(*t);
    }
    return ocs::abi::ContextStep({Role::kClient, phCredential, phContext, std::move(target),
                                  fContextReq, pInput, phNewContext, pOutput, pfContextAttr,
                                  ptsExpiry});
  });
}

SECURITY_STATUS SEC_ENTRY AcceptSecurityContext(PCredHandle phCredential, PCtxtHandle phContext,
                                                PSecBufferDesc pInput, ULONG fContextReq,
                                                ULONG /*TargetDataRep*/, PCtxtHandle phNewContext,
                                                PSecBufferDesc pOutput, ULONG* pfContextAttr,
                                                PTimeStamp ptsExpiry) {
  return Guard(__func__, [&] {
    return ocs::abi::ContextStep({Role::kServer, phCredential, phContext, std::u16string(),
                                  fContextReq, pInput, phNewContext, pOutput, pfContextAttr,
                                  ptsExpiry});
  });
}

SECURITY_STATUS SEC_ENTRY CompleteAuthToken(PCtxtHandle phContext, PSecBufferDesc pToken) {
  return Guard(__func__, [&] {
    return ocs::abi::WithContext(phContext, [&](ocs::abi::ContextEntry& e, ocs::Context&) {
      if (pToken == nullptr) return SEC_E_INVALID_PARAMETER;
      if (ocs::abi::ValidateDesc(pToken) != SEC_E_OK) return SEC_E_INVALID_TOKEN;
      // No package here returns SEC_I_COMPLETE_NEEDED, so there is never anything to
      // complete: NTLM and Negotiate accept the call as a no-op (docs/abi.md).
      if (e.package == ocs::PackageId::kCredSsp) return SEC_E_UNSUPPORTED_FUNCTION;
      return SEC_E_OK;
    });
  });
}

SECURITY_STATUS SEC_ENTRY DeleteSecurityContext(PCtxtHandle phContext) {
  return Guard(__func__, [&] {
    return HandleTable::Get().RemoveContext(phContext) ? SEC_E_OK : SEC_E_INVALID_HANDLE;
  });
}

SECURITY_STATUS SEC_ENTRY ApplyControlToken(PCtxtHandle phContext, PSecBufferDesc pInput) {
  return Guard(__func__, [&] {
    return ocs::abi::WithContext(phContext, [&](ocs::abi::ContextEntry&, ocs::Context&) {
      if (pInput == nullptr) return SEC_E_INVALID_PARAMETER;
      if (ocs::abi::ValidateDesc(pInput) != SEC_E_OK) return SEC_E_INVALID_TOKEN;
      // Schannel shutdown/alert tokens are the only documented use; none of ours takes one.
      return SEC_E_UNSUPPORTED_FUNCTION;
    });
  });
}

SECURITY_STATUS SEC_ENTRY QueryContextAttributesW(PCtxtHandle phContext, ULONG ulAttribute,
                                                  void* pBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::QueryContextAttr(phContext, ulAttribute, pBuffer, CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY QueryContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute,
                                                  void* pBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::QueryContextAttr(phContext, ulAttribute, pBuffer, CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY SetContextAttributesW(PCtxtHandle phContext, ULONG ulAttribute,
                                                void* pBuffer, ULONG cbBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::SetContextAttr(phContext, ulAttribute, pBuffer, cbBuffer, CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY SetContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute,
                                                void* pBuffer, ULONG cbBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::SetContextAttr(phContext, ulAttribute, pBuffer, cbBuffer, CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute,
                                                      void* pBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::QueryCredAttr(phCredential, ulAttribute, pBuffer, CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                      void* pBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::QueryCredAttr(phCredential, ulAttribute, pBuffer, CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute,
                                                    void* pBuffer, ULONG cbBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::SetCredAttr(phCredential, ulAttribute, pBuffer, cbBuffer, CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                    void* pBuffer, ULONG cbBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::SetCredAttr(phCredential, ulAttribute, pBuffer, cbBuffer, CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY ImpersonateSecurityContext(PCtxtHandle phContext) {
  return Guard(__func__, [&] {
    return ocs::abi::WithContext(
        phContext, [](ocs::abi::ContextEntry&, ocs::Context& c) { return c.Impersonate(); });
  });
}

SECURITY_STATUS SEC_ENTRY RevertSecurityContext(PCtxtHandle phContext) {
  return Guard(__func__, [&] {
    return ocs::abi::WithContext(
        phContext, [](ocs::abi::ContextEntry&, ocs::Context& c) { return c.Revert(); });
  });
}

SECURITY_STATUS SEC_ENTRY MakeSignature(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                        ULONG MessageSeqNo) {
  return Guard(__func__, [&] {
    return ocs::abi::MessageCall(phContext, pMessage, [&](ocs::Context& c, gsl::span<SecBuffer> m) {
      return c.MakeSignature(fQOP, m, MessageSeqNo);
    });
  });
}

SECURITY_STATUS SEC_ENTRY VerifySignature(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                          ULONG MessageSeqNo, ULONG* pfQOP) {
  return Guard(__func__, [&] {
    return ocs::abi::MessageCall(phContext, pMessage, [&](ocs::Context& c, gsl::span<SecBuffer> m) {
      ULONG qop = 0;  // pfQOP is optional
      SECURITY_STATUS st = c.VerifySignature(m, MessageSeqNo, &qop);
      if (pfQOP != nullptr) *pfQOP = qop;
      return st;
    });
  });
}

SECURITY_STATUS SEC_ENTRY EncryptMessage(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                         ULONG MessageSeqNo) {
  return Guard(__func__, [&] {
    return ocs::abi::MessageCall(phContext, pMessage, [&](ocs::Context& c, gsl::span<SecBuffer> m) {
      return c.Encrypt(fQOP, m, MessageSeqNo);
    });
  });
}

SECURITY_STATUS SEC_ENTRY DecryptMessage(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                         ULONG MessageSeqNo, ULONG* pfQOP) {
  return Guard(__func__, [&] {
    return ocs::abi::MessageCall(phContext, pMessage, [&](ocs::Context& c, gsl::span<SecBuffer> m) {
      ULONG qop = 0;  // pfQOP is optional
      SECURITY_STATUS st = c.Decrypt(m, MessageSeqNo, &qop);
      if (pfQOP != nullptr) *pfQOP = qop;
      return st;
    });
  });
}

SECURITY_STATUS SEC_ENTRY FreeContextBuffer(void* pvContextBuffer) {
  return Guard(__func__, [&] { return ocs::abi::FreeBuffer(pvContextBuffer); });
}

SECURITY_STATUS SEC_ENTRY ExportSecurityContext(PCtxtHandle phContext, ULONG /*fFlags*/,
                                                PSecBuffer pPackedContext, void** /*pToken*/) {
  return Guard(__func__, [&] {
    return ocs::abi::WithContext(phContext, [&](ocs::abi::ContextEntry&, ocs::Context&) {
      if (pPackedContext == nullptr) return SEC_E_INVALID_PARAMETER;
      // No package of this library serialises a context (there is no LSA to hand it to).
      return SEC_E_UNSUPPORTED_FUNCTION;
    });
  });
}

SECURITY_STATUS SEC_ENTRY ImportSecurityContextW(SEC_WCHAR* pszPackage, PSecBuffer pPackedContext,
                                                 void* /*Token*/, PCtxtHandle phContext) {
  return Guard(__func__, [&] {
    return ocs::abi::ImportContext(pszPackage, pPackedContext, phContext, CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY ImportSecurityContextA(SEC_CHAR* pszPackage, PSecBuffer pPackedContext,
                                                 void* /*Token*/, PCtxtHandle phContext) {
  return Guard(__func__, [&] {
    return ocs::abi::ImportContext(pszPackage, pPackedContext, phContext, CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY AddCredentialsW(PCredHandle hCredentials, SEC_WCHAR* /*pszPrincipal*/,
                                          SEC_WCHAR* pszPackage, ULONG fCredentialUse,
                                          void* /*pAuthData*/, SEC_GET_KEY_FN /*pGetKeyFn*/,
                                          void* /*pvGetKeyArgument*/, PTimeStamp /*ptsExpiry*/) {
  return Guard(__func__, [&] {
    return ocs::abi::AddCreds(hCredentials, pszPackage, fCredentialUse, CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY AddCredentialsA(PCredHandle hCredentials, SEC_CHAR* /*pszPrincipal*/,
                                          SEC_CHAR* pszPackage, ULONG fCredentialUse,
                                          void* /*pAuthData*/, SEC_GET_KEY_FN /*pGetKeyFn*/,
                                          void* /*pvGetKeyArgument*/, PTimeStamp /*ptsExpiry*/) {
  return Guard(__func__, [&] {
    return ocs::abi::AddCreds(hCredentials, pszPackage, fCredentialUse, CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY QuerySecurityContextToken(PCtxtHandle phContext, HANDLE* Token) {
  return Guard(__func__, [&] {
    return ocs::abi::WithContext(phContext, [&](ocs::abi::ContextEntry&, ocs::Context&) {
      if (Token == nullptr) return SEC_E_INVALID_PARAMETER;
      // There is no Windows access token on this platform.
      return SEC_E_UNSUPPORTED_FUNCTION;
    });
  });
}

SECURITY_STATUS SEC_ENTRY ChangeAccountPasswordW(SEC_WCHAR* pszPackageName, SEC_WCHAR* pszDomainName,
                                                 SEC_WCHAR* pszAccountName, SEC_WCHAR* pszOldPassword,
                                                 SEC_WCHAR* pszNewPassword, BOOLEAN /*bImpersonating*/,
                                                 ULONG /*dwReserved*/, PSecBufferDesc pOutput) {
  return Guard(__func__, [&] {
    return ocs::abi::ChangePassword(pszPackageName, pszDomainName, pszAccountName, pszOldPassword,
                                    pszNewPassword, pOutput, CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY ChangeAccountPasswordA(SEC_CHAR* pszPackageName, SEC_CHAR* pszDomainName,
                                                 SEC_CHAR* pszAccountName, SEC_CHAR* pszOldPassword,
                                                 SEC_CHAR* pszNewPassword, BOOLEAN /*bImpersonating*/,
                                                 ULONG /*dwReserved*/, PSecBufferDesc pOutput) {
  return Guard(__func__, [&] {
    return ocs::abi::ChangePassword(pszPackageName, pszDomainName, pszAccountName, pszOldPassword,
                                    pszNewPassword, pOutput, CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY QueryContextAttributesExW(PCtxtHandle phContext, ULONG ulAttribute,
                                                    void* pBuffer, ULONG cbBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::QueryContextAttrEx(phContext, ulAttribute, pBuffer, cbBuffer, CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY QueryContextAttributesExA(PCtxtHandle phContext, ULONG ulAttribute,
                                                    void* pBuffer, ULONG cbBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::QueryContextAttrEx(phContext, ulAttribute, pBuffer, cbBuffer, CharWidth::kAnsi);
  });
}

SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesExW(PCredHandle phCredential, ULONG ulAttribute,
                                                        void* pBuffer, ULONG cbBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::QueryCredAttrEx(phCredential, ulAttribute, pBuffer, cbBuffer, CharWidth::kWide);
  });
}

SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesExA(PCredHandle phCredential, ULONG ulAttribute,
                                                        void* pBuffer, ULONG cbBuffer) {
  return Guard(__func__, [&] {
    return ocs::abi::QueryCredAttrEx(phCredential, ulAttribute, pBuffer, cbBuffer, CharWidth::kAnsi);
  });
}

// The tables, in Windows' slot order (sspi-abi.md §2). Reserved slots stay NULL; slots 30/31
// are filled, hence interface version 5.
static SecurityFunctionTableW g_table_w = {
    SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5,
    EnumerateSecurityPackagesW,
    QueryCredentialsAttributesW,
    AcquireCredentialsHandleW,
    FreeCredentialsHandle,
    nullptr,  // Reserved2
    InitializeSecurityContextW,
    AcceptSecurityContext,
    CompleteAuthToken,
    DeleteSecurityContext,
    ApplyControlToken,
    QueryContextAttributesW,
    ImpersonateSecurityContext,
    RevertSecurityContext,
    MakeSignature,
    VerifySignature,
    FreeContextBuffer,
    QuerySecurityPackageInfoW,
    nullptr,  // Reserved3
    nullptr,  // Reserved4
    ExportSecurityContext,
    ImportSecurityContextW,
    AddCredentialsW,
    nullptr,  // Reserved8
    QuerySecurityContextToken,
    EncryptMessage,
    DecryptMessage,
    SetContextAttributesW,
    SetCredentialsAttributesW,
    ChangeAccountPasswordW,
    QueryContextAttributesExW,
    QueryCredentialsAttributesExW,
};

static SecurityFunctionTableA g_table_a = {
    SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5,
    EnumerateSecurityPackagesA,
    QueryCredentialsAttributesA,
    AcquireCredentialsHandleA,
    FreeCredentialsHandle,
    nullptr,  // Reserved2
    InitializeSecurityContextA,
    AcceptSecurityContext,
    CompleteAuthToken,
    DeleteSecurityContext,
    ApplyControlToken,
    QueryContextAttributesA,
    ImpersonateSecurityContext,
    RevertSecurityContext,
    MakeSignature,
    VerifySignature,
    FreeContextBuffer,
    QuerySecurityPackageInfoA,
    nullptr,  // Reserved3
    nullptr,  // Reserved4
    ExportSecurityContext,
    ImportSecurityContextA,
    AddCredentialsA,
    nullptr,  // Reserved8
    QuerySecurityContextToken,
    EncryptMessage,
    DecryptMessage,
    SetContextAttributesA,
    SetCredentialsAttributesA,
    ChangeAccountPasswordA,
    QueryContextAttributesExA,
    QueryCredentialsAttributesExA,
};

PSecurityFunctionTableW SEC_ENTRY InitSecurityInterfaceW(void) { return &g_table_w; }
PSecurityFunctionTableA SEC_ENTRY InitSecurityInterfaceA(void) { return &g_table_a; }

}  // extern "C"
