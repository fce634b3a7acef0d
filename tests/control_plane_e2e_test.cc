// The control plane end to end, every part a real process on loopback: `gpufleet serve`, three
// `gpufleet agent`s running real commands, and the client commands. Jobs see their GPUs and env,
// exit codes come back, cancel and preemption reach the job as SIGTERM (then SIGKILL after the
// grace), and an agent killed with SIGKILL has its node marked down and its job run elsewhere.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "cli_run.h"
#include "serve_process.h"
#include "server/tokens.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using json = nlohmann::json;
using testing::HttpCall;
using testing::ScratchDir;
using testing::ServerProcess;

// A `gpufleet agent` for one node of the three-node fleet.
class AgentProcess {
 public:
  AgentProcess(const ScratchDir& dir, int port, const std::string& token_file, int node) {
    const std::string n = std::to_string(node);
    std::vector<std::string> args = {
        GPUFLEET_BINARY, "agent",    "--server",    "http://127.0.0.1:" + std::to_string(port),
        "--token-file",  token_file, "--node",      "lab/rack/dgx-" + n,
        "--gpus",        "8",        "--gpu-model", "h100",
        "--heartbeat",   "1",        "--work-dir",  dir.Path("work-" + n)};
    pid_ = testing::Spawn(std::move(args), dir.Path("agent-" + n + ".log"));
  }
  ~AgentProcess() { Kill(SIGKILL); }
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;
  void Kill(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// `text` as one shell word.
std::string Quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct CliResult {
  int exit_code;
  std::string output;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Fleet3 {
  ScratchDir dir;
  std::string user, agent_token;
  std::unique_ptr<ServerProcess> server;
  std::vector<std::unique_ptr<AgentProcess>> agents;

  Fleet3() {
    user = NewToken().value();
    agent_token = NewToken().value();
    const std::string tokens =
        dir.Write("tokens", TokenLine("alice", "tenant:research", user).value() +
                                TokenLine("agents", "agent", agent_token).value());
    dir.Write("agent.token", agent_token + "\n");
    std::ifstream tiny(std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml");
    std::stringstream text;
    text << tiny.rdbuf();
    std::string yaml = text.str();
    yaml.replace(yaml.find("count: 2"), 8, "count: 3");
    const std::string fleet = dir.Write("fleet.yaml", yaml);
    server = std::make_unique<ServerProcess>(
        dir, fleet, tokens, dir.Path("state.db"),
        std::vector<std::string>{"--policy", "priority", "--heartbeat-timeout", "3s", "--grace",
                                 "1s"});
    if (!server->running()) return;
    for (int n = 1; n <= 3; ++n) {
      agents.push_back(
          std::make_unique<AgentProcess>(dir, server->port(), dir.Path("agent.token"), n));
    }
    // Every node up.
    for (int i = 0; i < 300 && UpNodes() < 3; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int UpNodes() const {
    const json nodes =
        json::parse(HttpCall(server->port(), "GET", "/v1/nodes", "", user).body, nullptr, false);
    int up = 0;
    if (nodes.is_object())
      for (const json& n : nodes["nodes"]) up += n["state"] == "up";
    return up;
  }
  // `gpufleet ARGS` as the user, against this server.
  CliResult Client(const std::string& args) const {
    const auto [code, output] = testing::RunShell(
        "GPUFLEET_SERVER=http://127.0.0.1:" + std::to_string(server->port()) +
        " GPUFLEET_TOKEN=" + user + " " + std::string(GPUFLEET_BINARY) + " " + args);
    return CliResult{code, output};
  }
  long Submit(const std::string& flags, const std::string& command) const {
    CliResult r = Client("submit " + flags + " -- " + Quoted(command));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return std::stol(r.output);
  }
  json Job(long id) const {
    return json::parse(
        HttpCall(server->port(), "GET", "/v1/jobs/" + std::to_string(id), "", user).body, nullptr,
        false);
  }
  // Waits (at most 60 s) until the job is in `state`; its last answer.
  json AwaitState(long id, const std::string& state) const {
    json j;
    for (int i = 0; i < 1200; ++i) {
      j = Job(id);
      if (j.is_object() && j["state"] == state) return j;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "job " << id << " never " << state << ": " << j.dump();
    return j;
  }
  bool AwaitFile(const std::string& path) const {
    for (int i = 0; i < 1200; ++i) {
      if (std::filesystem::exists(path)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
};

TEST(ControlPlaneEndToEnd, RealAgentsRunRealCommands) {
  Fleet3 f;
  ASSERT_TRUE(f.server->running()) << f.server->Log();
  ASSERT_EQ(f.UpNodes(), 3) << f.server->Log();
  const std::string out = f.dir.Path("out");
  std::filesystem::create_directories(out);

  // Env and GPU indices; the exit code comes back.
  const long ok = f.Submit(
      "--gpus 4 --estimate 10m",
      "echo $CUDA_VISIBLE_DEVICES $WORLD_SIZE $GPUFLEET_NNODES > " + out + "/env-$GPUFLEET_JOB_ID");
  const long bad = f.Submit("--gpus 1 --estimate 10m", "exit 3");
  EXPECT_EQ(f.AwaitState(ok, "completed")["exit_code"], 0);
  EXPECT_EQ(f.AwaitState(bad, "failed")["exit_code"], 3);
  const std::string env = ReadFile(out + "/env-" + std::to_string(ok));
  EXPECT_EQ(env.substr(env.find(' ')), " 4 1\n") << env;
  EXPECT_EQ(std::count(env.begin(), env.end(), ','), 3) << "four GPU indices: " << env;

  // A gang across two nodes: ranks 0 and 1, one MASTER_ADDR, 16 in the world.
  const long gang =
      f.Submit("--gpus 16 --estimate 10m",
               "echo $GPUFLEET_NODE_RANK $GPUFLEET_NNODES $WORLD_SIZE $MASTER_ADDR > " + out +
                   "/gang-$GPUFLEET_NODE_RANK");
  f.AwaitState(gang, "completed");
  EXPECT_EQ(ReadFile(out + "/gang-0"), "0 2 16 127.0.0.1\n");
  EXPECT_EQ(ReadFile(out + "/gang-1"), "1 2 16 127.0.0.1\n");

  // Cancel: the job sees SIGTERM.
  const long sleeper = f.Submit(
      "--gpus 8 --estimate 1h",
      "trap 'echo term > " + out + "/term-$GPUFLEET_JOB_ID; exit 0' TERM; sleep 100 & wait");
  f.AwaitState(sleeper, "running");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the trap is set
  EXPECT_EQ(f.Client("cancel " + std::to_string(sleeper)).exit_code, 0);
  EXPECT_TRUE(f.AwaitFile(out + "/term-" + std::to_string(sleeper)));
  f.AwaitState(sleeper, "cancelled");

  // Priority preemption of a job that ignores SIGTERM: SIGKILL after the 1 s grace, and the
  // high-priority job runs on its GPUs; the low one waits again.
  const long low = f.Submit("--gpus 24 --estimate 1h",
                            "trap '' TERM; echo $GPUFLEET_EPOCH >> " + out + "/low; sleep 100");
  f.AwaitState(low, "running");
  const long high = f.Submit("--gpus 8 --priority 10 --estimate 10m", "true");
  f.AwaitState(high, "completed");
  EXPECT_EQ(f.Job(low)["epoch"].get<int>() >= 1, true);
  // It ignored SIGTERM: each node's part was killed (SIGKILL) when the grace was up.
  const std::string logs = ReadFile(f.dir.Path("agent-1.log")) +
                           ReadFile(f.dir.Path("agent-2.log")) +
                           ReadFile(f.dir.Path("agent-3.log"));
  EXPECT_NE(logs.find("job " + std::to_string(low) + " epoch 1 ended: signal 9"), std::string::npos)
      << logs;
  EXPECT_EQ(f.Client("cancel " + std::to_string(low)).exit_code, 0);
  f.AwaitState(low, "cancelled");
}

TEST(ControlPlaneEndToEnd, AKilledAgentsJobRunsAgainOnAnotherNode) {
  Fleet3 f;
  ASSERT_TRUE(f.server->running()) << f.server->Log();
  ASSERT_EQ(f.UpNodes(), 3) << f.server->Log();
  const std::string out = f.dir.Path("out");
  std::filesystem::create_directories(out);
  const long id =
      f.Submit("--gpus 8 --estimate 1h", "echo $GPUFLEET_EPOCH >> " + out + "/runs; sleep 100");
  json running = f.AwaitState(id, "running");
  const std::string node = running["nodes"][0];
  const int index = node.back() - '1';
  f.agents[static_cast<size_t>(index)]->Kill(SIGKILL);
  // Down after the 3 s heartbeat timeout; the job runs again elsewhere, with a new epoch.
  json again;
  for (int i = 0; i < 600; ++i) {
    again = f.Job(id);
    if (again["state"] == "running" && again["epoch"] == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(again["epoch"], 2) << again.dump();
  EXPECT_NE(again["nodes"][0], node);
  EXPECT_EQ(f.UpNodes(), 2);
  EXPECT_TRUE(f.AwaitFile(out + "/runs"));
  for (int i = 0; i < 100 && ReadFile(out + "/runs") != "1\n2\n"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ReadFile(out + "/runs"), "1\n2\n");
  CliResult jobs = f.Client("jobs");
  EXPECT_EQ(jobs.exit_code, 0);
  EXPECT_NE(jobs.output.find("running"), std::string::npos) << jobs.output;
}

// kill -9 of the server while clients submit and agents run jobs; a restart. Every acknowledged
// job runs, and none twice: each appends its id to one file; a run that went on while the server
// was away is taken back (adopted), an end reported late is recorded, not run again.
TEST(ControlPlaneEndToEnd, KillNineWhileJobsRunLosesNoneAndRunsNoneTwice) {
  Fleet3 f;
  ASSERT_TRUE(f.server->running()) << f.server->Log();
  ASSERT_EQ(f.UpNodes(), 3) << f.server->Log();
  const std::string ran = f.dir.Path("ran");
  const std::string body =
      json{{"gpus", 1},
           {"estimate", "1m"},
           {"command", "echo $GPUFLEET_JOB_ID >> " + ran + "; sleep 0.$((RANDOM % 5))"}}
          .dump();
  std::mutex mu;
  std::set<long> acknowledged;
  std::atomic<int> answered{0};
  std::atomic<int> port{f.server->port()};
  std::vector<std::thread> clients;
  constexpr int kClients = 4, kPerClient = 500;  // 2,000 jobs
  // A server that never comes back fails the test in minutes, not hours of retries.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(4);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kPerClient; ++i) {
        const std::string key =
            "Idempotency-Key: e2e-" + std::to_string(c) + "-" + std::to_string(i);
        // Retried with its key until a server answers (the restarted one, on the same port).
        for (int attempt = 0; attempt < 400 && std::chrono::steady_clock::now() < give_up;
             ++attempt) {
          testing::HttpResult r = HttpCall(port.load(), "POST", "/v1/jobs", body, f.user, {key});
          if (r.status == 201 || r.status == 200) {
            std::lock_guard<std::mutex> lock(mu);
            acknowledged.insert(json::parse(r.body)["id"].get<long>());
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        answered.fetch_add(1);
      }
    });
  }
  while (answered.load() < kClients * kPerClient / 2)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int old_port = f.server->port();
  f.server->Kill(SIGKILL);
  // On the same port: the agents and the clients find it there.
  f.server = std::make_unique<ServerProcess>(
      f.dir, f.dir.Path("fleet.yaml"), f.dir.Path("tokens"), f.dir.Path("state.db"),
      std::vector<std::string>{"--policy", "priority", "--heartbeat-timeout", "3s", "--grace",
                               "1s"},
      old_port);
  ASSERT_TRUE(f.server->running()) << f.server->Log();
  for (std::thread& c : clients) c.join();
  ASSERT_EQ(acknowledged.size(), static_cast<size_t>(kClients * kPerClient));

  // Every acknowledged job ends, completed.
  for (long id : acknowledged) {
    const json j = f.AwaitState(id, "completed");
    if (j["state"] != "completed") break;
  }
  std::map<long, int> runs;
  std::ifstream in(ran);
  for (long id; in >> id;) runs[id] += 1;
  for (long id : acknowledged) EXPECT_EQ(runs[id], 1) << "job " << id;
  EXPECT_EQ(runs.size(), acknowledged.size());
}

}  // namespace
}  // namespace gpufleet
