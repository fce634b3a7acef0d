// Scheduling policies: how the pending queue is ordered and what a pass may do.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gpufleet {

enum class Policy {
  kFifo,       // submission order; the head blocks everything behind it
  kPriority,   // priority order; a blocked head preempts lower-priority jobs (they requeue)
  kBackfill,   // priority, then submission order; EASY backfill around one reservation
  kSjfOracle,  // shortest true duration first; reads durations, hence an oracle
};

const char* PolicyName(Policy p);
std::optional<Policy> ParsePolicy(std::string_view name);
// "fifo, priority, backfill, sjf" for help and error messages.
std::string PolicyNames();

struct SchedulerConfig {
  Policy policy = Policy::kBackfill;
  // Backfill examines at most this many queued jobs behind the blocked head per pass, as Slurm's
  // bf_max_job_test (whose default is 500).
  int bf_max_job_test = 500;
};

}  // namespace gpufleet
