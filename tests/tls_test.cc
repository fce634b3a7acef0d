// `gpufleet serve --tls-cert --tls-key` as a real process on loopback, with certificates made
// when the test runs: the client commands and a hollow agent over https with --cacert, a client
// that does not trust the certificate, a plain-HTTP client at the TLS port, and the start-up
// errors of the flags.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cli_run.h"
#include "serve_process.h"
#include "server/tokens.h"
#include "temp_dir.h"
#include "test_certs.h"

namespace gpufleet {
namespace {

using testing::HttpCall;
using testing::RunShell;
using testing::ScratchDir;
using testing::ServerProcess;

const std::string kFleet = std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml";

// A server on the tiny fleet serving HTTPS with a self-signed certificate; a tenant's and an
// agent's token.
struct TlsServer {
  ScratchDir dir;
  testing::TestCerts certs = testing::MakeTestCerts(dir);
  std::string user = NewToken().value(), agent = NewToken().value();
  std::string tokens = dir.Write("tokens", TokenLine("alice", "tenant:research", user).value() +
                                               TokenLine("agents", "agent", agent).value());
  ServerProcess server{dir,
                       kFleet,
                       tokens,
                       dir.Path("state.db"),
                       {"--tls-cert", certs.cert, "--tls-key", certs.key}};

  std::string url() const { return "https://127.0.0.1:" + std::to_string(server.port()); }
  // `command` (a client command and its arguments) against this server with the user's token,
  // no config file of the user's read; `extra` goes right after the command.
  std::pair<int, std::string> Client(const std::string& command, const std::string& extra) const {
    return ClientAt(url(), command, extra);
  }
  std::pair<int, std::string> ClientAt(const std::string& server_url, const std::string& command,
                                       const std::string& extra) const {
    const size_t space = command.find(' ');
    return RunShell(
        "env -u GPUFLEET_SERVER -u GPUFLEET_TOKEN -u GPUFLEET_CACERT "
        "HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent " +
        std::string(GPUFLEET_BINARY) + " " + command.substr(0, space) + " --server " + server_url +
        " --token " + user + " " + extra +
        (space == std::string::npos ? "" : command.substr(space)));
  }
};

TEST(TlsServe, SubmitAndJobsOverHttpsWithTheCa) {
  TlsServer s;
  ASSERT_TRUE(s.server.running()) << s.server.Log();
  EXPECT_NE(s.server.Log().find("listening on https://127.0.0.1:"), std::string::npos);
  const std::string ca = "--cacert " + testing::Quote(s.certs.cert);
  const auto [submitted, id] = s.Client("submit --gpus 4 --estimate 1h --name tls -- true", ca);
  ASSERT_EQ(submitted, 0) << id;
  EXPECT_EQ(id, "1\n");
  const auto [listed, table] = s.Client("jobs", ca);
  ASSERT_EQ(listed, 0) << table;
  EXPECT_NE(table.find("tls"), std::string::npos) << table;
}

TEST(TlsServe, WithoutTheCaTheClientRefusesTheCertificate) {
  TlsServer s;
  ASSERT_TRUE(s.server.running()) << s.server.Log();
  // The system's CAs do not know the test's certificate: no token is sent, exit 1 (as an
  // unreachable server), and the message says what to do.
  const auto [code, out] = s.Client("jobs", "");
  EXPECT_EQ(code, 1) << out;
  EXPECT_EQ(out.rfind("gpufleet jobs: cannot verify the certificate of " + s.url(), 0), 0u) << out;
  EXPECT_NE(out.find("--cacert"), std::string::npos) << out;
}

TEST(TlsServe, PlainHttpAtTheTlsPortIsClosedAndServingGoesOn) {
  TlsServer s;
  ASSERT_TRUE(s.server.running()) << s.server.Log();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(HttpCall(s.server.port(), "GET", "/healthz").status, 0) << "no HTTP answer";
  // The client says what may be wrong.
  const auto [code, out] =
      s.ClientAt("http://127.0.0.1:" + std::to_string(s.server.port()), "nodes", "");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("use https://"), std::string::npos) << out;
  const auto [listed, table] = s.Client("nodes", "--cacert " + testing::Quote(s.certs.cert));
  EXPECT_EQ(listed, 0) << table << s.server.Log();
}

TEST(TlsServe, HollowAgentRegistersOverHttps) {
  TlsServer s;
  ASSERT_TRUE(s.server.running()) << s.server.Log();
  const std::string log = s.dir.Path("hollow.log");
  const pid_t hollow =
      testing::Spawn({GPUFLEET_BINARY, "agent", "--hollow", "1", "--fleet", kFleet, "--server",
                      s.url(), "--token", s.agent, "--cacert", s.certs.cert},
                     log);
  // `gpufleet nodes` over https lists the node up once it registered.
  bool up = false;
  std::string table;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
       !up && std::chrono::steady_clock::now() < deadline;) {
    table = s.Client("nodes", "--cacert " + testing::Quote(s.certs.cert)).second;
    up = table.find(" up") != std::string::npos;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(hollow, SIGKILL);
  ::waitpid(hollow, nullptr, 0);
  EXPECT_TRUE(up) << table << testing::ReadFile(log);
}

TEST(TlsServe, CertWithoutKeyIsAUsageError) {
  ScratchDir dir;
  const testing::TestCerts certs = testing::MakeTestCerts(dir);
  const auto [code, out] =
      testing::RunGpufleet("serve --fleet " + kFleet + " --tokens " + dir.Write("tokens", "") +
                           " --tls-cert " + certs.cert + " --listen 127.0.0.1:0");
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("--tls-cert needs --tls-key"), std::string::npos) << out;
}

TEST(TlsServe, FilesThatCannotServeAreNamedAtStart) {
  ScratchDir dir;
  const testing::TestCerts certs = testing::MakeTestCerts(dir);
  const std::string serve = "serve --fleet " + kFleet + " --tokens " + dir.Write("tokens", "") +
                            " --state sqlite:" + dir.Path("state.db") + " --listen 127.0.0.1:0";
  const std::string missing = dir.Path("missing.pem");
  struct Case {
    std::string cert, key, said;
  };
  for (const Case& c : {
           Case{missing, certs.key, "--tls-cert " + missing + ": no such file"},
           Case{certs.cert, certs.other_key,
                "--tls-key " + certs.other_key + ": not the PEM private key of --tls-cert"},
           // A key where the certificate should be.
           Case{certs.key, certs.key, "--tls-cert " + certs.key + ": not a PEM certificate chain"},
       }) {
    const auto [code, out] =
        testing::RunGpufleet(serve + " --tls-cert " + c.cert + " --tls-key " + c.key);
    EXPECT_EQ(code, 2) << out;
    EXPECT_NE(out.find(c.said), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace gpufleet
