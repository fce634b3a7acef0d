// Round-based simulation (the Pollux study's time model, pollux-baselines.md §1), next to the
// event-driven simulator: time advances in fixed rounds. Each round every job first advances by
// the round (progress integrated exactly, sim/../progress/job_progress.h), then the clock moves
// on, the jobs submitted by then that have not completed are active, and the policy decides
// every active job's allocation. A job whose allocation changes pays the restart delay; a job
// that finishes mid-round holds its GPUs, unused, until the next boundary.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "progress/job_progress.h"
#include "sched/round_policy.h"
#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

struct RoundJob {
  std::string name;
  const Application* app = nullptr;
  SimTime submit = 0;
  int replicas = 0;    // requested GPUs (ignored by policies that size jobs)
  int batch_size = 0;  // total batch size, fixed for the job's life
};

struct RoundOptions {
  RoundCluster cluster;
  SimTime round = kMinute;
  SimTime restart_delay = 30 * kSecond;
  // A run that has not finished by then is an error (a policy that never admits some job).
  SimTime time_limit = (std::int64_t{1} << 40) * kSecond;
};

// The state after a round's decisions, for observers (tests, logs).
struct RoundState {
  SimTime now = 0;
  const std::vector<RoundJob>* jobs = nullptr;
  const std::vector<JobProgress>* progress = nullptr;  // by job
  const std::vector<GpuList>* allocations = nullptr;   // by job; empty = no GPUs
  const std::vector<char>* reallocated = nullptr;      // by job: allocation changed this round
};
using RoundObserver = std::function<void(const RoundState&)>;

struct RoundResult {
  std::vector<SimTime> completion_time;  // by job
  SimTime end_time = 0;
  std::int64_t rounds = 0;
  std::int64_t restarts = 0;  // allocation changes to a non-empty allocation
};

Result<RoundResult> RunRounds(const std::vector<RoundJob>& jobs, RoundPolicy& policy,
                              const RoundOptions& options, const RoundObserver& observer = {});

// The placement of an allocation: GPUs per node in the order nodes first appear ([3,3,7] → (2,1)).
GpusPerNode GpusPerNodeOf(const GpuList& gpus);

}  // namespace gpufleet
