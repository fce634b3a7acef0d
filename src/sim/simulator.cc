#include "sim/simulator.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "physics/failure_rates.h"
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
      down_count_(static_cast<size_t>(fleet.num_nodes()), 0) {
  if (options_.physics) scheduler_.set_admission(&power_);
  if (options_.physics && !workload_.trainings.empty()) scheduler_.set_placement_judge(this);
  if (options_.physics && workload_.failure_model) {
    const FailureModelSpec& model = *workload_.failure_model;
    for (int c = 0; c < kRandomFailureCategories; ++c) {
      const double rate = model.per_node_day[static_cast<size_t>(c)];
      const bool per_gpu = ComesWithGpus(static_cast<FailureCategory>(c));
      (per_gpu ? gpu_failures_per_day_ : node_failures_per_day_) +=
          per_gpu ? rate / kCalibrationGpusPerNode : rate;
      category_weight_.push_back(per_gpu ? rate / kCalibrationGpusPerNode *
                                               static_cast<double>(fleet.total_gpus())
                                         : rate * fleet.num_nodes());
    }
    double per_day = 0;
    for (double w : category_weight_) per_day += w;
    failure_rate_per_ms_ = per_day / static_cast<double>(kDay);
    std::int64_t gpus = 0;
    for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
      gpus_before_.push_back(gpus);
      gpus += fleet.NodeGpus(n);
    }
    failure_rng_ = Rng(workload_.failure_seed);
  }
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
    SetCheckpointing(r, site.storage_gb_s, JobFailuresPerDay(a));
    r.placement_rate = PlacementRate(id, a);
    r.rate = RateOf(id);
  } else {
    SetFreeCheckpointing(r);
  }
  running_slot_[static_cast<size_t>(id)] = static_cast<std::int32_t>(running_ids_.size());
  running_ids_.push_back(id);
  ScheduleFinish(id, r);
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

void Simulator::StopRunning(JobId id, JobRecord& r, SimTime now) {
  const std::int32_t slot = running_slot_[static_cast<size_t>(id)];
  running_ids_[static_cast<size_t>(slot)] = running_ids_.back();
  running_slot_[static_cast<size_t>(running_ids_.back())] = slot;
  running_ids_.pop_back();
  running_slot_[static_cast<size_t>(id)] = -1;
  EndRun(r, now);
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

void Simulator::OnFailure(SimTime now, int index, bool repair) {
  const BoundFailure f = workload_.failures[static_cast<size_t>(index)];  // a copy: draws append
  auto [first, last] = fleet_.NodeRange(f.target);
  const std::string where = fleet_.Path(f.target);
  if (repair) {
    --repairs_pending_;
    for (NodeId n = first; n < last; ++n) {
      if (--down_count_[static_cast<size_t>(n)] == 0) {
        scheduler_.RepairNode(n, now);
        power_.NodeUp(n);
        account_.NodeUp(n);
        ++result_.node_repairs;
      }
    }
    Log(now, "repair", -1, where);
    if (f.drawn) free_failure_slots_.push_back(index);
    return;
  }
  const bool planned = f.category == FailureCategory::kMaintenance;
  Log(now, planned ? "maintenance" : "fail", -1,
      where + " category=" + FailureCategoryName(f.category));
  ++result_.failures[static_cast<size_t>(f.category)].events;
  if (ScopeOf(f.category) == FailureScope::kJobsOnly) {
    // A software failure takes no hardware down: the jobs on the node stop and restart.
    for (NodeId n = first; n < last; ++n) {
      if (down_count_[static_cast<size_t>(n)] > 0) continue;
      const std::vector<JobId> hit = scheduler_.FailNode(n, now);
      scheduler_.RepairNode(n, now);
      Interrupt(hit, n, f.category, false, now);
    }
  } else {
    for (NodeId n = first; n < last; ++n) {
      if (down_count_[static_cast<size_t>(n)]++ > 0) continue;
      power_.NodeDown(n);
      account_.NodeDown(n);
      ++result_.node_failures;
      Interrupt(scheduler_.FailNode(n, now), n, f.category, planned, now);
    }
    if (f.repair_after) {
      queue_.Push(now + *f.repair_after, EventKind::kRepair, index, 0);
      ++repairs_pending_;
    }
  }
  if (f.drawn) {
    if (!f.repair_after) free_failure_slots_.push_back(index);
    DrawNextFailure(now);
  }
}

void Simulator::Interrupt(const std::vector<JobId>& jobs, NodeId n, FailureCategory category,
                          bool planned, SimTime now) {
  SimResult::FailureStats& stats = result_.failures[static_cast<size_t>(category)];
  for (JobId id : jobs) {
    JobRecord& r = result_.jobs[static_cast<size_t>(id)];
    Settle(r, now);
    const SimTime done = r.progress;
    // Work since the last checkpoint is lost. `progress` at the start of the run is what the job
    // resumed from (saved at a preemption or kept from an earlier interruption), so it is never
    // lost; without checkpoints the run since then is. A planned stop checkpoints first.
    const SimTime every = r.checkpoint_every;
    const SimTime kept =
        planned ? done : std::max(r.run_progress, every > 0 ? done / every * every : 0);
    r.lost_ms += done - kept;
    stats.lost_gpu_ms +=
        static_cast<long double>(done - kept) * r.spec.gpus * r.spec.gpu_milli / kMilliPerGpu;
    ++stats.interruptions;
    r.progress = kept;
    StopRunning(id, r, now);
    r.state = JobRecord::State::kPending;
    ++r.interruptions;
    r.overhead_left = RestartOverhead(r);
    scheduler_.SetAttained(id, kept);
    Log(now, "interrupt", id,
        fleet_.Path(fleet_.NodeTopo(n)) + " lost_s=" + std::to_string((done - kept) / kSecond));
  }
}

SimTime Simulator::RestartOverhead(const JobRecord& r) const {
  if (r.spec.restart_overhead >= 0) return r.spec.restart_overhead;
  return workload_.failure_model ? workload_.failure_model->restart_overhead : 0;
}

// Failures a job expects per day on its allocation: host-borne ones per node, GPU-borne per GPU.
double Simulator::JobFailuresPerDay(const Allocation& a) const {
  return node_failures_per_day_ * static_cast<double>(a.nodes.size()) +
         gpu_failures_per_day_ * a.Gpus();
}

// The next failure of the model after `after`: exponential gaps at the fleet's total rate, a
// category by its share of the rate, then a node uniformly - or, for GPU-borne categories, the
// node of a GPU drawn uniformly (a network failure takes the node's leaf down).
void Simulator::DrawNextFailure(SimTime after) {
  if (failure_rate_per_ms_ <= 0) return;
  const FailureModelSpec& model = *workload_.failure_model;
  const double gap = failure_rng_.Exponential(1 / failure_rate_per_ms_);
  const SimTime at = after + std::max<SimTime>(1, static_cast<SimTime>(std::ceil(gap)));
  double pick = failure_rng_.Uniform() * failure_rate_per_ms_ * static_cast<double>(kDay);
  int category = 0;
  while (category + 1 < kRandomFailureCategories &&
         pick >= category_weight_[static_cast<size_t>(category)]) {
    pick -= category_weight_[static_cast<size_t>(category)];
    ++category;
  }
  const auto c = static_cast<FailureCategory>(category);
  NodeId node = 0;
  if (ComesWithGpus(c)) {
    const auto gpu = static_cast<std::int64_t>(
        failure_rng_.Below(static_cast<std::uint64_t>(fleet_.total_gpus())));
    node = static_cast<NodeId>(std::upper_bound(gpus_before_.begin(), gpus_before_.end(), gpu) -
                               gpus_before_.begin() - 1);
  } else {
    node = static_cast<NodeId>(failure_rng_.Below(static_cast<std::uint64_t>(fleet_.num_nodes())));
  }
  BoundFailure f;
  f.at = at;
  f.category = c;
  f.drawn = true;
  f.target = ScopeOf(c) == FailureScope::kLeaf ? fleet_.Ancestor(node, Level::kLeaf)
                                               : fleet_.NodeTopo(node);
  if (ScopeOf(c) != FailureScope::kJobsOnly) {
    f.repair_after = std::max<SimTime>(
        1,
        static_cast<SimTime>(model.repair_ms[static_cast<size_t>(category)].Sample(failure_rng_)));
  }
  // Slots of drawn failures that are over (repaired, or nothing to repair) are reused, so a long
  // run keeps only the failures in progress.
  std::int32_t slot = 0;
  if (!free_failure_slots_.empty()) {
    slot = free_failure_slots_.back();
    free_failure_slots_.pop_back();
    workload_.failures[static_cast<size_t>(slot)] = f;
  } else {
    slot = static_cast<std::int32_t>(workload_.failures.size());
    workload_.failures.push_back(f);
  }
  queue_.Push(at, EventKind::kFail, slot, 0);
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
  DrawNextFailure(0);
  for (size_t i = 0; i < workload_.failures.size(); ++i) {
    if (workload_.failures[i].drawn) continue;
    queue_.Push(workload_.failures[i].at, EventKind::kFail, static_cast<std::int32_t>(i), 0);
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
          OnFailure(t, e.a, false);
          break;
        case EventKind::kRepair:
          OnFailure(t, e.a, true);
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
  return std::move(result_);
}

}  // namespace gpufleet
