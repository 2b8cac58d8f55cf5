// make_seeds - writes the seed corpora under fuzz/corpus/<target>/ from real exchanges:
//   * NTLM NEGOTIATE / CHALLENGE / AUTHENTICATE from a WinPR 2.11 NTLM handshake (libwinpr2,
//     a third-party implementation, loaded with dlopen) and from ours when it is built;
//   * SPNEGO NegTokenInit / NegTokenResp from our Negotiate package (SPNEGO over NTLM);
//   * TSRequests shaped as FreeRDP sends them (MS-CSSP 3.1.5: version 6, negoTokens carrying
//     the real NTLM messages above, a 32-byte clientNonce, pubKeyAuth, authInfo, errorCode);
//   * TSCredentials of each credential type.
// Usage: make_seeds <repo>/fuzz/corpus [path of libopencredssp.so]
// Run by hand when a message format changes; the output is committed (small files).
// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "asn1/der.h"
#include "credssp/ts_request.h"
#include "spnego/spnego_messages.h"
#include "sspi_peer.h"

namespace fs = std::filesystem;
using ocsbench::Provider;
using Transcript = std::vector<std::pair<bool, std::vector<unsigned char>>>;

namespace {

fs::path g_root;

void Write(const std::string& target, const std::string& name, const void* p, size_t n) {
  fs::create_directories(g_root / target);
  std::ofstream f(g_root / target / name, std::ios::binary);
  f.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
}
void Write(const std::string& target, const std::string& name, const std::vector<unsigned char>& v) {
  Write(target, name, v.data(), v.size());
}
void Write(const std::string& target, const std::string& name, ocs::ByteSpan v) {
  Write(target, name, v.data(), v.size());
}

ocs::Bytes ToBytes(const std::vector<unsigned char>& v) {
  return ocs::Bytes(reinterpret_cast<const std::byte*>(v.data()),
                    reinterpret_cast<const std::byte*>(v.data()) + v.size());
}

bool Run(const Provider& p, const std::u16string& pkg, const std::string& sam, Transcript* t) {
  ocsbench::Setup s;
  s.package = pkg;
  s.sam_file = sam;
  s.transcript = t;
  ocsbench::Credentials c;
  ocsbench::Contexts x;
  std::string err;
  if (!ocsbench::AcquireBoth(p, s, ocsbench::Account{}, &c, &err) ||
      !ocsbench::Handshake(p, s, c, &x, &err)) {
    std::fprintf(stderr, "handshake failed: %s\n", err.c_str());
    return false;
  }
  return true;
}

// CredSeed writes a TSCredentials seed for fuzz_tscredentials twice: whole (mode byte 0) and
// as its bare inner structure (mode byte 6 / 4 / 5 = password / smart card / Remote Guard).
void CredSeed(const std::string& name, const ocs::SecretBytes& der, uint8_t inner_mode) {
  std::vector<unsigned char> v{0};
  v.insert(v.end(), reinterpret_cast<const unsigned char*>(der.data()),
           reinterpret_cast<const unsigned char*>(der.data()) + der.size());
  Write("fuzz_tscredentials", name, v);
  ocs::asn1::DerReader r(der.span()), seq, t0, t1;
  ocs::ByteSpan inner;
  if (!r.ReadConstructed(ocs::asn1::kSequence, &seq) ||
      !seq.ReadConstructed(ocs::asn1::ContextTag(0), &t0) ||
      !seq.ReadConstructed(ocs::asn1::ContextTag(1), &t1) || !t1.ReadOctetString(&inner))
    return;
  std::vector<unsigned char> w{inner_mode};
  w.insert(w.end(), reinterpret_cast<const unsigned char*>(inner.data()),
           reinterpret_cast<const unsigned char*>(inner.data()) + inner.size());
  Write("fuzz_tscredentials", name + "_inner", w);
}

ocs::Bytes Fill(size_t n, unsigned char v) { return ocs::Bytes(n, std::byte{v}); }

ocs::SecretBytes Utf16(const char* s) {
  std::vector<std::byte> b;
  for (; *s; ++s) {
    b.push_back(std::byte(static_cast<unsigned char>(*s)));
    b.push_back(std::byte{0});
  }
  return ocs::SecretBytes(ocs::ByteSpan(b.data(), b.size()));
}

void TsSeeds(const Transcript& ntlm) {
  using ocs::credssp::TsRequest;
  const ocs::Bytes nonce = Fill(32, 0xa5);
  // Client's first message (FreeRDP 2.11: v6, raw NTLM NEGOTIATE, clientNonce).
  int i = 0;
  for (const auto& [from_client, tok] : ntlm) {
    TsRequest r;
    r.version = 6;
    r.nego_tokens.push_back(ToBytes(tok));
    if (from_client) r.client_nonce = nonce;
    if (i == 2) r.pub_key_auth = Fill(16 + 32, 0x3c);  // signature + SHA-256 hash, sealed
    Write("fuzz_tsrequest", "ntlm_leg" + std::to_string(i++), ocs::credssp::EncodeTsRequest(r));
  }
  TsRequest pk;  // server's pubKeyAuth reply
  pk.version = 6;
  pk.pub_key_auth = Fill(48, 0x77);
  Write("fuzz_tsrequest", "server_pubkeyauth", ocs::credssp::EncodeTsRequest(pk));
  TsRequest ai;  // client's authInfo (sealed TSCredentials)
  ai.version = 6;
  ai.auth_info = Fill(16 + 120, 0x42);
  ai.client_nonce = nonce;
  Write("fuzz_tsrequest", "client_authinfo", ocs::credssp::EncodeTsRequest(ai));
  TsRequest ec;  // Windows' logon failure
  ec.version = 6;
  ec.error_code = 0xC000006Du;
  Write("fuzz_tsrequest", "errorcode", ocs::credssp::EncodeTsRequest(ec));
  TsRequest v2;
  v2.version = 2;
  v2.nego_tokens.push_back(Fill(40, 0x4e));
  Write("fuzz_tsrequest", "v2", ocs::credssp::EncodeTsRequest(v2));

  using ocs::credssp::TsCredentials;
  TsCredentials pw;
  pw.cred_type = ocs::credssp::kPassword;
  pw.password.domain = Utf16("EXAMPLE");
  pw.password.user = Utf16("alice");
  pw.password.password = Utf16("Secret123");
  CredSeed("password", ocs::credssp::EncodeTsCredentials(pw), 6);
  TsCredentials ra;  // Restricted Admin: all three empty
  ra.cred_type = ocs::credssp::kPassword;
  CredSeed("restricted_admin", ocs::credssp::EncodeTsCredentials(ra), 6);
  TsCredentials sc;
  sc.cred_type = ocs::credssp::kSmartCard;
  sc.smart_card.pin = Utf16("1234");
  sc.smart_card.key_spec = 1;
  auto u = [](const char* s) { auto x = Utf16(s); return ocs::Bytes(x.data(), x.data() + x.size()); };
  sc.smart_card.card_name = u("Card");
  sc.smart_card.reader_name = u("Reader 0");
  sc.smart_card.container_name = u("c1");
  sc.smart_card.csp_name = u("Microsoft Base Smart Card Crypto Provider");
  sc.smart_card.user_hint = u("alice");
  sc.smart_card.domain_hint = u("EXAMPLE");
  CredSeed("smartcard", ocs::credssp::EncodeTsCredentials(sc), 4);
  TsCredentials rg;
  rg.cred_type = ocs::credssp::kRemoteGuard;
  rg.remote_guard.logon.package_name = u("Kerberos");
  rg.remote_guard.logon.cred_buffer = ocs::SecretBytes(8);
  rg.remote_guard.supplemental.emplace();
  rg.remote_guard.supplemental->push_back(
      ocs::credssp::PackageCred{u("NTLM"), ocs::SecretBytes(16)});
  CredSeed("remote_guard", ocs::credssp::EncodeTsCredentials(rg), 5);
}

// SpnegoSeeds wraps the real NTLM messages as Windows' Negotiate sends them (MS-SPNG 3.1.5):
// framed NegTokenInit with NEGOTIATE, NegTokenResp accept-incomplete with CHALLENGE,
// NegTokenResp with AUTHENTICATE and a mechListMIC, the final accept-completed with a MIC.
void SpnegoSeeds(const Transcript& ntlm) {
  using namespace ocs::spnego;
  const ocs::ByteSpan oids[1] = {NtlmOid()};
  const ocs::Bytes mtl = EncodeMechTypeList(oids);
  const ocs::Bytes t0 = ToBytes(ntlm[0].second), t1 = ToBytes(ntlm[1].second),
                   t2 = ToBytes(ntlm[2].second), mic = Fill(16, 0x01);
  NegTokenInit init;
  init.mech_types.push_back(NtlmOid());
  init.mech_type_list = ocs::ByteSpan(mtl.data(), mtl.size());
  init.mech_token = ocs::ByteSpan(t0.data(), t0.size());
  Write("fuzz_spnego_init", "negtokeninit_ntlm", EncodeInitialContextToken(init));
  NegTokenInit init2;  // NegTokenInit2 as a Windows server offers it
  init2.mech_types.push_back(NtlmOid());
  init2.has_neg_hints = true;
  static const char kHint[] = "not_defined_in_RFC4178@please_ignore";
  init2.hint_name = ocs::ByteSpan(reinterpret_cast<const std::byte*>(kHint), sizeof kHint - 1);
  Write("fuzz_spnego_init", "negtokeninit2_hints", EncodeInitialContextToken(init2));
  NegTokenResp r1;
  r1.neg_state = NegState::kAcceptIncomplete;
  r1.supported_mech = NtlmOid();
  r1.response_token = ocs::ByteSpan(t1.data(), t1.size());
  Write("fuzz_spnego_resp", "resp_challenge", EncodeNegTokenResp(r1));
  NegTokenResp r2;
  r2.response_token = ocs::ByteSpan(t2.data(), t2.size());
  r2.mech_list_mic = ocs::ByteSpan(mic.data(), mic.size());
  Write("fuzz_spnego_resp", "resp_authenticate_mic", EncodeNegTokenResp(r2));
  NegTokenResp r3;
  r3.neg_state = NegState::kAcceptCompleted;
  r3.mech_list_mic = ocs::ByteSpan(mic.data(), mic.size());
  Write("fuzz_spnego_resp", "resp_complete_mic", EncodeNegTokenResp(r3));
  NegTokenResp r4;
  r4.neg_state = NegState::kReject;
  Write("fuzz_spnego_resp", "resp_reject", EncodeNegTokenResp(r4));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_seeds <repo>/fuzz/corpus [libopencredssp.so]\n");
    return 2;
  }
  g_root = argv[1];
  setenv("WLOG_LEVEL", "OFF", 0);
  const std::string sam = (fs::temp_directory_path() / "ocs_seed_sam").string();
  std::ofstream(sam) << "alice:EXAMPLE::63647965f13544c6551d5fdb7ffd13e0:::\n";
  std::string err;
  auto winpr = Provider::Load("libwinpr2.so.2", &err);
  Transcript ntlm;
  if (!winpr || !Run(*winpr, u"NTLM", sam, &ntlm) || ntlm.size() != 3) {
    std::fprintf(stderr, "WinPR NTLM handshake: %s\n", err.c_str());
    return 1;
  }
  const char* names[3] = {"winpr_negotiate", "winpr_challenge", "winpr_authenticate"};
  static const char* const kNtlmTargets[3] = {"fuzz_ntlm_negotiate", "fuzz_ntlm_challenge",
                                              "fuzz_ntlm_authenticate"};
  for (size_t i = 0; i < 3; ++i) Write(kNtlmTargets[i], names[i], ntlm[i].second);
  TsSeeds(ntlm);
  SpnegoSeeds(ntlm);
  if (argc >= 3) {
    auto ours = Provider::Load(argv[2], &err);
    Transcript on, sp;
    if (ours && Run(*ours, u"NTLM", sam, &on))
      for (size_t i = 0; i < on.size(); ++i)
        if (i < 3) Write(kNtlmTargets[i], "ours", on[i].second);
    if (ours && Run(*ours, u"Negotiate", sam, &sp))
      for (size_t i = 0; i < sp.size(); ++i)
        Write(i == 0 ? "fuzz_spnego_init" : "fuzz_spnego_resp", "ours_" + std::to_string(i),
              sp[i].second);
  }
  std::remove(sam.c_str());
  return 0;
}
