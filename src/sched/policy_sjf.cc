// sjf (oracle): shortest true remaining time first, strict order, no preemption. It reads true
// durations, which only the simulator knows, through the DurationOracle.
#include "sched/policy_strict.h"

namespace gpufleet {
namespace {

class SjfPolicy final : public StrictPolicy {
 public:
  std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const override {
    const SchedJob& j = core.job(s);
    return {core.hooks.oracle->TrueDuration(j.id) - j.attained, j.submit};
  }
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeSjfPolicy(const SchedulerConfig&) {
  return std::make_unique<SjfPolicy>();
}

}  // namespace gpufleet
