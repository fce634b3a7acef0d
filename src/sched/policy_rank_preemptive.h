// srtf (oracle) and las (Tiresias' discretised 2D least-attained-service) share one pass.
//
// Both rank every job, waiting or running, and let a waiting job evict running jobs that rank
// strictly below it. Waiting jobs are examined in rank order and skipped when they cannot start
// (work-conserving: no job blocks those behind it).
#pragma once

#include <utility>

#include "sched/core.h"

namespace gpufleet {

class RankPreemptivePolicy : public SchedulingPolicy {
 public:
  using Rank = std::pair<std::int64_t, SimTime>;
  // A job's rank now: smaller is served first.
  virtual Rank RankOf(const SchedulerCore& core, Slot s, SimTime now) const = 0;

  void Pass(SchedulerCore& core, SimTime now, std::vector<Decision>& out) override;
  // Jobs the last pass did not reach were skipped for want of free GPUs.
  PendingReason Unexamined(const SchedulerCore& core, Slot s, std::int64_t) const override {
    return core.NoRoomReason(core.job(s));
  }

 protected:
  // Called at the start of every pass (las promotes starving jobs here).
  virtual void BeforePass(SchedulerCore&, SimTime) {}

 private:
  // The running jobs `head` outranks, worst first; among equals the most recently started (least
  // work lost), then the id.
  std::vector<Slot> VictimsFor(const SchedulerCore& core, Slot head, SimTime now) const;
};

}  // namespace gpufleet
