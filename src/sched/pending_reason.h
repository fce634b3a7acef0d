// Why a job waits, as data: a code and the numbers behind it, so that the simulator can count
// reasons and the daemon can tell a user, in words, what would let the job start.
//
// A job's reason is what the scheduler found the last time it examined the job in a pass; a job
// a pass did not reach (strict order behind a blocked job, or beyond backfill's bf_max_job_test)
// waits behind the jobs ahead of it. The numbers of a capacity reason (the most free GPUs in one
// subtree) are the capacity's when the reason is asked for.
#pragma once

#include <cstdint>
#include <string>

#include "model/fleet.h"
#include "model/job.h"
#include "util/time.h"

namespace gpufleet {

enum class WaitReason : std::uint8_t {
  kNone,           // not examined by any pass yet (submitted since the last one)
  kBehind,         // jobs ahead of it in queue order go first (`blocker` is the first of them)
  kCapacity,       // no subtree of its constraint level has the GPUs free: `wanted` vs `most_free`
  kHostResources,  // GPUs are free, but not with the share, CPU or memory it needs beside them
  kPower,          // the GPUs are free but site `where`'s power budget cannot feed them
  kPlacement,      // the placements offered were too slow for its min_placement_rate
  kQuota,          // its tenant is at its quota (`held` of `quota`): it may only borrow idle GPUs
  kReserved,       // backfill's reserved head: it starts by `until` in subtree `where`
  kReservation,    // would delay the reserved head `blocker` (backfill)
  kPreempting,     // it preempted `ahead` jobs that have not yet released their GPUs
};
inline constexpr int kWaitReasons = 10;
// "capacity", "power", ...: the keys of the report.
const char* WaitReasonName(WaitReason r);

struct PendingReason {
  WaitReason code = WaitReason::kNone;
  Level level = Level::kFleet;  // the constraint level of its gang
  ModelId model = kAnyModel;    // the GPU model it asked for (any: all it allows)
  std::int32_t wanted = 0;      // GPUs it needs inside one subtree of `level`
  std::int32_t most_free = 0;   // the most free in any such subtree, of a model it allows
  TopoId where = -1;            // kPower: the site; kReserved: the reserved subtree
  SimTime until = kNever;       // kReserved: the start it is promised by
  JobId blocker = -1;           // kBehind, kReservation: the job it waits for; kReserved: the
                                // running job whose end completes the reservation
  std::int64_t ahead = 0;       // kBehind: jobs ahead of it in queue order; kPreempting: victims
  std::int64_t held = 0, quota = 0;  // kQuota: the tenant's GPUs held and its quota
};

// The reason in words a user understands, e.g. "needs 2,048 GPUs in one pod; the largest free pod
// has 1,536".
// Times are the simulator's ("t=3d 14:05:00") unless `at_time` writes them (the daemon: the
// wall clock, "2026-12-05 14:05:00 UTC").
using TimeWriter = std::string (*)(SimTime);
std::string DescribeReason(const PendingReason& r, const Fleet& fleet,
                           TimeWriter at_time = nullptr);

}  // namespace gpufleet
