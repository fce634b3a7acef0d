// Preemption: a blocked job evicts running jobs that rank below it, fewest and cheapest first.
// Policies decide who may be evicted and in what order (PreemptFor's `victims`); the mechanics
// of choosing a subtree, evicting only what is needed and giving the rest back are shared.
#include <algorithm>
#include <bit>

#include "sched/scheduler.h"

namespace gpufleet {

bool Scheduler::TryPreempt(JobId head_id, SimTime now, std::vector<Decision>& out) {
  if (preempt_failed_ == std::make_pair(head_id, capacity_version_)) return false;
  const Job& head = job(head_id);
  // Lowest priority first, then the most recently started: least work lost.
  std::vector<JobId> victims;
  for (const auto& [priority, neg_start, victim] : by_victim_order_) {
    if (priority >= head.priority) break;
    if (-neg_start == now) continue;  // started at this instant: not evicted in the same pass
    victims.push_back(victim);
  }
  if (PreemptFor(head_id, victims, now, out)) return true;
  preempt_failed_ = {head_id, capacity_version_};
  return false;
}

bool Scheduler::PreemptFor(JobId head_id, const std::vector<JobId>& victims, SimTime now,
                           std::vector<Decision>& out) {
  refused_not_for_gpus_ = false;
  if (victims.empty()) return false;
  const Job& head = job(head_id);
  const Level level = ConstraintLevel(head.topology);
  const GangRequest head_request = RequestOf(head);
  for (ModelId m = 0; m < static_cast<ModelId>(fleet_.gpu_models().size()); ++m) {
    if (!head_request.Allows(m)) continue;
    // Walk victims in order and count, per subtree of the head's constraint level, the GPUs that
    // evicting them would free. The first subtree to reach the gang size is where the head goes.
    ++counter_generation_;
    touched_.clear();
    std::vector<JobId> considered;
    TopoId target = -1;
    for (JobId victim : victims) {
      const Job& v = job(victim);
      if (v.alloc.model != m) continue;
      considered.push_back(victim);
      const auto [first_span, last_span] = SpansAt(v, level);
      for (auto sp = first_span; sp != last_span; ++sp) {
        int& free = SubtreeCounter(sp->first, m);
        free += sp->second;
        if (free >= head.gpus && target < 0) target = sp->first;
      }
      if (target >= 0) break;
    }
    if (target < 0) continue;

    // Evict the considered jobs that hold GPUs in the target subtree, place the head there, then
    // give back the GPUs of any evicted job that the head did not need after all.
    std::vector<JobId> evicted;
    for (JobId victim : considered) {
      const Job& v = job(victim);
      const auto [first_span, last_span] = SpansAt(v, level);
      const bool inside =
          std::any_of(first_span, last_span, [&](const auto& sp) { return sp.first == target; });
      if (inside) {
        evicted.push_back(victim);
        index_.Release(v.alloc);
      }
    }
    GangRequest request = RequestOf(head);
    request.model = m;
    std::optional<Allocation> a = index_.Place(request, target);
    if (!a) {  // cannot happen by construction; restore rather than lose jobs
      for (JobId victim : evicted) index_.Take(job(victim).alloc);
      continue;
    }
    std::vector<JobId> preempted;
    for (auto it = evicted.rbegin(); it != evicted.rend(); ++it) {
      const Allocation& va = job(*it).alloc;
      // It goes back if the head left it all it held: GPU room, CPU and memory.
      const bool untouched = index_.CanTake(va);
      if (untouched) {
        index_.Take(va);
      } else {
        preempted.push_back(*it);
      }
    }
    if (!Judged(head_id, *a)) {
      index_.Release(*a);
      for (JobId victim : preempted) index_.Take(job(victim).alloc);
      continue;
    }
    if (admission_ != nullptr) {
      // The head may start only if the sites can power it once the victims have stopped.
      std::vector<AdmissionGuard::Load> leaving;
      for (JobId victim : preempted)
        leaving.push_back({&job(victim).alloc, job(victim).power_utilization});
      refusing_.clear();
      admission_->Refusing({&*a, head.power_utilization}, leaving, refusing_);
      if (!refusing_.empty()) {
        refused_not_for_gpus_ = true;
        index_.Release(*a);
        for (JobId victim : preempted) index_.Take(job(victim).alloc);
        continue;
      }
    }
    std::sort(preempted.begin(), preempted.end());
    for (JobId victim : preempted) {
      StopJob(victim, now, /*release=*/false);
      job(victim).state = State::kPending;
      queue_.insert(KeyOf(victim));
      out.push_back({Decision::Kind::kPreempt, victim});
    }
    reservation_stale_ = true;
    StartJob(head_id, std::move(*a), now, out);
    return true;
  }
  return false;
}

}  // namespace gpufleet
