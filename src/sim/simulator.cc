#include "sim/simulator.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace gpufleet {

Simulator::Simulator(const Fleet& fleet, BoundWorkload workload, SimOptions options)
    : fleet_(fleet),
      workload_(std::move(workload)),
      options_(options),
      scheduler_(fleet, options.scheduler, workload_.tenants),
      power_(fleet),
      down_count_(static_cast<size_t>(fleet.num_nodes()), 0) {
  scheduler_.set_admission(&power_);
  result_.tenants = workload_.tenants;
  result_.total_gpus = fleet.total_gpus();
  up_gpus_ = fleet.total_gpus();
  result_.sites.resize(fleet.sites().size());
  for (const Site& site : fleet.sites()) {
    // PUE hour by hour from the site's climate, computed once; a design PUE too low to calibrate
    // was refused when the spec was read, so a failure here only keeps the design PUE.
    std::vector<double> pue;
    if (!site.hourly_temperature_c.empty()) {
      const Climate climate(site.climate, site.hourly_temperature_c);
      Result<CoolingPlant> plant = CoolingPlant::Calibrate(site.cooling, climate);
      if (plant.ok()) {
        for (double c : site.hourly_temperature_c) pue.push_back(plant.value().Pue(c));
      }
    }
    hourly_pue_.push_back(std::move(pue));
  }
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    up_cpu_ += NodeCpu(n);
    up_memory_ += NodeMemory(n);
  }
}

std::int64_t Simulator::NodeCpu(NodeId n) const {
  const NodeType& t = fleet_.node_types()[static_cast<size_t>(fleet_.NodeTypeOf(n))];
  return std::llround(t.cpu_cores * 1000);
}

std::int64_t Simulator::NodeMemory(NodeId n) const {
  const NodeType& t = fleet_.node_types()[static_cast<size_t>(fleet_.NodeTypeOf(n))];
  return std::llround(t.memory_gb * 1024);
}

void Simulator::UpdatePeaks() {
  for (size_t i = 0; i < result_.sites.size(); ++i) {
    result_.sites[i].peak_w = std::max(result_.sites[i].peak_w, power_.PowerW(i));
  }
}

// Work a run credits in `elapsed` ms at `rate`: exact integers at full speed, rounded down below.
static SimTime Credit(SimTime elapsed, double rate) {
  return rate >= 1 ? elapsed
                   : static_cast<SimTime>(std::floor(static_cast<double>(elapsed) * rate));
}

SimTime Simulator::WorkDone(const JobRecord& r, SimTime now) const {
  return r.progress + Credit(now - r.segment_start, r.rate);
}

double Simulator::RateOf(JobId id) const {
  // A job spanning sites runs at the pace of its most capped one. Nodes are in site order, so its
  // sites are those from its first node's to its last node's.
  const Allocation& a = scheduler_.AllocationOf(id);
  double cap = 1;
  for (int s = fleet_.SiteOf(a.nodes.front().node); s <= fleet_.SiteOf(a.nodes.back().node); ++s) {
    cap = std::min(cap, power_.Cap(static_cast<size_t>(s)));
  }
  return CappedSpeed(cap);
}

void Simulator::ScheduleFinish(JobId id, JobRecord& r) {
  const SimTime remaining = r.spec.duration - r.progress;
  const SimTime take =
      r.rate >= 1 ? remaining
                  : static_cast<SimTime>(std::ceil(static_cast<double>(remaining) / r.rate));
  queue_.Push(r.segment_start + take, EventKind::kFinish, id, r.epoch);
}

void Simulator::BeginRun(JobId id, SimTime now) {
  JobRecord& r = result_.jobs[static_cast<size_t>(id)];
  r.state = JobRecord::State::kRunning;
  r.run_start = r.segment_start = now;
  if (r.first_start < 0) r.first_start = now;
  r.rate = RateOf(id);
  running_slot_[static_cast<size_t>(id)] = static_cast<std::int32_t>(running_ids_.size());
  running_ids_.push_back(id);
  ScheduleFinish(id, r);
}

void Simulator::ApplyCaps(SimTime now) {
  for (JobId id : running_ids_) {
    JobRecord& r = result_.jobs[static_cast<size_t>(id)];
    const double rate = RateOf(id);
    if (rate == r.rate) continue;
    r.progress = WorkDone(r, now);
    r.segment_start = now;
    r.rate = rate;
    ++r.epoch;  // the finish event pushed at the old rate no longer counts
    ScheduleFinish(id, r);
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
  const SimTime dt = to - now_;
  result_.allocated_gpu_milli_ms += static_cast<long double>(scheduler_.allocated_milli()) * dt;
  result_.available_gpu_milli_ms += static_cast<long double>(up_gpus_) * kMilliPerGpu * dt;
  result_.allocated_cpu_ms += static_cast<long double>(scheduler_.allocated_cpu()) * dt;
  result_.available_cpu_ms += static_cast<long double>(up_cpu_) * dt;
  result_.allocated_memory_ms += static_cast<long double>(scheduler_.allocated_memory()) * dt;
  for (size_t i = 0; i < result_.sites.size(); ++i) {
    const double w = power_.PowerW(i);
    result_.sites[i].it_energy_wms += static_cast<long double>(w) * dt;
    const Site& site = fleet_.sites()[i];
    const std::vector<double>& pue = hourly_pue_[i];
    if (pue.empty()) {
      result_.sites[i].facility_energy_wms +=
          static_cast<long double>(w) * site.cooling.design_pue * dt;
    } else {
      // PUE follows the hourly outdoor temperature: split the interval at hour boundaries.
      for (SimTime t = now_; t < to;) {
        const SimTime next = std::min(to, (t / kHour + 1) * kHour);
        result_.sites[i].facility_energy_wms += static_cast<long double>(w) *
                                                pue[static_cast<size_t>(t / kHour) % pue.size()] *
                                                (next - t);
        t = next;
      }
    }
    // The budget is a hard limit; this measures that it holds (a rounding margin of 1e-9).
    if (w > fleet_.sites()[i].power_budget_mw * 1e6 * (1 + 1e-9))
      result_.sites[i].over_budget_ms += dt;
    if (power_.Cap(i) < 1) {
      result_.sites[i].capped_ms += dt;
      result_.sites[i].capped_lost_gpu_ms +=
          static_cast<long double>(power_.BusyGpus(i)) * (1 - CappedSpeed(power_.Cap(i))) * dt;
    }
  }
  result_.available_memory_ms += static_cast<long double>(up_memory_) * dt;
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

void Simulator::EndRun(JobId id, JobRecord& r, SimTime now) {
  const std::int32_t slot = running_slot_[static_cast<size_t>(id)];
  running_ids_[static_cast<size_t>(slot)] = running_ids_.back();
  running_slot_[static_cast<size_t>(running_ids_.back())] = slot;
  running_ids_.pop_back();
  running_slot_[static_cast<size_t>(id)] = -1;
  const SimTime ran = now - r.run_start;
  r.run_ms += ran;
  r.gpu_milli_ms += static_cast<std::int64_t>(r.spec.gpus) * r.spec.gpu_milli * ran;
  r.run_start = r.segment_start = -1;
  r.rate = 1;
  ++r.epoch;
}

void Simulator::OnFinish(const Event& e) {
  JobRecord& r = result_.jobs[static_cast<size_t>(e.a)];
  if (e.b != r.epoch || r.state != JobRecord::State::kRunning) return;  // a run that ended early
  r.progress = r.spec.duration;
  EndRun(e.a, r, e.time);
  r.state = JobRecord::State::kCompleted;
  r.end = e.time;
  scheduler_.Finish(e.a, e.time);
  --unfinished_;
  Log(e.time, "finish", e.a, "");
}

void Simulator::OnFailure(SimTime now, int index, bool repair) {
  const BoundFailure& f = workload_.failures[static_cast<size_t>(index)];
  auto [first, last] = fleet_.NodeRange(f.target);
  const std::string where = fleet_.Path(f.target);
  if (repair) {
    --repairs_pending_;
    for (NodeId n = first; n < last; ++n) {
      if (--down_count_[static_cast<size_t>(n)] == 0) {
        scheduler_.RepairNode(n, now);
        up_gpus_ += fleet_.NodeGpus(n);
        power_.NodeUp(n);
        up_cpu_ += NodeCpu(n);
        up_memory_ += NodeMemory(n);
        ++result_.node_repairs;
      }
    }
    Log(now, "repair", -1, where);
    return;
  }
  Log(now, "fail", -1, where);
  for (NodeId n = first; n < last; ++n) {
    if (down_count_[static_cast<size_t>(n)]++ > 0) continue;
    up_gpus_ -= fleet_.NodeGpus(n);
    power_.NodeDown(n);
    up_cpu_ -= NodeCpu(n);
    up_memory_ -= NodeMemory(n);
    ++result_.node_failures;
    for (JobId id : scheduler_.FailNode(n, now)) {
      JobRecord& r = result_.jobs[static_cast<size_t>(id)];
      const SimTime done = WorkDone(r, now);
      // Work since the last checkpoint is lost. `progress` is what the job resumed from (saved
      // at a preemption or kept from an earlier interruption), so it is never lost; without
      // checkpoints the run since then is.
      const SimTime interval = r.spec.checkpoint_interval;
      const SimTime kept = std::max(r.progress, interval > 0 ? done / interval * interval : 0);
      r.lost_ms += done - kept;
      r.progress = kept;
      EndRun(id, r, now);
      r.state = JobRecord::State::kPending;
      ++r.interruptions;
      scheduler_.SetAttained(id, kept);
      Log(now, "interrupt", id,
          fleet_.Path(fleet_.NodeTopo(n)) + " lost_s=" + std::to_string((done - kept) / kSecond));
    }
  }
  if (f.repair_after) {
    queue_.Push(now + *f.repair_after, EventKind::kRepair, index, 0);
    ++repairs_pending_;
  }
}

void Simulator::ApplyDecisions(SimTime now) {
  for (const Decision& d : decisions_) {
    JobRecord& r = result_.jobs[static_cast<size_t>(d.job)];
    if (d.kind == Decision::Kind::kStart) {
      BeginRun(d.job, now);
      if (sink_ != nullptr) {
        const Allocation& a = scheduler_.AllocationOf(d.job);
        Log(now, "start", d.job,
            "gpus=" + std::to_string(r.spec.gpus) + " nodes=" + std::to_string(a.nodes.size()) +
                " first=" + fleet_.Path(fleet_.NodeTopo(a.nodes.front().node)));
      }
    } else {
      // Preemption is graceful: the job keeps all its progress.
      r.progress = WorkDone(r, now);
      EndRun(d.job, r, now);
      r.state = JobRecord::State::kPending;
      ++r.preemptions;
      Log(now, "preempt", d.job, "");
    }
  }
  decisions_.clear();
}

SimResult Simulator::Run() {
  PullArrival();
  for (size_t i = 0; i < workload_.failures.size(); ++i) {
    queue_.Push(workload_.failures[i].at, EventKind::kFail, static_cast<std::int32_t>(i), 0);
  }
  while (!queue_.empty()) {
    const SimTime t = queue_.Top().time;
    // Done when no job can still arrive, none runs and no repair can make room for a waiting one
    // (what still waits then can never start: it is reported pending). Leftover failure events
    // do not stretch the run.
    if (!has_next_job_ && scheduler_.running() == 0 && (unfinished_ == 0 || repairs_pending_ == 0))
      break;
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
    if (power_.UpdateCaps()) ApplyCaps(t);
    UpdatePeaks();
    // A scheduler that ranks jobs by time-varying quantities asks to be woken up.
    const SimTime wake = scheduler_.NextWakeup(t);
    if (wake != kNever && wake > t && (next_tick_ <= t || wake < next_tick_)) {
      queue_.Push(wake, EventKind::kTick, 0, 0);
      next_tick_ = wake;
    }
  }
  if (options_.until != kNever &&
      (has_next_job_ || scheduler_.running() > 0 || (unfinished_ > 0 && repairs_pending_ > 0))) {
    Advance(options_.until);
    result_.stopped_at_until = true;
  }
  result_.end_time = now_;
  // Runs still going at the end count their GPU time up to the end.
  for (JobRecord& r : result_.jobs) {
    if (r.state == JobRecord::State::kRunning) {
      r.run_ms += now_ - r.run_start;
      r.gpu_milli_ms +=
          static_cast<std::int64_t>(r.spec.gpus) * r.spec.gpu_milli * (now_ - r.run_start);
    }
  }
  return std::move(result_);
}

}  // namespace gpufleet
