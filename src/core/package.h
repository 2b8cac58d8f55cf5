// package.h - the internal C++ interface between the C ABI shim (src/abi) and the security
// packages (src/ntlm, src/spnego, src/credssp). Only C types cross the public boundary; inside,
// the shim validates every handle, pointer and buffer descriptor, then calls these classes.
//
// Ownership: the shim owns Credentials and Contexts through std::shared_ptr held in the handle
// registry. A Context keeps a shared_ptr to its Credential. Packages never see SecHandles.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/identity.h"
#include "core/types.h"

namespace ocs {

// StepIn is one InitializeSecurityContext / AcceptSecurityContext call's input, already
// validated by the shim: `token` is the first SECBUFFER_TOKEN of pInput (empty when pInput is
// NULL or has none); `channel_bindings` is the content of a SECBUFFER_CHANNEL_BINDINGS buffer
// (a SEC_CHANNEL_BINDINGS header followed by its data; empty if absent).
struct StepIn {
  ByteSpan token;
  ByteSpan channel_bindings;
  ULONG req_flags = 0;              // ISC_REQ_* or ASC_REQ_*
  std::u16string_view target_name;  // ISC only (pszTargetName), may be empty
};

// StepOut is what the shim turns back into SecBuffers: `token` goes to the first
// SECBUFFER_TOKEN of pOutput (caller's buffer, or allocated with *_REQ_ALLOCATE_MEMORY);
// `extra` > 0 marks the last `extra` bytes of the input token as unconsumed
// (SECBUFFER_EXTRA in pInput); `missing` > 0 with SEC_E_INCOMPLETE_MESSAGE says how many more
// bytes are needed (SECBUFFER_MISSING in pInput).
struct StepOut {
  Bytes token;
  ULONG ret_flags = 0;  // ISC_RET_* or ASC_RET_*
  ULONG extra = 0;
  ULONG missing = 0;
};

class Credential;

// Context is one security context (client or server side) of one package.
// Contexts are not thread-safe (as in Windows): the shim serialises calls on one handle.
class Context {
 public:
  virtual ~Context() = default;

  // Step runs one ISC/ASC call. Returns SEC_I_CONTINUE_NEEDED, SEC_E_OK (possibly with a final
  // token to send), SEC_E_INCOMPLETE_MESSAGE, or an error; after an error the context is dead
  // and every later call returns an error.
  virtual SECURITY_STATUS Step(const StepIn& in, StepOut* out) = 0;

  // QueryAttribute fills `buf` (caller-allocated top-level struct; variable-size members come
  // from AllocContextBuffer). Unknown attribute: SEC_E_UNSUPPORTED_FUNCTION.
  virtual SECURITY_STATUS QueryAttribute(ULONG attr, void* buf, CharWidth width) = 0;
  virtual SECURITY_STATUS SetAttribute(ULONG attr, const void* buf, ULONG len, CharWidth width) {
    (void)attr, (void)buf, (void)len, (void)width;
    return SEC_E_UNSUPPORTED_FUNCTION;
  }

  // Per-message functions. `msg` is the caller's validated buffer array (pBuffers, cBuffers);
  // buffers are found by type (BufferType & ~SECBUFFER_ATTRMASK) and rewritten in place.
  virtual SECURITY_STATUS MakeSignature(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) = 0;
  virtual SECURITY_STATUS VerifySignature(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) = 0;
  virtual SECURITY_STATUS Encrypt(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) = 0;
  virtual SECURITY_STATUS Decrypt(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) = 0;

  // Impersonate / Revert: there is no Windows token on Linux; a completed server context
  // answers SEC_E_OK (FreeRDP requires it), anything else SEC_E_NO_IMPERSONATION.
  virtual SECURITY_STATUS Impersonate() { return IsComplete() ? SEC_E_OK : SEC_E_NO_IMPERSONATION; }
  virtual SECURITY_STATUS Revert() { return IsComplete() ? SEC_E_OK : SEC_E_NO_IMPERSONATION; }

  virtual bool IsComplete() const = 0;
  virtual PackageId package() const = 0;
};

// AcquireArgs is AcquireCredentialsHandle's input, parsed by the shim.
struct AcquireArgs {
  ULONG use = 0;                         // SECPKG_CRED_INBOUND / OUTBOUND / BOTH
  std::optional<AuthIdentity> identity;  // from SEC_WINNT_AUTH_IDENTITY_* (NTLM, Negotiate)
  const void* auth_data = nullptr;       // raw pAuthData (CredSSP parses its CREDSSP_CRED)
  CharWidth width = CharWidth::kWide;
  std::u16string principal;
};

// Credential is the result of AcquireCredentialsHandle. Thread-safe: many contexts on many
// threads share one credential.
class Credential : public std::enable_shared_from_this<Credential> {
 public:
  virtual ~Credential() = default;
  virtual PackageId package() const = 0;
  virtual ULONG use() const = 0;
  // NewContext creates the context for the first ISC (kClient) / ASC (kServer) call. Returns
  // SEC_E_WRONG_CREDENTIAL_HANDLE / SEC_E_NO_CREDENTIALS if this credential cannot serve `role`.
  virtual SECURITY_STATUS NewContext(Role role, std::unique_ptr<Context>* out) = 0;
  virtual SECURITY_STATUS QueryAttribute(ULONG attr, void* buf, CharWidth width) {
    (void)attr, (void)buf, (void)width;
    return SEC_E_UNSUPPORTED_FUNCTION;
  }
  virtual SECURITY_STATUS SetAttribute(ULONG attr, const void* buf, ULONG len, CharWidth width) {
    (void)attr, (void)buf, (void)len, (void)width;
    return SEC_E_UNSUPPORTED_FUNCTION;
  }
};

// Package is one entry of the package registry (src/abi/registry.cpp lists them).
class Package {
 public:
  virtual ~Package() = default;
  virtual PackageId id() const = 0;
  virtual SECURITY_STATUS AcquireCredentials(const AcquireArgs& args,
                                             std::shared_ptr<Credential>* out) = 0;
};

// Factories, one per package (each defined in its module). CredSSP uses the Negotiate and NTLM
// ones for its inner authenticator.
std::shared_ptr<Package> NtlmPackage();
std::shared_ptr<Package> NegotiatePackage();
std::shared_ptr<Package> CredSspPackage();

}  // namespace ocs
