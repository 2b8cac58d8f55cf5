// registry.h - the package registry: which C++ Package serves each PackageId (the factories
// NtlmPackage, NegotiatePackage and CredSspPackage of src/core/package.h).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "core/package.h"

namespace ocs::abi {

// GetPackage never returns nullptr. Thread-safe; packages are created on first use.
Package& GetPackage(PackageId id);

// SetPackageForTesting replaces the package serving `id` (nullptr restores the built-in one).
// Only tests linking the static ocs_abi call this; it is not exported from the shared library.
void SetPackageForTesting(PackageId id, std::shared_ptr<Package> pkg);

}  // namespace ocs::abi
