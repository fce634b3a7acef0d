// Scheduling policies: how the pending queue is ordered and what a pass may do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpufleet {

enum class Policy {
  kFifo,        // submission order; the head blocks everything behind it
  kPriority,    // priority order; a blocked head preempts lower-priority jobs (they requeue)
  kBackfill,    // priority, then submission order; EASY backfill around one reservation
  kSjfOracle,   // shortest true duration first; reads durations, hence an oracle
  kSrtfOracle,  // shortest true remaining time first, preemptive; an oracle too
  kLas,         // Tiresias' discretised 2D least-attained-service: GPU-time queues, preemptive
  kFairshare,   // weighted tenant shares with decaying usage; quotas, borrowing, reclaim
};

const char* PolicyName(Policy p);
std::optional<Policy> ParsePolicy(std::string_view name);
// "fifo, priority, backfill, sjf, ..." for help and error messages.
std::string PolicyNames();

struct SchedulerConfig {
  Policy policy = Policy::kBackfill;
  // Backfill examines at most this many queued jobs behind the blocked head per pass, as Slurm's
  // bf_max_job_test (whose default is 500).
  int bf_max_job_test = 500;
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
};

}  // namespace gpufleet
