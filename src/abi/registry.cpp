// registry.cpp - see registry.h.
// SPDX-License-Identifier: Apache-2.0
#include "abi/registry.h"

#include <array>
#include <atomic>
#include <mutex>

namespace ocs::abi {
namespace {

using Factory = std::shared_ptr<Package> (*)();

Factory FactoryFor(PackageId id) {
  switch (id) {
    case PackageId::kNtlm: return &NtlmPackage;
    case PackageId::kNegotiate: return &NegotiatePackage;
    case PackageId::kCredSsp: return &CredSspPackage;
  }
  return nullptr;
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
  std::call_once(r.once[i], [&] { r.pkg[i] = FactoryFor(id)(); });
  return *r.pkg[i];
}

void SetPackageForTesting(PackageId id, std::shared_ptr<Package> pkg) {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.test_mu);
  r.test_pkg[static_cast<size_t>(id)] = std::move(pkg);
  r.test_override.store(true, std::memory_order_release);
}

}  // namespace ocs::abi
