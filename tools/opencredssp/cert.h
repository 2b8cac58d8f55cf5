// cert.h - the server's default certificate: a fresh self-signed RSA-2048 certificate, made
// with OpenSSL directly (certificate generation is not part of SSPI). CredSSP servers commonly
// use self-signed certificates (MS-CSSP 3.1.5 step 1); the client binds the TLS public key
// into pubKeyAuth instead of trusting a chain.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>

namespace ocs::cli {

struct PemPair {
  std::string cert_pem;
  std::string key_pem;             // PKCS#8, unencrypted; the caller keeps it private
  std::string sha256_fingerprint;  // "AB:CD:..." of the DER certificate
};

// GenerateSelfSigned makes RSA-2048, SHA-256, CN=<common_name>, SAN DNS:localhost,
// IP:127.0.0.1, IP:::1, EKU serverAuth, valid from one hour ago for 365 days.
// Returns "" or an error message.
std::string GenerateSelfSigned(const std::string& common_name, PemPair* out);

// FingerprintOfDer computes the SHA-256 fingerprint of DER bytes ("AB:CD:...").
std::string FingerprintOfDer(const unsigned char* der, size_t len);

// FingerprintOfPem computes the SHA-256 fingerprint of a PEM certificate.
std::string FingerprintOfPem(const std::string& cert_pem, std::string* out);

}  // namespace ocs::cli
