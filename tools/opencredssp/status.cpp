// status.cpp - the SECURITY_STATUS table of the opencredssp command. Meanings follow the
// winerror.h descriptions; hints are written for this command's options.
// SPDX-License-Identifier: Apache-2.0
#include "status.h"

#include <array>
#include <cstdio>

namespace ocs::cli {
namespace {

constexpr std::array kStatuses = {
    StatusInfo{SEC_E_OK, "SEC_E_OK", "The operation completed successfully.", ""},
    StatusInfo{SEC_I_CONTINUE_NEEDED, "SEC_I_CONTINUE_NEEDED",
               "The function completed, but must be called again to complete the context.", ""},
    StatusInfo{SEC_I_COMPLETE_NEEDED, "SEC_I_COMPLETE_NEEDED",
               "The function completed, but CompleteToken must be called.", ""},
    StatusInfo{SEC_I_COMPLETE_AND_CONTINUE, "SEC_I_COMPLETE_AND_CONTINUE",
               "The function completed, but both CompleteToken and this function must be called "
               "to complete the context.",
               ""},
    StatusInfo{SEC_I_CONTEXT_EXPIRED, "SEC_I_CONTEXT_EXPIRED",
               "The context has expired and can no longer be used.",
               "The peer closed the secure channel (TLS close_notify)."},
    StatusInfo{SEC_I_INCOMPLETE_CREDENTIALS, "SEC_I_INCOMPLETE_CREDENTIALS",
               "The credentials supplied were not complete and could not be verified.",
               "The peer asked for a client certificate; CredSSP clients do not send one."},
    StatusInfo{SEC_I_RENEGOTIATE, "SEC_I_RENEGOTIATE",
               "The context data must be renegotiated with the peer.", ""},
    StatusInfo{SEC_E_INSUFFICIENT_MEMORY, "SEC_E_INSUFFICIENT_MEMORY",
               "Not enough memory is available to complete this request.", ""},
    StatusInfo{SEC_E_INVALID_HANDLE, "SEC_E_INVALID_HANDLE", "The handle specified is invalid.",
               "This is a bug in the caller or the security package; please report it."},
    StatusInfo{SEC_E_UNSUPPORTED_FUNCTION, "SEC_E_UNSUPPORTED_FUNCTION",
               "The function requested is not supported.",
               "The security package does not implement this step or option yet; try another "
               "--package."},
    StatusInfo{SEC_E_TARGET_UNKNOWN, "SEC_E_TARGET_UNKNOWN",
               "The specified target is unknown or unreachable.",
               "Check --target (the service principal name, e.g. TERMSRV/host)."},
    StatusInfo{SEC_E_INTERNAL_ERROR, "SEC_E_INTERNAL_ERROR",
               "The Local Security Authority cannot be contacted (internal error).",
               "Run with OPENCREDSSP_LOG=debug for the package's log."},
    StatusInfo{SEC_E_SECPKG_NOT_FOUND, "SEC_E_SECPKG_NOT_FOUND",
               "The requested security package does not exist.",
               "Use --package CREDSSP, Negotiate or NTLM, and check that --library names "
               "libopencredssp."},
    StatusInfo{SEC_E_NOT_OWNER, "SEC_E_NOT_OWNER",
               "The caller is not the owner of the desired credentials.", ""},
    StatusInfo{SEC_E_CANNOT_INSTALL, "SEC_E_CANNOT_INSTALL",
               "The security package failed to initialize, and cannot be installed.", ""},
    StatusInfo{SEC_E_INVALID_TOKEN, "SEC_E_INVALID_TOKEN",
               "The token supplied to the function is invalid.",
               "Both sides must use the same --framing and --package; the peer sent bytes this "
               "package could not parse."},
    StatusInfo{SEC_E_CANNOT_PACK, "SEC_E_CANNOT_PACK",
               "The security package is not able to marshall the logon buffer.", ""},
    StatusInfo{SEC_E_QOP_NOT_SUPPORTED, "SEC_E_QOP_NOT_SUPPORTED",
               "The per-message Quality of Protection is not supported by the security package.",
               ""},
    StatusInfo{SEC_E_NO_IMPERSONATION, "SEC_E_NO_IMPERSONATION",
               "The security context does not allow impersonation of the client.", ""},
    StatusInfo{SEC_E_LOGON_DENIED, "SEC_E_LOGON_DENIED", "The logon attempt failed.",
               "Check --user, --domain and --password against the server's --users file."},
    StatusInfo{SEC_E_UNKNOWN_CREDENTIALS, "SEC_E_UNKNOWN_CREDENTIALS",
               "The credentials supplied to the package were not recognized.",
               "Check --user/--domain/--password (client) or --users/--cert/--key (server)."},
    StatusInfo{SEC_E_NO_CREDENTIALS, "SEC_E_NO_CREDENTIALS",
               "No credentials are available in the security package.",
               "Give --user and --password (client) or a --users file (server)."},
    StatusInfo{SEC_E_MESSAGE_ALTERED, "SEC_E_MESSAGE_ALTERED",
               "The message or signature supplied for verification has been altered.",
               "A MIC or signature did not verify: usually a wrong password on the other side."},
    StatusInfo{SEC_E_OUT_OF_SEQUENCE, "SEC_E_OUT_OF_SEQUENCE",
               "The message supplied for verification is out of sequence.", ""},
    StatusInfo{SEC_E_NO_AUTHENTICATING_AUTHORITY, "SEC_E_NO_AUTHENTICATING_AUTHORITY",
               "No authority could be contacted for authentication.",
               "The server does not know the user's domain: check --domain and the --users file."},
    StatusInfo{SEC_E_BAD_PKGID, "SEC_E_BAD_PKGID", "The requested security package does not exist.",
               ""},
    StatusInfo{SEC_E_CONTEXT_EXPIRED, "SEC_E_CONTEXT_EXPIRED",
               "The context has expired and can no longer be used.",
               "The peer closed the TLS channel before authentication completed. FreeRDP servers "
               "do that instead of sending an errorCode when the logon fails: check --user, "
               "--domain and --password (and --inner ntlm for FreeRDP 2)."},
    StatusInfo{SEC_E_INCOMPLETE_MESSAGE, "SEC_E_INCOMPLETE_MESSAGE",
               "The supplied message is incomplete. The signature was not verified.",
               "The peer closed the connection in the middle of a message."},
    StatusInfo{SEC_E_INCOMPLETE_CREDENTIALS, "SEC_E_INCOMPLETE_CREDENTIALS",
               "The credentials supplied were not complete, and could not be verified.", ""},
    StatusInfo{SEC_E_BUFFER_TOO_SMALL, "SEC_E_BUFFER_TOO_SMALL",
               "The buffers supplied to a function was too small.", ""},
    StatusInfo{SEC_E_WRONG_PRINCIPAL, "SEC_E_WRONG_PRINCIPAL",
               "The target principal name is incorrect.",
               "Check --target (e.g. TERMSRV/<host name the server expects>)."},
    StatusInfo{SEC_E_TIME_SKEW, "SEC_E_TIME_SKEW",
               "The clocks on the client and server machines are skewed.",
               "Synchronise the clocks of both machines."},
    StatusInfo{SEC_E_UNTRUSTED_ROOT, "SEC_E_UNTRUSTED_ROOT",
               "The certificate chain was issued by an authority that is not trusted.", ""},
    StatusInfo{SEC_E_ILLEGAL_MESSAGE, "SEC_E_ILLEGAL_MESSAGE",
               "The message received was unexpected or badly formatted.",
               "The TLS handshake failed: both sides must use the same --framing (rdp, stream or "
               "length)."},
    StatusInfo{SEC_E_CERT_UNKNOWN, "SEC_E_CERT_UNKNOWN",
               "An unknown error occurred while processing the certificate.",
               "Check that --cert and --key are PEM files of one key pair."},
    StatusInfo{SEC_E_CERT_EXPIRED, "SEC_E_CERT_EXPIRED", "The received certificate has expired.",
               "Renew --cert, or omit --cert/--key to use a fresh self-signed certificate."},
    StatusInfo{SEC_E_ENCRYPT_FAILURE, "SEC_E_ENCRYPT_FAILURE",
               "The specified data could not be encrypted.", ""},
    StatusInfo{SEC_E_DECRYPT_FAILURE, "SEC_E_DECRYPT_FAILURE",
               "The specified data could not be decrypted.",
               "The delegated credentials or pubKeyAuth did not decrypt: usually a wrong "
               "password."},
    StatusInfo{SEC_E_ALGORITHM_MISMATCH, "SEC_E_ALGORITHM_MISMATCH",
               "The client and server cannot communicate, because they do not possess a common "
               "algorithm.",
               "The TLS versions or cipher suites of the two sides do not overlap."},
    StatusInfo{SEC_E_SECURITY_QOS_FAILED, "SEC_E_SECURITY_QOS_FAILED",
               "The security context could not be established due to a failure in the requested "
               "quality of service.",
               ""},
    StatusInfo{SEC_E_UNFINISHED_CONTEXT_DELETED, "SEC_E_UNFINISHED_CONTEXT_DELETED",
               "A security context was deleted before the context was completed.", ""},
    StatusInfo{SEC_E_WRONG_CREDENTIAL_HANDLE, "SEC_E_WRONG_CREDENTIAL_HANDLE",
               "The supplied credential handle does not match the credential associated with the "
               "security context.",
               ""},
    StatusInfo{SEC_E_CRYPTO_SYSTEM_INVALID, "SEC_E_CRYPTO_SYSTEM_INVALID",
               "The crypto system or checksum function is invalid because a required function is "
               "unavailable.",
               "OpenSSL's legacy provider (MD4, RC4) could not be loaded: check the OpenSSL "
               "installation (ossl-modules/legacy.so)."},
    StatusInfo{SEC_E_DELEGATION_REQUIRED, "SEC_E_DELEGATION_REQUIRED",
               "The requested operation cannot be completed. The computer must be trusted for "
               "delegation.",
               ""},
    StatusInfo{SEC_E_BAD_BINDINGS, "SEC_E_BAD_BINDINGS",
               "The client's supplied SSPI channel bindings were incorrect.",
               "The channel bindings (or the TLS public key binding) differ between the sides: "
               "is something in between?"},
    StatusInfo{SEC_E_MULTIPLE_ACCOUNTS, "SEC_E_MULTIPLE_ACCOUNTS",
               "The received certificate was mapped to multiple accounts.", ""},
    StatusInfo{SEC_E_DOWNGRADE_DETECTED, "SEC_E_DOWNGRADE_DETECTED",
               "The system cannot contact a domain controller to service the authentication "
               "request (a downgrade was detected).",
               "The negotiated mechanism list was tampered with, or the two sides disagree."},
    StatusInfo{SEC_E_INVALID_PARAMETER, "SEC_E_INVALID_PARAMETER",
               "One or more of the parameters passed to the function was invalid.",
               "This is a bug in the caller or the security package; please report it."},
    StatusInfo{SEC_E_DELEGATION_POLICY, "SEC_E_DELEGATION_POLICY",
               "The client policy does not allow credential delegation to the target server.", ""},
    StatusInfo{SEC_E_POLICY_NLTM_ONLY, "SEC_E_POLICY_NLTM_ONLY",
               "The policy does not allow credential delegation to the target server with NLTM "
               "only authentication.",
               ""},
    StatusInfo{SEC_E_NO_CONTEXT, "SEC_E_NO_CONTEXT", "The security context does not exist.", ""},
    StatusInfo{SEC_E_MUTUAL_AUTH_FAILED, "SEC_E_MUTUAL_AUTH_FAILED",
               "The server could not be authenticated (mutual authentication failed).",
               "The server's pubKeyAuth did not match its TLS key: a proxy in between, or the "
               "server does not know the password either."},
    StatusInfo{SEC_E_APPLICATION_PROTOCOL_MISMATCH, "SEC_E_APPLICATION_PROTOCOL_MISMATCH",
               "No common application protocol exists between the client and the server.", ""},
    StatusInfo{SEC_E_INSUFFICIENT_BUFFERS, "SEC_E_INSUFFICIENT_BUFFERS",
               "The buffers supplied to the security package are too small or missing.", ""},
};

}  // namespace

const StatusInfo* LookupStatus(SECURITY_STATUS code) {
  for (const auto& s : kStatuses) {
    if (s.code == code) return &s;
  }
  return nullptr;
}

std::string_view NtStatusName(uint32_t code) {
  switch (code) {
    case 0xC0000022u:
      return "STATUS_ACCESS_DENIED";
    case 0xC0000064u:
      return "STATUS_NO_SUCH_USER";
    case 0xC000006Au:
      return "STATUS_WRONG_PASSWORD";
    case 0xC000006Du:
      return "STATUS_LOGON_FAILURE";
    case 0xC000006Eu:
      return "STATUS_ACCOUNT_RESTRICTION";
    case 0xC0000071u:
      return "STATUS_PASSWORD_EXPIRED";
    case 0xC0000072u:
      return "STATUS_ACCOUNT_DISABLED";
    case 0xC000015Bu:
      return "STATUS_LOGON_TYPE_NOT_GRANTED";
    case 0xC0000224u:
      return "STATUS_PASSWORD_MUST_CHANGE";
    case 0xC0000234u:
      return "STATUS_ACCOUNT_LOCKED_OUT";
    default:
      return "";
  }
}

std::string StatusName(SECURITY_STATUS code) {
  if (const StatusInfo* s = LookupStatus(code)) return std::string(s->name);
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(code));
  return buf;
}

std::string DescribeFailure(std::string_view what, SECURITY_STATUS code) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(code));
  std::string out(what);
  out += ": ";
  const StatusInfo* s = LookupStatus(code);
  if (s == nullptr) {
    out += hex;
    out += ": an unknown status code.\n";
    out +=
        "  hint: look the code up in winerror.h; run with OPENCREDSSP_LOG=debug for the package's "
        "log.\n";
    return out;
  }
  out += s->name;
  out += " (";
  out += hex;
  out += "): ";
  out += s->meaning;
  out += "\n";
  if (!s->hint.empty()) {
    out += "  hint: ";
    out += s->hint;
    out += "\n";
  }
  return out;
}

}  // namespace ocs::cli
