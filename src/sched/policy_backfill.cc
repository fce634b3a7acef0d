// EASY backfill (Lifka 1995; Slurm's sched/backfill): priority, then submission order; the
// blocked head gets one reservation, and a later job may start now only if, judged on estimates,
// it cannot delay that reservation.
//
// Topology makes the classic "extra nodes" rule per subtree: the head will start at `shadow`
// inside one subtree of its constraint level, where `extra` GPUs remain once it is placed. A
// backfilled job that may still run at `shadow` may use at most `extra` GPUs of that subtree.
//
// Power makes a second reservation (docs/MODELS.md, "Power-aware scheduling"): a head that the
// GPUs could take but the power of sites S refuses holds S until `until`, the latest estimated
// end of the jobs running in S when it became blocked. Until then a job that may outlive `until`
// does not start in S, so that by `until` (if jobs end by their estimates) S holds only what the
// head can start beside: it starts then at the latest, instead of being overtaken for ever by
// smaller jobs taking the power it waits for.
#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <tuple>

#include "sched/core.h"
#include "sched/subtree_releases.h"

namespace gpufleet {
namespace {

// A level gets releases per subtree (SubtreeReleases) from this many subtrees up (the pods of a
// campus, its rows, its racks); with fewer (a fleet, its sites) a subtree holds a large share of
// the running jobs, and the replay is as fast.
constexpr std::int32_t kMinSubtrees = 8;

class BackfillPolicy final : public SchedulingPolicy {
 public:
  BackfillPolicy(int max_job_test, bool check_reservations)
      : max_job_test_(max_job_test), check_reservations_(check_reservations) {}

  std::pair<std::int64_t, std::int64_t> KeyOf(const SchedulerCore& core, Slot s) const override {
    const SchedJob& j = core.job(s);
    return {-static_cast<std::int64_t>(j.priority), j.submit};
  }
  void OnStarted(SchedulerCore& core, Slot s, SimTime) override {
    AddByEnd(core, s);
    ChangeReleases(core, s, core.job(s).est_end, true);
  }
  void OnConfirmed(SchedulerCore& core, Slot s, SimTime, SimTime old_est_end) override {
    const SchedJob& j = core.job(s);
    if (j.est_end == old_est_end) return;
    by_end_.erase(end_at_[static_cast<size_t>(s)]);
    AddByEnd(core, s);
    ChangeReleases(core, s, old_est_end, false);
    ChangeReleases(core, s, j.est_end, true);
    stale_ = true;
  }
  void OnStopping(SchedulerCore& core, Slot s, SimTime now) override {
    const SchedJob& j = core.job(s);
    // A release the reservation did not foresee (earlier or later than estimated) invalidates it.
    if (now != j.est_end) stale_ = true;
    by_end_.erase(end_at_[static_cast<size_t>(s)]);
    ChangeReleases(core, s, j.est_end, false);
  }
  void OnNodesChanged(SchedulerCore&) override {
    stale_ = true;
    for (auto& level : releases_) {
      if (level) level->ForgetCrossings();
    }
  }
  std::optional<PendingReason> Explain(const SchedulerCore& core, Slot s,
                                       WaitReason code) const override {
    if ((code != WaitReason::kReserved && code != WaitReason::kReservation) || !reservation_)
      return std::nullopt;
    PendingReason why = core.BasicReason(core.job(s));
    why.code = code;
    why.where = reservation_->subtree;
    why.until = reservation_->shadow;
    why.blocker = code == WaitReason::kReserved ? reservation_->blocker : reservation_->job;
    if (power_ && code == WaitReason::kReserved) {  // the head waits for power: its sites, held
      why.where = power_->sites.front();            // until then
      why.until = power_->until;
      why.blocker = -1;
    }
    return why;
  }
  std::optional<std::pair<JobId, SimTime>> Reservation() const override {
    // A head held by power starts by the later of its two reservations.
    if (power_ && reservation_) {
      return std::make_pair(reservation_->job, reservation_->subtree < 0
                                                   ? power_->until
                                                   : std::max(power_->until, reservation_->shadow));
    }
    if (!reservation_ || reservation_->subtree < 0) return std::nullopt;
    return std::make_pair(reservation_->job, reservation_->shadow);
  }
  void Pass(SchedulerCore& core, SimTime now, std::vector<Decision>& out) override;

  void Save(const SchedulerCore&, ByteWriter& w) const override {
    w.Put(stale_);
    w.Put(reservation_.has_value());
    if (reservation_) {
      w.Put(reservation_->job);
      w.Put(reservation_->job_seq);
      w.Put(reservation_->shadow);
      w.Put(reservation_->model);
      w.Put(reservation_->subtree);
      w.Put(reservation_->extra);
      w.Put(reservation_->blocker);
    }
    w.Put(power_.has_value());
    if (power_) {
      w.Put(power_->head_seq);
      w.Put(power_->until);
      w.Put(static_cast<std::uint32_t>(power_->sites.size()));
      for (TopoId site : power_->sites) w.Put(site);
    }
    w.Put(hopeless_seq_);
  }
  Status Load(SchedulerCore& core, ByteReader& r) override {
    bool has = false;
    r.Get(stale_);
    r.Get(has);
    if (has) {
      Res res;
      r.Get(res.job);
      r.Get(res.job_seq);
      r.Get(res.shadow);
      r.Get(res.model);
      r.Get(res.subtree);
      r.Get(res.extra);
      r.Get(res.blocker);
      if (res.subtree >= static_cast<TopoId>(core.fleet.topo().size()) ||
          res.model >= static_cast<ModelId>(core.fleet.gpu_models().size())) {
        return Error{"scheduler snapshot: backfill reservation out of range", ErrorCode::kDataLoss};
      }
      reservation_ = res;
    }
    bool held = false;
    r.Get(held);
    if (held) {
      PowerHold hold;
      std::uint32_t sites = 0;
      r.Get(hold.head_seq);
      r.Get(hold.until);
      r.Get(sites);
      if (sites == 0 || sites > core.fleet.topo().size()) {
        return Error{"scheduler snapshot: backfill power hold out of range", ErrorCode::kDataLoss};
      }
      for (std::uint32_t i = 0; i < sites; ++i) {
        TopoId site = -1;
        r.Get(site);
        if (site < 0 || site >= static_cast<TopoId>(core.fleet.topo().size())) {
          return Error{"scheduler snapshot: backfill power hold out of range",
                       ErrorCode::kDataLoss};
        }
        hold.sites.push_back(site);
      }
      power_ = std::move(hold);
    }
    r.Get(hopeless_seq_);
    return Status::Ok();
  }
  std::optional<std::string> Check(const SchedulerCore& core) const override {
    std::set<EndKeyT> expected;
    for (Slot s : core.running_list) expected.insert(EndKey(core, s));
    if (expected != by_end_) return std::string("backfill: its jobs by estimated end are off");
    return std::nullopt;
  }
  void OnRestored(SchedulerCore& core) override {
    by_end_.clear();
    for (Slot s : core.running_list) AddByEnd(core, s);
    for (auto& level : releases_) level.reset();  // built again from by_end_ when needed
  }

 private:
  // The EASY reservation of the blocked head: it starts at `shadow` inside subtree `subtree`
  // (whose level is its topology constraint); `extra` GPUs of that subtree are still free then.
  // `blocker`: the running job whose end completes it.
  struct Res {
    JobId job = -1;
    std::uint64_t job_seq = 0;  // the head's submission: its id may come back for another job
    SimTime shadow = kNever;
    ModelId model = kAnyModel;
    TopoId subtree = -1;
    std::int32_t extra = 0;
    JobId blocker = -1;
  };
  // The power reservation of a head blocked by the power of `sites` (not by GPUs).
  struct PowerHold {
    std::uint64_t head_seq = 0;
    std::vector<TopoId> sites;
    SimTime until = kNever;
    int running = 0;  // jobs running at the sites when it was computed (not saved)
  };
  using EndKeyT = std::tuple<SimTime, JobId, Slot>;
  static EndKeyT EndKey(const SchedulerCore& core, Slot s) {
    return {core.job(s).est_end, core.job(s).id, s};
  }
  // A job holding GPUs enters by_end_; where, is kept for its removal (no search then).
  void AddByEnd(const SchedulerCore& core, Slot s) {
    if (end_at_.size() <= static_cast<size_t>(s)) end_at_.resize(static_cast<size_t>(s) + 1);
    end_at_[static_cast<size_t>(s)] = by_end_.insert(EndKey(core, s)).first;
  }
  // The running job in slot s enters (or leaves) the releases kept per subtree, with its
  // estimated end `end`.
  void ChangeReleases(const SchedulerCore& core, Slot s, SimTime end, bool add) {
    for (auto& level : releases_) {
      if (level) AddOrRemove(core, *level, s, end, add);
    }
  }
  static void AddOrRemove(const SchedulerCore& core, SubtreeReleases& level, Slot s, SimTime end,
                          bool add) {
    const SchedJob& j = core.job(s);
    const auto [first, last] = core.SpansAt(j, level.level());
    for (auto sp = first; sp != last; ++sp) {
      const SubtreeReleases::Release r{
          end, j.id, s, static_cast<std::int32_t>(sp - first), sp->second, j.alloc.model};
      if (add) {
        level.Add(sp->first, r);
      } else {
        level.Remove(sp->first, r);
      }
    }
  }
  // The releases per subtree of `level`, built from the running jobs the first time; null where
  // the level has too few subtrees for them to beat the replay.
  SubtreeReleases* ReleasesAt(const SchedulerCore& core, Level level);
  Res ComputeReservation(SchedulerCore& core, Slot head, SimTime now);
  Res ReplayReservation(SchedulerCore& core, Slot head, SimTime now);
  // The earliest of the reservations `for_model` finds per GPU model the head allows.
  template <typename ForModel>
  static Res EarliestOverModels(const SchedulerCore& core, const SchedJob& head,
                                ForModel&& for_model);
  // The hold for a head the power of core.power_refused_sites refused: until the latest
  // estimated end of the jobs running there (at least now).
  PowerHold ComputePowerHold(const SchedulerCore& core, Slot head, SimTime now) const;
  bool TryBackfill(SchedulerCore& core, Slot s, SimTime now, std::vector<Decision>& out);
  // A job that may outlive the power hold: placed outside its sites (and within the GPU
  // reservation's rule), or it waits.
  bool TryBackfillOutsideHeldSites(SchedulerCore& core, Slot s, SimTime now,
                                   std::vector<Decision>& out);

  const int max_job_test_;
  // Jobs holding GPUs by estimated end.
  std::set<EndKeyT> by_end_;
  std::vector<std::set<EndKeyT>::iterator> end_at_;  // per slot holding GPUs: its entry there
  std::optional<Res> reservation_;
  std::optional<PowerHold> power_;
  // The head whose held sites emptied and still refused it (its seq): not held again.
  std::uint64_t hopeless_seq_ = 0;
  bool stale_ = true;
  std::vector<std::pair<TopoId, std::int32_t>> spans_scratch_;
  // Per level, the releases of the running jobs per subtree (SubtreeReleases), where built.
  std::array<std::unique_ptr<SubtreeReleases>, kLevels> releases_;
  std::array<std::int8_t, kLevels> releases_worth_{};  // 0: not known yet, 1: yes, -1: no
  const bool check_reservations_;
};

SubtreeReleases* BackfillPolicy::ReleasesAt(const SchedulerCore& core, Level level) {
  const auto l = static_cast<size_t>(level);
  if (releases_worth_[l] == 0) {
    // Many subtrees, each with a small share of the running jobs: a handful of racks or rows
    // looked at again after a start or stop instead of every running job.
    releases_worth_[l] = SubtreeReleases::SubtreesAt(core.fleet, level) >= kMinSubtrees ? 1 : -1;
  }
  if (releases_worth_[l] < 0) return nullptr;
  if (!releases_[l]) {
    releases_[l] = std::make_unique<SubtreeReleases>(core.fleet, level);
    for (const auto& [end, id, slot] : by_end_) AddOrRemove(core, *releases_[l], slot, end, true);
  }
  return releases_[l].get();
}

template <typename ForModel>
BackfillPolicy::Res BackfillPolicy::EarliestOverModels(const SchedulerCore& core,
                                                       const SchedJob& head, ForModel&& for_model) {
  Res best;
  best.job = head.id;
  best.job_seq = head.seq;
  const GangRequest head_request = core.RequestOf(head);
  for (ModelId m = 0; m < static_cast<ModelId>(core.fleet.gpu_models().size()); ++m) {
    if (!head_request.Allows(m)) continue;
    const std::optional<SubtreeReleases::Crossing> c = for_model(m);
    if (c && c->shadow < best.shadow) {  // a tie keeps the lower model
      best.shadow = c->shadow;
      best.model = m;
      best.subtree = c->subtree;
      best.extra = c->extra;
      best.blocker = c->blocker;
    }
  }
  return best;
}

BackfillPolicy::Res BackfillPolicy::ComputeReservation(SchedulerCore& core, Slot head_slot,
                                                       SimTime now) {
  const SchedJob& head = core.job(head_slot);
  // Draining nodes' GPUs do not count when they are released (ReusableSpansAt): replay then.
  SubtreeReleases* releases =
      core.draining_count == 0 ? ReleasesAt(core, ConstraintLevel(head.topology)) : nullptr;
  if (releases == nullptr) return ReplayReservation(core, head_slot, now);
  const Res best = EarliestOverModels(
      core, head, [&](ModelId m) { return releases->Find(core.index, head.gpus, m, now); });
  if (check_reservations_) {
    const Res replay = ReplayReservation(core, head_slot, now);
    if (replay.shadow != best.shadow || replay.model != best.model ||
        replay.subtree != best.subtree || replay.extra != best.extra ||
        replay.blocker != best.blocker) {
      std::fprintf(stderr,
                   "gpufleet: internal error: the reservation of job %lld from the releases per "
                   "subtree (shadow %lld, model %d, subtree %d, extra %d, blocker %lld) is not the "
                   "replay's (%lld, %d, %d, %d, %lld)\n",
                   static_cast<long long>(head.id), static_cast<long long>(best.shadow), best.model,
                   best.subtree, best.extra, static_cast<long long>(best.blocker),
                   static_cast<long long>(replay.shadow), replay.model, replay.subtree,
                   replay.extra, static_cast<long long>(replay.blocker));
      std::abort();
    }
  }
  return best;
}

BackfillPolicy::Res BackfillPolicy::ReplayReservation(SchedulerCore& core, Slot head_slot,
                                                      SimTime now) {
  const SchedJob& head = core.job(head_slot);
  const Level level = ConstraintLevel(head.topology);
  return EarliestOverModels(core, head, [&](ModelId m) -> std::optional<SubtreeReleases::Crossing> {
    // Replay the running jobs' releases in order of estimated end, counting free GPUs per
    // subtree of the constraint level, until one subtree holds the whole gang.
    core.NewCounterGeneration();
    SubtreeReleases::Crossing c;
    for (const auto& [end, id, slot] : by_end_) {
      if (c.subtree >= 0 && end > c.shadow) break;  // later releases do not count to `extra`
      const SchedJob& r = core.job(slot);
      if (r.alloc.model != m) continue;
      const auto [first_span, last_span] = core.ReusableSpansAt(r, level, spans_scratch_);
      for (auto sp = first_span; sp != last_span; ++sp) {
        int& free = core.SubtreeCounter(sp->first, m);
        free += sp->second;
        if (c.subtree < 0 && free >= head.gpus) {
          c.subtree = sp->first;
          c.shadow = std::max(end, now);
          c.blocker = id;
        }
      }
    }
    if (c.subtree < 0) return std::nullopt;
    c.extra = core.CounterValue(c.subtree) - head.gpus;
    return c;
  });
}

BackfillPolicy::PowerHold BackfillPolicy::ComputePowerHold(const SchedulerCore& core, Slot head,
                                                           SimTime now) const {
  PowerHold hold;
  hold.head_seq = core.job(head).seq;
  hold.sites = core.power_refused_sites;
  hold.until = now;
  for (Slot slot : core.running_list) {
    const SchedJob& r = core.job(slot);
    if (!core.RunsAtAnyOf(r, hold.sites)) continue;
    hold.until = std::max(hold.until, r.est_end);
    ++hold.running;
  }
  return hold;
}

bool BackfillPolicy::TryBackfillOutsideHeldSites(SchedulerCore& core, Slot s, SimTime now,
                                                 std::vector<Decision>& out) {
  const SchedJob& j = core.job(s);
  const Res& r = *reservation_;
  // The GPU reservation's rule still holds: outside its subtree, or within its extra GPUs.
  const bool ends_in_time = now + std::max<SimTime>(0, j.estimate - j.attained) <= r.shadow;
  const bool may_touch_reservation =
      r.subtree >= 0 && !ends_in_time && (j.model == kAnyModel || j.model == r.model);
  const bool block_reserved = may_touch_reservation && r.subtree != 0;
  if (may_touch_reservation && r.subtree == 0 && j.gpus > r.extra) {
    core.MarkReason(s, WaitReason::kReservation);
    return false;
  }
  for (TopoId site : power_->sites) core.index.Block(site);
  if (block_reserved) core.index.Block(r.subtree);
  std::optional<Allocation> a = core.PlaceAdmitted(s, core.RequestOf(j));
  if (block_reserved) core.index.Unblock(r.subtree);
  for (TopoId site : power_->sites) core.index.Unblock(site);
  // Nothing is cached from a failure here: the held sites were hidden, not full.
  if (!a) {
    core.MarkReason(s, WaitReason::kReservation);
    return false;
  }
  if (may_touch_reservation && r.subtree == 0) reservation_->extra -= j.gpus;
  core.StartJob(s, std::move(*a), now, out);
  return true;
}

bool BackfillPolicy::TryBackfill(SchedulerCore& core, Slot s, SimTime now,
                                 std::vector<Decision>& out) {
  const SchedJob& j = core.job(s);
  if (power_ && now + std::max<SimTime>(0, j.estimate - j.attained) > power_->until) {
    return TryBackfillOutsideHeldSites(core, s, now, out);
  }
  if (core.SkipAsTooLarge(j)) {
    core.MarkNoRoom(s);
    return false;
  }
  const Res& r = *reservation_;
  const bool ends_in_time = now + std::max<SimTime>(0, j.estimate - j.attained) <= r.shadow;
  const bool may_touch_reservation =
      r.subtree >= 0 && !ends_in_time && (j.model == kAnyModel || j.model == r.model);
  if (!may_touch_reservation) return core.TryStart(s, now, out);
  // A job that may outlive the shadow time goes outside the reserved subtree if it can...
  const bool whole = core.Cacheable(j);
  const size_t failure_slot = SchedulerCore::FailureSlot(j);
  if (r.subtree != 0 && (!whole || j.gpus < core.min_failed_outside[failure_slot])) {
    core.index.Block(r.subtree);
    std::optional<Allocation> a = core.PlaceAdmitted(s, core.RequestOf(j));
    core.index.Unblock(r.subtree);
    if (a) {
      core.StartJob(s, std::move(*a), now, out);
      return true;
    }
    if (whole && !core.refused_not_for_gpus)
      core.min_failed_outside[failure_slot] =
          std::min(core.min_failed_outside[failure_slot], j.gpus);
  }
  // ...or inside it only within the GPUs the head leaves over (the "extra" of EASY). Gangs smaller
  // than `extra` cannot take more than `extra` wherever they land, so no tentative placement is
  // needed to check it.
  if (j.gpus > reservation_->extra) {
    core.MarkReason(s, WaitReason::kReservation);
    return false;
  }
  std::optional<Allocation> a = core.PlaceAdmitted(s, core.RequestOf(j));
  if (!a) {
    if (core.Cacheable(j) && !core.refused_not_for_gpus) core.RememberFailure(j);
    core.SetFailureReason(s);
    return false;
  }
  const Level res_level = core.fleet.topo(r.subtree).level;
  for (const NodeGpus& ng : a->nodes) {
    if (core.fleet.Ancestor(ng.node, res_level) == r.subtree)
      reservation_->extra -= std::popcount(ng.mask);
  }
  core.StartJob(s, std::move(*a), now, out);
  return true;
}

void BackfillPolicy::Pass(SchedulerCore& core, SimTime now, std::vector<Decision>& out) {
  const bool capacity_changed = core.capacity_version != core.last_pass_version;
  const bool head_changed = core.queue.empty() || core.HeadSeq() != core.last_head_seq;
  const bool shadow_due = reservation_ && now >= reservation_->shadow;
  if (!capacity_changed && !head_changed && !shadow_due && core.new_jobs.empty() &&
      !core.force_pass) {
    return;
  }
  // (force_pass: a confirmation after a launch delay moved an estimated end.)
  const bool rescan = capacity_changed || head_changed || shadow_due || core.force_pass;
  if (rescan) core.BeginExamination(now);

  // Start jobs in queue order while they fit. Any job started here may run past the shadow time
  // of the current reservation (a new arrival can outrank the blocked head), so the reservation
  // must then be recomputed.
  const size_t decided = out.size();
  while (!core.queue.empty() && core.TryStart(core.HeadSlot(), now, out)) {
  }
  if (out.size() != decided) stale_ = true;
  if (core.queue.empty()) {
    reservation_.reset();
    power_.reset();
    return;
  }
  const Slot head = core.HeadSlot();
  const JobId head_id = core.job(head).id;
  if (!reservation_ || reservation_->job_seq != core.job(head).seq || stale_ || shadow_due) {
    reservation_ = ComputeReservation(core, head, now);
    stale_ = false;
    std::fill(core.min_failed_outside.begin(), core.min_failed_outside.end(), INT_MAX);
  }
  // Blocked by power rather than GPUs: hold the refusing sites for the head. A new head gets a
  // new hold; a held head keeps its time until it is up, and is held again then if jobs that
  // overran their estimates still run there. Sites with nothing left running that still refuse
  // it can never power it: it holds nothing more.
  const std::uint64_t head_seq = core.job(head).seq;
  if (core.job(head).reason == WaitReason::kPower && !core.power_refused_sites.empty() &&
      hopeless_seq_ != head_seq) {
    if (!power_ || power_->head_seq != head_seq || now >= power_->until) {
      power_ = ComputePowerHold(core, head, now);
      if (power_->running == 0) {
        hopeless_seq_ = head_seq;
        power_.reset();
      }
    }
  } else {
    power_.reset();
  }
  if (reservation_->subtree >= 0 || power_) core.MarkReason(head, WaitReason::kReserved);

  // Candidates: after a release (or a new head), the next bf_max_job_test jobs in queue order;
  // otherwise only jobs that arrived since the last pass, since nothing else can have changed.
  std::vector<Slot> candidates;
  if (rescan) {
    auto it = std::next(core.queue.begin());
    for (int n = 0; it != core.queue.end() && n < max_job_test_; ++it, ++n) {
      candidates.push_back(it->slot);
    }
  } else {
    for (JobId id : core.new_jobs) {
      const std::optional<Slot> s = core.SlotOf(id);
      if (s && core.job(*s).state == JobState::kPending && id != head_id) candidates.push_back(*s);
    }
    std::sort(candidates.begin(), candidates.end(),
              [&core](Slot x, Slot y) { return core.KeyOf(x) < core.KeyOf(y); });
    // An id cancelled and submitted again between two passes is listed twice.
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  }
  for (Slot s : candidates) {
    if (core.index.FreeGpus() == 0) break;
    TryBackfill(core, s, now, out);
  }
}

}  // namespace

std::unique_ptr<SchedulingPolicy> MakeBackfillPolicy(const SchedulerConfig& config) {
  return std::make_unique<BackfillPolicy>(config.bf_max_job_test, config.check_reservations);
}

}  // namespace gpufleet
