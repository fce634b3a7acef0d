// `gpufleet agent --hollow` against a real `gpufleet serve`, both as processes on loopback: the
// emulated nodes come up, run jobs for their duration and complete them, end a cancelled one at
// once, and go down when the hollow agent is killed. Every wait polls with a deadline, generous for
// a loaded two-core machine.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_run.h"
#include "serve_process.h"
#include "server/tokens.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using json = nlohmann::json;
using testing::Eventually;
using testing::HttpCall;
using testing::ScratchDir;
using testing::ServerProcess;

const std::string kFleet = std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml";

struct HollowCluster {
  ScratchDir dir;
  std::string user, agent_token, admin, token_file;
  std::unique_ptr<ServerProcess> server;
  pid_t hollow = -1;

  HollowCluster() {
    user = NewToken().value();
    agent_token = NewToken().value();
    admin = NewToken().value();
    const std::string tokens =
        dir.Write("tokens", TokenLine("alice", "tenant:research", user).value() +
                                TokenLine("agents", "agent", agent_token).value() +
                                TokenLine("ops", "admin", admin).value());
    token_file = dir.Write("agent.token", agent_token + "\n");
    server = std::make_unique<ServerProcess>(
        dir, kFleet, tokens, dir.Path("state.db"),
        std::vector<std::string>{"--heartbeat-timeout", "3s", "--grace", "1s"});
  }
  ~HollowCluster() { Kill(SIGKILL); }

  void StartHollow(std::vector<std::string> extra) {
    std::vector<std::string> args = {
        GPUFLEET_BINARY, "agent",
        "--server",      "http://127.0.0.1:" + std::to_string(server->port()),
        "--token-file",  token_file,
        "--fleet",       kFleet};
    args.insert(args.end(), extra.begin(), extra.end());
    hollow = testing::Spawn(std::move(args), dir.Path("hollow.log"));
  }
  // Sends `signal` and waits; the exit status as waitpid gives it.
  int Kill(int signal) {
    if (hollow <= 0) return -1;
    ::kill(hollow, signal);
    int status = 0;
    ::waitpid(hollow, &status, 0);
    hollow = -1;
    return status;
  }
  std::string HollowLog() const { return testing::ReadFile(dir.Path("hollow.log")); }

  // path -> state, from /v1/nodes.
  std::map<std::string, std::string> Nodes() const {
    std::map<std::string, std::string> out;
    const json doc =
        json::parse(HttpCall(server->port(), "GET", "/v1/nodes", "", user).body, nullptr, false);
    if (doc.is_object())
      for (const json& n : doc["nodes"]) out[n["path"]] = n["state"];
    return out;
  }
  int NodesIn(const std::string& state) const {
    int count = 0;
    for (const auto& [path, s] : Nodes()) count += s == state;
    return count;
  }
  long Submit(const json& job) const {
    const auto r = HttpCall(server->port(), "POST", "/v1/jobs", job.dump(), user);
    EXPECT_EQ(r.status, 201) << r.body;
    const json doc = json::parse(r.body, nullptr, false);
    return doc.is_object() && doc.contains("id") ? doc["id"].get<long>() : -1;
  }
  json Job(long id) const {
    return json::parse(
        HttpCall(server->port(), "GET", "/v1/jobs/" + std::to_string(id), "", user).body, nullptr,
        false);
  }
  std::string StateOf(long id) const {
    const json job = Job(id);
    return job.is_object() && job.contains("state") ? job["state"].get<std::string>() : "";
  }
};

TEST(HollowAgent, NodesComeUpAndJobsRunForTheirDurationThenComplete) {
  HollowCluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.StartHollow({"--hollow", "2"});
  ASSERT_TRUE(Eventually([&] { return c.NodesIn("up") == 2; }, std::chrono::seconds(30)))
      << c.HollowLog();
  EXPECT_EQ(c.Nodes(), (std::map<std::string, std::string>{{"lab/rack/dgx-1", "up"},
                                                           {"lab/rack/dgx-2", "up"}}));

  const json job = {{"gpus", 8}, {"estimate", "1h"}, {"duration", "2s"}, {"command", "true"}};
  const long a = c.Submit(job), b = c.Submit(job);
  ASSERT_TRUE(Eventually([&] { return c.StateOf(a) == "running" && c.StateOf(b) == "running"; },
                         std::chrono::seconds(30)))
      << c.Job(a).dump() << c.Job(b).dump() << c.HollowLog();
  const auto running_since = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return c.StateOf(a) == "completed" && c.StateOf(b) == "completed"; },
                         std::chrono::seconds(30)))
      << c.Job(a).dump() << c.Job(b).dump() << c.HollowLog();
  // It ran for its duration, not ended at once (it was running when first seen, so at least
  // about its 2 s less the heartbeat it took to be seen running).
  EXPECT_GE(std::chrono::steady_clock::now() - running_since, std::chrono::milliseconds(500));
  EXPECT_EQ(c.Job(a)["exit_code"], 0);
  EXPECT_EQ(c.Job(a)["nodes"].size(), 1U);
  EXPECT_NE(c.Job(a)["nodes"], c.Job(b)["nodes"]) << "one 8-GPU job per node";

  // SIGTERM stops the hollow agent cleanly.
  const int status = c.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << c.HollowLog();
}

TEST(HollowAgent, ACancelledJobEndsAtOnceAndIsCancelled) {
  HollowCluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.StartHollow({"--hollow", "2"});
  const long id =
      c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"duration", "1h"}, {"command", "sleep 3600"}});
  ASSERT_TRUE(Eventually([&] { return c.StateOf(id) == "running"; }, std::chrono::seconds(30)))
      << c.Job(id).dump() << c.HollowLog();
  const auto r =
      HttpCall(c.server->port(), "POST", "/v1/jobs/" + std::to_string(id) + "/cancel", "", c.user);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(Eventually([&] { return c.StateOf(id) == "cancelled"; }, std::chrono::seconds(30)))
      << c.Job(id).dump() << c.HollowLog();
  EXPECT_EQ(c.Job(id)["exit_code"], nullptr) << c.Job(id).dump();
}

TEST(HollowAgent, AKilledHollowAgentsNodesGoDownAfterTheTimeout) {
  HollowCluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.StartHollow({"--hollow", "2", "--hollow-threads", "2"});
  ASSERT_TRUE(Eventually([&] { return c.NodesIn("up") == 2; }, std::chrono::seconds(30)))
      << c.HollowLog();
  // Up and staying up: the syncs keep both nodes within the 3 s timeout.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_EQ(c.NodesIn("up"), 2) << c.HollowLog();
  c.Kill(SIGKILL);
  EXPECT_TRUE(Eventually([&] { return c.NodesIn("down") == 2; }, std::chrono::seconds(30)))
      << c.server->Log();
}

TEST(HollowAgent, NodesGlobPicksTheNodes) {
  HollowCluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.StartHollow({"--hollow", "1", "--nodes", "*/dgx-2"});
  ASSERT_TRUE(Eventually([&] { return c.NodesIn("up") == 1; }, std::chrono::seconds(30)))
      << c.HollowLog();
  EXPECT_EQ(c.Nodes()["lab/rack/dgx-2"], "up");
  EXPECT_EQ(c.Nodes()["lab/rack/dgx-1"], "absent");
}

TEST(HollowAgent, ADrainedNodeRunsItsJobOnButTakesNoNewOneUntilUndrained) {
  HollowCluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.StartHollow({"--hollow", "2"});
  ASSERT_TRUE(Eventually([&] { return c.NodesIn("up") == 2; }, std::chrono::seconds(30)))
      << c.HollowLog();
  const int port = c.server->port();
  const json job = {{"gpus", 8}, {"estimate", "1h"}, {"duration", "1h"}, {"command", "true"}};
  const long first = c.Submit(job);
  ASSERT_TRUE(Eventually([&] { return c.StateOf(first) == "running"; }, std::chrono::seconds(30)));
  const std::string busy = c.Job(first)["nodes"][0];
  const std::string idle = busy == "lab/rack/dgx-1" ? "lab/rack/dgx-2" : "lab/rack/dgx-1";

  // Both nodes drained: the busy one keeps its job (draining), the idle one is drained.
  const std::string both = json{{"nodes", {busy, idle}}, {"reason", "firmware"}}.dump();
  EXPECT_EQ(HttpCall(port, "POST", "/v1/nodes/drain", both, c.user).status, 403);
  const auto drained = HttpCall(port, "POST", "/v1/nodes/drain", both, c.admin);
  ASSERT_EQ(drained.status, 200) << drained.body;
  EXPECT_EQ(json::parse(drained.body)["nodes"][0]["drain"]["reason"], "firmware");
  EXPECT_EQ(c.Nodes(), (std::map<std::string, std::string>{{busy, "draining"}, {idle, "drained"}}));
  const long second = c.Submit(job);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // passes run every 10 ms
  EXPECT_EQ(c.StateOf(second), "pending");
  EXPECT_EQ(c.StateOf(first), "running");
  const std::string why =
      json::parse(HttpCall(port, "GET", "/v1/jobs/" + std::to_string(second) + "/why", "", c.user)
                      .body)["reason"];
  EXPECT_FALSE(why.empty());

  // The idle node undrained: the second job starts there, and only there.
  const auto undrained =
      HttpCall(port, "POST", "/v1/nodes/undrain", json{{"nodes", {idle}}}.dump(), c.admin);
  ASSERT_EQ(undrained.status, 200) << undrained.body;
  ASSERT_TRUE(Eventually([&] { return c.StateOf(second) == "running"; }, std::chrono::seconds(30)));
  EXPECT_EQ(c.Job(second)["nodes"], json::array({idle}));
  EXPECT_EQ(c.Nodes(), (std::map<std::string, std::string>{{busy, "draining"}, {idle, "up"}}));
}

TEST(HollowAgent, RefusesWhatDoesNotFitItsMode) {
  const std::string server = " --server http://127.0.0.1:9 --token gft_x ";
  auto [code, out] =
      testing::RunGpufleet("agent --hollow 2 --fleet " + kFleet + server + "--node lab/rack/dgx-1");
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("--node is for a real agent"), std::string::npos) << out;
  std::tie(code, out) =
      testing::RunGpufleet("agent --hollow 2 --fleet " + kFleet + server + "--work-dir /tmp/x");
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("--work-dir is for a real agent"), std::string::npos) << out;
  std::tie(code, out) = testing::RunGpufleet("agent --hollow 2" + server);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("--hollow needs --fleet"), std::string::npos) << out;
  std::tie(code, out) = testing::RunGpufleet("agent --hollow 3 --fleet " + kFleet + server);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("the fleet has only 2 node(s)"), std::string::npos) << out;
  std::tie(code, out) = testing::RunGpufleet("agent --fleet " + kFleet + server +
                                             "--node lab/rack/dgx-1 --gpus 8 --gpu-model h100");
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("--fleet is for --hollow only"), std::string::npos) << out;
}

}  // namespace
}  // namespace gpufleet
