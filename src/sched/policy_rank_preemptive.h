// srtf (oracle) and las (Tiresias' discretised 2D least-attained-service) share one pass.
//
// Both rank every job, waiting or running, and let a waiting job evict running jobs that rank
// strictly below it. Waiting jobs are examined in rank order and skipped when they cannot start
// (work-conserving: no job blocks those behind it).
//
// A template over the policy (CRTP): ranking every running job for every waiting job that needs
// victims is the hot loop of these policies, and a virtual call per rank costs ~15%.
#pragma once

#include <algorithm>
#include <climits>
#include <utility>

#include "sched/core.h"

namespace gpufleet {

template <typename Policy>
class RankPreemptivePolicy : public SchedulingPolicy {
 public:
  using Rank = std::pair<std::int64_t, SimTime>;

  void Pass(SchedulerCore& core, SimTime now, std::vector<Decision>& out) override;
  // Jobs the last pass did not reach were skipped for want of free GPUs.
  PendingReason Unexamined(const SchedulerCore& core, Slot s, std::int64_t) const override {
    return core.NoRoomReason(core.job(s));
  }

 protected:
  // Called at the start of every pass (las promotes starving jobs here).
  virtual void BeforePass(SchedulerCore&, SimTime) {}

 private:
  Rank RankOf(const SchedulerCore& core, Slot s, SimTime now) const {
    return static_cast<const Policy*>(this)->Ranked(core, s, now);
  }
  // The running jobs `head` outranks, worst first; among equals the most recently started (least
  // work lost), then the id.
  std::vector<Slot> VictimsFor(const SchedulerCore& core, Slot head, SimTime now) const;
};

template <typename Policy>
std::vector<Slot> RankPreemptivePolicy<Policy>::VictimsFor(const SchedulerCore& core, Slot head,
                                                           SimTime now) const {
  struct Candidate {
    Rank rank;
    SimTime run_start;
    JobId id;
    Slot slot;
  };
  const Rank rank = RankOf(core, head, now);
  std::vector<Candidate> eligible;
  for (Slot s : core.running_list) {
    const SchedJob& r = core.job(s);
    if (!core.Evictable(r, now)) continue;  // not one started at this instant
    const Rank rr = RankOf(core, s, now);
    if (rr > rank) eligible.push_back({rr, r.run_start, r.id, s});
  }
  std::sort(eligible.begin(), eligible.end(), [](const Candidate& x, const Candidate& y) {
    if (x.rank != y.rank) return x.rank > y.rank;
    if (x.run_start != y.run_start) return x.run_start > y.run_start;
    return x.id < y.id;
  });
  std::vector<Slot> victims;
  victims.reserve(eligible.size());
  for (const Candidate& c : eligible) victims.push_back(c.slot);
  return victims;
}

template <typename Policy>
void RankPreemptivePolicy<Policy>::Pass(SchedulerCore& core, SimTime now,
                                        std::vector<Decision>& out) {
  BeforePass(core, now);
  if (!core.force_pass && core.capacity_version == core.last_pass_version &&
      core.new_jobs.empty()) {
    return;
  }
  core.BeginExamination(now);
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
      if (j.Planning()) continue;  // its victims are still stopping
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
      if (!core.refused_not_for_gpus) {
        core.min_failed_preempt[failure_slot] =
            std::min(core.min_failed_preempt[failure_slot], j.gpus);
      }
    }
  }
}

}  // namespace gpufleet
