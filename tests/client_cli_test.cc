// The client commands end to end, against a fake server: what they send, what they print, their
// exit codes (2 refused, 1 unreachable).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "client/fake_http_server_test_support.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using testing::FakeHttpServer;
using testing::FakeReply;
using testing::FakeRequest;
using testing::Quote;
using testing::RunGpufleet;
using testing::RunShell;

// `args` is a command and its arguments; the server and token options go right after the
// command, before any `--`. HOME and XDG_CONFIG_HOME point nowhere: no config file of the user's
// is read.
std::string Client(const std::string& server, const std::string& args) {
  const size_t space = args.find(' ');
  const std::string command = args.substr(0, space);
  const std::string rest = space == std::string::npos ? "" : args.substr(space);
  return "env -u GPUFLEET_SERVER -u GPUFLEET_TOKEN HOME=/nonexistent "
         "XDG_CONFIG_HOME=/nonexistent " +
         std::string(GPUFLEET_BINARY) + " " + command + " --server " + server + " --token gft_t" +
         rest;
}

TEST(ClientCli, SubmitSendsTheRequestAndPrintsTheId) {
  FakeHttpServer server([](const FakeRequest&) {
    return FakeReply{201, R"({"id": 17, "state": "pending"})"};
  });
  const auto [code, out] = RunShell(Client(server.url(),
                                           "submit --gpus 8 --topology nvlink --estimate 2h "
                                           "--idempotency-key k1 -- python train.py --lr 0.1"));
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(out, "17\n");
  const std::vector<FakeRequest> seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/v1/jobs");
  EXPECT_EQ(nlohmann::json::parse(seen[0].body),
            nlohmann::json::parse(R"({"gpus": 8, "topology": "nvlink", "estimate": "2h",
                                      "command": "python train.py --lr 0.1"})"));
  EXPECT_NE(seen[0].headers.find("idempotency-key: k1"), std::string::npos);
}

TEST(ClientCli, SubmitScriptTakesDirectivesAndCommandLineWins) {
  testing::ScratchDir dir;
  const std::string script =
      dir.Write("train.sh", "#!/bin/sh\n#GPUFLEET --gpus 64 --estimate 36h --name big\necho hi\n");
  FakeHttpServer server([](const FakeRequest&) { return FakeReply{201, R"({"id": 3})"}; });
  const auto [code, out] =
      RunShell(Client(server.url(), "submit --file " + Quote(script) + " --gpus 8"));
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json body = nlohmann::json::parse(server.requests().at(0).body);
  EXPECT_EQ(body.at("gpus"), 8);
  EXPECT_EQ(body.at("estimate"), "36h");
  EXPECT_EQ(body.at("name"), "big");
  EXPECT_EQ(body.at("command"), "sh " + script);
}

TEST(ClientCli, RefusalIsShownAsTheServerWroteItWithExitCode2) {
  FakeHttpServer server([](const FakeRequest&) {
    return FakeReply{400, R"({"error": {"code": "invalid_argument",
                        "message": "request:1:12: field 'gpus': expected a whole number"}})"};
  });
  const auto [code, out] = RunShell(Client(server.url(), "submit --estimate 1h -- true"));
  EXPECT_EQ(code, 2);
  EXPECT_EQ(out, "gpufleet submit: request:1:12: field 'gpus': expected a whole number\n");
}

TEST(ClientCli, UnreachableServerExits1AndNamesIt) {
  const auto [code, out] = RunShell(Client("http://127.0.0.1:1", "jobs"));
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out, "gpufleet jobs: cannot reach http://127.0.0.1:1: Connection refused\n");
}

TEST(ClientCli, JobsFollowsPagesAndPrintsATable) {
  FakeHttpServer server([](const FakeRequest& r) {
    if (r.path == "/v1/forecast")
      return FakeReply{200, R"({"jobs": [{"id": 2, "start": "2026-12-05T17:00:00.000Z"}]})"};
    if (r.path.find("after=0") != std::string::npos)
      return FakeReply{200, R"({"jobs": [{"id": 1, "name": "a", "tenant": "t", "state": "running",
                                "gpus": 8, "submitted_at": "2026-12-05T16:00:00.000Z",
                                "nodes": ["s/p/n0"]}], "next_after": 1})"};
    return FakeReply{200, R"({"jobs": [{"id": 2, "name": "b", "tenant": "t", "state": "pending",
                              "gpus": 64, "submitted_at": "2026-12-05T16:00:01.000Z",
                              "reason": "needs 64 GPUs"}], "next_after": null})"};
  });
  const auto [code, out] = RunShell(Client(server.url(), "jobs"));
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(out,
            "ID  NAME  TENANT  STATE    GPUS  SUBMITTED            START                "
            "REASON/NODES\n"
            "1   a     t       running  8     2026-12-05 16:00:00  -                    s/p/n0\n"
            "2   b     t       pending  64    2026-12-05 16:00:01  2026-12-05 17:00:00  needs 64 "
            "GPUs\n");
  const std::vector<FakeRequest> seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].path, "/v1/forecast");
  EXPECT_EQ(seen[0].path, "/v1/jobs?limit=1000&after=0&state=pending,starting,running,stopping");
  EXPECT_EQ(seen[1].path, "/v1/jobs?limit=1000&after=1&state=pending,starting,running,stopping");
}

TEST(ClientCli, MissingTokenIsABadInput) {
  const auto [code, out] =
      RunShell("env -u GPUFLEET_TOKEN HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent " +
               std::string(GPUFLEET_BINARY) + " nodes --server http://127.0.0.1:1");
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("no token"), std::string::npos) << out;
}

TEST(ClientCli, DrainUndrainAndTenantSendWhatTheyShould) {
  FakeHttpServer server([](const FakeRequest& r) {
    if (r.path == "/v1/nodes/drain" || r.path == "/v1/nodes/undrain")
      return FakeReply{200, R"({"nodes": [{"path": "lab/rack/dgx-1", "state": "draining"}]})"};
    if (r.path == "/v1/nodes")
      return FakeReply{200, R"({"nodes": [{"path": "lab/rack/dgx-1", "gpus": 8, "gpu_model": "h100",
                                "state": "draining", "jobs": [4],
                                "drain": {"reason": "PSU swap", "since": "x"}}]})"};
    return FakeReply{200, R"({"name": "research", "weight": 1, "quota_gpus": 16,
                              "share_applies": true, "gpus_held": 8, "jobs_holding_gpus": 1,
                              "jobs_pending": 2})"};
  });
  auto [code, out] = RunShell(Client(server.url(), "drain lab/rack/dgx-1 --reason 'PSU swap'"));
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(out, "lab/rack/dgx-1 draining\n");
  std::tie(code, out) = RunShell(Client(server.url(), "undrain lab/rack/dgx-1"));
  ASSERT_EQ(code, 0) << out;
  // Setting only the weight keeps the quota the server has.
  std::tie(code, out) = RunShell(Client(server.url(), "tenant research --weight 3"));
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("research"), std::string::npos) << out;
  std::tie(code, out) = RunShell(Client(server.url(), "tenant research --quota-gpus lots"));
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("--quota-gpus 'lots'"), std::string::npos) << out;
  std::tie(code, out) = RunShell(Client(server.url(), "nodes"));
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("draining"), std::string::npos) << out;
  EXPECT_NE(out.find("PSU swap"), std::string::npos) << out;
  // drain, undrain, the tenant's GET and PUT, nodes: the bad quota never reached the server.
  const std::vector<FakeRequest> seen = server.requests();
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(nlohmann::json::parse(seen[0].body),
            nlohmann::json::parse(R"({"nodes": ["lab/rack/dgx-1"], "reason": "PSU swap"})"));
  EXPECT_EQ(nlohmann::json::parse(seen[1].body),
            nlohmann::json::parse(R"({"nodes": ["lab/rack/dgx-1"]})"));
  EXPECT_EQ(seen[3].method, "PUT");
  EXPECT_EQ(seen[3].path, "/v1/tenants/research");
  EXPECT_EQ(nlohmann::json::parse(seen[3].body),
            nlohmann::json::parse(R"({"weight": 3.0, "quota_gpus": 16})"));
}

TEST(ClientCli, AgentInventoryWithoutDriverSaysWhy) {
  const auto [code, out] = RunGpufleet("agent --inventory");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json inventory = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(inventory.is_object()) << out;
  EXPECT_TRUE(inventory.contains("gpus"));
}

}  // namespace
}  // namespace gpufleet
