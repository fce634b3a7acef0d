// Preemption: a blocked job evicts running jobs that rank below it, fewest and cheapest first.
// When the sites' power, not GPUs, refuses the head, it also stops victims running at those
// sites, those that free the most power first, until the sites can power it.
// Policies decide who may be evicted and in what order (PreemptFor's `victims`); the mechanics
// of choosing a subtree, evicting only what is needed and giving the rest back are shared.
//
// Without confirm_stops the victims' GPUs are free at once and the head starts on them in the
// same pass. With it, the victims are stopping and keep their GPUs until the driver releases them
// (after their grace period); the head waits for them, and starts in the pass after the last
// release.
#include <algorithm>
#include <bit>

#include "sched/core.h"

namespace gpufleet {

bool SchedulerCore::RunsAtAnyOf(const SchedJob& j, const std::vector<TopoId>& sites) const {
  if (j.alloc.nodes.empty()) return false;
  // Nodes are in site order: the job's sites run from its first node's to its last node's.
  const TopoId first = fleet.Ancestor(j.alloc.nodes.front().node, Level::kSite);
  const TopoId last = fleet.Ancestor(j.alloc.nodes.back().node, Level::kSite);
  return std::any_of(sites.begin(), sites.end(),
                     [&](TopoId site) { return site >= first && site <= last; });
}

std::vector<Slot> SchedulerCore::PowerVictims(const std::vector<Slot>& victims,
                                              const std::vector<Slot>& taken,
                                              const std::vector<TopoId>& sites) const {
  std::vector<Slot> out;
  for (Slot victim : victims) {
    if (std::find(taken.begin(), taken.end(), victim) != taken.end()) continue;
    if (RunsAtAnyOf(job(victim), sites)) out.push_back(victim);
  }
  // The most power freed first (busy GPU-shares times how hard they work): the fewest jobs
  // stopped; ties in the policy's order.
  auto power = [this](Slot s) {
    const SchedJob& v = job(s);
    return static_cast<double>(v.alloc.Gpus()) * v.alloc.milli * v.power_utilization;
  };
  std::stable_sort(out.begin(), out.end(), [&](Slot x, Slot y) { return power(x) > power(y); });
  return out;
}

namespace {

// Victims listed in full by the policy.
class VictimList final : public SchedulerCore::VictimOrder {
 public:
  explicit VictimList(const std::vector<Slot>& slots) : slots_(slots) {}
  void ForEach(const std::function<bool(Slot)>& visit) const override {
    for (Slot s : slots_) {
      if (!visit(s)) return;
    }
  }

 private:
  const std::vector<Slot>& slots_;
};

}  // namespace

SchedulerCore::Preempted SchedulerCore::PreemptFor(Slot head_slot, const std::vector<Slot>& victims,
                                                   SimTime now, std::vector<Decision>& out) {
  return PreemptFor(head_slot, VictimList(victims), now, out);
}

SchedulerCore::Preempted SchedulerCore::PreemptFor(Slot head_slot, const VictimOrder& victims,
                                                   SimTime now, std::vector<Decision>& out) {
  refused_not_for_gpus = false;
  const SchedJob& head = job(head_slot);
  const Level level = ConstraintLevel(head.topology);
  const GangRequest head_request = RequestOf(head);
  std::vector<std::pair<TopoId, std::int32_t>> scratch;
  for (ModelId m = 0; m < static_cast<ModelId>(fleet.gpu_models().size()); ++m) {
    if (!head_request.Allows(m)) continue;
    // Walk victims in order and count, per subtree of the head's constraint level, the GPUs that
    // evicting them would free. The first subtree to reach the gang size is where the head goes.
    NewCounterGeneration();
    std::vector<Slot> considered;
    TopoId target = -1;
    victims.ForEach([&](Slot victim) {
      const SchedJob& v = job(victim);
      if (v.alloc.model != m) return true;
      considered.push_back(victim);
      const auto [first_span, last_span] = ReusableSpansAt(v, level, scratch);
      for (auto sp = first_span; sp != last_span; ++sp) {
        int& free = SubtreeCounter(sp->first, m);
        free += sp->second;
        if (free >= head.gpus && target < 0) target = sp->first;
      }
      return target < 0;
    });
    if (target < 0) continue;

    // Evict the considered jobs that hold GPUs in the target subtree, place the head there, then
    // give back the GPUs of any evicted job that the head did not need after all.
    std::vector<Slot> evicted;
    for (Slot victim : considered) {
      const SchedJob& v = job(victim);
      const auto [first_span, last_span] = ReusableSpansAt(v, level, scratch);
      const bool inside =
          std::any_of(first_span, last_span, [&](const auto& sp) { return sp.first == target; });
      if (inside) {
        evicted.push_back(victim);
        index.Release(v.alloc);
      }
    }
    GangRequest request = RequestOf(head);
    request.model = m;
    std::optional<Allocation> a = index.Place(request, target);
    if (!a) {  // cannot happen by construction; restore rather than lose jobs
      for (Slot victim : evicted) index.Take(job(victim).alloc);
      continue;
    }
    std::vector<Slot> preempted;
    for (auto it = evicted.rbegin(); it != evicted.rend(); ++it) {
      const Allocation& va = job(*it).alloc;
      // It goes back if the head left it all it held: GPU room, CPU and memory.
      if (index.CanTake(va)) {
        index.Take(va);
      } else {
        preempted.push_back(*it);
      }
    }
    if (!Judged(head_slot, *a)) {
      index.Release(*a);
      for (Slot victim : preempted) index.Take(job(victim).alloc);
      continue;
    }
    if (hooks.admission != nullptr) {
      // The head may start only if the sites can power it once the victims have stopped.
      std::vector<AdmissionGuard::Load> leaving;
      for (Slot victim : preempted)
        leaving.push_back({&job(victim).alloc, job(victim).power_utilization});
      std::vector<TopoId> refusing;
      hooks.admission->Refusing({&*a, head.power_utilization}, leaving, refusing);
      // Power, not GPUs, stands in the way: stop more of the victims running at the refusing
      // sites, those that free the most power first, until the sites can power the head.
      std::vector<Slot> for_power;
      if (!refusing.empty()) {
        std::vector<Slot> all;  // every victim: those that free the most power go first
        victims.ForEach([&](Slot victim) {
          all.push_back(victim);
          return true;
        });
        for (Slot victim : PowerVictims(all, preempted, refusing)) {
          for_power.push_back(victim);
          leaving.push_back({&job(victim).alloc, job(victim).power_utilization});
          refusing.clear();
          hooks.admission->Refusing({&*a, head.power_utilization}, leaving, refusing);
          if (refusing.empty()) break;
        }
      }
      if (!refusing.empty()) {
        refused_not_for_gpus = true;
        refusal = BasicReason(head);
        refusal.code = WaitReason::kPower;
        refusal.where = refusing.front();
        index.Release(*a);
        for (Slot victim : preempted) index.Take(job(victim).alloc);
        continue;
      }
      // Their GPUs go back to the pool like the other victims' (the head does not need them).
      for (Slot victim : for_power) {
        index.Release(job(victim).alloc);
        preempted.push_back(victim);
      }
    }
    std::sort(preempted.begin(), preempted.end(),
              [this](Slot x, Slot y) { return job(x).id < job(y).id; });
    if (config.confirm_stops && !preempted.empty()) {
      // The victims keep their GPUs until the driver releases them; the head keeps its placement
      // as its plan, holds at once the part of it that no victim holds, and the rest as each
      // victim lets go (HandOver).
      index.Release(*a);
      for (Slot victim : preempted) index.Take(job(victim).alloc);
      Allocation free_now = *a;
      free_now.nodes.clear();
      for (const NodeGpus& ng : a->nodes) {
        std::uint64_t mask = ng.mask;
        for (Slot victim : preempted) {
          for (const NodeGpus& vg : job(victim).alloc.nodes) {
            if (vg.node == ng.node) mask &= ~vg.mask;
          }
        }
        if (mask != 0) free_now.nodes.push_back({ng.node, mask});
      }
      SchedJob& h = job(head_slot);
      h.head = std::make_unique<HeadPlan>();
      h.head->plan = std::move(*a);
      if (!free_now.nodes.empty() && index.CanTake(free_now)) {
        index.Take(free_now);
        h.head->held = std::move(free_now);
      }
      const std::uint64_t round = next_round++;
      for (Slot victim : preempted) {
        SchedJob& v = job(victim);
        v.state = JobState::kStopping;
        v.stopped_at = now;
        v.stopping_for = h.id;
        v.stopping_round = round;
        out.push_back({Decision::Kind::kPreempt, v.id, v.epoch, v.alloc, WaitReason::kNone});
      }
      h.head->awaiting_victims = static_cast<std::int32_t>(preempted.size());
      h.head->round = round;
      planning_heads.push_back(head_slot);
      MarkReason(head_slot, WaitReason::kPreempting);
      return Preempted::kAwaitingRelease;
    }
    for (Slot victim : preempted) {
      SchedJob& v = job(victim);
      out.push_back({Decision::Kind::kPreempt, v.id, v.epoch, v.alloc, WaitReason::kNone});
      StopJob(victim, now, /*release=*/false, /*credit=*/true);
      Enqueue(victim, now);
    }
    StartJob(head_slot, std::move(*a), now, out);
    return Preempted::kStarted;
  }
  return Preempted::kNone;
}

}  // namespace gpufleet
