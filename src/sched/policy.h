// A scheduling policy, in one place: the order of the queue, the pass, the choice of victims and
// the state the policy keeps (Mesos' pluggable allocator and sorter; RoundPolicy for the round
// engine). A new policy is one file (policy_<name>.cc) and one line in policy_registry.cc.
//
// The core (core.h) calls the hooks as jobs move; policies act only through the core's
// mechanisms (TryStart, PreemptFor, ...), so every policy keeps the core's invariants.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/job.h"
#include "sched/pending_reason.h"
#include "sched/policy_config.h"
#include "util/byte_codec.h"
#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

class SchedulerCore;
struct Decision;
using Slot = std::int32_t;

class SchedulingPolicy {
 public:
  virtual ~SchedulingPolicy() = default;

  // Queue order: smaller first; the core breaks ties by job id. Read whenever a job enters or
  // leaves the queue, so it must not change while the job waits unless the policy re-keys it.
  virtual std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const = 0;
  // One scheduling pass at `now`.
  virtual void Pass(SchedulerCore& core, SimTime now, std::vector<Decision>& out) = 0;

  // Hooks, called by the core after its own bookkeeping.
  virtual void OnSubmitted(SchedulerCore&, Slot) {}
  virtual void OnStarted(SchedulerCore&, Slot, SimTime /*now*/) {}
  // The driver confirmed the start at `now`; run_start and est_end moved from `old_est_end`.
  virtual void OnConfirmed(SchedulerCore&, Slot, SimTime /*old_run_start*/,
                           SimTime /*old_est_end*/) {}
  // Before the job leaves its GPUs, for whatever reason (its allocation and est_end are still
  // there; `now` differs from est_end when it ends other than as estimated).
  virtual void OnStopping(SchedulerCore&, Slot, SimTime /*now*/) {}
  // Nodes failed, came back, registered or left.
  virtual void OnNodesChanged(SchedulerCore&) {}
  virtual SimTime NextWakeup(const SchedulerCore&, SimTime /*now*/) const { return kNever; }
  // Why a waiting job waits when the last examination did not reach it; `ahead` jobs precede it
  // in queue order. By default: behind them.
  virtual PendingReason Unexamined(const SchedulerCore& core, Slot s, std::int64_t ahead) const;
  // The numbers of a reason the policy recorded with MarkReason (nullopt: none of its own).
  virtual std::optional<PendingReason> Explain(const SchedulerCore&, Slot, WaitReason) const {
    return std::nullopt;
  }
  // Backfill's reservation: the reserved head and its shadow time.
  virtual std::optional<std::pair<JobId, SimTime>> Reservation() const { return std::nullopt; }

  // The policy's own state, for Snapshot/Restore (state derived from the jobs, such as sets
  // ordered by estimated end, is rebuilt by OnRestored instead).
  virtual void Save(const SchedulerCore&, ByteWriter&) const {}
  virtual Status Load(SchedulerCore&, ByteReader&) { return Status::Ok(); }
  // After a restore, before the queue is rebuilt: rebuild what derives from the restored jobs.
  virtual void OnRestored(SchedulerCore&) {}
  // For CheckInvariants: whether the policy's own sets agree with the jobs (a description of the
  // first disagreement).
  virtual std::optional<std::string> Check(const SchedulerCore&) const { return std::nullopt; }
};

// The registry (policy_registry.cc).
struct PolicyInfo {
  const char* name;
  const char* summary;
  bool oracle;  // reads true durations
  std::unique_ptr<SchedulingPolicy> (*make)(const SchedulerConfig& config);
};
const std::vector<PolicyInfo>& RegisteredPolicies();
const PolicyInfo* FindPolicy(std::string_view name);

}  // namespace gpufleet
