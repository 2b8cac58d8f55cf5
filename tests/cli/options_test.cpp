// options_test.cpp - the command line of opencredssp, and the status table its failures print.
// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <gtest/gtest.h>

#include "status.h"
#include "trace.h"

namespace ocs::cli {
namespace {

std::string Parse(std::vector<std::string> args, Options* o) { return ParseOptions(args, o); }

TEST(Options, DefaultsAreTheDemo) {
  Options o;
  ASSERT_EQ(Parse({"server"}, &o), "");
  EXPECT_EQ(o.mode, Mode::kServer);
  EXPECT_EQ(o.package, "CREDSSP");
  EXPECT_EQ(o.EffectiveFraming(), Framing::kRdp);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 3389);
  EXPECT_FALSE(o.show_credentials);
  ASSERT_EQ(Parse({"client"}, &o), "");
  EXPECT_EQ(o.mode, Mode::kClient);
  EXPECT_FALSE(o.user);
}

TEST(Options, PackageIsCaseInsensitiveAndPicksItsFraming) {
  Options o;
  ASSERT_EQ(Parse({"client", "--package", "ntlm"}, &o), "");
  EXPECT_EQ(o.package, "NTLM");
  EXPECT_EQ(o.EffectiveFraming(), Framing::kLength);
  ASSERT_EQ(Parse({"client", "--package=NEGOTIATE"}, &o), "");
  EXPECT_EQ(o.package, "Negotiate");
  ASSERT_EQ(Parse({"server", "--package", "credssp", "--framing", "length"}, &o), "");
  EXPECT_EQ(o.EffectiveFraming(), Framing::kLength);
}

TEST(Options, RawStreamNeedsCredSsp) {
  Options o;
  EXPECT_NE(Parse({"client", "--package", "NTLM", "--framing", "rdp"}, &o), "");
  EXPECT_NE(Parse({"server", "--package", "Negotiate", "--framing", "stream"}, &o), "");
}

TEST(Options, AddressesAndPorts) {
  Options o;
  ASSERT_EQ(Parse({"server", "--listen", "[::1]:0"}, &o), "");
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 0);
  ASSERT_EQ(Parse({"server", "--listen", "::1", "--port", "4000"}, &o), "");
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 4000);
  ASSERT_EQ(Parse({"client", "--connect", "127.0.0.1:3390"}, &o), "");
  EXPECT_EQ(o.port, 3390);
  EXPECT_NE(Parse({"client", "--port", "0"}, &o), "");
  EXPECT_NE(Parse({"client", "--port", "65536"}, &o), "");
  EXPECT_NE(Parse({"client", "--port", "12x"}, &o), "");
  EXPECT_NE(Parse({"client", "--connect", "[::1"}, &o), "");
}

TEST(Options, SideSpecificOptionsAreRefusedOnTheOtherSide) {
  Options o;
  EXPECT_NE(Parse({"client", "--users", "f"}, &o), "");
  EXPECT_NE(Parse({"client", "--show-credentials"}, &o), "");
  EXPECT_NE(Parse({"server", "--password", "x"}, &o), "");
  EXPECT_NE(Parse({"server", "--user", "x"}, &o), "");
}

TEST(Options, Errors) {
  Options o;
  EXPECT_NE(Parse({}, &o), "");
  EXPECT_NE(Parse({"serve"}, &o), "");
  EXPECT_NE(Parse({"server", "--bogus"}, &o), "");
  EXPECT_NE(Parse({"server", "--package"}, &o), "");
  EXPECT_NE(Parse({"server", "--package", "Kerberos"}, &o), "");
  EXPECT_NE(Parse({"server", "--framing", "tpkt"}, &o), "");
  EXPECT_NE(Parse({"server", "--cert", "a.pem"}, &o), "");
  EXPECT_NE(Parse({"server", "--trace=yes"}, &o), "");
  EXPECT_NE(Parse({"server", "--package", "NTLM", "--cert", "c", "--key", "k"}, &o), "");
  ASSERT_EQ(Parse({"server", "--once", "--show-credentials", "--cert", "c", "--key", "k"}, &o), "");
  EXPECT_EQ(o.count, 1);
  ASSERT_EQ(Parse({"client", "-u", "EXAMPLE\\alice", "-p", "pw", "--help"}, &o), "");
  EXPECT_EQ(o.mode, Mode::kHelp);
}

TEST(Status, EveryFailureHasANameAMeaningAndTheCommonOnesAHint) {
  for (SECURITY_STATUS s :
       {SEC_E_LOGON_DENIED, SEC_E_INVALID_TOKEN, SEC_E_MESSAGE_ALTERED, SEC_E_NO_CREDENTIALS,
        SEC_E_UNKNOWN_CREDENTIALS, SEC_E_WRONG_PRINCIPAL, SEC_E_SECPKG_NOT_FOUND,
        SEC_E_UNSUPPORTED_FUNCTION, SEC_E_ILLEGAL_MESSAGE, SEC_E_MUTUAL_AUTH_FAILED,
        SEC_E_DECRYPT_FAILURE, SEC_E_NO_AUTHENTICATING_AUTHORITY}) {
    const StatusInfo* info = LookupStatus(s);
    ASSERT_NE(info, nullptr) << std::hex << s;
    EXPECT_EQ(info->name.substr(0, 6), "SEC_E_");
    EXPECT_FALSE(info->meaning.empty());
    EXPECT_FALSE(info->hint.empty()) << info->name;
  }
  std::string d = DescribeFailure("client: InitializeSecurityContext failed", SEC_E_LOGON_DENIED);
  EXPECT_NE(d.find("SEC_E_LOGON_DENIED (0x8009030C): The logon attempt failed."),
            std::string::npos);
  EXPECT_NE(d.find("hint: "), std::string::npos);
  EXPECT_EQ(StatusName(static_cast<SECURITY_STATUS>(0x80091234)), "0x80091234");
  EXPECT_NE(DescribeFailure("x", static_cast<SECURITY_STATUS>(0x80091234)).find("unknown"),
            std::string::npos);
}

TEST(Trace, NamesTheCommonTokens) {
  auto bytes = [](std::initializer_list<int> v) {
    Bytes b;
    for (int x : v) b.push_back(static_cast<std::byte>(x));
    return b;
  };
  EXPECT_EQ(DescribeToken(bytes({'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0})),
            "NTLM NEGOTIATE");
  EXPECT_EQ(DescribeToken(bytes({0x16, 3, 1, 0, 4, 1, 0, 0, 0})), "TLS ClientHello");
  EXPECT_EQ(DescribeToken(bytes({0x14, 3, 3, 0, 1, 1, 0x17, 3, 3, 0, 2, 0, 0})),
            "TLS ChangeCipherSpec, 1 encrypted record");
  EXPECT_EQ(DescribeToken(bytes({0x15, 3, 3, 0, 2, 2, 49})), "TLS Alert(49)");
  EXPECT_EQ(DescribeToken(bytes({0x16, 3, 3, 0, 9, 2})), "TLS ServerHello (a partial record)");
  EXPECT_EQ(DescribeToken(bytes({0x60, 0x48, 6, 6})), "SPNEGO NegTokenInit");
  EXPECT_EQ(DescribeToken({}), "empty");
  EXPECT_EQ(DescribeToken(bytes({0x42})), "opaque");
}

}  // namespace
}  // namespace ocs::cli
