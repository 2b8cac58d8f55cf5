// registry.cpp - see registry.h.
// SPDX-License-Identifier: Apache-2.0
#include "abi/registry.h"

#include <array>
#include <atomic>
#include <mutex>

#include "core/log.h"

#if defined(__ELF__)
#define OCS_WEAK_FACTORIES 1
namespace ocs {
__attribute__((weak)) std::shared_ptr<Package> NtlmPackage();
__attribute__((weak)) std::shared_ptr<Package> NegotiatePackage();
__attribute__((weak)) std::shared_ptr<Package> CredSspPackage();
}  // namespace ocs
#endif

namespace ocs::abi {
namespace {

// UnimplementedPackage stands in for a module this build does not contain.
class UnimplementedPackage final : public Package {
 public:
  explicit UnimplementedPackage(PackageId id) : id_(id) {}
  PackageId id() const override { return id_; }
  SECURITY_STATUS AcquireCredentials(const AcquireArgs&, std::shared_ptr<Credential>*) override {
    OCS_LOG(kDebug, "package %d is not implemented in this build", static_cast<int>(id_));
    return SEC_E_UNSUPPORTED_FUNCTION;
  }

 private:
  PackageId id_;
};

// The package modules are written in parallel with this shim, and a module library can exist
// before its factory does. On ELF the factories are weak references, resolved when the module
// that defines them is linked in (src/abi/CMakeLists.txt links every module whole); elsewhere
// OCS_HAVE_* (set when the module target exists) decides.

using Factory = std::shared_ptr<Package> (*)();

Factory FactoryFor(PackageId id) {
#if defined(OCS_WEAK_FACTORIES)
  switch (id) {
    case PackageId::kNtlm: return &NtlmPackage;  // nullptr when not linked
    case PackageId::kNegotiate: return &NegotiatePackage;
    case PackageId::kCredSsp: return &CredSspPackage;
  }
  return nullptr;
#else
  switch (id) {
    case PackageId::kNtlm:
#if defined(OCS_HAVE_NTLM)
      return &NtlmPackage;
#else
      return nullptr;
#endif
    case PackageId::kNegotiate:
#if defined(OCS_HAVE_NEGOTIATE)
      return &NegotiatePackage;
#else
      return nullptr;
#endif
    case PackageId::kCredSsp:
#if defined(OCS_HAVE_CREDSSP)
      return &CredSspPackage;
#else
      return nullptr;
#endif
  }
  return nullptr;
#endif
}

std::shared_ptr<Package> Make(PackageId id) {
  Factory f = FactoryFor(id);
  if (f != nullptr) {
    if (auto p = f(); p != nullptr) return p;
  }
  return std::make_shared<UnimplementedPackage>(id);
}

struct Registry {
  std::once_flag once[3];
  std::shared_ptr<Package> pkg[3];
  std::mutex test_mu;
  std::shared_ptr<Package> test_pkg[3];  // guarded by test_mu
  std::atomic<bool> test_override{false};
};

Registry& GetRegistry() {
  static Registry* r = new Registry;  // leaked on purpose (used until process exit)
  return *r;
}

}  // namespace

Package& GetPackage(PackageId id) {
  Registry& r = GetRegistry();
  const auto i = static_cast<size_t>(id);
  if (r.test_override.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(r.test_mu);
    if (r.test_pkg[i] != nullptr) return *r.test_pkg[i];
  }
  std::call_once(r.once[i], [&] {
    r.pkg[i] = Make(id);
    if (r.pkg[i] == nullptr) r.pkg[i] = std::make_shared<UnimplementedPackage>(id);
  });
  return *r.pkg[i];
}

void SetPackageForTesting(PackageId id, std::shared_ptr<Package> pkg) {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.test_mu);
  r.test_pkg[static_cast<size_t>(id)] = std::move(pkg);
  r.test_override.store(true, std::memory_order_release);
}

bool PackageImplemented(PackageId id) { return FactoryFor(id) != nullptr; }

}  // namespace ocs::abi
