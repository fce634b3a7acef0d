// The oracle policies' copy of each job's true duration, read from the DurationOracle once, when
// the job is submitted: a pass ranks every job many times, and asking the driver each time would
// walk its (large) job records. Not part of a snapshot: read again from the oracle on restore.
#pragma once

#include <vector>

#include "sched/core.h"

namespace gpufleet {

class OracleDurations {
 public:
  SimTime Of(Slot s) const { return by_slot_[static_cast<size_t>(s)]; }
  void Read(const SchedulerCore& core, Slot s) {
    if (by_slot_.size() <= static_cast<size_t>(s)) by_slot_.resize(static_cast<size_t>(s) + 1);
    by_slot_[static_cast<size_t>(s)] = core.hooks.oracle->TrueDuration(core.job(s).id);
  }
  void ReadAll(const SchedulerCore& core) {
    by_slot_.assign(core.jobs.size(), 0);
    for (Slot s = 0; s < static_cast<Slot>(core.jobs.size()); ++s) {
      if (core.job(s).live) Read(core, s);
    }
  }

 private:
  std::vector<SimTime> by_slot_;
};

}  // namespace gpufleet
