// Hollow agents (`gpufleet agent --hollow N`), as kubemark's hollow nodes are for Kubernetes: one
// process emulates N nodes of the fleet against the real API - each registers and syncs at the
// server's heartbeat, and "runs" each started job for its `duration_s` without a process - so that
// the control plane can be measured at the scale of a whole fleet on one machine.
//
// Built for 100,000 nodes on two cores: no thread and no long poll per node. A few threads each
// own a contiguous share of the nodes and one keep-alive connection, and sync their nodes round
// robin with `wait_s: 0`, paced so that a share's syncs spread evenly over a heartbeat (each
// thread's cycle starts at a random phase, so that the threads do not sync in step). A node's
// state is a HollowNode (agent/hollow_node.h): two short vectors.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agent/hollow_node.h"
#include "util/result.h"

namespace gpufleet::agent {

// A node of the fleet spec, as its registration names it.
struct HollowNodeSpec {
  std::string path;
  int gpus = 0;
  std::string gpu_model;
};

struct HollowOptions {
  int threads = 4;
  // For an https server: its CA's certificate (PEM); empty: the system's CAs.
  std::string ca_file;
  // Between the lines of totals.
  std::chrono::milliseconds log_every{10'000};
  // The sync period until a registration answers the server's heartbeat_s.
  std::chrono::milliseconds heartbeat{10'000};
  // Per thread, when the server is away; as a real agent's (agent/backoff.h).
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_cap{10'000};
  // Job ends and sync pacing; the steady clock when empty.
  std::function<HollowTime()> clock;
  // A job "runs" its duration divided by this (`--time-scale`, as the server's: its clock runs
  // this many times faster, so a duration in its time passes in duration / scale of ours). The
  // heartbeat and backoffs stay real time, as the server's are.
  double time_scale = 1;
};

// Since the start (syncs, finished, errors) or now (registered, running).
struct HollowTotals {
  std::int64_t registered = 0;
  std::int64_t syncs = 0;
  std::int64_t running = 0;
  std::int64_t finished = 0;
  std::int64_t errors = 0;
};

class HollowFleet {
 public:
  using Logger = std::function<void(const std::string& line)>;

  // `server`: "http://host:port" or "https://host:port"; `token`: an agent token. `stop` is read
  // between requests and while waiting (set from a signal handler).
  HollowFleet(std::vector<HollowNodeSpec> nodes, HollowOptions options, std::string server,
              std::string token, const std::atomic<bool>& stop, Logger log);

  // Registers and syncs every node until `stop` is set, logging the totals every log_every;
  // returns Ok then. Returns an error only for what a retry cannot fix: the token refused
  // (401/403). A node whose registration is refused (not in the server's fleet, other GPUs) is
  // logged, counted as an error and left out; the others go on.
  Status Run();

  HollowTotals Totals() const;

 private:
  struct Slot {
    HollowNode node;
    bool registered = false;
    bool refused = false;
    bool again = false;  // the last sync brought starts: sync again at once
  };
  class Worker;

  std::vector<HollowNodeSpec> specs_;
  std::vector<Slot> slots_;
  HollowOptions options_;
  std::string server_;
  std::string token_;
  const std::atomic<bool>& stop_;
  Logger log_;

  std::atomic<std::int64_t> heartbeat_ms_;
  std::atomic<std::int64_t> registered_{0};
  std::atomic<std::int64_t> syncs_{0};
  std::atomic<std::int64_t> running_{0};
  std::atomic<std::int64_t> finished_{0};
  std::atomic<std::int64_t> errors_{0};
  std::atomic<bool> fatal_{false};
};

}  // namespace gpufleet::agent
