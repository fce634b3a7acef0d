// The live scheduler and its twin agree: a small workload replayed through `gpufleet serve` with a
// hollow agent, both on a clock that runs 1,000 times faster than real time (--time-scale), starts
// every job in the same order, on the same nodes and after the same event (an arrival or an end,
// within the slack of real processes) as `gpufleet sim` decides. Both drive the same Scheduler with
// the same policy (EASY backfill, the default of both), so what this checks is the live driver -
// the passes after its requests, the agents' reports of starts and ends, its clock - against the
// simulator's event loop.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_run.h"
#include "serve_process.h"
#include "server/tokens.h"
#include "temp_dir.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

using json = nlohmann::json;
using testing::HttpCall;

// The clock runs 1,000 times faster: a minute of the scheduler's time is 60 ms of real time.
constexpr int kScale = 1000;
constexpr std::int64_t kSecond = 1'000, kMinute = 60'000;  // ms of the scheduler's time

// The fleet: one pod of two leaves of two DGX H100 nodes (8 GPUs each): s/p/l-1/d-1 and
// s/p/l-1/d-2 (leaf l-1), s/p/l-2/d-1 and s/p/l-2/d-2 (leaf l-2). A 16-GPU job with topology leaf
// takes one leaf whole, so its first node and count name its nodes.
std::string FleetYaml() { return testing::DgxFleetYaml(1, 2, 2); }

struct TwinJob {
  const char* name;
  int submit_min;
  int gpus;
  const char* topology;
  int priority;
  int duration_min;
  int estimate_min;
};

// Arrivals and ends fall on a 5-minute grid, never two at one instant (the test checks this on
// the twin's event log below). What the twin does with them (minutes):
// - j0 takes leaf l-1 (0-45); j1 takes l-2/d-1 (5-65); j2 half of l-2/d-2 (10-30).
// - j3 (16 GPUs in a leaf, at 15) finds no free leaf: the blocked head, with a reservation on l-1
//   at 55 (j0's estimate; l-2 frees at 75). j4 (20) is backfilled into l-2/d-2's other half,
//   outside the reserved leaf; j5 (8 GPUs, 25) waits for a whole node and takes l-2/d-2 at 35,
//   when j4 ends.
// - j6 (priority 5, at 40) goes ahead of j3 and takes l-1/d-1 at 45, when j0 ends (best fit among
//   equal nodes: the lowest id); j3 now waits for j6. j7 (55) takes l-2/d-2 (free since 50).
// - j3 takes l-1 at 60, when j6 ends; j8 (70) l-2/d-1 (free since 65); j9 (16 GPUs, 80) waits for
//   a leaf, j10 (85) is backfilled on l-2/d-2 meanwhile; j9 takes l-1 at 90, when j3 ends; j11
//   (105) l-2/d-1.
// Every backfilled job goes outside the reserved leaf, so no decision hinges on how close an
// estimate ends to the reservation's time, which the live path sees a little late.
const std::vector<TwinJob> kJobs = {
    // name, submit, gpus, topology, priority, duration, estimate (minutes)
    {"j0", 0, 16, "leaf", 0, 45, 55},    {"j1", 5, 8, "nvlink", 0, 60, 70},
    {"j2", 10, 4, "nvlink", 0, 20, 30},  {"j3", 15, 16, "leaf", 0, 30, 40},
    {"j4", 20, 4, "nvlink", 0, 15, 20},  {"j5", 25, 8, "nvlink", 0, 15, 25},
    {"j6", 40, 2, "nvlink", 5, 15, 25},  {"j7", 55, 8, "nvlink", 0, 20, 30},
    {"j8", 70, 4, "nvlink", 0, 25, 35},  {"j9", 80, 16, "leaf", 0, 20, 30},
    {"j10", 85, 8, "nvlink", 0, 15, 20}, {"j11", 105, 2, "nvlink", 0, 10, 15},
};

std::string WorkloadYaml() {
  std::string yaml = "tenants:\n  - name: research\njobs:\n";
  for (const TwinJob& j : kJobs) {
    yaml += "  - {name: " + std::string(j.name) + ", submit: " + std::to_string(j.submit_min) +
            "m, gpus: " + std::to_string(j.gpus) + ", topology: " + j.topology +
            ", priority: " + std::to_string(j.priority) +
            ", duration: " + std::to_string(j.duration_min) +
            "m, estimate: " + std::to_string(j.estimate_min) + "m, tenant: research}\n";
  }
  return yaml;
}

json Request(const TwinJob& j) {
  return {{"name", j.name},
          {"gpus", j.gpus},
          {"topology", j.topology},
          {"priority", j.priority},
          {"duration", std::to_string(j.duration_min) + "m"},
          {"estimate", std::to_string(j.estimate_min) + "m"},
          {"command", "true"}};
}

// A job's start as both sides can tell it: when (ms of the scheduler's time since the first
// arrival), where (its node count and first node; the simulator's event log names no more), and
// the event it followed: the arrival or the end of a job, at the same instant in the twin.
struct Start {
  int job = -1;  // index in kJobs
  std::int64_t at = 0;
  size_t nodes = 0;
  std::string first;
  std::string after;  // "arrival of j3", "end of j0"
};

std::string Describe(const std::vector<Start>& starts) {
  std::ostringstream out;
  for (const Start& s : starts) {
    out << "  " << kJobs[static_cast<size_t>(s.job)].name << " at "
        << static_cast<double>(s.at) / kMinute << " min on " << s.nodes << " node(s) from "
        << s.first << (s.after.empty() ? "" : " after " + s.after) << "\n";
  }
  return out.str();
}

std::string Arrival(int job) {
  return std::string("arrival of ") + kJobs[static_cast<size_t>(job)].name;
}
std::string End(int job) { return std::string("end of ") + kJobs[static_cast<size_t>(job)].name; }

// The starts in order, each as "j3 on 2 node(s) from s/p/l-1/d-1".
std::vector<std::string> Placements(const std::vector<Start>& starts) {
  std::vector<std::string> out;
  for (const Start& s : starts) {
    out.push_back(std::string(kJobs[static_cast<size_t>(s.job)].name) + " on " +
                  std::to_string(s.nodes) + " node(s) from " + s.first);
  }
  return out;
}

// The simulator's event log (time_s,event,job,detail): its starts ("gpus=16 nodes=2 first=PATH")
// and the instants of its arrivals and ends (submit, finish).
struct TwinLog {
  std::vector<Start> starts;
  std::map<std::int64_t, std::string> events;  // instant -> "arrival of j3", "end of j0"
  std::vector<std::int64_t> instants;          // every arrival's and end's, repeats kept
};
TwinLog ReadTwinLog(const std::string& csv) {
  TwinLog log;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    const size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
    const auto at = static_cast<std::int64_t>(std::llround(std::stod(line.substr(0, c1)) * 1000));
    const std::string event = line.substr(c1 + 1, c2 - c1 - 1);
    const int job = std::stoi(line.substr(c2 + 1, c3 - c2 - 1));
    if (event == "submit" || event == "finish") {
      log.instants.push_back(at);
      log.events[at] = event == "submit" ? Arrival(job) : End(job);
    }
    if (event != "start") continue;
    const std::string detail = line.substr(c3 + 1);
    const size_t nodes = detail.find("nodes="), first = detail.find("first=");
    log.starts.push_back(
        {job, at, std::stoul(detail.substr(nodes + 6)), detail.substr(first + 6), log.events[at]});
  }
  return log;
}

// "2026-12-05T16:00:00.123Z" in ms since the Unix epoch.
std::int64_t IsoMs(const std::string& text) {
  std::tm t{};
  int ms = 0;
  std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
              &t.tm_min, &t.tm_sec, &ms);
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<std::int64_t>(::timegm(&t)) * 1000 + ms;
}

TEST(SimAgreement, ServeWithAHollowAgentStartsJobsWhereWhenAndInTheOrderTheTwinDoes) {
  testing::ScratchDir dir;
  const std::string fleet = dir.Write("fleet.yaml", FleetYaml());
  const std::string workload = dir.Write("workload.yaml", WorkloadYaml());

  // The twin. --no-physics: the server has no power admission (its site power is a report).
  const auto [code, out] = testing::RunGpufleet(
      "sim --fleet " + fleet + " --workload " + workload +
      " --policy backfill --no-physics --no-progress --events " + dir.Path("events.csv"));
  ASSERT_EQ(code, 0) << out;
  const TwinLog twin = ReadTwinLog(testing::ReadFile(dir.Path("events.csv")));
  ASSERT_EQ(twin.starts.size(), kJobs.size()) << Describe(twin.starts);
  // The premise: no two arrivals or ends share an instant or come within 5 minutes of each other
  // (a start happens at one of them). The live path meets each event a little late, so equal
  // instants, one pass in the twin, could be two passes there, and close ones could trade places.
  // (The twin's schedule of this workload stays the same with every arrival and every duration
  // made later by up to 150 s at random, tried with 100 seeds: more than the live path's
  // lateness on a loaded machine.)
  std::vector<std::int64_t> instants = twin.instants;
  std::sort(instants.begin(), instants.end());
  for (size_t i = 1; i < instants.size(); ++i) {
    ASSERT_GE(instants[i] - instants[i - 1], 5 * kMinute)
        << "events at " << instants[i - 1] << " and " << instants[i] << " ms";
  }

  // The live path: the server and one hollow agent for the four nodes (a thread each), both
  // scaled. The heartbeat is 10 ms so that a start or an end waits about 10 ms (10 s scaled) for
  // the node's next sync; its timeout (real time) is long enough that a loaded machine marks no
  // node down.
  const std::string user = NewToken().value(), agent = NewToken().value();
  const std::string tokens =
      dir.Write("tokens", TokenLine("alice", "tenant:research", user).value() +
                              TokenLine("agents", "agent", agent).value());
  testing::ServerProcess server(dir, fleet, tokens, dir.Path("state.db"),
                                {"--time-scale", std::to_string(kScale), "--heartbeat", "10ms",
                                 "--heartbeat-timeout", "10s"});
  ASSERT_TRUE(server.running()) << server.Log();
  struct Reaped {  // the hollow agent ends with the test, whichever way the test ends
    pid_t pid;
    ~Reaped() {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  };
  const Reaped hollow{testing::Spawn(
      {GPUFLEET_BINARY, "agent", "--server", "http://127.0.0.1:" + std::to_string(server.port()),
       "--token-file", dir.Write("agent.token", agent + "\n"), "--fleet", fleet, "--hollow", "4",
       "--hollow-threads", "4", "--time-scale", std::to_string(kScale)},
      dir.Path("hollow.log"))};
  const auto nodes_up = [&] {
    const json doc =
        json::parse(HttpCall(server.port(), "GET", "/v1/nodes", "", user).body, nullptr, false);
    int up = 0;
    if (doc.is_object())
      for (const json& n : doc["nodes"]) up += n["state"] == "up";
    return up == 4;
  };
  ASSERT_TRUE(testing::Eventually(nodes_up, std::chrono::seconds(30)))
      << testing::ReadFile(dir.Path("hollow.log"));

  // Each job is submitted at its arrival, in real time from the first one's answer: the first
  // job's submitted_at is the twin's time 0, and every later arrival reaches the server at or
  // after its time in the twin (the first was admitted before it was answered).
  std::map<long, int> index_of;  // the server's job id -> index in kJobs
  std::int64_t origin = 0;
  auto begin = std::chrono::steady_clock::now();
  for (size_t i = 0; i < kJobs.size(); ++i) {
    std::this_thread::sleep_until(
        begin + std::chrono::microseconds(kJobs[i].submit_min * kMinute * 1000 / kScale));
    const auto r = HttpCall(server.port(), "POST", "/v1/jobs", Request(kJobs[i]).dump(), user);
    ASSERT_EQ(r.status, 201) << r.body;
    const json job = json::parse(r.body);
    index_of[job["id"].get<long>()] = static_cast<int>(i);
    if (i == 0) {
      origin = IsoMs(job["submitted_at"]);
      begin = std::chrono::steady_clock::now();
    }
  }
  const auto all_over = [&] {
    const json doc = json::parse(
        HttpCall(server.port(), "GET", "/v1/jobs?state=completed", "", user).body, nullptr, false);
    return doc.is_object() && doc["jobs"].size() == kJobs.size();
  };
  ASSERT_TRUE(testing::Eventually(all_over, std::chrono::seconds(30)))
      << HttpCall(server.port(), "GET", "/v1/jobs", "", user).body;

  // The live starts, from the event stream (in the order the passes decided them), and when
  // each arrival and end happened there.
  const json events =
      json::parse(HttpCall(server.port(), "GET", "/v1/events?after=0&limit=1000", "", user).body);
  std::vector<Start> live;
  std::map<std::string, std::int64_t> live_at;  // "arrival of j3" -> when, on the server
  for (const json& e : events["events"]) {
    if (!e.contains("job") || !index_of.contains(e["job"].get<long>())) continue;
    const int job = index_of.at(e["job"].get<long>());
    const std::int64_t at = IsoMs(e["at"]) - origin;
    if (e["kind"] == "submitted") live_at[Arrival(job)] = at;
    if (e["kind"] == "ended") live_at[End(job)] = at;
    if (e["kind"] != "started") continue;
    const std::string detail = e["detail"];
    live.push_back({job, at, static_cast<size_t>(std::count(detail.begin(), detail.end(), ',')) + 1,
                    detail.substr(0, detail.find(',')), ""});
  }

  // The same order and the same nodes. Then the times: each job starts in the pass after the
  // same event as in the twin - after it, and within 2 minutes (120 ms real) of it: the commit of
  // the arrival or the end, and the next pass (passes are at least 10 ms real apart). Absolute
  // times are not compared: each link of a chain of events (an arrival, a start, an end, the
  // next start) is late by tens of milliseconds of real time - the commit, the pass, the hollow
  // node's next sync (the heartbeat is 10 ms) to hear the start and to report the end - and the
  // lateness adds up along the chain (a few minutes of scaled time for the last starts here).
  const std::string both = "twin:\n" + Describe(twin.starts) + "live:\n" + Describe(live);
  ASSERT_EQ(Placements(live), Placements(twin.starts)) << both;
  for (size_t i = 0; i < live.size(); ++i) {
    const std::string& after = twin.starts[i].after;
    ASSERT_TRUE(live_at.contains(after)) << after << "\n" << both;
    EXPECT_GE(live[i].at, live_at[after]) << "start " << i << " after " << after << "\n" << both;
    EXPECT_LE(live[i].at, live_at[after] + 2 * kMinute)
        << "start " << i << " after " << after << "\n"
        << both;
    // And it ran for its duration in scaled time: never less (the hollow node counts it from
    // when it heard the start, after the placement; less a second for the clocks' rounding), and
    // not much more: the syncs and commits that bring the start to the node and its end back take
    // tens of ms real, a few hundred on a loaded machine; 10 minutes (600 ms real) is more, and a
    // duration scaled wrong by half or double (every job here runs at least 10 minutes) is out.
    const TwinJob& j = kJobs[static_cast<size_t>(live[i].job)];
    const std::int64_t ran = live_at[End(live[i].job)] - live[i].at;
    EXPECT_GE(ran, j.duration_min * kMinute - kSecond) << j.name;
    EXPECT_LE(ran, (j.duration_min + 10) * kMinute) << j.name;
  }
}

}  // namespace
}  // namespace gpufleet
