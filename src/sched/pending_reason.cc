#include "sched/pending_reason.h"

#include <cstdio>

#include "util/text.h"

namespace gpufleet {
namespace {

std::string Plural(std::int64_t n, const char* one, const char* many) {
  return Grouped(n) + " " + (n == 1 ? one : many);
}

// "H100 GPUs" for a job bound to one model, "GPUs" otherwise.
std::string GpusOf(const PendingReason& r, const Fleet& fleet) {
  if (r.model == kAnyModel || static_cast<size_t>(r.model) >= fleet.gpu_models().size())
    return "GPUs";
  return fleet.gpu_models()[static_cast<size_t>(r.model)].name + " GPUs";
}

// "in one pod" / "in one NVLink domain"; nothing for a job that may span the fleet.
std::string Scope(Level level) {
  if (level == Level::kFleet) return "";
  return std::string(" in one ") + LevelName(level);
}

std::string AtTime(SimTime t) {
  char buf[64];
  const SimTime s = t / 1000;
  std::snprintf(buf, sizeof buf, "t=%lldd %02lld:%02lld:%02lld", static_cast<long long>(s / 86400),
                static_cast<long long>(s / 3600 % 24), static_cast<long long>(s / 60 % 60),
                static_cast<long long>(s % 60));
  return buf;
}

}  // namespace

const char* WaitReasonName(WaitReason r) {
  switch (r) {
    case WaitReason::kNone:
      return "not_yet_considered";
    case WaitReason::kBehind:
      return "behind";
    case WaitReason::kCapacity:
      return "capacity";
    case WaitReason::kHostResources:
      return "host_resources";
    case WaitReason::kPower:
      return "power";
    case WaitReason::kPlacement:
      return "placement";
    case WaitReason::kQuota:
      return "quota";
    case WaitReason::kReserved:
      return "reserved";
    case WaitReason::kReservation:
      return "reservation";
    case WaitReason::kPreempting:
      return "preempting";
  }
  return "?";
}

std::string DescribeReason(const PendingReason& r, const Fleet& fleet, TimeWriter at_time) {
  if (at_time == nullptr) at_time = AtTime;
  const std::string needs = "needs " + Grouped(r.wanted) + " " + GpusOf(r, fleet) + Scope(r.level);
  std::string where = r.where >= 0 && static_cast<size_t>(r.where) < fleet.topo().size()
                          ? fleet.Path(r.where)
                          : std::string("?");
  if (where.empty()) where = "the fleet";
  switch (r.code) {
    case WaitReason::kNone:
      return "not yet considered: submitted since the last scheduling pass";
    case WaitReason::kBehind:
      return "behind " + Plural(r.ahead, "job", "jobs") + " that go first (the first is job " +
             std::to_string(r.blocker) + ")";
    case WaitReason::kCapacity:
      if (r.level == Level::kFleet) return needs + "; " + Grouped(r.most_free) + " are free";
      return needs + "; the largest free " + LevelName(r.level) + " has " + Grouped(r.most_free);
    case WaitReason::kHostResources:
      return needs + " with its GPU share, CPU or memory beside them; no such placement is free";
    case WaitReason::kPower:
      return "site " + where + " is at its power budget: it cannot feed " +
             Plural(r.wanted, "more GPU", "more GPUs");
    case WaitReason::kPlacement:
      return "the free placements for its " + Plural(r.wanted, "GPU", "GPUs") +
             " are too slow for its min_placement_rate: it waits for a better-connected one";
    case WaitReason::kQuota:
      return "tenant quota reached: it holds " + Grouped(r.held) + " of its " + Grouped(r.quota) +
             " GPUs, and beyond them only idle GPUs can be borrowed";
    case WaitReason::kReserved:
      return "reserved: starts by " + at_time(r.until) + " in " + where + " when job " +
             std::to_string(r.blocker) + " ends";
    case WaitReason::kReservation:
      return "would delay job " + std::to_string(r.blocker) + ", reserved to start by " +
             at_time(r.until) + " in " + where;
    case WaitReason::kPreempting:
      if (r.ahead == 0)
        return "the jobs it preempted let go of their GPUs: it starts at the next pass";
      return "waits for " + Plural(r.ahead, "preempted job", "preempted jobs") +
             " to release their GPUs";
  }
  return "?";
}

}  // namespace gpufleet
