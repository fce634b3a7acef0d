#include "sim/simulator.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "physics/step_time.h"
#include "sim/job_run.h"

namespace gpufleet {

// A finish event with this epoch is a replica's leave_at: no run's epoch is negative.
constexpr std::int32_t kLeaveEvent = -1;
// A tick event with this argument is the elastic pool's wake-up, not the scheduler's.
constexpr std::int32_t kElasticWake = 1;
// A tick event with this argument or more is a link's (LinkTraffic slot: the argument less this).
constexpr std::int32_t kLinkWakeBase = 2;
// How often at most the elastic pool forecasts the queue (docs/MODELS.md, "Elastic renting").
constexpr SimTime kElasticPlanEvery = kMinute;
namespace {

// The simulator's callers validate the policy and its knobs (the CLI, tests), and the simulator
// never makes a call the scheduler could refuse: a refusal here is a bug, not bad input.
[[noreturn]] void InternalError(const std::string& what) {
  std::fprintf(stderr, "gpufleet: internal error: %s (please report this bug)\n", what.c_str());
  std::abort();
}

void Check(const Status& s, const char* call) {
  if (!s.ok())
    InternalError(std::string("the scheduler refused the simulator's ") + call + ": " +
                  s.message());
}

Scheduler MakeScheduler(const Fleet& fleet, SimOptions options, const BoundWorkload& workload,
                        PlacementJudge* judge, const DurationOracle* oracle,
                        const CheckpointLocator* checkpoints, AdmissionGuard* power) {
  SchedulerHooks hooks;
  hooks.oracle = oracle;
  hooks.checkpoints = checkpoints;
  if (options.physics) hooks.admission = power;
  if (options.physics && !workload.trainings.empty()) hooks.judge = judge;
  // Victims hold their GPUs through a grace period; without one they free them at once.
  options.scheduler.confirm_stops = options.preemption_grace > 0;
  Result<Scheduler> s = Scheduler::Create(fleet, options.scheduler, workload.tenants, hooks);
  if (!s.ok()) InternalError(s.message());
  return std::move(s).value();
}

}  // namespace

Simulator::Simulator(const Fleet& fleet, BoundWorkload workload, SimOptions options)
    : fleet_(fleet),
      workload_(std::move(workload)),
      options_(options),
      scheduler_(MakeScheduler(fleet, options, workload_, this, this, this, &power_)),
      power_(fleet),
      account_(fleet, options.physics),
      failures_(fleet, std::move(workload_.failures), std::move(workload_.failure_model),
                workload_.failure_seed, options.physics),
      elastic_(fleet, workload_.outages) {
  result_.tenants = workload_.tenants;
  result_.total_gpus = fleet.total_gpus();
  site_held_milli_.assign(fleet.sites().size(), 0);
  model_held_milli_.assign(fleet.gpu_models().size(), 0);
  tenant_held_milli_.assign(workload_.tenants.size(), 0);
  result_.outages.resize(workload_.outages.size());
  result_.checkpoint_egress_gb.assign(fleet.sites().size(), 0);
  if (options.series_interval > 0) {
    std::vector<std::string> tenants;
    for (const Tenant& t : workload_.tenants) tenants.push_back(t.name);
    series_.emplace(fleet, std::move(tenants), options.series_interval, options.physics);
  }
}

void Simulator::CountHeld(JobId id, const Allocation& a, int sign) {
  const std::int64_t milli = sign * static_cast<std::int64_t>(a.Gpus()) * a.milli;
  for (const NodeGpus& ng : a.nodes) {
    site_held_milli_[static_cast<size_t>(fleet_.SiteOf(ng.node))] +=
        sign * static_cast<std::int64_t>(std::popcount(ng.mask)) * a.milli;
  }
  if (static_cast<size_t>(a.model) < model_held_milli_.size())
    model_held_milli_[static_cast<size_t>(a.model)] += milli;
  ++queue_stamp_;
  if (elastic_.any()) {
    for (const NodeGpus& ng : a.nodes)
      elastic_.CountHeld(ng.node, sign * std::popcount(ng.mask), now_);
  }
  const std::int32_t tenant = Record(id).spec.tenant;
  if (tenant >= 0 && static_cast<size_t>(tenant) < tenant_held_milli_.size())
    tenant_held_milli_[static_cast<size_t>(tenant)] += milli;
}

double Simulator::RateOf(JobId id) const {
  // A job spanning sites runs at the pace of its most capped one. Nodes are in site order, so its
  // sites are those from its first node's to its last node's.
  const Allocation& a = RunningOf(id).allocation;
  double cap = 1;
  for (int s = fleet_.SiteOf(a.nodes.front().node); s <= fleet_.SiteOf(a.nodes.back().node); ++s) {
    cap = std::min(cap, power_.Cap(static_cast<size_t>(s)));
  }
  return RunRate(Record(id), cap);
}

double Simulator::PlacementRate(JobId id, const Allocation& a) const {
  const JobSpec& spec = Record(id).spec;
  if (spec.training < 0) return 1;
  return PlacementProgressRate(fleet_, a, workload_.trainings[static_cast<size_t>(spec.training)]);
}

SimTime Simulator::TrueDuration(JobId id) const { return Record(id).spec.duration; }

bool Simulator::Accepts(JobId job, const Allocation& a) {
  const JobSpec& spec = Record(job).spec;
  return spec.min_placement_rate <= 0 || PlacementRate(job, a) >= spec.min_placement_rate;
}

void Simulator::ScheduleFinish(JobId id, const JobRecord& r) {
  const SimTime at = FinishTime(r);
  if (at != kNever) queue_.Push(at, EventKind::kFinish, id, r.epoch);
}

void Simulator::StartRunning(JobId id, SimTime now, Allocation allocation, Epoch epoch) {
  running_slot_[static_cast<size_t>(id)] = static_cast<std::int32_t>(running_.size());
  running_.push_back(Running{id, std::move(allocation), epoch});
  CountHeld(id, running_.back().allocation, 1);
  JobRecord& r = Record(id);
  r.state = JobRecord::State::kRunning;
  BeginRun(r, now);
  // The launch is time on the GPUs without progress, paid before work as a restart's overhead is.
  r.overhead_left += options_.launch_delay;
  // Its checkpoints are written to, and read from, its first node's site.
  const int site_index = fleet_.SiteOf(RunningOf(id).allocation.nodes.front().node);
  MoveCheckpoint(id, r, site_index, now);
  if (options_.physics) {
    const Allocation& a = RunningOf(id).allocation;
    const Site& site = fleet_.sites()[static_cast<size_t>(site_index)];
    SetCheckpointing(r, site.storage_gb_s,
                     failures_.JobFailuresPerDay(a.nodes.size(), a.Gpus(), site_index));
    r.placement_rate = PlacementRate(id, a);
    r.rate = RateOf(id);
  } else {
    SetFreeCheckpointing(r);
  }
  ScheduleFinish(id, r);
}

// Non-negative times that may add past any simulated time: kLatestTime at the most.
static SimTime AddAtMostLatest(SimTime a, SimTime b) {
  return a > kLatestTime - b ? kLatestTime : a + b;
}

void Simulator::MoveCheckpoint(JobId id, JobRecord& r, int site, SimTime now) {
  r.run_site = site;
  r.copy_from = r.copy_done = -1;
  if (const std::optional<Place> held = CheckpointHeld(r); held && held->site != site) {
    // The overhead is paid at wall-clock speed from the start, the copy last: the run works again
    // when the link has carried it (OnLinkEvent), unless it stops before.
    r.copy_from = AddAtMostLatest(now, r.overhead_left);
    r.overhead_left = kLatestTime;
    r.resumes_at = kLatestTime;
    QueueLinkEvent(links_.Begin(id, held->site, site, fleet_.LinkBetween(held->site, site),
                                held->gb, now, r.copy_from));
    return;
  }
  r.resumes_at = AddAtMostLatest(now, r.overhead_left);
}

void Simulator::QueueLinkEvent(int slot) {
  // Once the run is over (its last runs settled at its end) nothing more happens on any link.
  if (run_over_) return;
  const SimTime at = links_.ToQueue(slot);
  if (at != kNever) queue_.Push(at, EventKind::kTick, kLinkWakeBase + slot, 0);
}

// Run r's copy completed at `t`: it works from then (its finish is the caller's to schedule).
static void CopyDone(JobRecord& r, SimTime t) {
  Settle(r, t);
  r.overhead_left = 0;
  r.copy_done = r.resumes_at = t;
  ++r.epoch;
}

void Simulator::OnLinkEvent(const Event& e) {
  const int slot = e.a - kLinkWakeBase;
  if (!links_.Due(slot, e.time)) return;  // superseded by an earlier one
  for (const JobId id : links_.Advance(slot, e.time)) {
    // Its copy is there: the run works from now, at its pace.
    JobRecord& r = Record(id);
    CopyDone(r, e.time);
    ScheduleFinish(id, r);
  }
  QueueLinkEvent(slot);
}

std::optional<CheckpointLocator::Place> Simulator::CheckpointHeld(const JobRecord& r) const {
  // Only progress to resume costs a copy elsewhere; without the twin's physics checkpoints take
  // no time, and neither do their copies.
  if (!options_.physics || r.progress == 0 || r.checkpoint_site < 0 ||
      r.spec.checkpoint_size_gb <= 0) {
    return std::nullopt;
  }
  return Place{r.checkpoint_site, r.spec.checkpoint_size_gb};
}

std::optional<CheckpointLocator::Place> Simulator::CheckpointOf(JobId id) const {
  return CheckpointHeld(Record(id));
}

SimTime Simulator::OwedOverhead(const JobRecord& r, SimTime t) const {
  if (r.copy_from >= 0 && r.copy_done < 0) return std::max<SimTime>(0, r.copy_from - t);
  return r.overhead_left;
}

void Simulator::CutCopy(JobId id, JobRecord& r, SimTime t) {
  if (r.copy_from >= 0) {
    // What the copy took until it completed or the run stopped counts, and the bytes it moved
    // leave the old site; a copy cut short is started over by the next run, from the site that
    // still holds the checkpoint.
    double moved_gb = r.spec.checkpoint_size_gb;
    if (r.copy_done < 0) {
      const LinkTraffic::Stopped stopped = links_.Stop(id, t);
      if (stopped.slot >= 0) QueueLinkEvent(stopped.slot);
      // A run stopping at the instant its copy completes (a failure pops before the link's
      // event) has it, as a job ending as its node fails has finished; the caller has settled
      // its work and set what it owes next.
      if (stopped.complete) r.copy_done = r.resumes_at = t;
      moved_gb = stopped.moved_gb;
    }
    const bool complete = r.copy_done >= 0;
    const SimTime took =
        complete ? r.copy_done - r.copy_from : std::max<SimTime>(0, t - r.copy_from);
    r.copy_ms = AddAtMostLatest(r.copy_ms, took);
    result_.copy_gpu_ms +=
        static_cast<long double>(took) * r.spec.gpus * r.spec.gpu_milli / kMilliPerGpu;
    result_.checkpoint_egress_gb[static_cast<size_t>(r.checkpoint_site)] += moved_gb;
    if (complete) {
      ++r.copies;
      ++result_.checkpoint_copies;
      if (r.outage_hit >= 0) ++result_.outages[static_cast<size_t>(r.outage_hit)].checkpoint_copies;
    }
    r.copy_from = r.copy_done = -1;
  }
}

void Simulator::SettleCopy(JobId id, JobRecord& r, SimTime t) {
  CutCopy(id, r, t);
  if (r.outage_hit >= 0) {
    // The GPU-time this run held without working, restarting from the outage (or until it
    // stopped again): training's goodput the outage cost beside the work it lost.
    const SimTime restarting = std::min(t, r.resumes_at) - r.run_start;
    if (restarting > 0) {
      result_.outages[static_cast<size_t>(r.outage_hit)].jobs_restart_gpu_ms +=
          static_cast<long double>(restarting) * r.spec.gpus * r.spec.gpu_milli / kMilliPerGpu;
    }
  }
  if (t < r.resumes_at) return;
  r.checkpoint_site = r.run_site;
  if (r.outage_hit >= 0) {
    result_.outages[static_cast<size_t>(r.outage_hit)].restart_delays.push_back(r.resumes_at -
                                                                                r.outage_hit_at);
    r.outage_hit = -1;
  }
}

void Simulator::StopRunning(JobId id, JobRecord& r, SimTime now, std::optional<SimTime> notice) {
  r.queued_since = now;
  const std::int32_t slot = running_slot_[static_cast<size_t>(id)];
  {
    const Running& run = running_[static_cast<size_t>(slot)];
    SettleCopy(id, r, run.stopping ? run.stop_at : now);
    if (run_observer_) {
      // A run in its grace period was told to stop at stop_at and had until now to finish what it
      // held; one cut with a notice stopped taking work when the notice came.
      SimTime until = run.stopping ? run.stop_at : now, cut = kNever;
      if (notice) {
        until = std::min(until, std::max(r.run_start, now - *notice));
        cut = now;
      }
      run_observer_(id, r.spec, r.run_start, until, r.run_site, cut);
    }
  }
  CountHeld(id, running_[static_cast<size_t>(slot)].allocation, -1);
  running_[static_cast<size_t>(slot)] = std::move(running_.back());
  running_slot_[static_cast<size_t>(running_[static_cast<size_t>(slot)].id)] = slot;
  running_.pop_back();
  running_slot_[static_cast<size_t>(id)] = -1;
  EndRun(r, now);
}

void Simulator::ApplyCaps(SimTime now) {
  for (const Running& run : running_) {
    if (run.stopping) continue;  // it makes no progress that a cap could slow
    JobRecord& r = Record(run.id);
    if (ChangeRate(r, RateOf(run.id), now)) ScheduleFinish(run.id, r);
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
  account_.AddSiteHeld(to - now_, site_held_milli_);
  if (series_) {
    SeriesState s;
    s.held_milli = scheduler_.allocated_milli();
    s.up_milli = account_.up_gpus() * kMilliPerGpu;
    s.queue_jobs = static_cast<std::int64_t>(scheduler_.pending());
    s.queue_milli = scheduler_.pending_milli();
    s.nodes_down = nodes_down_;
    s.site_held_milli = &site_held_milli_;
    s.model_held_milli = &model_held_milli_;
    s.tenant_held_milli = &tenant_held_milli_;
    s.power = &power_;
    series_->Add(now_, to, s);
  }
  now_ = to;
}

void Simulator::OnArrival(SimTime now) {
  ++queue_stamp_;
  const JobId id = static_cast<JobId>(record_slot_.size());
  if (free_records_.empty()) {
    record_slot_.push_back(static_cast<std::int32_t>(records_.size()));
    records_.emplace_back();
  } else {
    record_slot_.push_back(free_records_.back());
    free_records_.pop_back();
    Record(id) = JobRecord{};
  }
  running_slot_.push_back(-1);
  JobRecord& r = Record(id);
  r.spec = std::move(next_job_);
  Log(now, "submit", id, "gpus=" + std::to_string(r.spec.gpus));
  const Status submitted = scheduler_.Submit(id, RequestFor(r.spec), now);
  if (submitted.ok()) {
    ++unfinished_;
    if (r.spec.leave_at != kNever) {
      queue_.Push(std::max(r.spec.leave_at, now), EventKind::kFinish, static_cast<std::int32_t>(id),
                  kLeaveEvent);
    }
  } else if (submitted.code() == ErrorCode::kUnsatisfiable) {
    r.state = JobRecord::State::kRejected;
    Log(now, "reject", id, submitted.message());
    result_.rejections.emplace_back(id, submitted.message());
    Retire(id);
  } else {
    Check(submitted, "Submit");
  }
  PullArrival();
}

void Simulator::OnLeave(const Event& e) {
  if (record_slot_[static_cast<size_t>(e.a)] < 0) return;  // it ended (or was refused) before
  JobRecord& r = Record(e.a);
  if (r.state == JobRecord::State::kPending) {
    Check(scheduler_.Cancel(e.a, e.time), "Cancel");
  } else if (r.state == JobRecord::State::kRunning) {
    Running& run = RunningOf(e.a);
    const Epoch epoch = run.epoch;
    if (run.stopping) {
      r.grace_ms += e.time - run.stop_at;  // its release event finds it gone
    } else {
      Settle(r, e.time);
      // Still in its launch delay (a launch at this instant has popped before): the start is
      // confirmed first, so that the scheduler sees a run end.
      if (options_.launch_delay > 0 && e.time < r.run_start + options_.launch_delay) {
        Check(scheduler_.ConfirmStart(e.a, epoch, e.time), "ConfirmStart");
      }
    }
    StopRunning(e.a, r, e.time);
    Check(scheduler_.Finish(e.a, epoch, e.time), "Finish");
  } else {
    return;
  }
  r.state = JobRecord::State::kCompleted;
  r.end = e.time;
  --unfinished_;
  Log(e.time, "leave", e.a, "");
  Retire(e.a);
}

void Simulator::OnFinish(const Event& e) {
  if (e.b == kLeaveEvent) {
    OnLeave(e);
    return;
  }
  if (record_slot_[static_cast<size_t>(e.a)] < 0) return;  // an earlier pace's, of a job retired
  JobRecord& r = Record(e.a);
  if (e.b != r.epoch || r.state != JobRecord::State::kRunning) return;  // a run that ended early
  Settle(r, e.time);
  r.progress = r.spec.duration;
  const Epoch run = RunningOf(e.a).epoch;
  StopRunning(e.a, r, e.time);
  r.state = JobRecord::State::kCompleted;
  r.end = e.time;
  Check(scheduler_.Finish(e.a, run, e.time), "Finish");
  --unfinished_;
  Log(e.time, "finish", e.a, "");
  Retire(e.a);
}

void Simulator::Retire(JobId id) {
  if (job_sink_ == nullptr) return;  // every record stays, for SimResult::jobs
  const std::int32_t slot = record_slot_[static_cast<size_t>(id)];
  job_sink_->Take(id, records_[static_cast<size_t>(slot)], nullptr);
  record_slot_[static_cast<size_t>(id)] = -1;
  free_records_.push_back(slot);
}

void Simulator::OnFailure(SimTime now, std::int32_t index) {
  ++queue_stamp_;
  const BoundFailure f = failures_.Strike(index);
  auto [first, last] = fleet_.NodeRange(f.target);
  const bool planned = f.category == FailureCategory::kMaintenance;
  Log(now,
      planned                                ? "maintenance"
      : f.category == FailureCategory::kSpot ? "reclaim"
                                             : "fail",
      -1, fleet_.Path(f.target) + " category=" + FailureCategoryName(f.category));
  if (ScopeOf(f.category) == FailureScope::kJobsOnly) {
    // A software failure takes no hardware down: the jobs on the node stop and restart.
    for (NodeId n = first; n < last; ++n) {
      if (failures_.IsDown(n) || elastic_.Absent(n)) continue;
      Result<Scheduler::NodeLoss> hit = scheduler_.FailNode(n, now);
      Check(hit.status(), "FailNode");
      Check(scheduler_.RepairNode(n, now), "RepairNode");
      Interrupt(hit.value(), n, f, now);
    }
  } else {
    for (NodeId n = first; n < last; ++n) {
      // An elastic node not rented is not there to fail (one asked for arrives after an outage);
      // its repair passes it by too.
      if (elastic_.Absent(n)) {
        if (f.repair_after) absent_at_failure_[index].push_back(n);
        continue;
      }
      if (!failures_.TakeDown(n)) continue;  // down already, under an earlier failure
      power_.NodeDown(n);
      account_.NodeDown(n);
      ++nodes_down_;
      Result<Scheduler::NodeLoss> hit = scheduler_.FailNode(n, now);
      Check(hit.status(), "FailNode");
      Interrupt(hit.value(), n, f, now);
      // A rented node that fails is given back (its repair leaves it absent).
      if (elastic_.Lose(n, now)) Log(now, "release-node", -1, fleet_.Path(fleet_.NodeTopo(n)));
    }
    if (f.repair_after) {
      queue_.Push(now + *f.repair_after, EventKind::kRepair, index, 0);
      ++repairs_pending_;
    }
  }
  if (f.spot >= 0) {
    DrawReclaim(f.spot, now);
  } else if (f.drawn) {
    DrawFailure(now);
  }
}

void Simulator::OnRepair(SimTime now, std::int32_t index) {
  --repairs_pending_;
  ++queue_stamp_;
  const TopoId target = failures_.failure(index).target;
  auto [first, last] = fleet_.NodeRange(target);
  std::vector<NodeId> absent;  // in node order: pushed as the failure walked its range
  if (auto it = absent_at_failure_.find(index); it != absent_at_failure_.end()) {
    absent = std::move(it->second);
    absent_at_failure_.erase(it);
  }
  for (NodeId n = first; n < last; ++n) {
    if (std::binary_search(absent.begin(), absent.end(), n)) continue;  // not taken down
    if (!failures_.BringUp(n)) continue;  // another failure still holds it down
    --nodes_down_;
    if (elastic_.Absent(n)) continue;  // given back when it failed: it stays out until rented
    Check(scheduler_.RepairNode(n, now), "RepairNode");
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

void Simulator::DrawReclaim(std::int32_t stream, SimTime after) {
  if (const std::optional<std::int32_t> index = failures_.DrawReclaim(stream, after)) {
    queue_.Push(failures_.failure(*index).at, EventKind::kFail, *index, 0);
  }
}

void Simulator::Interrupt(const Scheduler::NodeLoss& jobs, NodeId n, const BoundFailure& f,
                          SimTime now) {
  const FailureCategory category = f.category;
  const std::int32_t outage = f.outage;
  const SimTime notice = f.spot >= 0 ? failures_.ReclaimNotice(f.spot) : -1;
  // Preempted jobs in their grace period lose nothing more: their progress was kept when they
  // were told to stop; the failure only ends the grace early.
  for (JobId id : jobs.released) {
    // A replica whose grace a reclaim ends stopped taking requests at its notice, if earlier.
    EndGrace(id, now, Record(id).spec.service >= 0 ? std::max<SimTime>(0, notice) : 0);
  }
  for (JobId id : jobs.interrupted) {
    JobRecord& r = Record(id);
    // A job that checkpoints (or could: it has a write time) and can write one within a spot
    // reclaim's notice loses nothing, as at planned maintenance.
    const bool planned = category == FailureCategory::kMaintenance ||
                         (notice >= 0 && (r.checkpoint_every > 0 || r.checkpoint_write > 0) &&
                          r.checkpoint_write <= notice);
    const SimTime lost = failures_.Interrupt(r, category, planned, now);
    if (series_) series_->CountInterruption(category);
    // The run ends first: it settles an earlier outage's restart (or leaves it unfinished). A
    // replica loses the requests it holds unless the stop was planned maintenance (drained
    // before); a spot reclaim's notice is when it stopped taking them.
    std::optional<SimTime> cut_notice;
    if (r.spec.service >= 0 && category != FailureCategory::kMaintenance)
      cut_notice = std::max<SimTime>(0, notice);
    StopRunning(id, r, now, cut_notice);
    if (outage >= 0) {
      SimResult::OutageStats& o = result_.outages[static_cast<size_t>(outage)];
      o.lost_gpu_ms +=
          static_cast<long double>(lost) * r.spec.gpus * r.spec.gpu_milli / kMilliPerGpu;
      if (r.spec.service >= 0) {
        ++o.replicas_interrupted;
      } else {
        ++o.jobs_interrupted;
        o.jobs_lost_gpu_ms +=
            static_cast<long double>(lost) * r.spec.gpus * r.spec.gpu_milli / kMilliPerGpu;
        r.outage_hit = outage;
        r.outage_hit_at = now;
      }
    }
    r.state = JobRecord::State::kPending;
    Check(scheduler_.SetAttained(id, r.progress), "SetAttained");
    Log(now, "interrupt", id,
        fleet_.Path(fleet_.NodeTopo(n)) + " lost_s=" + std::to_string(lost / kSecond));
  }
}

void Simulator::ApplyDecisions(SimTime now) {
  for (Decision& d : decisions_) {
    JobRecord& r = Record(d.job);
    if (d.kind == Decision::Kind::kStart) {
      if (sink_ != nullptr) {
        const Allocation& a = d.allocation;
        Log(now, "start", d.job,
            "gpus=" + std::to_string(r.spec.gpus) + " nodes=" + std::to_string(a.nodes.size()) +
                " first=" + fleet_.Path(fleet_.NodeTopo(a.nodes.front().node)));
      }
      if (r.first_start < 0) r.waited_for = d.waited_for;
      StartRunning(d.job, now, std::move(d.allocation), d.epoch);
      if (options_.launch_delay == 0) {
        Check(scheduler_.ConfirmStart(d.job, d.epoch, now), "ConfirmStart");
      } else {
        // Keyed by the scheduler's epoch: the job's own moves with every change of pace.
        queue_.Push(now + options_.launch_delay, EventKind::kLaunch,
                    static_cast<std::int32_t>(d.job), static_cast<std::int32_t>(d.epoch));
      }
    } else if (options_.preemption_grace == 0) {
      // Preemption is graceful: the job keeps all its progress. A copy cut short starts over at
      // its next run.
      Settle(r, now);
      r.overhead_left = OwedOverhead(r, now);
      StopRunning(d.job, r, now, /*notice=*/0);  // no grace: what a replica held is lost
      r.state = JobRecord::State::kPending;
      ++r.preemptions;
      if (series_) series_->CountPreemption();
      Log(now, "preempt", d.job, "");
    } else {
      // It checkpoints through its grace period - keeping its progress, making no more - and
      // holds its GPUs until then.
      Settle(r, now);
      Running& run = RunningOf(d.job);
      run.stopping = true;
      run.stop_at = now;
      // For its next run, not paid by the grace period; a copy cut short starts over there (it
      // leaves its link now).
      run.owed_overhead = OwedOverhead(r, now);
      CutCopy(d.job, r, now);
      r.overhead_left = 0;
      r.rate = 0;
      ++r.epoch;  // its finish event no longer counts
      ++r.preemptions;
      if (series_) series_->CountPreemption();
      Log(now, "preempt", d.job, "grace_s=" + std::to_string(options_.preemption_grace / kSecond));
      queue_.Push(now + options_.preemption_grace, EventKind::kRelease,
                  static_cast<std::int32_t>(d.job), static_cast<std::int32_t>(d.epoch));
    }
  }
  decisions_.clear();
}

// Whether the run that a launch or release event was pushed for still holds its GPUs.
bool Simulator::StillRunning(const Event& e, bool stopping) const {
  if (running_slot_[static_cast<size_t>(e.a)] < 0) return false;
  const Running& run = RunningOf(e.a);
  return run.epoch == static_cast<Epoch>(e.b) && run.stopping == stopping;
}

void Simulator::OnLaunch(const Event& e) {
  if (!StillRunning(e, false)) return;  // a failure stopped it during its launch
  Check(scheduler_.ConfirmStart(e.a, RunningOf(e.a).epoch, e.time), "ConfirmStart");
}

void Simulator::OnRelease(const Event& e) {
  if (!StillRunning(e, true)) return;  // a failure during its grace period released it already
  const Epoch epoch = RunningOf(e.a).epoch;
  EndGrace(e.a, e.time);
  Check(scheduler_.Released(e.a, epoch, e.time), "Released");
  Log(e.time, "release", e.a, "");
}

void Simulator::EndGrace(JobId id, SimTime now, SimTime notice) {
  JobRecord& r = Record(id);
  const Running& run = RunningOf(id);
  r.grace_ms += now - run.stop_at;
  const SimTime owed = run.owed_overhead;
  // Its GPUs go now: what a replica still holds is lost (told to stop at stop_at, or earlier).
  StopRunning(id, r, now, std::max(now - run.stop_at, notice));
  r.overhead_left = owed;
  r.state = JobRecord::State::kPending;
}

void Simulator::TendElastic(SimTime now) {
  if (!elastic_.any()) return;
  // Nodes idle through this pass go back first: a plan now sees them gone.
  for (NodeId n : elastic_.ReleaseIdle(now, queue_stamp_)) {
    Check(scheduler_.FailNode(n, now).status(), "FailNode");
    power_.NodeDown(n);
    account_.NodeDown(n);
    Log(now, "release-node", -1, fleet_.Path(fleet_.NodeTopo(n)));
  }
  if (now >= next_plan_ || scheduler_.running() == 0) {
    // The queue in submission order (job ids are), what runs with its estimated end.
    std::vector<QueuedLoad> queued;
    std::vector<RunningLoad> running;
    std::vector<JobId> waiting = scheduler_.Waiting();
    std::sort(waiting.begin(), waiting.end());
    for (const JobId id : waiting) {
      const JobRecord& r = Record(id);
      // A requeued job waits again from when its last run stopped.
      queued.push_back({r.spec.gpus, r.spec.gpu_model, r.spec.estimate,
                        r.first_start < 0 ? r.spec.submit : r.queued_since});
    }
    for (const Running& run : running_) {
      const JobRecord& r = Record(run.id);
      const SimTime ends =
          run.stopping ? run.stop_at + options_.preemption_grace
                       : r.run_start + std::max<SimTime>(0, r.spec.estimate - r.run_progress);
      running.push_back({std::max(now, ends), run.allocation.Gpus()});
    }
    std::vector<std::int64_t> free_gpus(fleet_.gpu_models().size());
    for (size_t m = 0; m < free_gpus.size(); ++m)
      free_gpus[m] = scheduler_.FreeGpus(static_cast<ModelId>(m));
    const std::int32_t before = elastic_.provisioning();
    const bool stalled = running.empty() && before == 0;
    elastic_.Plan(now, queue_stamp_, free_gpus, std::move(running), queued, stalled,
                  [this](NodeId n) { return failures_.IsDown(n); });
    if (elastic_.provisioning() > before) {
      Log(now, "rent", -1, "nodes=" + std::to_string(elastic_.provisioning() - before));
    }
    next_plan_ = now + kElasticPlanEvery;
    plan_owed_ = false;
  } else {
    plan_owed_ = true;
  }
  SimTime wake = elastic_.next_wake();
  // The last plan's (a plan skipped since is owed, at next_plan_).
  if (elastic_.replan_at() > now) wake = std::min(wake, elastic_.replan_at());
  if (plan_owed_) wake = std::min(wake, next_plan_);
  if (wake != kNever && (elastic_wake_at_ <= now || wake < elastic_wake_at_)) {
    queue_.Push(std::max(wake, now), EventKind::kTick, kElasticWake, 0);
    elastic_wake_at_ = std::max(wake, now);
  }
}

void Simulator::OnElasticWake(SimTime now) {
  for (NodeId n : elastic_.Arrivals(now)) {
    Check(scheduler_.RepairNode(n, now), "RepairNode");
    power_.NodeUp(n);
    account_.NodeUp(n);
    Log(now, "acquire", -1, fleet_.Path(fleet_.NodeTopo(n)));
  }
}

SimResult Simulator::Run() {
  PullArrival();
  DrawFailure(0);
  for (std::int32_t k = 0; k < failures_.reclaim_streams(); ++k) DrawReclaim(k, 0);
  for (std::int32_t i = 0; i < failures_.size(); ++i) {
    if (failures_.failure(i).drawn) continue;
    queue_.Push(failures_.failure(i).at, EventKind::kFail, i, 0);
  }
  // The elastic sites' nodes are absent until rented: down to the scheduler, drawing nothing.
  for (NodeId n : elastic_.nodes()) {
    Check(scheduler_.FailNode(n, 0).status(), "FailNode");
    power_.NodeDown(n);
    account_.NodeDown(n);
  }
  bool stranded = false;  // jobs wait that no repair can help
  while (!queue_.empty()) {
    if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) {
      interrupted_ = true;
      return std::move(result_);
    }
    const SimTime t = queue_.Top().time;
    // Done when no job can still arrive, none runs and no repair can make room for a waiting one
    // (none pending, or none could start even on the healthy fleet): what still waits then can
    // never start and is reported pending. Leftover failure events do not stretch the run.
    if (!has_next_job_ && scheduler_.running() == 0) {
      if (unfinished_ == 0 || (repairs_pending_ == 0 && elastic_.provisioning() == 0)) break;
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
        case EventKind::kLaunch:
          OnLaunch(e);
          break;
        case EventKind::kRelease:
          OnRelease(e);
          break;
        case EventKind::kTick:
          if (e.a >= kLinkWakeBase) {
            OnLinkEvent(e);
          } else if (e.a == kElasticWake) {
            OnElasticWake(t);
          } else {
            Check(scheduler_.Tick(t), "Tick");
          }
          break;
        case EventKind::kNoop:
          break;
      }
      if (progress_ && (result_.events & 0xFFFF) == 0) progress_(t, result_.events);
      if (result_.events == restore_after_) {
        Scheduler fresh = MakeScheduler(fleet_, options_, workload_, this, this, this, &power_);
        Check(fresh.Restore(scheduler_.Snapshot()), "Restore");
        scheduler_ = std::move(fresh);
      }
    } while (queue_.MoreAt(t));
    Check(scheduler_.Schedule(t, decisions_), "Schedule");
    ++result_.passes;
    ApplyDecisions(t);
    TendElastic(t);
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
  if (options_.until != kNever &&
      (has_next_job_ || scheduler_.running() > 0 ||
       (unfinished_ > 0 && (repairs_pending_ > 0 || elastic_.provisioning() > 0) && !stranded))) {
    Advance(options_.until);
    result_.stopped_at_until = true;
  }
  result_.end_time = now_;
  result_.waiting = scheduler_.PendingReasons();
  // Runs still going at the end count their GPU time and work up to the end.
  run_over_ = true;
  for (const Running& run : running_) {
    if (run.stopping) Record(run.id).grace_ms += now_ - run.stop_at;
    SettleCopy(run.id, Record(run.id), run.stopping ? run.stop_at : now_);
    if (run_observer_) {
      const JobRecord& r = Record(run.id);
      run_observer_(run.id, r.spec, r.run_start, run.stopping ? run.stop_at : now_, r.run_site,
                    kNever);
    }
  }
  for (JobRecord& r : records_) {
    if (r.state == JobRecord::State::kRunning) CountRunAtEnd(r, now_);
  }
  peak_records_ = records_.size();  // slots are reused, never given back
  if (job_sink_ == nullptr) {
    result_.jobs = std::move(records_);
  } else {
    // The jobs alive at the end, in id order; those waiting with the scheduler's reason.
    std::vector<std::pair<JobId, const PendingReason*>> why;  // the waiting, by id
    why.reserve(result_.waiting.size());
    for (const auto& [id, reason] : result_.waiting) why.emplace_back(id, &reason);
    std::sort(why.begin(), why.end());
    size_t w = 0;
    for (size_t i = 0; i < record_slot_.size(); ++i) {
      if (record_slot_[i] < 0) continue;
      const JobId id = static_cast<JobId>(i);
      while (w < why.size() && why[w].first < id) ++w;
      job_sink_->Take(id, Record(id),
                      w < why.size() && why[w].first == id ? why[w].second : nullptr);
    }
    records_.clear();
  }
  account_.WriteTo(result_);
  failures_.WriteTo(result_);
  result_.elastic = elastic_.Finish(now_);
  if (series_) result_.series = series_->Finish(now_);
  return std::move(result_);
}

}  // namespace gpufleet
