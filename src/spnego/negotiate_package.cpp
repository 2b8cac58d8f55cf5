// negotiate_package.cpp - the registry's Negotiate package: SPNEGO over this library's NTLM.
// Kept apart from negotiate_context.cpp so unit tests can build the package over a fake NTLM
// without linking the real one.
// SPDX-License-Identifier: Apache-2.0
#include "core/package.h"
#include "spnego/negotiate_context.h"

namespace ocs {

std::shared_ptr<Package> NegotiatePackage() {
  static const std::shared_ptr<Package> package = spnego::MakeNegotiatePackage(NtlmPackage());
  return package;
}

}  // namespace ocs
