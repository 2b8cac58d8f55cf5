// layout_check.cpp - compile-time proof that the SSPI types have Windows' layout (LLP64 on
// 64-bit, ILP32 on 32-bit; sspi-abi.md §2-3, sizes measured with mingw-w64). The same numbers
// hold for WinPR 2.x on Linux, which tests/abi/winpr_compat_test.cpp checks at run time.
// SPDX-License-Identifier: Apache-2.0
#include <opencredssp/sspi.h>

#include <cstddef>

namespace {

constexpr bool k64 = sizeof(void*) == 8;
constexpr size_t P(size_t x86, size_t x64) { return k64 ? x64 : x86; }

#define OCS_SIZE(T, x86, x64) static_assert(sizeof(T) == P(x86, x64), #T " size")
#define OCS_OFF(T, m, x86, x64) static_assert(offsetof(T, m) == P(x86, x64), #T "." #m " offset")

static_assert(sizeof(ULONG) == 4 && sizeof(LONG) == 4 && sizeof(USHORT) == 2);
static_assert(sizeof(SEC_WCHAR) == 2 && sizeof(SECURITY_STATUS) == 4);
static_assert(sizeof(ULONG_PTR) == sizeof(void*));

OCS_SIZE(SecHandle, 8, 16);
OCS_OFF(SecHandle, dwUpper, 4, 8);
static_assert(sizeof(TimeStamp) == 8);
OCS_SIZE(SecBuffer, 12, 16);
OCS_OFF(SecBuffer, BufferType, 4, 4);
OCS_OFF(SecBuffer, pvBuffer, 8, 8);
OCS_SIZE(SecBufferDesc, 12, 16);
OCS_OFF(SecBufferDesc, cBuffers, 4, 4);
OCS_OFF(SecBufferDesc, pBuffers, 8, 8);

OCS_SIZE(SecPkgInfoW, 20, 32);
OCS_OFF(SecPkgInfoW, wVersion, 4, 4);
OCS_OFF(SecPkgInfoW, wRPCID, 6, 6);
OCS_OFF(SecPkgInfoW, cbMaxToken, 8, 8);
OCS_OFF(SecPkgInfoW, Name, 12, 16);
OCS_OFF(SecPkgInfoW, Comment, 16, 24);
OCS_SIZE(SecPkgInfoA, 20, 32);
OCS_OFF(SecPkgInfoA, Name, 12, 16);
OCS_OFF(SecPkgInfoA, Comment, 16, 24);

OCS_SIZE(SEC_WINNT_AUTH_IDENTITY_W, 28, 48);
OCS_OFF(SEC_WINNT_AUTH_IDENTITY_W, UserLength, 4, 8);
OCS_OFF(SEC_WINNT_AUTH_IDENTITY_W, Domain, 8, 16);
OCS_OFF(SEC_WINNT_AUTH_IDENTITY_W, DomainLength, 12, 24);
OCS_OFF(SEC_WINNT_AUTH_IDENTITY_W, Password, 16, 32);
OCS_OFF(SEC_WINNT_AUTH_IDENTITY_W, PasswordLength, 20, 40);
OCS_OFF(SEC_WINNT_AUTH_IDENTITY_W, Flags, 24, 44);
OCS_SIZE(SEC_WINNT_AUTH_IDENTITY_A, 28, 48);
OCS_SIZE(SEC_WINNT_AUTH_IDENTITY_EXW, 44, 72);
OCS_OFF(SEC_WINNT_AUTH_IDENTITY_EXW, User, 8, 8);
OCS_OFF(SEC_WINNT_AUTH_IDENTITY_EXW, Flags, 32, 52);
OCS_OFF(SEC_WINNT_AUTH_IDENTITY_EXW, PackageList, 36, 56);
OCS_OFF(SEC_WINNT_AUTH_IDENTITY_EXW, PackageListLength, 40, 64);
OCS_SIZE(SEC_WINNT_AUTH_IDENTITY_EXA, 44, 72);

OCS_SIZE(CREDSSP_CRED, 12, 24);
OCS_OFF(CREDSSP_CRED, pSchannelCred, 4, 8);
OCS_OFF(CREDSSP_CRED, pSpnegoCred, 8, 16);
OCS_SIZE(SEC_CHANNEL_BINDINGS, 32, 32);
OCS_SIZE(SecPkgContext_Sizes, 16, 16);
OCS_SIZE(SecPkgContext_StreamSizes, 20, 20);
OCS_SIZE(SecPkgContext_Bindings, 8, 16);
OCS_SIZE(SecPkgContext_PackageInfoW, 4, 8);
OCS_SIZE(SecPkgContext_NegotiationInfoW, 8, 16);
OCS_SIZE(SecPkgContext_SessionKey, 8, 16);
OCS_SIZE(SecPkgContext_ClientCreds, 8, 16);
OCS_SIZE(SecPkgContext_Flags, 4, 4);
OCS_SIZE(SecPkgContext_NamesW, 4, 8);
OCS_SIZE(SecPkgContext_LastClientTokenStatus, 4, 4);

// Function tables: every slot in Windows' order (sspi-abi.md §2).
OCS_OFF(SecurityFunctionTableW, EnumerateSecurityPackagesW, 4, 8);
OCS_OFF(SecurityFunctionTableW, QueryCredentialsAttributesW, 8, 16);
OCS_OFF(SecurityFunctionTableW, AcquireCredentialsHandleW, 12, 24);
OCS_OFF(SecurityFunctionTableW, FreeCredentialsHandle, 16, 32);
OCS_OFF(SecurityFunctionTableW, Reserved2, 20, 40);
OCS_OFF(SecurityFunctionTableW, InitializeSecurityContextW, 24, 48);
OCS_OFF(SecurityFunctionTableW, AcceptSecurityContext, 28, 56);
OCS_OFF(SecurityFunctionTableW, CompleteAuthToken, 32, 64);
OCS_OFF(SecurityFunctionTableW, DeleteSecurityContext, 36, 72);
OCS_OFF(SecurityFunctionTableW, ApplyControlToken, 40, 80);
OCS_OFF(SecurityFunctionTableW, QueryContextAttributesW, 44, 88);
OCS_OFF(SecurityFunctionTableW, ImpersonateSecurityContext, 48, 96);
OCS_OFF(SecurityFunctionTableW, RevertSecurityContext, 52, 104);
OCS_OFF(SecurityFunctionTableW, MakeSignature, 56, 112);
OCS_OFF(SecurityFunctionTableW, VerifySignature, 60, 120);
OCS_OFF(SecurityFunctionTableW, FreeContextBuffer, 64, 128);
OCS_OFF(SecurityFunctionTableW, QuerySecurityPackageInfoW, 68, 136);
OCS_OFF(SecurityFunctionTableW, Reserved3, 72, 144);
OCS_OFF(SecurityFunctionTableW, Reserved4, 76, 152);
OCS_OFF(SecurityFunctionTableW, ExportSecurityContext, 80, 160);
OCS_OFF(SecurityFunctionTableW, ImportSecurityContextW, 84, 168);
OCS_OFF(SecurityFunctionTableW, AddCredentialsW, 88, 176);
OCS_OFF(SecurityFunctionTableW, Reserved8, 92, 184);
OCS_OFF(SecurityFunctionTableW, QuerySecurityContextToken, 96, 192);
OCS_OFF(SecurityFunctionTableW, EncryptMessage, 100, 200);
OCS_OFF(SecurityFunctionTableW, DecryptMessage, 104, 208);
OCS_OFF(SecurityFunctionTableW, SetContextAttributesW, 108, 216);
OCS_OFF(SecurityFunctionTableW, SetCredentialsAttributesW, 112, 224);
OCS_OFF(SecurityFunctionTableW, ChangeAccountPasswordW, 116, 232);
OCS_OFF(SecurityFunctionTableW, QueryContextAttributesExW, 120, 240);
OCS_OFF(SecurityFunctionTableW, QueryCredentialsAttributesExW, 124, 248);
OCS_SIZE(SecurityFunctionTableW, 128, 256);

OCS_OFF(SecurityFunctionTableA, EnumerateSecurityPackagesA, 4, 8);
OCS_OFF(SecurityFunctionTableA, QueryCredentialsAttributesA, 8, 16);
OCS_OFF(SecurityFunctionTableA, AcquireCredentialsHandleA, 12, 24);
OCS_OFF(SecurityFunctionTableA, FreeCredentialHandle, 16, 32);
OCS_OFF(SecurityFunctionTableA, InitializeSecurityContextA, 24, 48);
OCS_OFF(SecurityFunctionTableA, QueryContextAttributesA, 44, 88);
OCS_OFF(SecurityFunctionTableA, QuerySecurityPackageInfoA, 68, 136);
OCS_OFF(SecurityFunctionTableA, ImportSecurityContextA, 84, 168);
OCS_OFF(SecurityFunctionTableA, AddCredentialsA, 88, 176);
OCS_OFF(SecurityFunctionTableA, EncryptMessage, 100, 200);
OCS_OFF(SecurityFunctionTableA, SetContextAttributesA, 108, 216);
OCS_OFF(SecurityFunctionTableA, SetCredentialsAttributesA, 112, 224);
OCS_OFF(SecurityFunctionTableA, ChangeAccountPasswordA, 116, 232);
OCS_OFF(SecurityFunctionTableA, QueryContextAttributesExA, 120, 240);
OCS_OFF(SecurityFunctionTableA, QueryCredentialsAttributesExA, 124, 248);
OCS_SIZE(SecurityFunctionTableA, 128, 256);

}  // namespace
