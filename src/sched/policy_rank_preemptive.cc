#include "sched/policy_rank_preemptive.h"

#include <algorithm>
#include <climits>
#include <tuple>

namespace gpufleet {

std::vector<Slot> RankPreemptivePolicy::VictimsFor(const SchedulerCore& core, Slot head,
                                                   SimTime now) const {
  const Rank rank = RankOf(core, head, now);
  std::vector<std::tuple<Rank, SimTime, JobId, Slot>> eligible;
  for (Slot s : core.running_list) {
    const SchedJob& r = core.job(s);
    if (!core.Evictable(r, now)) continue;  // not one started at this instant
    const Rank rr = RankOf(core, s, now);
    if (rr > rank) eligible.emplace_back(rr, r.run_start, r.id, s);
  }
  std::sort(eligible.begin(), eligible.end(), [](const auto& x, const auto& y) {
    if (std::get<0>(x) != std::get<0>(y)) return std::get<0>(x) > std::get<0>(y);
    if (std::get<1>(x) != std::get<1>(y)) return std::get<1>(x) > std::get<1>(y);
    return std::get<2>(x) < std::get<2>(y);
  });
  std::vector<Slot> victims;
  victims.reserve(eligible.size());
  for (const auto& e : eligible) victims.push_back(std::get<3>(e));
  return victims;
}

void RankPreemptivePolicy::Pass(SchedulerCore& core, SimTime now, std::vector<Decision>& out) {
  BeforePass(core, now);
  if (!core.force_pass && core.capacity_version == core.last_pass_version &&
      core.new_jobs.empty()) {
    return;
  }
  core.BeginExamination();
  // Evicted jobs rejoin the queue; they may fit elsewhere at once, so the pass repeats until it
  // evicts nobody. Each repeat only evicts jobs ranked below their evictor: it ends.
  for (bool evicted = true; evicted;) {
    evicted = false;
    std::fill(core.min_failed_preempt.begin(), core.min_failed_preempt.end(), INT_MAX);
    std::vector<Slot> waiting;
    waiting.reserve(core.queue.size());
    for (const QueueKey& k : core.queue) waiting.push_back(k.slot);
    bool can_evict = true;  // false once the waiting jobs left rank no better than any running one
    for (Slot s : waiting) {
      const SchedJob& j = core.job(s);
      if (j.state != JobState::kPending) continue;
      if (core.TryStart(s, now, out)) continue;
      if (!can_evict) {
        if (core.index.FreeGpus() == 0) break;  // nothing can start or be evicted any more
        continue;
      }
      if (j.awaiting_victims > 0) continue;  // its victims are still stopping
      const size_t failure_slot = SchedulerCore::FailureSlot(j);
      if (j.gpus >= core.min_failed_preempt[failure_slot]) continue;
      // Waiting jobs come in rank order: when this one outranks no running job, no later one does.
      const std::vector<Slot> victims = VictimsFor(core, s, now);
      if (victims.empty()) {
        can_evict = false;
        continue;
      }
      const SchedulerCore::Preempted p = core.PreemptFor(s, victims, now, out);
      if (p == SchedulerCore::Preempted::kStarted) {
        evicted = true;
        continue;
      }
      if (p == SchedulerCore::Preempted::kAwaitingRelease) continue;
      // Only a lack of GPUs says that a larger gang fails too; power and placement refusals are
      // the job's own.
      if (!core.refused_not_for_gpus)
        core.min_failed_preempt[failure_slot] =
            std::min(core.min_failed_preempt[failure_slot], j.gpus);
    }
  }
}

}  // namespace gpufleet
