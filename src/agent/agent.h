// The node agent's loop (docs/API.md, "Agents"; docs/ARCHITECTURE.md, "The agent"): register the
// node, then sync forever - report every job's state and the ends the server has not yet
// acknowledged, long-poll for news, start and stop what the answer says.
//
// One thread. While a sync waits for the server's answer, the HTTP client calls back about once a
// second and the agent reaps ended jobs and sends due SIGKILLs, so a stop's grace is kept while the
// server holds the poll. When the server is away, jobs keep running and the agent retries with
// jittered exponential backoff (capped at 10 s); when the server no longer knows the node, the
// agent registers again.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/job_runner.h"
#include "client/http_client.h"
#include "util/result.h"

namespace gpufleet::agent {

struct AgentOptions {
  std::string node;  // the fleet spec's path of this node
  int gpus = 0;
  std::string gpu_model;
  std::string address;  // empty: the server takes the address the request came from
  // How long a sync may wait for news; 0: the server's heartbeat_s. Capped at 20 s, well inside
  // the server's 30 s heartbeat timeout.
  std::chrono::seconds heartbeat{0};
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_cap{10'000};
  // The grace of stops the server did not ask for (a job the server does not list at
  // registration; the agent's own shutdown).
  std::chrono::milliseconds default_grace{30'000};
};

// What the agent has to say about a job that no longer runs, until a sync carrying it answers 200.
struct JobReport {
  std::int64_t id = 0;
  std::int64_t epoch = 0;
  bool start_failed = false;  // else exited
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool lost = false;  // the server believed it ran here, and it does not
  std::string message;
};

class Agent {
 public:
  using Logger = std::function<void(const std::string& line)>;

  // `stop` is read between steps and while waiting (set from a signal handler).
  Agent(AgentOptions options, client::HttpClient& http, JobRunner& runner,
        const std::atomic<bool>& stop, Logger log);

  // Registers, then syncs until `stop` is set; then stops the jobs (SIGTERM, SIGKILL after
  // default_grace), reports their ends in a last sync and returns Ok. Returns an error only for
  // what a retry cannot fix: a token refused (401/403), a registration refused (a 4xx: the node
  // is not in the fleet, or its GPUs differ).
  Status Run();

  // One registration / one sync, for tests and for Run. kUnavailable: retry later; kNotFound:
  // the server does not know the node (register again); another code: give up.
  Status Register();
  Status Sync(std::chrono::seconds wait);

  const std::vector<JobReport>& unacknowledged() const { return reports_; }
  std::chrono::seconds heartbeat() const { return heartbeat_; }

 private:
  // Reaps ended jobs into reports_.
  void Reap();
  // Waits `duration` (or until stop), reaping jobs meanwhile.
  void Pause(std::chrono::milliseconds duration);
  void ApplyStarts(const std::vector<JobLaunch>& starts);
  void Shutdown();

  AgentOptions options_;
  client::HttpClient& http_;
  JobRunner& runner_;
  const std::atomic<bool>& stop_;
  Logger log_;
  std::vector<JobReport> reports_;
  std::chrono::seconds heartbeat_{10};
};

}  // namespace gpufleet::agent
