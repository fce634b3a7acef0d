// EASY backfill (Lifka 1995; Slurm's sched/backfill): the blocked head gets one reservation, and a
// later job may start now only if, judged on estimates, it cannot delay that reservation.
//
// Topology makes the classic "extra nodes" rule per subtree: the head will start at `shadow`
// inside one subtree of its constraint level, where `extra` GPUs remain once it is placed. A
// backfilled job that may still run at `shadow` may use at most `extra` GPUs of that subtree.
#include <algorithm>
#include <bit>
#include <climits>

#include "sched/scheduler.h"

namespace gpufleet {

Scheduler::Reservation Scheduler::ComputeReservation(JobId head_id, SimTime now) {
  const Job& head = job(head_id);
  const Level level = ConstraintLevel(head.topology);
  Reservation best;
  best.job = head_id;
  const GangRequest head_request = RequestOf(head);
  for (ModelId m = 0; m < static_cast<ModelId>(fleet_.gpu_models().size()); ++m) {
    if (!head_request.Allows(m)) continue;
    // Replay the running jobs' releases in order of estimated end, counting free GPUs per subtree
    // of the constraint level, until one subtree holds the whole gang.
    ++counter_generation_;
    touched_.clear();
    TopoId target = -1;
    SimTime shadow = kNever;
    for (const auto& [end, id] : by_end_) {
      if (target >= 0 && end > shadow) break;  // later releases do not count towards `extra`
      const Job& r = job(id);
      if (r.alloc.model != m) continue;
      const auto [first_span, last_span] = SpansAt(r, level);
      for (auto sp = first_span; sp != last_span; ++sp) {
        int& free = SubtreeCounter(sp->first, m);
        free += sp->second;
        if (target < 0 && free >= head.gpus) {
          target = sp->first;
          shadow = std::max(end, now);
        }
      }
    }
    if (target >= 0 && shadow < best.shadow) {
      best.shadow = shadow;
      best.model = m;
      best.subtree = target;
      best.extra = counter_value_[static_cast<size_t>(target)] - head.gpus;
    }
  }
  return best;
}

bool Scheduler::TryBackfill(JobId id, SimTime now, std::vector<Decision>& out) {
  const Job& j = job(id);
  if (SkipAsTooLarge(j)) return false;
  const Reservation& r = *reservation_;
  const bool ends_in_time = now + RemainingEstimate(j) <= r.shadow;
  const bool may_touch_reservation =
      r.subtree >= 0 && !ends_in_time && (j.model == kAnyModel || j.model == r.model);
  if (!may_touch_reservation) {
    std::optional<Allocation> a = PlaceAdmitted(id, RequestOf(j));
    if (!a) {
      if (Cacheable(j) && !refused_not_for_gpus_) RememberFailure(j);
      return false;
    }
    StartJob(id, std::move(*a), now, out);
    return true;
  }
  // A job that may outlive the shadow time goes outside the reserved subtree if it can...
  const bool whole = Cacheable(j);
  if (r.subtree != 0 && (!whole || j.gpus < min_failed_outside_[FailureSlot(j)])) {
    index_.Block(r.subtree);
    std::optional<Allocation> a = PlaceAdmitted(id, RequestOf(j));
    index_.Unblock(r.subtree);
    if (a) {
      StartJob(id, std::move(*a), now, out);
      return true;
    }
    if (whole && !refused_not_for_gpus_)
      min_failed_outside_[FailureSlot(j)] = std::min(min_failed_outside_[FailureSlot(j)], j.gpus);
  }
  // ...or inside it only within the GPUs the head leaves over (the "extra" of EASY). Gangs smaller
  // than `extra` cannot take more than `extra` wherever they land, so no tentative placement is
  // needed to check it.
  if (j.gpus > reservation_->extra) return false;
  std::optional<Allocation> a = PlaceAdmitted(id, RequestOf(j));
  if (!a) {
    if (Cacheable(j) && !refused_not_for_gpus_) RememberFailure(j);
    return false;
  }
  const Level res_level = fleet_.topo(r.subtree).level;
  for (const NodeGpus& ng : a->nodes) {
    if (fleet_.Ancestor(ng.node, res_level) == r.subtree)
      reservation_->extra -= std::popcount(ng.mask);
  }
  StartJob(id, std::move(*a), now, out);
  return true;
}

void Scheduler::BackfillPass(SimTime now, std::vector<Decision>& out) {
  const bool capacity_changed = capacity_version_ != last_pass_version_;
  const bool head_changed = queue_.empty() || queue_.begin()->id != last_head_;
  const bool shadow_due = reservation_ && now >= reservation_->shadow;
  if (!capacity_changed && !head_changed && !shadow_due && new_jobs_.empty()) return;

  // Start jobs in queue order while they fit. Any job started here may run past the shadow time
  // of the current reservation (a new arrival can outrank the blocked head), so the reservation
  // must then be recomputed.
  const size_t decided = out.size();
  while (!queue_.empty() && TryStart(queue_.begin()->id, now, out)) {
  }
  if (out.size() != decided) reservation_stale_ = true;
  if (queue_.empty()) {
    reservation_.reset();
    return;
  }
  const JobId head = queue_.begin()->id;
  if (!reservation_ || reservation_->job != head || reservation_stale_ || shadow_due) {
    reservation_ = ComputeReservation(head, now);
    reservation_stale_ = false;
    std::fill(min_failed_outside_.begin(), min_failed_outside_.end(), INT_MAX);
  }

  // Candidates: after a release (or a new head), the next bf_max_job_test jobs in queue order;
  // otherwise only jobs that arrived since the last pass, since nothing else can have changed.
  std::vector<JobId> candidates;
  if (capacity_changed || head_changed || shadow_due) {
    auto it = std::next(queue_.begin());
    for (int n = 0; it != queue_.end() && n < config_.bf_max_job_test; ++it, ++n) {
      candidates.push_back(it->id);
    }
  } else {
    for (JobId id : new_jobs_) {
      if (job(id).state == State::kPending && id != head) candidates.push_back(id);
    }
    std::sort(candidates.begin(), candidates.end(),
              [this](JobId x, JobId y) { return KeyOf(x) < KeyOf(y); });
  }
  for (JobId id : candidates) {
    if (index_.FreeGpus() == 0) break;
    TryBackfill(id, now, out);
  }
}

}  // namespace gpufleet
