// context_buffer.h - memory handed to callers (output tokens with *_REQ_ALLOCATE_MEMORY,
// SecPkgInfo arrays, names and keys in attributes). Every such block comes from
// AllocContextBuffer and is released by the public FreeContextBuffer, which refuses pointers
// this library did not hand out (SEC_E_INVALID_HANDLE) instead of freeing them.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string_view>

#include "core/types.h"

namespace ocs {

// AllocContextBuffer returns zeroed memory of `size` bytes (at least 1), or nullptr.
void* AllocContextBuffer(size_t size);
// FreeContextBufferTracked frees a block from AllocContextBuffer (wiping it first); returns
// false if `p` is not a live block of ours.
bool FreeContextBufferTracked(void* p);

// AllocPackageInfo returns one block holding a SecPkgInfoW or SecPkgInfoA (per `width`) for
// `id` followed by its Name and Comment strings; nullptr on allocation failure.
void* AllocPackageInfo(PackageId id, CharWidth width);

// AllocPackageInfoArray returns one block holding an array of SecPkgInfoW/A, one per entry of
// `ids` in order, followed by the strings (EnumerateSecurityPackages layout; sspi-abi.md §10).
void* AllocPackageInfoArray(gsl::span<const PackageId> ids, CharWidth width);

// AllocString returns a NUL-terminated copy of `s` as SEC_WCHAR* (kWide) or UTF-8 char*
// (kAnsi) in a context buffer; nullptr on allocation failure.
void* AllocString(std::u16string_view s, CharWidth width);

}  // namespace ocs
