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
    case Policy::kSrtfOracle:
      return "srtf";
    case Policy::kLas:
      return "las";
    case Policy::kFairshare:
      return "fairshare";
  }
  return "?";
}

std::optional<Policy> ParsePolicy(std::string_view name) {
  for (Policy p : {Policy::kFifo, Policy::kPriority, Policy::kBackfill, Policy::kSjfOracle,
                   Policy::kSrtfOracle, Policy::kLas, Policy::kFairshare}) {
    if (name == PolicyName(p)) return p;
  }
  return std::nullopt;
}

std::string PolicyNames() { return "fifo, priority, backfill, sjf, srtf, las, fairshare"; }

}  // namespace gpufleet
