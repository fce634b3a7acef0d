// srtf (oracle): shortest true remaining time first, preemptive. It reads true durations, which
// only the simulator knows, through the DurationOracle.
#include "sched/oracle_durations.h"
#include "sched/policy_rank_preemptive.h"

namespace gpufleet {
namespace {

class SrtfPolicy final : public RankPreemptivePolicy<SrtfPolicy> {
 public:
  std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const override {
    const SchedJob& j = core.job(s);
    return {durations_.Of(s) - j.attained, j.submit};
  }
  Rank Ranked(const SchedulerCore& core, Slot s, SimTime now) const {
    const SchedJob& j = core.job(s);
    SimTime remaining = durations_.Of(s) - j.attained;
    if (j.state == JobState::kRunning) remaining -= now - j.run_start;
    return {remaining, 0};
  }
  void OnSubmitted(SchedulerCore& core, Slot s) override { durations_.Read(core, s); }
  void OnRestored(SchedulerCore& core) override { durations_.ReadAll(core); }

 private:
  OracleDurations durations_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeSrtfPolicy(const SchedulerConfig&) {
  return std::make_unique<SrtfPolicy>();
}

}  // namespace gpufleet
