// Every scheduling policy, by name: a new policy is a file (policy_<name>.cc, defining its
// factory) and two lines here - the factory's declaration and its entry.
#include <algorithm>
#include <iterator>

#include "sched/core.h"

namespace gpufleet {

// Each policy file defines its factory; this is the one place that names them all.
std::unique_ptr<SchedulingPolicy> MakeFifoPolicy(const SchedulerConfig& config);
std::unique_ptr<SchedulingPolicy> MakePriorityPolicy(const SchedulerConfig& config);
std::unique_ptr<SchedulingPolicy> MakeBackfillPolicy(const SchedulerConfig& config);
std::unique_ptr<SchedulingPolicy> MakeSjfPolicy(const SchedulerConfig& config);
std::unique_ptr<SchedulingPolicy> MakeSrtfPolicy(const SchedulerConfig& config);
std::unique_ptr<SchedulingPolicy> MakeLasPolicy(const SchedulerConfig& config);
std::unique_ptr<SchedulingPolicy> MakeFairsharePolicy(const SchedulerConfig& config);

const std::vector<PolicyInfo>& RegisteredPolicies() {
  static const std::vector<PolicyInfo> kPolicies = {
      {"fifo", "submission order; the head blocks everything behind it", false, MakeFifoPolicy},
      {"priority", "priority order; a blocked head preempts lower-priority jobs (they requeue)",
       false, MakePriorityPolicy},
      {"backfill",
       "priority, then submission order; EASY backfill around one reservation (estimates)", false,
       MakeBackfillPolicy},
      {"sjf", "shortest true duration first; reads durations, hence an oracle", true,
       MakeSjfPolicy},
      {"srtf", "shortest true remaining time first, preemptive; an oracle too", true,
       MakeSrtfPolicy},
      {"las", "Tiresias' discretised 2D least-attained-service: GPU-time queues, preemptive", false,
       MakeLasPolicy},
      {"fairshare", "weighted tenant shares with decaying usage; quotas, borrowing, reclaim", false,
       MakeFairsharePolicy},
  };
  return kPolicies;
}

const PolicyInfo* FindPolicy(std::string_view name) {
  const auto& all = RegisteredPolicies();
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const PolicyInfo& p) { return name == p.name; });
  return it == all.end() ? nullptr : &*it;
}

std::string PolicyNames(bool without_oracles) {
  std::string out;
  for (const PolicyInfo& p : RegisteredPolicies()) {
    if (without_oracles && p.oracle) continue;
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

bool IsPolicy(std::string_view name) { return FindPolicy(name) != nullptr; }

bool PolicyNeedsOracle(std::string_view name) {
  const PolicyInfo* p = FindPolicy(name);
  return p != nullptr && p->oracle;
}

std::string_view PolicySummary(std::string_view name) {
  const PolicyInfo* p = FindPolicy(name);
  return p == nullptr ? std::string_view() : std::string_view(p->summary);
}

PendingReason SchedulingPolicy::Unexamined(const SchedulerCore& core, Slot,
                                           std::int64_t ahead) const {
  PendingReason r;
  r.code = WaitReason::kBehind;
  r.blocker = core.queue.begin()->id;
  r.ahead = ahead;
  return r;
}

}  // namespace gpufleet
