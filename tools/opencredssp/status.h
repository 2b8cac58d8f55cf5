// status.h - names, meanings and hints for SECURITY_STATUS codes, so that every failure of the
// opencredssp command says what happened and what to try.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <opencredssp/sspi.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ocs::cli {

struct StatusInfo {
  SECURITY_STATUS code;
  std::string_view name;     // "SEC_E_LOGON_DENIED"
  std::string_view meaning;  // one sentence, what the code says
  std::string_view hint;     // one sentence, what to check (may be empty)
};

// LookupStatus returns the entry for `code`, or nullptr for a code not in the table.
const StatusInfo* LookupStatus(SECURITY_STATUS code);

// StatusName returns the symbolic name, or "0x%08X" for an unknown code.
std::string StatusName(SECURITY_STATUS code);

// NtStatusName names the NTSTATUS codes a CredSSP server puts in TSRequest.errorCode
// (MS-CSSP 2.2.1), or returns "".
std::string_view NtStatusName(uint32_t code);

// DescribeFailure formats the lines the command prints for a failed SSPI call:
//   "<what>: SEC_E_X (0x...): <meaning>\n  hint: <hint>\n"
std::string DescribeFailure(std::string_view what, SECURITY_STATUS code);

}  // namespace ocs::cli
