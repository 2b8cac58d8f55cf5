// layout_probe.h - sizes and offsets of the SSPI types, measured in one translation unit
// against a given header (ours, or WinPR 2's), so a test can compare the two.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <vector>

struct LayoutFact {
  std::string name;
  size_t value;
};

std::vector<LayoutFact> OurLayout();
std::vector<LayoutFact> WinprLayout();

// LAYOUT_FACTS lists every fact; both probes expand it against their own header. (WinPR 2
// has no SEC_WINNT_AUTH_IDENTITY_EX* nor SecPkgContext_NegotiationInfoW; layout_check.cpp
// pins those to Windows' numbers.)
#define LAYOUT_FACTS(SIZE, OFF)                                                      \
  SIZE(SecHandle) OFF(SecHandle, dwLower) OFF(SecHandle, dwUpper)                    \
  SIZE(TimeStamp)                                                                    \
  SIZE(SecBuffer) OFF(SecBuffer, cbBuffer) OFF(SecBuffer, BufferType)                \
  OFF(SecBuffer, pvBuffer)                                                           \
  SIZE(SecBufferDesc) OFF(SecBufferDesc, cBuffers) OFF(SecBufferDesc, pBuffers)      \
  SIZE(SecPkgInfoW) OFF(SecPkgInfoW, wVersion) OFF(SecPkgInfoW, wRPCID)              \
  OFF(SecPkgInfoW, cbMaxToken) OFF(SecPkgInfoW, Name) OFF(SecPkgInfoW, Comment)      \
  SIZE(SecPkgInfoA) OFF(SecPkgInfoA, Name) OFF(SecPkgInfoA, Comment)                 \
  SIZE(SEC_WINNT_AUTH_IDENTITY_W) OFF(SEC_WINNT_AUTH_IDENTITY_W, UserLength)         \
  OFF(SEC_WINNT_AUTH_IDENTITY_W, Domain) OFF(SEC_WINNT_AUTH_IDENTITY_W, Password)    \
  OFF(SEC_WINNT_AUTH_IDENTITY_W, PasswordLength) OFF(SEC_WINNT_AUTH_IDENTITY_W, Flags) \
  SIZE(SEC_WINNT_AUTH_IDENTITY_A) OFF(SEC_WINNT_AUTH_IDENTITY_A, Flags)              \
  SIZE(SEC_CHANNEL_BINDINGS) OFF(SEC_CHANNEL_BINDINGS, dwApplicationDataOffset)      \
  SIZE(SecPkgContext_Sizes) SIZE(SecPkgContext_StreamSizes)                          \
  SIZE(SecPkgContext_Bindings) OFF(SecPkgContext_Bindings, Bindings)                 \
  SIZE(SecPkgContext_SessionKey) OFF(SecPkgContext_SessionKey, SessionKey)           \
  SIZE(SecPkgContext_Lifespan) SIZE(SecPkgContext_Flags)                               \
  OFF(SecurityFunctionTableW, EnumerateSecurityPackagesW)                            \
  OFF(SecurityFunctionTableW, AcquireCredentialsHandleW)                             \
  OFF(SecurityFunctionTableW, InitializeSecurityContextW)                            \
  OFF(SecurityFunctionTableW, AcceptSecurityContext)                                 \
  OFF(SecurityFunctionTableW, QueryContextAttributesW)                               \
  OFF(SecurityFunctionTableW, FreeContextBuffer)                                     \
  OFF(SecurityFunctionTableW, QuerySecurityPackageInfoW)                             \
  OFF(SecurityFunctionTableW, ExportSecurityContext)                                 \
  OFF(SecurityFunctionTableW, QuerySecurityContextToken)                             \
  OFF(SecurityFunctionTableW, EncryptMessage) OFF(SecurityFunctionTableW, DecryptMessage) \
  OFF(SecurityFunctionTableW, SetContextAttributesW)                                 \
  OFF(SecurityFunctionTableA, AcquireCredentialsHandleA)                             \
  OFF(SecurityFunctionTableA, InitializeSecurityContextA)                            \
  OFF(SecurityFunctionTableA, QuerySecurityPackageInfoA)                             \
  OFF(SecurityFunctionTableA, EncryptMessage) OFF(SecurityFunctionTableA, SetContextAttributesA)

#define LAYOUT_SIZE(T) facts.push_back({"sizeof(" #T ")", sizeof(T)});
#define LAYOUT_OFF(T, m) facts.push_back({"offsetof(" #T ", " #m ")", offsetof(T, m)});
