// sjf (oracle): shortest true remaining time first, strict order, no preemption. It reads true
// durations, which only the simulator knows, through the DurationOracle.
#include "sched/oracle_durations.h"
#include "sched/policy_strict.h"

namespace gpufleet {
namespace {

class SjfPolicy final : public StrictPolicy {
 public:
  std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const override {
    const SchedJob& j = core.job(s);
    return {durations_.Of(s) - j.attained, j.submit};
  }
  void OnSubmitted(SchedulerCore& core, Slot s) override { durations_.Read(core, s); }
  void OnRestored(SchedulerCore& core) override { durations_.ReadAll(core); }

 private:
  OracleDurations durations_;
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeSjfPolicy(const SchedulerConfig&) {
  return std::make_unique<SjfPolicy>();
}

}  // namespace gpufleet
