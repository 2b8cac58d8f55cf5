// registry.h - the package registry: which C++ Package serves each PackageId. A package whose
// module is not linked into this build (OCS_HAVE_NTLM / _NEGOTIATE / _CREDSSP unset) is still
// listed by EnumerateSecurityPackages but answers SEC_E_UNSUPPORTED_FUNCTION from
// AcquireCredentialsHandle.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "core/package.h"

namespace ocs::abi {

// GetPackage never returns nullptr. Thread-safe; packages are created on first use.
Package& GetPackage(PackageId id);

// PackageImplemented says whether `id` has its real module in this build.
bool PackageImplemented(PackageId id);

// SetPackageForTesting replaces the package serving `id` (nullptr restores the built-in one).
// Only tests linking the static ocs_abi call this; it is not exported from the shared library.
void SetPackageForTesting(PackageId id, std::shared_ptr<Package> pkg);

}  // namespace ocs::abi
