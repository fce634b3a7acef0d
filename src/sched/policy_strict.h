// Strict order (fifo, sjf, priority): start jobs in queue order while they fit; the first that
// does not blocks everything behind it, unless the policy can preempt for it.
#pragma once

#include "sched/core.h"

namespace gpufleet {

class StrictPolicy : public SchedulingPolicy {
 public:
  void Pass(SchedulerCore& core, SimTime now, std::vector<Decision>& out) override {
    // Nothing was released and the blocked head is the same: nothing can start.
    if (!core.force_pass && core.capacity_version == core.last_pass_version &&
        core.HeadSeq() == core.last_head_seq) {
      return;
    }
    core.BeginExamination(now);
    while (!core.queue.empty()) {
      const Slot head = core.HeadSlot();
      if (core.TryStart(head, now, out)) continue;
      if (Preempt(core, head, now, out) == SchedulerCore::Preempted::kStarted) continue;
      break;
    }
  }

 protected:
  // A blocked head's chance to make room by preemption; none by default.
  virtual SchedulerCore::Preempted Preempt(SchedulerCore&, Slot, SimTime, std::vector<Decision>&) {
    return SchedulerCore::Preempted::kNone;
  }
};

}  // namespace gpufleet
