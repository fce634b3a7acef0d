// The agent protocol of `gpufleet serve` (docs/API.md, "Agents"), driven by scripted agents over
// HTTP: runs started with their env, exits recorded, a silent node's job restarted elsewhere,
// cancel and preemption as stop orders, and a restart that never runs a job twice.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "serve_process.h"
#include "server/tokens.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using json = nlohmann::json;
using testing::HttpCall;
using testing::HttpResult;
using testing::ScratchDir;
using testing::ServerProcess;

const std::string kFleet = std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml";
const std::string kNode1 = "lab/rack/dgx-1", kNode2 = "lab/rack/dgx-2";

struct Cluster {
  ScratchDir dir;
  std::string user, agent;
  std::string tokens;
  std::unique_ptr<ServerProcess> server;

  // A heartbeat timeout that a loaded machine (the sanitizer build on two cores) keeps easily,
  // unless a test needs a node to fall silent soon.
  explicit Cluster(std::vector<std::string> extra = {}, std::string timeout = "3s")
      : timeout_(std::move(timeout)) {
    user = NewToken().value();
    agent = NewToken().value();
    tokens = dir.Write("tokens", TokenLine("alice", "tenant:research", user).value() +
                                     TokenLine("agents", "agent", agent).value());
    Start(std::move(extra));
  }
  void Start(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--heartbeat-timeout", timeout_, "--grace", "2s"});
    server = std::make_unique<ServerProcess>(dir, kFleet, tokens, dir.Path("state.db"), extra);
  }
  int port() const { return server->port(); }
  std::string timeout_;

  json Call(const std::string& method, const std::string& path, const std::string& token,
            const json& body = nullptr, int expect = 200) const {
    HttpResult r = HttpCall(port(), method, path, body.is_null() ? "" : body.dump(), token);
    EXPECT_EQ(r.status, expect) << method << " " << path << " " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  long Submit(const json& job) const {
    return Call("POST", "/v1/jobs", user, job, 201)["id"].get<long>();
  }
  json Job(long id) const { return Call("GET", "/v1/jobs/" + std::to_string(id), user); }
  json Register(const std::string& node) const {
    return Call("POST", "/v1/agent/register", agent, {{"node", node}, {"gpus", 8}});
  }
  json Sync(const std::string& node, const json& jobs = json::array(), double wait = 0) const {
    return Call("POST", "/v1/agent/sync", agent,
                {{"node", node}, {"jobs", jobs}, {"wait_s", wait}});
  }
  // Both nodes registered and a 16-GPU gang started on them: its id and each node's start.
  std::tuple<long, json, json> StartGang() const {
    Register(kNode1);
    Register(kNode2);
    const long gang = Submit({{"gpus", 16}, {"estimate", "1h"}, {"command", "train"}});
    const json start1 = AwaitStart(kNode1), start2 = AwaitStart(kNode2);
    EXPECT_EQ(start1.size(), 1U);
    EXPECT_EQ(start2.size(), 1U);
    return {gang, start1, start2};
  }
  // Syncs `node` until its answer starts something (at most 20 s).
  json AwaitStart(const std::string& node, const json& jobs = json::array()) const {
    for (int i = 0; i < 100; ++i) {
      json orders = Sync(node, jobs, 0.2);
      if (!orders["start"].empty()) return orders["start"];
    }
    ADD_FAILURE() << "no start on " << node;
    return json::array();
  }
};

json Running(const json& start) {
  json out = json::array();
  for (const json& s : start)
    out.push_back({{"id", s["id"]}, {"epoch", s["epoch"]}, {"state", "running"}});
  return out;
}

TEST(ServeAgents, RunsJobsWithTheirEnvAndRecordsHowTheyEnded) {
  Cluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.Register(kNode1);
  const long ok = c.Submit({{"gpus", 4}, {"estimate", "1h"}, {"command", "echo ok"}});
  const long bad = c.Submit({{"gpus", 4}, {"estimate", "1h"}, {"command", "exit 3"}});
  json starts = c.AwaitStart(kNode1);
  while (starts.size() < 2) {
    json more = c.AwaitStart(kNode1, Running(starts));
    for (const json& s : more) starts.push_back(s);
  }
  ASSERT_EQ(starts.size(), 2U);
  std::set<int> gpus;
  for (const json& s : starts) {
    EXPECT_EQ(s["epoch"], 1);
    EXPECT_EQ(s["env"]["GPUFLEET_JOB_ID"], std::to_string(s["id"].get<long>()));
    EXPECT_EQ(s["env"]["WORLD_SIZE"], "4");
    EXPECT_EQ(s["env"]["GPUFLEET_NNODES"], "1");
    EXPECT_EQ(s["env"]["GPUFLEET_NODE_RANK"], "0");
    EXPECT_EQ(s["env"]["MASTER_ADDR"], "127.0.0.1");
    EXPECT_EQ(s["gpus"].size(), 4U);
    std::string visible;
    for (const json& g : s["gpus"]) {
      gpus.insert(g.get<int>());
      visible += (visible.empty() ? "" : ",") + std::to_string(g.get<int>());
    }
    EXPECT_EQ(s["env"]["CUDA_VISIBLE_DEVICES"], visible);
  }
  EXPECT_EQ(gpus.size(), 8U) << "two jobs on one node share no GPU";
  c.Sync(kNode1, Running(starts));
  EXPECT_EQ(c.Job(ok)["state"], "running");
  c.Sync(kNode1, {{{"id", ok}, {"epoch", 1}, {"state", "exited"}, {"exit_code", 0}},
                  {{"id", bad}, {"epoch", 1}, {"state", "exited"}, {"exit_code", 3}}});
  EXPECT_EQ(c.Job(ok)["state"], "completed");
  EXPECT_EQ(c.Job(bad)["state"], "failed");
  EXPECT_EQ(c.Job(bad)["exit_code"], 3);
  // A report about a run the server does not know is answered with a stop.
  json orders = c.Sync(kNode1, {{{"id", 777}, {"epoch", 1}, {"state", "running"}}});
  ASSERT_EQ(orders["stop"].size(), 1U);
  EXPECT_EQ(orders["stop"][0]["id"], 777);
}

// A gang's failed part ends the gang, failed - but its GPUs are let go only once every part is
// gone, so no job lands on GPUs a part still holds during its grace.
TEST(ServeAgents, AGangsFailedPartStopsTheOthersBeforeItsGpusGo) {
  Cluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  const auto [gang, start1, start2] = c.StartGang();
  c.Sync(kNode1, Running(start1));
  c.Sync(kNode2, Running(start2));
  ASSERT_EQ(c.Job(gang)["state"], "running");
  const long next = c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"command", "next"}});
  // Rank 1 fails; rank 0 is told to stop and still holds its GPUs.
  json orders =
      c.Sync(kNode2, {{{"id", gang}, {"epoch", 1}, {"state", "exited"}, {"exit_code", 3}}});
  EXPECT_EQ(c.Job(gang)["state"], "stopping");
  orders = c.Sync(kNode1, Running(start1), 0.5);
  ASSERT_EQ(orders["stop"].size(), 1U) << orders;
  EXPECT_EQ(orders["stop"][0]["id"], gang);
  // The gang's GPUs are held as one until every part is gone: nothing starts meanwhile.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // passes run every 10 ms
  EXPECT_TRUE(c.Sync(kNode2)["start"].empty());
  EXPECT_EQ(c.Job(next)["state"], "pending");
  // Rank 0 goes (SIGTERM): the gang has ended, failed, with the part that failed named, and the
  // next job starts.
  c.Sync(kNode1, {{{"id", gang}, {"epoch", 1}, {"state", "exited"}, {"signal", 15}}});
  const json next_start = c.AwaitStart(kNode1);
  ASSERT_EQ(next_start.size(), 1U);
  EXPECT_EQ(next_start[0]["id"], next);
  const json ended = c.Job(gang);
  EXPECT_EQ(ended["state"], "failed") << ended;
  EXPECT_EQ(ended["exit_code"], 3) << ended;
  EXPECT_NE(ended["message"].get<std::string>().find("the part on lab/rack/dgx-2 failed"),
            std::string::npos)
      << ended;
}

// A gang whose part fails to start while another runs waits again once the running part is gone
// (its GPUs held until then); a part that never heard of the run counts as gone.
TEST(ServeAgents, AGangsFailedStartRequeuesItOnceItsRunningPartIsGone) {
  Cluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  const auto [gang, start1, start2] = c.StartGang();
  c.Sync(kNode1, Running(start1));
  c.Sync(kNode2, {{{"id", gang}, {"epoch", 1}, {"state", "start_failed"}, {"message", "no GPU"}}});
  EXPECT_EQ(c.Job(gang)["state"], "stopping");
  const json orders = c.Sync(kNode1, Running(start1), 0.5);
  ASSERT_EQ(orders["stop"].size(), 1U) << orders;
  c.Sync(kNode1, {{{"id", gang}, {"epoch", 1}, {"state", "exited"}, {"signal", 15}}});
  // It waits again and is started anew, at a later epoch.
  const json again = c.AwaitStart(kNode1);
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0]["id"], gang);
  EXPECT_EQ(again[0]["epoch"], 2);
}

// A job cancelled before any node heard of its run lets go of its GPUs at once: no agent will
// ever report a run it never had.
TEST(ServeAgents, CancelBeforeTheStartReachesTheNodeEndsAtOnce) {
  Cluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.Register(kNode1);
  const long job = c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"command", "train"}});
  for (int i = 0; i < 100 && c.Job(job)["state"] != "starting"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Placed; dgx-1 has not synced since. The start's commit may still be in flight or done: either
  // way the node must hear of nothing.
  ASSERT_EQ(c.Job(job)["state"], "starting");
  EXPECT_EQ(c.Call("POST", "/v1/jobs/" + std::to_string(job) + "/cancel", c.user)["state"],
            "cancelled");
  // The node hears of nothing, and its GPUs are free for the next job.
  const json orders = c.Sync(kNode1);
  EXPECT_TRUE(orders["start"].empty()) << orders;
  EXPECT_TRUE(orders["stop"].empty()) << orders;
  const long next = c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"command", "next"}});
  const json start = c.AwaitStart(kNode1);
  ASSERT_EQ(start.size(), 1U);
  EXPECT_EQ(start[0]["id"], next);
}

TEST(ServeAgents, ASilentNodeGoesDownAndItsJobRestartsElsewhere) {
  Cluster c({}, "1s");
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.Register(kNode1);
  const long id = c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"command", "sleep 100"}});
  json first = c.AwaitStart(kNode1);
  ASSERT_EQ(first.size(), 1U);
  c.Sync(kNode1, Running(first));
  c.Register(kNode2);
  // Node 1 falls silent; node 2 keeps its heartbeat and is given the job's next run.
  json second = c.AwaitStart(kNode2);
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(second[0]["id"], id);
  EXPECT_EQ(second[0]["epoch"], 2) << "a new run, with a new epoch";
  json nodes = c.Call("GET", "/v1/nodes", c.user)["nodes"];
  EXPECT_EQ(nodes[0]["state"], "down");
  EXPECT_EQ(nodes[1]["state"], "up");
  // Node 1 comes back with its old run: refused (the epoch is stale) and stopped.
  c.Call("POST", "/v1/agent/sync", c.agent, {{"node", kNode1}}, 404);
  c.Register(kNode1);
  json orders = c.Sync(kNode1, Running(first));
  ASSERT_EQ(orders["stop"].size(), 1U);
  EXPECT_EQ(orders["stop"][0]["epoch"], 1);
}

TEST(ServeAgents, CancelAndPreemptionAreStopsTheAgentAnswers) {
  Cluster c({"--policy", "priority"});
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.Register(kNode1);
  const long low = c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"command", "sleep 100"}});
  json run = c.AwaitStart(kNode1);
  c.Sync(kNode1, Running(run));
  // A job of higher priority preempts it: the agent is told to stop the run.
  const long high =
      c.Submit({{"gpus", 8}, {"priority", 10}, {"estimate", "1h"}, {"command", "sleep 100"}});
  json orders;
  for (int i = 0; i < 100 && (orders.is_null() || orders["stop"].empty()); ++i)
    orders = c.Sync(kNode1, Running(run), 0.2);
  ASSERT_EQ(orders["stop"].size(), 1U);
  EXPECT_EQ(orders["stop"][0]["id"], low);
  EXPECT_EQ(orders["stop"][0]["grace_s"], 2.0);
  EXPECT_EQ(c.Job(low)["state"], "stopping");
  // Its GPUs go to the head only once the agent says the run is gone.
  json next =
      c.AwaitStart(kNode1, {{{"id", low}, {"epoch", 1}, {"state", "exited"}, {"signal", 15}}});
  ASSERT_EQ(next.size(), 1U);
  EXPECT_EQ(next[0]["id"], high);
  EXPECT_EQ(c.Job(low)["state"], "pending");
  // Cancel of the running head: stopping, then cancelled when the agent reports the exit.
  c.Sync(kNode1, Running(next));
  EXPECT_EQ(c.Call("POST", "/v1/jobs/" + std::to_string(high) + "/cancel", c.user)["state"],
            "stopping");
  orders = c.Sync(kNode1, Running(next));
  ASSERT_EQ(orders["stop"].size(), 1U);
  c.Sync(kNode1, {{{"id", high}, {"epoch", 1}, {"state", "exited"}, {"signal", 15}}});
  EXPECT_EQ(c.Job(high)["state"], "cancelled");
}

// A server killed while a job runs on node 1, restarted: the job waits (not on node 2, which
// registers first) for node 1's agent, which the server tells that the run is there.
struct RestartedWithARun {
  Cluster c;
  long id = -1;
  RestartedWithARun() {
    if (!c.server->running()) return;
    c.Register(kNode1);
    id = c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"command", "sleep 100"}});
    json run = c.AwaitStart(kNode1);
    c.Sync(kNode1, Running(run));
    c.server->Kill(SIGKILL);
    c.Start();
  }
};

TEST(ServeAgents, AfterARestartARunItsAgentReportsGoesOn) {
  RestartedWithARun r;
  Cluster& c = r.c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.Register(kNode2);
  EXPECT_EQ(c.Job(r.id)["state"], "pending");
  EXPECT_NE(c.Job(r.id)["reason"].get<std::string>().find("restarted"), std::string::npos);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.Sync(kNode2)["start"].empty());
  json listed = c.Register(kNode1)["jobs"];
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0]["id"], r.id);
  EXPECT_EQ(listed[0]["epoch"], 1);
  c.Sync(kNode1, {{{"id", r.id}, {"epoch", 1}, {"state", "running"}}});
  const json job = c.Job(r.id);
  EXPECT_EQ(job["state"], "running");
  EXPECT_EQ(job["epoch"], 1) << "the same run, not a new one";
  EXPECT_EQ(job["nodes"][0], kNode1);
  // Its GPUs stay its own: the next 8-GPU job goes to node 2.
  c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"command", "true"}});
  EXPECT_EQ(c.AwaitStart(kNode2).size(), 1U);
  // And it ends as any run does.
  c.Sync(kNode1, {{{"id", r.id}, {"epoch", 1}, {"state", "exited"}, {"exit_code", 0}}});
  EXPECT_EQ(c.Job(r.id)["state"], "completed");
}

TEST(ServeAgents, AfterARestartALostRunRunsAgainAndAFinishedOneDoesNot) {
  {
    RestartedWithARun r;
    Cluster& c = r.c;
    ASSERT_TRUE(c.server->running()) << c.server->Log();
    c.Register(kNode1);
    // The agent no longer runs it: it runs again, with a later epoch.
    c.Sync(kNode1,
           {{{"id", r.id}, {"epoch", 1}, {"state", "exited"}, {"signal", 9}, {"lost", true}}});
    json again = c.AwaitStart(kNode1);
    ASSERT_EQ(again.size(), 1U);
    EXPECT_EQ(again[0]["id"], r.id);
    EXPECT_EQ(again[0]["epoch"], 2);
  }
  {
    RestartedWithARun r;
    Cluster& c = r.c;
    ASSERT_TRUE(c.server->running()) << c.server->Log();
    c.Register(kNode1);
    // It ended while the server was away: recorded, not run again.
    c.Sync(kNode1, {{{"id", r.id}, {"epoch", 1}, {"state", "exited"}, {"exit_code", 0}}});
    EXPECT_EQ(c.Job(r.id)["state"], "completed");
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.Sync(kNode1)["start"].empty());
  }
}

// Two runs from before a restart share a node, and one of them spans a second node whose agent
// comes back later: adopting the first must not offer the shared node's other GPUs, which the
// second run still holds, to a new job.
TEST(ServeAgents, AfterARestartANodeWaitsForEveryRunOnItBeforeItTakesNewJobs) {
  Cluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.Register(kNode1);
  c.Register(kNode2);
  const long alone = c.Submit({{"gpus", 4}, {"estimate", "1h"}, {"command", "sleep 100"}});
  const json alone_start = c.AwaitStart(kNode1);
  ASSERT_EQ(alone_start.size(), 1U);
  c.Sync(kNode1, Running(alone_start));
  // 12 GPUs: the 4 left on node 1 and all 8 of node 2.
  const long gang = c.Submit({{"gpus", 12}, {"estimate", "1h"}, {"command", "sleep 100"}});
  const json on1 = c.AwaitStart(kNode1), on2 = c.AwaitStart(kNode2);
  ASSERT_EQ(on1.size(), 1U);
  ASSERT_EQ(on2.size(), 1U);
  c.Sync(kNode1, Running(on1));
  c.Sync(kNode2, Running(on2));
  ASSERT_EQ(c.Job(gang)["state"], "running");
  c.server->Kill(SIGKILL);
  c.Start();
  ASSERT_TRUE(c.server->running()) << c.server->Log();

  EXPECT_EQ(c.Register(kNode1)["jobs"].size(), 2U);
  c.Sync(kNode1, {{{"id", alone}, {"epoch", 1}, {"state", "running"}},
                  {{"id", gang}, {"epoch", 1}, {"state", "running"}}});
  EXPECT_EQ(c.Job(alone)["state"], "running") << "every node of its run said so: adopted";
  EXPECT_EQ(c.Job(gang)["state"], "pending") << "node 2 has not said so yet";
  const long next = c.Submit({{"gpus", 4}, {"estimate", "1h"}, {"command", "true"}});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(c.Sync(kNode1, Running(alone_start), 0.1)["start"].empty())
        << "placed on GPUs the gang's run still holds";
  }
  EXPECT_EQ(c.Job(next)["state"], "pending");

  EXPECT_EQ(c.Register(kNode2)["jobs"].size(), 1U);
  c.Sync(kNode2, {{{"id", gang}, {"epoch", 1}, {"state", "running"}}});
  const json adopted = c.Job(gang);
  EXPECT_EQ(adopted["state"], "running");
  EXPECT_EQ(adopted["epoch"], 1) << "the same run, not a new one";
  // Both nodes are full with the two runs; once the first ends, node 1 takes the new job: it is
  // no longer held.
  EXPECT_TRUE(c.Sync(kNode1, Running(alone_start), 0.1)["start"].empty());
  EXPECT_EQ(c.Job(next)["state"], "pending");
  EXPECT_EQ(c.Call("GET", "/v1/nodes", c.user)["nodes"][0]["state"], "up");
  c.Sync(kNode1, {{{"id", alone}, {"epoch", 1}, {"state", "exited"}, {"exit_code", 0}}});
  const json started = c.AwaitStart(kNode1);
  ASSERT_EQ(started.size(), 1U);
  EXPECT_EQ(started[0]["id"], next);
}

TEST(ServeAgents, TheForecastSaysWhenAWaitingJobStarts) {
  Cluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.Register(kNode1);
  const long first = c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"command", "sleep 100"}});
  json run = c.AwaitStart(kNode1);
  c.Sync(kNode1, Running(run));
  const long second = c.Submit({{"gpus", 8}, {"estimate", "30m"}, {"command", "sleep 100"}});
  json forecast = c.Call("GET", "/v1/forecast", c.user);
  ASSERT_EQ(forecast["jobs"].size(), 2U) << forecast;
  EXPECT_EQ(forecast["jobs"][0]["id"], first);
  EXPECT_EQ(forecast["jobs"][1]["id"], second);
  const json started = c.Job(first)["started_at"];
  // Times to the millisecond: the second starts when the first's hour is up, and ends 30 min on.
  auto ms = [](const json& stamp) {
    std::tm tm{};
    const std::string s = stamp.get<std::string>();
    strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    return static_cast<long>(timegm(&tm)) * 1000 + std::stol(s.substr(20, 3));
  };
  EXPECT_EQ(ms(forecast["jobs"][1]["start"]), ms(started) + 3'600'000);
  EXPECT_EQ(ms(forecast["jobs"][1]["end"]), ms(started) + 5'400'000);
  // A job's own answer carries the latest forecast.
  EXPECT_EQ(c.Job(second)["forecast"]["start"], forecast["jobs"][1]["start"]);
  // limit: the soonest only; anything else is refused.
  const json one = c.Call("GET", "/v1/forecast?limit=1", c.user);
  ASSERT_EQ(one["jobs"].size(), 1U) << one;
  EXPECT_EQ(one["jobs"][0], forecast["jobs"][0]);
  c.Call("GET", "/v1/forecast?limit=0", c.user, nullptr, 400);
  c.Call("GET", "/v1/forecast?soonest=1", c.user, nullptr, 400);
}

TEST(ServeAgents, TheEventStreamTellsAJobsLifeAndWaitsForNews) {
  Cluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.Register(kNode1);
  const long id = c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"command", "true"}});
  json run = c.AwaitStart(kNode1);
  c.Sync(kNode1, {{{"id", id}, {"epoch", 1}, {"state", "exited"}, {"exit_code", 0}}});
  json page = c.Call("GET", "/v1/events?after=0", c.user);
  std::vector<std::string> kinds;
  for (const json& e : page["events"]) {
    EXPECT_EQ(e["job"], id);  // a tenant sees no node events
    kinds.push_back(e["kind"]);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"submitted", "started", "ended"}));
  EXPECT_EQ(page["events"][2]["detail"], "completed");
  EXPECT_FALSE(page["gap"].get<bool>());
  const std::string after = std::to_string(page["next_after"].get<std::uint64_t>());
  // A long poll: held until the next submission, answered with it alone.
  json held;
  std::thread poll([&] { held = c.Call("GET", "/v1/events?wait=20&after=" + after, c.user); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto submitted = std::chrono::steady_clock::now();
  // (16 GPUs: it waits for node 2, which has not registered, so nothing follows its submission.)
  const long next = c.Submit({{"gpus", 16}, {"estimate", "1h"}, {"command", "true"}});
  poll.join();
  EXPECT_LT(std::chrono::steady_clock::now() - submitted, std::chrono::seconds(10));
  ASSERT_EQ(held["events"].size(), 1U) << held;
  EXPECT_EQ(held["events"][0]["job"], next);
  // Nothing new: a poll without wait answers at once, empty.
  EXPECT_TRUE(c.Call("GET",
                     "/v1/events?after=" + std::to_string(held["next_after"].get<std::uint64_t>()),
                     c.user)["events"]
                  .empty());
  c.Call("GET", "/v1/events?colour=1", c.user, nullptr, 400);
  // Numbers a JavaScript client reads exactly (below 2^53).
  EXPECT_LT(held["next_after"].get<std::uint64_t>(), std::uint64_t{1} << 53);
  // A number this server never gave (a server before it numbered otherwise): every kept event,
  // as a gap, at once, and a number to go on with.
  const json unknown = c.Call("GET", "/v1/events?wait=20&after=9000000000000000000", c.user);
  EXPECT_TRUE(unknown["gap"].get<bool>());
  EXPECT_EQ(unknown["events"].size(), 4U) << unknown;
  EXPECT_EQ(unknown["next_after"], held["next_after"]);
}

// Sites: GPUs up and busy, and the IT power by the twin's model. The tiny fleet's DGX H100 nodes
// (physics/power.h): an idle node draws 8 x 15% x 700 W of GPUs plus half of its host's training
// draw, 0.5 x 0.61 x (10,200 - 5,600) W = 840 + 1,403 = 2,243 W; a busy GPU adds its rise to TDP,
// 595 W, and its share of the host's, 1,403 / 8 = 175.4 W: 770.4 W. One node up with 8 GPUs busy:
// 2,243 + 8 x 770.4 = 8,406 W (the 8.4 kW measured in training, as the model is calibrated).
TEST(ServeAgents, SitesSayWhatIsBusyAndWhatItDraws) {
  Cluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  c.Register(kNode1);
  c.Submit({{"gpus", 8}, {"estimate", "1h"}, {"command", "sleep 100"}});
  c.Sync(kNode1, Running(c.AwaitStart(kNode1)));
  const json sites = c.Call("GET", "/v1/sites", c.user)["sites"];
  ASSERT_EQ(sites.size(), 1U);
  const json& lab = sites[0];
  EXPECT_EQ(lab["name"], "lab");
  EXPECT_EQ(lab["nodes"], 2);
  EXPECT_EQ(lab["nodes_up"], 1);
  EXPECT_EQ(lab["gpus_up"], 8);
  EXPECT_EQ(lab["gpus_busy"], 8.0);
  EXPECT_EQ(lab["gpus_free"], 0.0);
  EXPECT_NEAR(lab["it_power_mw"].get<double>(), 0.008406, 0.000002);
  EXPECT_EQ(lab["power_budget_mw"], 0.05);
}

TEST(ServeAgents, MalformedAgentRequestsAreRefusedWithTheField) {
  Cluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  struct Case {
    std::string path, body, says;
  };
  const std::vector<Case> cases = {
      {"/v1/agent/register", "{", "not valid JSON"},
      {"/v1/agent/register", R"({"node": "lab/rack/dgx-1"})", "'gpus': required"},
      {"/v1/agent/register", R"({"node": "lab/rack/dgx-1", "gpus": "8"})", "'gpus'"},
      {"/v1/agent/register", R"({"node": "lab", "gpus": 8})", "not a node"},
      {"/v1/agent/register", R"({"node": "lab/rack/dgx-1", "gpus": 8, "gpu_model": "a100"})",
       "'gpu_model'"},
      {"/v1/agent/register", R"({"node": "lab/rack/dgx-1", "gpus": 8, "colour": 1})",
       "'colour': unknown key"},
      {"/v1/agent/sync", R"({"node": "lab/rack/dgx-1", "wait_s": 100})", "'wait_s'"},
      {"/v1/agent/sync", R"({"node": "lab/rack/dgx-1", "jobs": [{"id": 1}]})", "'jobs[0].epoch'"},
      {"/v1/agent/sync",
       R"({"node": "lab/rack/dgx-1", "jobs": [{"id": 1, "epoch": 1, "state": "dancing"}]})",
       "'jobs[0].state'"},
      {"/v1/agent/sync",
       R"({"node": "lab/rack/dgx-1", "jobs": [{"id": 1, "epoch": 1, "state": "exited"}]})",
       "exit_code"},
  };
  for (const Case& k : cases) {
    HttpResult r = HttpCall(c.port(), "POST", k.path, k.body, c.agent);
    EXPECT_EQ(r.status, 400) << k.body << " " << r.body;
    EXPECT_NE(r.body.find(k.says), std::string::npos) << k.body << " " << r.body;
  }
  // Tenants cannot act as agents; agents cannot act as tenants.
  EXPECT_EQ(HttpCall(c.port(), "POST", "/v1/agent/register", "{}", c.user).status, 403);
  EXPECT_EQ(HttpCall(c.port(), "GET", "/v1/jobs", "", c.agent).status, 403);
}

}  // namespace
}  // namespace gpufleet
