// srtf (oracle): shortest true remaining time first, preemptive. It reads true durations, which
// only the simulator knows, through the DurationOracle.
#include "sched/policy_rank_preemptive.h"

namespace gpufleet {
namespace {

class SrtfPolicy final : public RankPreemptivePolicy {
 public:
  std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const override {
    const SchedJob& j = core.job(s);
    return {core.hooks.oracle->TrueDuration(j.id) - j.attained, j.submit};
  }
  Rank RankOf(const SchedulerCore& core, Slot s, SimTime now) const override {
    const SchedJob& j = core.job(s);
    SimTime remaining = core.hooks.oracle->TrueDuration(j.id) - j.attained;
    if (j.state == JobState::kRunning) remaining -= now - j.run_start;
    return {remaining, 0};
  }
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeSrtfPolicy(const SchedulerConfig&) {
  return std::make_unique<SrtfPolicy>();
}

}  // namespace gpufleet
