#include "sim/simulator.h"

#include <algorithm>

#include "physics/step_time.h"
#include "sim/job_run.h"

namespace gpufleet {

Simulator::Simulator(const Fleet& fleet, BoundWorkload workload, SimOptions options)
    : fleet_(fleet),
      workload_(std::move(workload)),
      options_(options),
      scheduler_(fleet, options.scheduler, workload_.tenants),
      power_(fleet),
      account_(fleet, options.physics),
      failures_(fleet, std::move(workload_.failures), std::move(workload_.failure_model),
                workload_.failure_seed, options.physics) {
  if (options_.physics) scheduler_.set_admission(&power_);
  if (options_.physics && !workload_.trainings.empty()) scheduler_.set_placement_judge(this);
  result_.tenants = workload_.tenants;
  result_.total_gpus = fleet.total_gpus();
}

double Simulator::RateOf(JobId id) const {
  // A job spanning sites runs at the pace of its most capped one. Nodes are in site order, so its
  // sites are those from its first node's to its last node's.
  const Allocation& a = scheduler_.AllocationOf(id);
  double cap = 1;
  for (int s = fleet_.SiteOf(a.nodes.front().node); s <= fleet_.SiteOf(a.nodes.back().node); ++s) {
    cap = std::min(cap, power_.Cap(static_cast<size_t>(s)));
  }
  return RunRate(result_.jobs[static_cast<size_t>(id)], cap);
}

double Simulator::PlacementRate(JobId id, const Allocation& a) const {
  const JobSpec& spec = result_.jobs[static_cast<size_t>(id)].spec;
  if (spec.training < 0) return 1;
  return PlacementProgressRate(fleet_, a, workload_.trainings[static_cast<size_t>(spec.training)]);
}

bool Simulator::Accepts(std::int32_t job, const Allocation& a) {
  const JobSpec& spec = result_.jobs[static_cast<size_t>(job)].spec;
  return spec.min_placement_rate <= 0 || PlacementRate(job, a) >= spec.min_placement_rate;
}

void Simulator::ScheduleFinish(JobId id, const JobRecord& r) {
  const SimTime at = FinishTime(r);
  if (at != kNever) queue_.Push(at, EventKind::kFinish, id, r.epoch);
}

void Simulator::StartRunning(JobId id, SimTime now) {
  JobRecord& r = result_.jobs[static_cast<size_t>(id)];
  r.state = JobRecord::State::kRunning;
  BeginRun(r, now);
  if (options_.physics) {
    const Allocation& a = scheduler_.AllocationOf(id);
    const Site& site = fleet_.sites()[static_cast<size_t>(fleet_.SiteOf(a.nodes.front().node))];
    SetCheckpointing(r, site.storage_gb_s, failures_.JobFailuresPerDay(a.nodes.size(), a.Gpus()));
    r.placement_rate = PlacementRate(id, a);
    r.rate = RateOf(id);
  } else {
    SetFreeCheckpointing(r);
  }
  running_slot_[static_cast<size_t>(id)] = static_cast<std::int32_t>(running_ids_.size());
  running_ids_.push_back(id);
  ScheduleFinish(id, r);
}

void Simulator::StopRunning(JobId id, JobRecord& r, SimTime now) {
  const std::int32_t slot = running_slot_[static_cast<size_t>(id)];
  running_ids_[static_cast<size_t>(slot)] = running_ids_.back();
  running_slot_[static_cast<size_t>(running_ids_.back())] = slot;
  running_ids_.pop_back();
  running_slot_[static_cast<size_t>(id)] = -1;
  EndRun(r, now);
}

void Simulator::ApplyCaps(SimTime now) {
  for (JobId id : running_ids_) {
    JobRecord& r = result_.jobs[static_cast<size_t>(id)];
    if (ChangeRate(r, RateOf(id), now)) ScheduleFinish(id, r);
  }
}

void Simulator::Log(SimTime t, const char* event, JobId job, const std::string& detail) {
  if (sink_ != nullptr) sink_->Record(t, event, job, detail);
}

// Only the next arrival sits in the queue: a million-job workload never fills the heap.
void Simulator::PullArrival() {
  has_next_job_ = workload_.source->Next(next_job_);
  if (has_next_job_) queue_.Push(next_job_.submit, EventKind::kArrival, 0, 0);
}

void Simulator::Advance(SimTime to) {
  if (to <= now_) return;
  account_.Add(
      now_, to,
      Held{scheduler_.allocated_milli(), scheduler_.allocated_cpu(), scheduler_.allocated_memory()},
      power_);
  now_ = to;
}

void Simulator::OnArrival(SimTime now) {
  const JobId id = static_cast<JobId>(result_.jobs.size());
  result_.jobs.push_back(JobRecord{});
  running_slot_.push_back(-1);
  JobRecord& r = result_.jobs.back();
  r.spec = std::move(next_job_);
  Log(now, "submit", id, "gpus=" + std::to_string(r.spec.gpus));
  if (std::optional<std::string> reason = scheduler_.Submit(id, r.spec, now)) {
    r.state = JobRecord::State::kRejected;
    Log(now, "reject", id, *reason);
    result_.rejections.emplace_back(id, std::move(*reason));
  } else {
    ++unfinished_;
  }
  PullArrival();
}

void Simulator::OnFinish(const Event& e) {
  JobRecord& r = result_.jobs[static_cast<size_t>(e.a)];
  if (e.b != r.epoch || r.state != JobRecord::State::kRunning) return;  // a run that ended early
  Settle(r, e.time);
  r.progress = r.spec.duration;
  StopRunning(e.a, r, e.time);
  r.state = JobRecord::State::kCompleted;
  r.end = e.time;
  scheduler_.Finish(e.a, e.time);
  --unfinished_;
  Log(e.time, "finish", e.a, "");
}

void Simulator::OnFailure(SimTime now, std::int32_t index) {
  const BoundFailure f = failures_.Strike(index);
  auto [first, last] = fleet_.NodeRange(f.target);
  const bool planned = f.category == FailureCategory::kMaintenance;
  Log(now, planned ? "maintenance" : "fail", -1,
      fleet_.Path(f.target) + " category=" + FailureCategoryName(f.category));
  if (ScopeOf(f.category) == FailureScope::kJobsOnly) {
    // A software failure takes no hardware down: the jobs on the node stop and restart.
    for (NodeId n = first; n < last; ++n) {
      if (failures_.IsDown(n)) continue;
      const std::vector<JobId> hit = scheduler_.FailNode(n, now);
      scheduler_.RepairNode(n, now);
      Interrupt(hit, n, f.category, false, now);
    }
  } else {
    for (NodeId n = first; n < last; ++n) {
      if (!failures_.TakeDown(n)) continue;  // down already, under an earlier failure
      power_.NodeDown(n);
      account_.NodeDown(n);
      Interrupt(scheduler_.FailNode(n, now), n, f.category, planned, now);
    }
    if (f.repair_after) {
      queue_.Push(now + *f.repair_after, EventKind::kRepair, index, 0);
      ++repairs_pending_;
    }
  }
  if (f.drawn) DrawFailure(now);
}

void Simulator::OnRepair(SimTime now, std::int32_t index) {
  --repairs_pending_;
  const TopoId target = failures_.failure(index).target;
  auto [first, last] = fleet_.NodeRange(target);
  for (NodeId n = first; n < last; ++n) {
    if (!failures_.BringUp(n)) continue;  // another failure still holds it down
    scheduler_.RepairNode(n, now);
    power_.NodeUp(n);
    account_.NodeUp(n);
  }
  Log(now, "repair", -1, fleet_.Path(target));
  failures_.Repaired(index);
}

void Simulator::DrawFailure(SimTime after) {
  if (const std::optional<std::int32_t> index = failures_.Draw(after)) {
    queue_.Push(failures_.failure(*index).at, EventKind::kFail, *index, 0);
  }
}

void Simulator::Interrupt(const std::vector<JobId>& jobs, NodeId n, FailureCategory category,
                          bool planned, SimTime now) {
  for (JobId id : jobs) {
    JobRecord& r = result_.jobs[static_cast<size_t>(id)];
    const SimTime lost = failures_.Interrupt(r, category, planned, now);
    StopRunning(id, r, now);
    r.state = JobRecord::State::kPending;
    scheduler_.SetAttained(id, r.progress);
    Log(now, "interrupt", id,
        fleet_.Path(fleet_.NodeTopo(n)) + " lost_s=" + std::to_string(lost / kSecond));
  }
}

void Simulator::ApplyDecisions(SimTime now) {
  for (const Decision& d : decisions_) {
    JobRecord& r = result_.jobs[static_cast<size_t>(d.job)];
    if (d.kind == Decision::Kind::kStart) {
      StartRunning(d.job, now);
      if (sink_ != nullptr) {
        const Allocation& a = scheduler_.AllocationOf(d.job);
        Log(now, "start", d.job,
            "gpus=" + std::to_string(r.spec.gpus) + " nodes=" + std::to_string(a.nodes.size()) +
                " first=" + fleet_.Path(fleet_.NodeTopo(a.nodes.front().node)));
      }
    } else {
      // Preemption is graceful: the job keeps all its progress.
      Settle(r, now);
      StopRunning(d.job, r, now);
      r.state = JobRecord::State::kPending;
      ++r.preemptions;
      Log(now, "preempt", d.job, "");
    }
  }
  decisions_.clear();
}

SimResult Simulator::Run() {
  PullArrival();
  DrawFailure(0);
  for (std::int32_t i = 0; i < failures_.size(); ++i) {
    if (failures_.failure(i).drawn) continue;
    queue_.Push(failures_.failure(i).at, EventKind::kFail, i, 0);
  }
  bool stranded = false;  // jobs wait that no repair can help
  while (!queue_.empty()) {
    const SimTime t = queue_.Top().time;
    // Done when no job can still arrive, none runs and no repair can make room for a waiting one
    // (none pending, or none could start even on the healthy fleet): what still waits then can
    // never start and is reported pending. Leftover failure events do not stretch the run.
    if (!has_next_job_ && scheduler_.running() == 0) {
      if (unfinished_ == 0 || repairs_pending_ == 0) break;
      if (!scheduler_.AnyWaitingCouldStartWhenHealthy()) {
        stranded = true;
        break;
      }
    }
    if (t > options_.until) break;
    Advance(t);
    // All events of one instant first, then one scheduling pass.
    do {
      const Event e = queue_.Pop();
      ++result_.events;
      switch (e.kind) {
        case EventKind::kArrival:
          OnArrival(t);
          break;
        case EventKind::kFinish:
          OnFinish(e);
          break;
        case EventKind::kFail:
          OnFailure(t, e.a);
          break;
        case EventKind::kRepair:
          OnRepair(t, e.a);
          break;
        case EventKind::kTick:
          scheduler_.Tick(t);
          break;
        case EventKind::kNoop:
          break;
      }
      if (progress_ && (result_.events & 0xFFFF) == 0) progress_(t, result_.events);
    } while (queue_.MoreAt(t));
    scheduler_.Schedule(t, decisions_);
    ++result_.passes;
    ApplyDecisions(t);
    if (options_.physics) {
      if (power_.UpdateCaps()) ApplyCaps(t);
      account_.NotePeaks(power_);
    }
    // A scheduler that ranks jobs by time-varying quantities asks to be woken up.
    const SimTime wake = scheduler_.NextWakeup(t);
    if (wake != kNever && wake > t && (next_tick_ <= t || wake < next_tick_)) {
      queue_.Push(wake, EventKind::kTick, 0, 0);
      next_tick_ = wake;
    }
  }
  if (options_.until != kNever && (has_next_job_ || scheduler_.running() > 0 ||
                                   (unfinished_ > 0 && repairs_pending_ > 0 && !stranded))) {
    Advance(options_.until);
    result_.stopped_at_until = true;
  }
  result_.end_time = now_;
  // Runs still going at the end count their GPU time and work up to the end.
  for (JobRecord& r : result_.jobs) {
    if (r.state == JobRecord::State::kRunning) CountRunAtEnd(r, now_);
  }
  account_.WriteTo(result_);
  failures_.WriteTo(result_);
  return std::move(result_);
}

}  // namespace gpufleet
