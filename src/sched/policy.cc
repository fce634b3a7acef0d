#include "sched/policy.h"

namespace gpufleet {

const char* PolicyName(Policy p) {
  switch (p) {
    case Policy::kFifo:
      return "fifo";
    case Policy::kPriority:
      return "priority";
    case Policy::kBackfill:
      return "backfill";
    case Policy::kSjfOracle:
      return "sjf";
  }
  return "?";
}

std::optional<Policy> ParsePolicy(std::string_view name) {
  for (Policy p : {Policy::kFifo, Policy::kPriority, Policy::kBackfill, Policy::kSjfOracle}) {
    if (name == PolicyName(p)) return p;
  }
  return std::nullopt;
}

std::string PolicyNames() { return "fifo, priority, backfill, sjf"; }

}  // namespace gpufleet
