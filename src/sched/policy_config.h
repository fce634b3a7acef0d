// How the scheduler is configured: which policy orders the queue and runs the pass, and the
// policies' knobs. Policies are registered by name (sched/policy_registry.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sched/dispatch.h"
#include "sched/shared_gpu.h"

namespace gpufleet {

struct SchedulerConfig {
  // fifo, priority, backfill, sjf, srtf, las, fairshare (PolicyNames()).
  std::string policy = "backfill";
  // Backfill examines at most this many queued jobs behind the blocked head per pass, as Slurm's
  // bf_max_job_test (whose default is 500).
  int bf_max_job_test = 500;
  // backfill: compute each EASY reservation both from the releases kept per subtree and by the
  // replay of every running job, and abort if they differ (tests).
  bool check_reservations = false;
  // las: queue boundaries in attained GPU-time (GPU-milliseconds), ascending: a job whose
  // attained GPUs x run time is below the first is in queue 0 (served first), and so on. The
  // default, one boundary at 16 GPU-hours (two queues), is the Tiresias configuration used in the
  // Pollux study (Qiao et al. OSDI'21).
  std::vector<std::int64_t> las_thresholds{16 * 3'600'000LL};
  // las starvation guard (Tiresias' PROMOTE_KNOB): a job waiting at least this many times its
  // run time so far returns to queue 0 with its count restarted. 0 turns it off, as in Tiresias'
  // own simulator.
  double las_promote_knob = 0;
  // fairshare: half-life of the usage that orders tenants (Slurm's PriorityDecayHalfLife, whose
  // default is 7 days).
  std::int64_t fairshare_half_life_ms = 7LL * 24 * 3'600'000;
  // Whether a preempted or cancelled job keeps its GPUs until the driver calls Released (after
  // its grace period): the daemon, and the simulator with a grace period. Off, its GPUs are free
  // at once and may go to other jobs in the same pass (the simulator without a grace period).
  bool confirm_stops = false;
  // Whether every node of the fleet is present from the start (the simulator). Off, nodes are
  // absent until RegisterNode (the daemon: an agent registers each).
  bool nodes_present = true;
  // `gpufleet sim --share-policy`: gangs that fit one node are placed by this share policy of the
  // openb study (CapacityIndex::UseSharePolicy) instead of the capacity index's best fit, with
  // FGD's typical pods of the workload and a seed for the node tie-break ranks and random's picks.
  std::optional<SharePolicy> share_policy;
  // Which site a job goes to when several have room (sched/dispatch.h); best fit: any.
  Dispatch dispatch = Dispatch::kBestFit;
  // Whether the scheduler's time counts from 1 January 00:00, as sites' hourly carbon series do
  // (the simulator). Off (the daemon: wall-clock time), lowest-carbon reads each site's mean.
  bool hourly_carbon = true;
  std::vector<TypicalPod> share_typical;
  std::uint64_t share_seed = 0;
};

// "fifo, priority, backfill, sjf, ..." for help and error messages; without the oracle policies
// for a driver that knows no true durations (the daemon).
std::string PolicyNames(bool without_oracles = false);
bool IsPolicy(std::string_view name);
// Oracle policies read true durations: only a driver that knows them (the simulator) runs them.
bool PolicyNeedsOracle(std::string_view name);
// A line that says what the policy does, for --help.
std::string_view PolicySummary(std::string_view name);

}  // namespace gpufleet
