// trace.h - a one-line description of a token on the wire, for --trace and tools/demo.sh.
// It reads only the cleartext framing (TLS record headers, NTLMSSP signature and type,
// SPNEGO's outer tag); it never decodes or prints secrets.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "net.h"

namespace ocs::cli {

std::string DescribeToken(ByteSpan token);

}  // namespace ocs::cli
