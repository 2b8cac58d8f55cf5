// sspi_lib.h - the opencredssp command reaches the security packages the way any program does:
// it dlopen()s an SSPI provider (libopencredssp by default) and calls its
// InitSecurityInterfaceW table. Nothing of the library's internals is used.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <opencredssp/sspi.h>

#include <string>
#include <string_view>

namespace ocs::cli {

// DefaultLibraryPath: $OPENCREDSSP_LIBRARY, else the libopencredssp built beside this command
// (when it exists), else the installed soname.
std::string DefaultLibraryPath();

class SspiLibrary {
 public:
  SspiLibrary() = default;
  SspiLibrary(const SspiLibrary&) = delete;
  SspiLibrary& operator=(const SspiLibrary&) = delete;
  ~SspiLibrary();

  // Load opens `path` with RTLD_LOCAL (so that another SSPI provider exporting the same names,
  // e.g. WinPR, can live in the same process) and fetches its W table. Returns "" or an error.
  std::string Load(const std::string& path);

  const SecurityFunctionTableW& t() const { return *table_; }
  const std::string& path() const { return path_; }

 private:
  void* handle_ = nullptr;
  PSecurityFunctionTableW table_ = nullptr;
  std::string path_;
};

// U16 converts UTF-8 to the UTF-16 SSPI expects (SEC_WCHAR is uint16_t on every platform).
std::u16string U16(std::string_view utf8);
std::string U8(const SEC_WCHAR* s);
inline SEC_WCHAR* W(std::u16string& s) { return reinterpret_cast<SEC_WCHAR*>(s.data()); }

// Handles that free themselves through the table that made them.
class CredHandleGuard {
 public:
  explicit CredHandleGuard(const SspiLibrary& lib) : lib_(lib) { SecInvalidateHandle(&h_); }
  ~CredHandleGuard() {
    if (SecIsValidHandle(&h_)) lib_.t().FreeCredentialsHandle(&h_);
  }
  CredHandleGuard(const CredHandleGuard&) = delete;
  CredHandleGuard& operator=(const CredHandleGuard&) = delete;
  CredHandle* get() { return &h_; }

 private:
  const SspiLibrary& lib_;
  CredHandle h_;
};

class CtxtHandleGuard {
 public:
  explicit CtxtHandleGuard(const SspiLibrary& lib) : lib_(lib) { SecInvalidateHandle(&h_); }
  ~CtxtHandleGuard() {
    if (SecIsValidHandle(&h_)) lib_.t().DeleteSecurityContext(&h_);
  }
  CtxtHandleGuard(const CtxtHandleGuard&) = delete;
  CtxtHandleGuard& operator=(const CtxtHandleGuard&) = delete;
  CtxtHandle* get() { return &h_; }
  bool valid() const { return SecIsValidHandle(&h_); }

 private:
  const SspiLibrary& lib_;
  CtxtHandle h_;
};

}  // namespace ocs::cli
