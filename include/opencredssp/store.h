/* opencredssp/store.h - how an embedder tells opencredssp's NTLM server (used alone, under
 * Negotiate, or inside CredSSP) where its users are.
 *
 * No new entry point: everything goes through the standard SetCredentialsAttributesW/A on a
 * credential acquired with AcquireCredentialsHandle(SECPKG_CRED_INBOUND) (or
 * SetContextAttributesW/A on a server context before its last AcceptSecurityContext call, for
 * OCS_ATTR_USER_FILE). The attribute values below are private to opencredssp (WinPR's 1004
 * excepted): other providers answer SEC_E_UNSUPPORTED_FUNCTION, so the calls are harmless there.
 *
 * Without any of these, an INBOUND credential uses the default store (docs/users.md):
 * $OPENCREDSSP_USERS, else $NTLM_USER_FILE, else /etc/opencredssp/users, else /etc/winpr/SAM.
 *
 * 1. A user file:  SetCredentialsAttributesA(&cred, OCS_ATTR_USER_FILE, "sam:/etc/x", len+1)
 *    "[sam:|ntlm:]path", NUL-terminated (UTF-16 with the W function). "sam:" = WinPR SAM
 *    (User:Domain:LMHASH:NTHASH:::), "ntlm:" = gss-ntlmssp (DOMAIN:USER:PASSWORD); no prefix:
 *    SAM, as WinPR reads attribute 1004. The file is re-read when it changes.
 * 2. Users in memory:  OCS_USER_ENTRY_W/A with OCS_ATTR_ADD_USER, one call per user. The first
 *    call gives the credential its own empty in-memory store (the default store is no longer
 *    consulted); the password (or the 16-byte NT hash) is hashed/copied immediately, the
 *    caller's buffers can be wiped on return.
 * 3. A lookup callback:  OCS_USER_LOOKUP with OCS_ATTR_USER_LOOKUP. Called from whichever
 *    thread runs AcceptSecurityContext, possibly concurrently; it must be thread-safe and
 *    stay valid until the credential handle is freed.
 *
 * Names are matched case-insensitively (user) and domain-exact-then-empty-domain by the file and
 * memory stores; a callback decides for itself.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef OPENCREDSSP_STORE_H
#define OPENCREDSSP_STORE_H

#include <opencredssp/sspi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OCS_ATTR_USER_FILE 1004 /* = SECPKG_ATTR_AUTH_NTLM_SAM_FILE (WinPR) */
#define OCS_ATTR_ADD_USER 0x4F430101UL
#define OCS_ATTR_USER_LOOKUP 0x4F430102UL

#define OCS_USER_STRUCT_VERSION 1

/* OCS_USER_ENTRY_W / _A: one user for OCS_ATTR_ADD_USER. Strings are NUL-terminated (UTF-16 /
 * UTF-8); Domain may be NULL or "" (any domain). Exactly one of Password and NtHash is non-NULL.
 * NtHash points to 16 bytes: MD4 of the UTF-16LE password (the 4th field of a SAM line). */
typedef struct _OCS_USER_ENTRY_W {
  ULONG Version; /* OCS_USER_STRUCT_VERSION */
  const SEC_WCHAR *User;
  const SEC_WCHAR *Domain;
  const SEC_WCHAR *Password;
  const unsigned char *NtHash;
} OCS_USER_ENTRY_W, *POCS_USER_ENTRY_W;

typedef struct _OCS_USER_ENTRY_A {
  ULONG Version;
  const char *User;
  const char *Domain;
  const char *Password;
  const unsigned char *NtHash;
} OCS_USER_ENTRY_A, *POCS_USER_ENTRY_A;

/* OCS_USER_LOOKUP_FN: return 1 and write the user's NT hash to nt_hash[16] if (user, domain)
 * may log on, 0 otherwise. user/domain are NUL-terminated UTF-16 exactly as the client sent
 * them (domain may be empty). */
typedef int(SEC_ENTRY *OCS_USER_LOOKUP_FN)(void *context, const SEC_WCHAR *user,
                                           const SEC_WCHAR *domain, unsigned char nt_hash[16]);

typedef struct _OCS_USER_LOOKUP {
  ULONG Version; /* OCS_USER_STRUCT_VERSION */
  OCS_USER_LOOKUP_FN Lookup;
  void *Context;
} OCS_USER_LOOKUP, *POCS_USER_LOOKUP;

#ifdef __cplusplus
}
#endif

#endif /* OPENCREDSSP_STORE_H */
