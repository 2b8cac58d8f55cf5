// package_info.h - the SecPkgInfo values this library reports for its packages, and lookup by
// name. The numbers are those a current Windows reports (docs/abi.md, sspi-abi.md §8), because
// callers size buffers from cbMaxToken and some compare fCapabilities.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "core/types.h"

namespace ocs {

struct PackageInfo {
  PackageId id;
  ULONG capabilities;
  USHORT version;
  USHORT rpcid;
  ULONG max_token;
  std::u16string_view name;
  std::u16string_view comment;
};

// AllPackages lists the packages in EnumerateSecurityPackages order (Windows lists Negotiate
// before NTLM, CREDSSP last).
const std::array<PackageInfo, 3>& AllPackages();

// GetPackageInfo returns the entry for `id`.
const PackageInfo& GetPackageInfo(PackageId id);

// FindPackage looks `name` up case-insensitively (ASCII folding, as Windows' package lookup);
// std::nullopt for an unknown name.
std::optional<PackageId> FindPackage(std::u16string_view name);

}  // namespace ocs
