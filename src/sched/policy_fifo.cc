// fifo: submission order; the head blocks everything behind it.
#include "sched/policy_strict.h"

namespace gpufleet {
namespace {

class FifoPolicy final : public StrictPolicy {
 public:
  std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const override {
    return {core.job(s).submit, 0};
  }
};

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeFifoPolicy(const SchedulerConfig&) {
  return std::make_unique<FifoPolicy>();
}

}  // namespace gpufleet
