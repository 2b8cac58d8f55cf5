// negotiate_package.cpp - the registry's Negotiate package: SPNEGO over this library's NTLM.
// Kept apart from negotiate_context.cpp so unit tests can build the package over a fake NTLM
// without linking the real one.
// SPDX-License-Identifier: Apache-2.0
#include "core/package.h"
#include "spnego/negotiate_context.h"

#if defined(__ELF__)
// A weak reference, as in abi/registry.cpp: a build without the NTLM module still links, and
// its Negotiate package then answers SEC_E_UNSUPPORTED_FUNCTION.
namespace ocs {
__attribute__((weak)) std::shared_ptr<Package> NtlmPackage();
}  // namespace ocs
#endif

namespace ocs {

std::shared_ptr<Package> NegotiatePackage() {
  static const std::shared_ptr<Package> package =
#if defined(__ELF__)
      spnego::MakeNegotiatePackage(&NtlmPackage != nullptr ? NtlmPackage() : nullptr);
#else
      // PE/COFF has no weak references: the DLL links every module (src/abi/CMakeLists.txt).
      spnego::MakeNegotiatePackage(NtlmPackage());
#endif
  return package;
}

}  // namespace ocs
