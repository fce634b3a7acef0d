#include "agent/agent.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/backoff.h"
#include "client/fake_http_server_test_support.h"
#include "temp_dir.h"

namespace gpufleet::agent {
namespace {

using gpufleet::testing::FakeHttpServer;
using gpufleet::testing::FakeReply;
using gpufleet::testing::FakeRequest;
using gpufleet::testing::ScratchDir;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

AgentOptions Options() {
  AgentOptions options;
  options.node = "site/pod0/n0";
  options.gpus = 8;
  options.gpu_model = "H100";
  options.backoff_initial = milliseconds(10);
  options.backoff_cap = milliseconds(50);
  options.default_grace = milliseconds(200);
  return options;
}

template <typename Done>
bool PollUntil(Done done, seconds limit = seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return done();
}

Agent::Logger Quiet() {
  return [](const std::string&) {};
}

// Runs an agent against a server that answers with `handler` until it gives up.
Status RunAgainst(const FakeHttpServer::Handler& handler) {
  FakeHttpServer server(handler);
  ScratchDir dir;
  client::HttpClient http(server.url(), "t");
  JobRunner runner(dir.Path("work"));
  std::atomic<bool> stop{false};
  Agent agent(Options(), http, runner, stop, Quiet());
  return agent.Run();
}

TEST(Agent, RegistersThenStartsAJobAndReportsItsEndUntilAcknowledged) {
  std::atomic<int> syncs{0};
  FakeHttpServer server([&](const FakeRequest& r) -> FakeReply {
    if (r.path == "/v1/agent/register")
      return {200, R"({"node": "site/pod0/n0", "heartbeat_s": 10, "jobs": []})"};
    if (syncs++ == 0)
      return {200,
              R"({"start": [{"id": 17, "epoch": 2, "command": "echo $GPUFLEET_JOB_ID > id; exit 3",
                       "gpus": [0, 1], "grace_s": 30,
                       "env": {"GPUFLEET_JOB_ID": "17", "CUDA_VISIBLE_DEVICES": "0,1"}}],
                       "stop": []})"};
    return {200, "{}"};
  });
  ScratchDir dir;
  client::HttpClient http(server.url(), "gft_agent");
  JobRunner runner(dir.Path("work"));
  std::atomic<bool> stop{false};
  Agent agent(Options(), http, runner, stop, Quiet());

  ASSERT_TRUE(agent.Register().ok());
  ASSERT_TRUE(agent.Sync(seconds(0)).ok());
  EXPECT_TRUE(runner.IsRunning(17) || !agent.unacknowledged().empty() ||
              std::filesystem::exists(runner.RunDir(17, 2)));
  // Sync until a sync carried the end; the sync after it no longer does.
  std::string carried;
  ASSERT_TRUE(PollUntil([&] {
    EXPECT_TRUE(agent.Sync(seconds(0)).ok());
    const std::string body = server.requests().back().body;
    if (body.find("\"exit_code\":3") != std::string::npos) carried = body;
    return !carried.empty();
  }));
  EXPECT_TRUE(agent.unacknowledged().empty());
  ASSERT_TRUE(agent.Sync(seconds(0)).ok());
  EXPECT_EQ(json::parse(server.requests().back().body).at("jobs"), json::array());

  const std::vector<FakeRequest> requests = server.requests();
  const json registration = json::parse(requests.at(0).body);
  EXPECT_EQ(registration,
            json::parse(R"({"node": "site/pod0/n0", "gpus": 8, "gpu_model": "H100"})"));
  EXPECT_NE(requests.at(0).headers.find("authorization: bearer gft_agent"), std::string::npos);
  const json end = json::parse(carried).at("jobs");
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0], json::parse(R"({"id": 17, "epoch": 2, "state": "exited", "exit_code": 3})"));
  EXPECT_EQ(json::parse(requests.at(1).body).at("wait_s"), 0);
  std::ifstream id(runner.RunDir(17, 2) / "id");
  std::string text;
  id >> text;
  EXPECT_EQ(text, "17");
}

TEST(Agent, RegistrationStopsUnlistedJobsAndReportsListedOnesLost) {
  FakeHttpServer server([](const FakeRequest&) -> FakeReply {
    return {200, R"({"node": "site/pod0/n0", "heartbeat_s": 3, "jobs": [{"id": 5, "epoch": 1}]})"};
  });
  ScratchDir dir;
  client::HttpClient http(server.url(), "t");
  JobRunner runner(dir.Path("work"));
  ASSERT_TRUE(runner.Start({9, 1, "while true; do sleep 0.05; done", {}}).ok());
  std::atomic<bool> stop{false};
  Agent agent(Options(), http, runner, stop, Quiet());
  ASSERT_TRUE(agent.Register().ok());
  EXPECT_EQ(agent.heartbeat(), seconds(3));
  ASSERT_EQ(runner.Running().size(), 1u);
  EXPECT_TRUE(runner.Running()[0].stopping);
  ASSERT_EQ(agent.unacknowledged().size(), 1u);
  EXPECT_EQ(agent.unacknowledged()[0].id, 5);
  EXPECT_TRUE(agent.unacknowledged()[0].lost);
  runner.StopAll(milliseconds(0));
  EXPECT_TRUE(PollUntil([&] { return !runner.Poll().empty(); }));
}

TEST(Agent, RegistersAgainWhenTheServerNoLongerKnowsTheNode) {
  std::atomic<int> registers{0};
  std::atomic<bool> stop{false};
  FakeHttpServer server([&](const FakeRequest& r) -> FakeReply {
    if (r.path == "/v1/agent/register") {
      if (++registers == 2) stop.store(true);
      return {200, R"({"node": "site/pod0/n0", "heartbeat_s": 1, "jobs": []})"};
    }
    return {404, R"({"error": {"code": "not_found", "message": "no node site/pod0/n0"}})"};
  });
  ScratchDir dir;
  client::HttpClient http(server.url(), "t");
  JobRunner runner(dir.Path("work"));
  std::vector<std::string> log;
  Agent agent(Options(), http, runner, stop,
              [&log](const std::string& line) { log.push_back(line); });
  EXPECT_TRUE(agent.Run().ok());
  EXPECT_EQ(registers.load(), 2);
  bool said = false;
  for (const std::string& line : log)
    said = said || line == "sync: HTTP 404: no node site/pod0/n0; registering again";
  EXPECT_TRUE(said);
}

TEST(Agent, GivesUpWhenTheTokenIsRefused) {
  Status status = RunAgainst([](const FakeRequest& r) -> FakeReply {
    if (r.path == "/v1/agent/register")
      return {200, R"({"node": "site/pod0/n0", "heartbeat_s": 1, "jobs": []})"};
    return {401, R"({"error": {"code": "unauthenticated", "message": "unknown token"}})"};
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "sync: HTTP 401: unknown token");
}

TEST(Agent, RefusedRegistrationIsFatalAndSaysWhy) {
  Status status = RunAgainst([](const FakeRequest&) -> FakeReply {
    return {
        400,
        R"({"error": {"code": "invalid_argument", "message": "field 'gpus': the fleet has 4"}})"};
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "register: HTTP 400: field 'gpus': the fleet has 4");
}

TEST(Agent, KeepsJobsRunningWhileTheServerIsAwayAndStopsThemOnShutdown) {
  ScratchDir dir;
  // Nothing listens there: every request fails at once.
  client::HttpClient http("http://127.0.0.1:1", "t");
  JobRunner runner(dir.Path("work"));
  ASSERT_TRUE(runner.Start({3, 1, "while true; do sleep 0.05; done", {}}).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> retries{0};
  Agent agent(Options(), http, runner, stop, [&](const std::string& line) {
    if (line.find("retrying") != std::string::npos) ++retries;
  });
  std::thread stopper([&] {
    PollUntil([&] { return retries.load() > 0; });
    // Several backoff rounds pass with the job still running.
    std::this_thread::sleep_for(milliseconds(300));
    EXPECT_TRUE(runner.IsRunning(3));
    stop.store(true);
  });
  EXPECT_TRUE(agent.Run().ok());
  stopper.join();
  EXPECT_FALSE(runner.IsRunning(3));
  ASSERT_EQ(agent.unacknowledged().size(), 1u);
  EXPECT_EQ(agent.unacknowledged()[0].id, 3);
}

TEST(Agent, BackoffDoublesToItsCapWithJitter) {
  EXPECT_EQ(BackoffDelay(0, milliseconds(500), seconds(10), 0.999999), milliseconds(499));
  EXPECT_EQ(BackoffDelay(0, milliseconds(500), seconds(10), 0.0), milliseconds(250));
  EXPECT_EQ(BackoffDelay(3, milliseconds(500), seconds(10), 0.0), milliseconds(2000));
  EXPECT_EQ(BackoffDelay(60, milliseconds(500), seconds(10), 0.0), milliseconds(5000));
  EXPECT_LT(BackoffDelay(60, milliseconds(500), seconds(10), 0.999999), seconds(10));
}

}  // namespace
}  // namespace gpufleet::agent
