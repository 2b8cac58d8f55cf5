/* credssp.h - opencredssp extensions for the CREDSSP package on platforms without Windows'
 * certificate store, and the delegated-credentials structure a server reads.
 *
 * Include after <opencredssp/sspi.h>. Everything here is C, stable, and prefixed OCS_ unless
 * it is a Windows constant (SECPKG_ATTR_CREDS ...), which keeps its Windows value.
 * See docs/credssp.md for the full description and an example.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef OPENCREDSSP_CREDSSP_H
#define OPENCREDSSP_CREDSSP_H

#include <opencredssp/sspi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Windows context attributes of the CredSSP package (SDK credssp.h / sspi.h values) ---- */
#ifndef SECPKG_ATTR_CREDS
#define SECPKG_ATTR_CREDS 0x80000080u           /* server: SecPkgContext_ClientCreds */
#endif
#ifndef SECPKG_ATTR_NEGOTIATION_PACKAGE
#define SECPKG_ATTR_NEGOTIATION_PACKAGE 0x80000081u /* SecPkgContext_PackageInfo of the inner package */
#endif
#ifndef SECPKG_ATTR_SERVER_AUTH_FLAGS
#define SECPKG_ATTR_SERVER_AUTH_FLAGS 0x80000083u
#endif
#ifndef SECPKG_ATTR_CREDS_2
#define SECPKG_ATTR_CREDS_2 0x80000086u         /* not implemented: SEC_E_UNSUPPORTED_FUNCTION */
#endif

/* ---- Settings: how a Linux caller configures a CREDSSP credential ----
 *
 * Pass a pointer to an OCS_CREDSSP_SETTINGS in one of two ways:
 *   1. as CREDSSP_CRED.pSchannelCred in AcquireCredentialsHandle("CREDSSP", ..., pAuthData =
 *      &credssp_cred); Version tells it apart from a Windows SCHANNEL_CRED (versions 4/5),
 *      which is ignored on Linux (no CERT_CONTEXT there);
 *   2. or with SetCredentialsAttributesW/A(phCred, OCS_SECPKG_CRED_ATTR_CREDSSP_SETTINGS,
 *      &settings, sizeof settings) after AcquireCredentialsHandle and before the first
 *      InitializeSecurityContext / AcceptSecurityContext. The latest call wins.
 * The structure and the strings it points to are copied; the caller may free them afterwards.
 *
 * The server's certificate and key, first match wins:
 *   a. CertPem/KeyPem (memory) or CertFile/KeyFile (paths) in the settings; KeyFile/KeyPem
 *      may be NULL when the certificate PEM also holds the key;
 *   b. the environment variables OPENCREDSSP_CERT and OPENCREDSSP_KEY (PEM file paths; KEY
 *      defaults to CERT), read at AcquireCredentialsHandle;
 *   c. a self-signed certificate generated in memory on a fresh key (RSA-2048, or ECDSA P-256
 *      with GeneratedKeyType = OCS_CREDSSP_KEY_ECDSA_P256), CN = the host name, one per
 *      credential. Clients must then validate it out of band (see SECPKG_ATTR_REMOTE_CERT_CONTEXT).
 * A certificate/key that cannot be loaded fails AcquireCredentialsHandle with
 * SEC_E_UNKNOWN_CREDENTIALS (or SetCredentialsAttributes with SEC_E_UNKNOWN_CREDENTIALS). */
#define OCS_CREDSSP_SETTINGS_VERSION 0x4F435301u /* 'OCS' 1: never a SCHANNEL_CRED version */
#define OCS_SECPKG_CRED_ATTR_CREDSSP_SETTINGS 0x4F430001u

#define OCS_CREDSSP_KEY_RSA_2048 0u
#define OCS_CREDSSP_KEY_ECDSA_P256 1u

/* Flags (client side unless noted). */
#define OCS_CREDSSP_F_RAW_NTLM 0x00000001u    /* negoTokens carry raw NTLMSSP (as FreeRDP) instead of SPNEGO */
#define OCS_CREDSSP_F_LATE_PUBKEYAUTH 0x00000002u /* send pubKeyAuth one round after the last inner token ("flow B") */
/* Test-only: deliberately broken behaviour so tests can check the peer refuses it. Never set
 * these in production; they are ignored unless OCS_CREDSSP_F_TEST_ENABLE is also set. */
#define OCS_CREDSSP_F_TEST_ENABLE 0x80000000u
#define OCS_CREDSSP_F_TEST_TAMPER_PUBKEYAUTH 0x00010000u /* flip one bit of our pubKeyAuth after Wrap */
#define OCS_CREDSSP_F_TEST_TAMPER_AUTHINFO 0x00020000u   /* client: flip one bit of authInfo after Wrap */
#define OCS_CREDSSP_F_TEST_OMIT_NONCE 0x00040000u        /* client: no clientNonce even at v5+ */
#define OCS_CREDSSP_F_TEST_SKIP_PUBKEY_CHECK 0x00080000u /* server: do not verify the client's pubKeyAuth (plays a relaying attacker's accomplice) */

typedef struct _OCS_CREDSSP_SETTINGS {
  ULONG Version;           /* OCS_CREDSSP_SETTINGS_VERSION */
  ULONG Flags;             /* OCS_CREDSSP_F_* */
  ULONG CredSspVersion;    /* the version this side announces and speaks, 2..6; 0 = 6 */
  ULONG MinCredSspVersion; /* refuse a peer whose negotiated version is lower; 0 = 5
                              (MS-CSSP 5.1: versions below 5 are the CVE-2018-0886 oracle) */
  ULONG TlsMinVersion;     /* 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3); 0 = 0x0303 */
  ULONG TlsMaxVersion;     /* 0 = 0x0304 */
  ULONG GeneratedKeyType;  /* server: OCS_CREDSSP_KEY_* for a generated certificate */
  const char *CertFile;    /* server: PEM certificate path, or NULL */
  const char *KeyFile;     /* server: PEM key path, or NULL (= CertFile) */
  const unsigned char *CertPem; /* server: PEM certificate in memory, or NULL */
  ULONG CertPemLength;
  const unsigned char *KeyPem;  /* server: PEM key in memory, or NULL (= CertPem) */
  ULONG KeyPemLength;
} OCS_CREDSSP_SETTINGS, *POCS_CREDSSP_SETTINGS;

/* ---- The server's certificate as the client saw it ----
 * QueryContextAttributes(SECPKG_ATTR_REMOTE_CERT_CONTEXT) on a client context (once the TLS
 * handshake is done) fills an OCS_CREDSSP_CERT_BLOB: the DER certificate in one context buffer,
 * released with FreeContextBuffer(pbCertEncoded). (Windows returns a PCCERT_CONTEXT there;
 * Linux has no CryptoAPI, so the DER is what we hand over.) The same form answers
 * SECPKG_ATTR_LOCAL_CERT_CONTEXT on a server context. */
typedef struct _OCS_CREDSSP_CERT_BLOB {
  ULONG cbCertEncoded;
  unsigned char *pbCertEncoded;
} OCS_CREDSSP_CERT_BLOB, *POCS_CREDSSP_CERT_BLOB;

/* ---- Delegated credentials (server, after AcceptSecurityContext returned SEC_E_OK) ----
 * QueryContextAttributes(SECPKG_ATTR_CREDS) fills a SecPkgContext_ClientCreds whose AuthBuffer
 * points at one OCS_CREDSSP_DELEGATED_CREDS (AuthBufferLen = the size of the whole block, the
 * structure followed by the strings it points to). Free it with FreeContextBuffer(AuthBuffer);
 * the block is wiped when freed. Strings are UTF-16LE as received (MS-CSSP 2.2.1.2.x), lengths in
 * characters, each also NUL-terminated; absent optional fields are NULL with length 0.
 * Before the server context is complete, or on a client context: SEC_E_NO_CREDENTIALS. */
#define OCS_CREDSSP_CRED_PASSWORD 1u     /* TSPasswordCreds */
#define OCS_CREDSSP_CRED_SMARTCARD 2u    /* TSSmartCardCreds */
#define OCS_CREDSSP_CRED_REMOTE_GUARD 6u /* TSRemoteGuardCreds */

typedef struct _OCS_CREDSSP_PACKAGE_CRED {
  SEC_WCHAR *PackageName;
  ULONG PackageNameLength;
  unsigned char *CredBuffer;
  ULONG CredBufferLength;
} OCS_CREDSSP_PACKAGE_CRED, *POCS_CREDSSP_PACKAGE_CRED;

typedef struct _OCS_CREDSSP_DELEGATED_CREDS {
  ULONG CredType; /* OCS_CREDSSP_CRED_* */
  /* password (CredType 1); all three empty = Restricted Admin mode */
  SEC_WCHAR *Domain;
  ULONG DomainLength;
  SEC_WCHAR *User;
  ULONG UserLength;
  SEC_WCHAR *Password;
  ULONG PasswordLength;
  /* smart card (CredType 2) */
  SEC_WCHAR *Pin;
  ULONG PinLength;
  LONG KeySpec;
  SEC_WCHAR *CardName;
  ULONG CardNameLength;
  SEC_WCHAR *ReaderName;
  ULONG ReaderNameLength;
  SEC_WCHAR *ContainerName;
  ULONG ContainerNameLength;
  SEC_WCHAR *CspName;
  ULONG CspNameLength;
  SEC_WCHAR *UserHint;
  ULONG UserHintLength;
  SEC_WCHAR *DomainHint;
  ULONG DomainHintLength;
  /* Remote Guard (CredType 6) */
  OCS_CREDSSP_PACKAGE_CRED LogonCred;
  ULONG SupplementalCredCount;
  OCS_CREDSSP_PACKAGE_CRED *SupplementalCreds;
} OCS_CREDSSP_DELEGATED_CREDS, *POCS_CREDSSP_DELEGATED_CREDS;

/* ---- Other attributes of a CredSSP context ----
 * OCS_SECPKG_ATTR_CREDSSP_INFO (OCS_CREDSSP_INFO): the negotiated CredSSP version, the peer's
 * announced version, the TLS version, whether the inner exchange was SPNEGO or raw NTLM, and
 * the NTSTATUS a server reported in errorCode (client side; 0 if none). */
#define OCS_SECPKG_ATTR_CREDSSP_INFO 0x4F430002u
typedef struct _OCS_CREDSSP_INFO {
  ULONG CredSspVersion;     /* min(own, peer) */
  ULONG PeerCredSspVersion; /* as the peer announced it */
  ULONG TlsVersion;         /* 0x0303 / 0x0304 */
  ULONG InnerIsSpnego;      /* 1 = SPNEGO, 0 = raw NTLM */
  LONG PeerErrorCode;       /* NTSTATUS from TSRequest.errorCode, or 0 */
} OCS_CREDSSP_INFO, *POCS_CREDSSP_INFO;

#ifdef __cplusplus
}
#endif

#endif /* OPENCREDSSP_CREDSSP_H */
