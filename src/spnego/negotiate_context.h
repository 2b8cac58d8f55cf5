// negotiate_context.h - the Negotiate package: SPNEGO (RFC 4178 / MS-SPNG) over NTLM.
//
// NegotiateCredential wraps one NTLM credential; NegotiateContext wraps one NTLM context
// (ocs::ntlm::NtlmContext) and runs the SPNEGO framing and the mechListMIC exchange around it
// (spnego.md §5-§8):
//
//   client                                           server
//   60 .. NegTokenInit{[NTLM], NEGOTIATE}        ->
//                                                <-  a1 .. {accept-incomplete, NTLM, CHALLENGE}
//   a1 .. {AUTHENTICATE, mechListMIC}            ->
//                                                <-  a1 .. {accept-completed, mechListMIC}
//
// The server also accepts raw NTLMSSP tokens on the Negotiate package and answers raw (FreeRDP
// 2.x, WinPR, wine and older mstsc send them); then Negotiate is plain NTLM, without
// mechListMIC. A client whose first reply comes back as a raw NTLM CHALLENGE continues the
// same way.
//
// FOR CREDSSP (the client context as inner authenticator, credssp.md §4 flow A):
//   * After the Step that produced AUTHENTICATE, Step returns SEC_I_CONTINUE_NEEDED (the
//     server's mechListMIC is still to come) and KeysReady() becomes true: the client's own
//     mechListMIC has consumed outbound sequence number 0 and the outbound RC4 state has been
//     reset, so Encrypt() of pubKeyAuth may run now and uses sequence number 1. Send it with
//     the AUTHENTICATE token in the same TSRequest.
//   * Feed the server's final token (accept-completed + mechListMIC) to Step before calling
//     Decrypt() on the server's pubKeyAuth: Step verifies the server's MIC (inbound seq 0)
//     and resets the inbound RC4 state, so the server's first sealed message is seq 1.
//   * Server side: KeysReady() and IsComplete() turn true on the Step that consumed
//     AUTHENTICATE (and returned the final token).
//   * In raw NTLM mode KeysReady() mirrors the NTLM context's and no MIC is exchanged.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "core/package.h"
#include "ntlm/ntlm_context.h"
#include "spnego/spnego_messages.h"

namespace ocs::spnego {

// NegotiateOptions are per-credential switches, taken from the environment when the
// credential is acquired (NegotiateOptionsFromEnvironment).
struct NegotiateOptions {
  // client_raw_ntlm: the client sends bare NTLMSSP instead of SPNEGO, as WinPR's and FreeRDP
  // 2.x's Negotiate do; needed against their Negotiate servers, which cannot parse a
  // NegTokenInit. OPENCREDSSP_NEGOTIATE_RAW_NTLM=1. Windows servers accept both.
  bool client_raw_ntlm = false;
};
NegotiateOptions NegotiateOptionsFromEnvironment();

class NegotiateContext final : public Context {
 public:
  // `ntlm_cred` creates the inner NTLM context; `self` keeps the Negotiate credential alive;
  // `first_mech` (optional) is an NTLM context already made from `ntlm_cred` for `role`.
  NegotiateContext(Role role, std::shared_ptr<Credential> ntlm_cred,
                   std::shared_ptr<Credential> self, std::unique_ptr<Context> first_mech = {},
                   NegotiateOptions options = {});
  ~NegotiateContext() override;

  SECURITY_STATUS Step(const StepIn& in, StepOut* out) override;
  SECURITY_STATUS QueryAttribute(ULONG attr, void* buf, CharWidth width) override;
  SECURITY_STATUS SetAttribute(ULONG attr, const void* buf, ULONG len, CharWidth width) override;
  SECURITY_STATUS MakeSignature(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) override;
  SECURITY_STATUS VerifySignature(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) override;
  SECURITY_STATUS Encrypt(ULONG qop, gsl::span<SecBuffer> msg, ULONG seq) override;
  SECURITY_STATUS Decrypt(gsl::span<SecBuffer> msg, ULONG seq, ULONG* qop) override;
  SECURITY_STATUS Impersonate() override;
  SECURITY_STATUS Revert() override;
  bool IsComplete() const override { return state_ == State::kDone; }
  PackageId package() const override { return PackageId::kNegotiate; }

  // KeysReady: per-message functions may run (see the CredSSP notes above).
  bool KeysReady() const;
  // RawNtlm: the peer spoke bare NTLMSSP, no SPNEGO framing (server side or client fallback).
  bool RawNtlm() const { return raw_ntlm_; }
  // MechSelected: NTLM has been chosen (NEGOTIATION_INFO / PACKAGE_INFO then name NTLM).
  bool MechSelected() const { return ntlm_ != nullptr && mech_selected_; }
  // MicExchanged: both mechListMICs were sent and verified.
  bool MicExchanged() const { return mic_sent_ && mic_verified_; }
  // Mech gives the inner NTLM context (nullptr before the first Step).
  ntlm::NtlmContext* Mech() const { return ntlm_; }

 private:
  enum class State {
    kStart,            // nothing exchanged yet
    kClientWaitReply,  // client: NegTokenInit sent, waiting for the first NegTokenResp
    kClientWaitFinal,  // client: AUTHENTICATE + MIC sent, waiting for accept-completed
    kServerWaitMech,   // server: asked the client to restart with NTLM (request-mic)
    kServerWaitAuth,   // server: CHALLENGE sent
    kRaw,              // bare NTLM pass-through
    kDone,
    kFailed,
  };

  [[nodiscard]] SECURITY_STATUS NewMech();
  [[nodiscard]] SECURITY_STATUS StepMech(ByteSpan token, const StepIn& in, StepOut* mech_out);
  [[nodiscard]] SECURITY_STATUS ClientStart(const StepIn& in, StepOut* out);
  [[nodiscard]] SECURITY_STATUS ClientReply(const StepIn& in, StepOut* out);
  [[nodiscard]] SECURITY_STATUS ClientFinal(const StepIn& in, StepOut* out);
  [[nodiscard]] SECURITY_STATUS ServerStart(const StepIn& in, StepOut* out);
  [[nodiscard]] SECURITY_STATUS ServerMech(const StepIn& in, StepOut* out);
  [[nodiscard]] SECURITY_STATUS ServerAuth(const StepIn& in, StepOut* out);
  [[nodiscard]] SECURITY_STATUS RawStep(ByteSpan token, const StepIn& in, StepOut* out);
  [[nodiscard]] SECURITY_STATUS SignMechList(Bytes* out_mic);
  [[nodiscard]] SECURITY_STATUS VerifyMechList(ByteSpan mic);
  [[nodiscard]] bool PerMessageReady() const;

  Role role_;
  NegotiateOptions options_;
  State state_ = State::kStart;
  std::shared_ptr<Credential> ntlm_cred_;
  std::shared_ptr<Credential> self_;
  std::unique_ptr<Context> ntlm_owner_;
  ntlm::NtlmContext* ntlm_ = nullptr;  // == ntlm_owner_.get(), downcast once
  bool mech_selected_ = false;
  bool raw_ntlm_ = false;
  bool mic_required_ = false;  // request-mic was sent/received (RFC 4178 §5)
  bool mic_sent_ = false;
  bool mic_verified_ = false;
  bool keys_ready_ = false;  // SPNEGO view: own MIC handled, per-message calls may run
  Bytes mech_type_list_;     // exact DER the initiator sent: the mechListMIC input
  ULONG ret_flags_ = 0;
};

// MakeNegotiatePackage builds the Negotiate package over `ntlm` (tests pass a fake NTLM
// package; NegotiatePackage() passes NtlmPackage()). Each AcquireCredentials reads
// NegotiateOptionsFromEnvironment().
std::shared_ptr<Package> MakeNegotiatePackage(std::shared_ptr<Package> ntlm);

}  // namespace ocs::spnego
