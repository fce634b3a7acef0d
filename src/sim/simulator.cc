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
      down_count_(static_cast<size_t>(fleet.num_nodes()), 0) {
  result_.tenants = workload_.tenants;
  result_.total_gpus = fleet.total_gpus();
  up_gpus_ = fleet.total_gpus();
  for (const NodeType& t : fleet.node_types()) {
    const ModelId m = fleet.FindModel(t.gpu);
    type_power_.push_back(
        m == kAnyModel ? NodePower{} : NodePowerOf(t, fleet.gpu_models()[static_cast<size_t>(m)]));
  }
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
  site_up_nodes_.assign(fleet.sites().size(),
                        std::vector<std::int64_t>(fleet.node_types().size(), 0));
  site_busy_milli_ = site_up_nodes_;
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    site_up_nodes_[static_cast<size_t>(fleet.SiteOf(n))]
                  [static_cast<size_t>(fleet.NodeTypeOf(n))]++;
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

void Simulator::AddBusy(JobId id) {
  const Allocation& a = scheduler_.AllocationOf(id);
  if (static_cast<size_t>(id) >= job_busy_.size()) job_busy_.resize(static_cast<size_t>(id) + 1);
  auto& busy = job_busy_[static_cast<size_t>(id)];
  const auto types = static_cast<std::int32_t>(fleet_.node_types().size());
  for (const NodeGpus& ng : a.nodes) {
    const std::int32_t key = fleet_.SiteOf(ng.node) * types + fleet_.NodeTypeOf(ng.node);
    const std::int64_t milli = static_cast<std::int64_t>(std::popcount(ng.mask)) * a.milli;
    if (!busy.empty() && busy.back().first == key) {
      busy.back().second += milli;
    } else {
      busy.emplace_back(key, milli);
    }
  }
  for (const auto& [key, milli] : busy) {
    site_busy_milli_[static_cast<size_t>(key / types)][static_cast<size_t>(key % types)] += milli;
  }
}

void Simulator::RemoveBusy(JobId id) {
  const auto types = static_cast<std::int32_t>(fleet_.node_types().size());
  auto& busy = job_busy_[static_cast<size_t>(id)];
  for (const auto& [key, milli] : busy) {
    site_busy_milli_[static_cast<size_t>(key / types)][static_cast<size_t>(key % types)] -= milli;
  }
  busy.clear();
  busy.shrink_to_fit();
}

void Simulator::UpdatePeaks() {
  for (size_t i = 0; i < result_.sites.size(); ++i) {
    result_.sites[i].peak_w = std::max(result_.sites[i].peak_w, SitePowerW(i));
  }
}

double Simulator::SitePowerW(size_t site) const {
  double w = 0;
  for (size_t t = 0; t < type_power_.size(); ++t) {
    w += static_cast<double>(site_up_nodes_[site][t]) * type_power_[t].idle_w +
         static_cast<double>(site_busy_milli_[site][t]) / kMilliPerGpu *
             type_power_[t].per_busy_gpu_w;
  }
  return w;
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
    const double w = SitePowerW(i);
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
    if (w > fleet_.sites()[i].power_budget_mw * 1e6) result_.sites[i].over_budget_ms += dt;
  }
  result_.available_memory_ms += static_cast<long double>(up_memory_) * dt;
  now_ = to;
}

void Simulator::OnArrival(SimTime now) {
  const JobId id = static_cast<JobId>(result_.jobs.size());
  result_.jobs.push_back(JobRecord{});
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

void Simulator::EndRun(JobRecord& r, SimTime now) {
  const SimTime ran = now - r.run_start;
  r.run_ms += ran;
  r.gpu_milli_ms += static_cast<std::int64_t>(r.spec.gpus) * r.spec.gpu_milli * ran;
  r.run_start = -1;
  ++r.epoch;
}

void Simulator::OnFinish(const Event& e) {
  JobRecord& r = result_.jobs[static_cast<size_t>(e.a)];
  if (e.b != r.epoch || r.state != JobRecord::State::kRunning) return;  // a run that ended early
  r.progress = r.spec.duration;
  RemoveBusy(e.a);
  EndRun(r, e.time);
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
        site_up_nodes_[static_cast<size_t>(fleet_.SiteOf(n))]
                      [static_cast<size_t>(fleet_.NodeTypeOf(n))]++;
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
    site_up_nodes_[static_cast<size_t>(fleet_.SiteOf(n))]
                  [static_cast<size_t>(fleet_.NodeTypeOf(n))]--;
    for (JobId id : scheduler_.JobsOn(n)) RemoveBusy(id);
    up_cpu_ -= NodeCpu(n);
    up_memory_ -= NodeMemory(n);
    ++result_.node_failures;
    for (JobId id : scheduler_.FailNode(n, now)) {
      JobRecord& r = result_.jobs[static_cast<size_t>(id)];
      const SimTime done = r.progress + (now - r.run_start);
      // Work since the last checkpoint is lost. `progress` is what the job resumed from (saved
      // at a preemption or kept from an earlier interruption), so it is never lost; without
      // checkpoints the run since then is.
      const SimTime interval = r.spec.checkpoint_interval;
      const SimTime kept = std::max(r.progress, interval > 0 ? done / interval * interval : 0);
      r.lost_ms += done - kept;
      r.progress = kept;
      EndRun(r, now);
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
      r.state = JobRecord::State::kRunning;
      r.run_start = now;
      if (r.first_start < 0) r.first_start = now;
      AddBusy(d.job);
      queue_.Push(now + (r.spec.duration - r.progress), EventKind::kFinish, d.job, r.epoch);
      if (sink_ != nullptr) {
        const Allocation& a = scheduler_.AllocationOf(d.job);
        Log(now, "start", d.job,
            "gpus=" + std::to_string(r.spec.gpus) + " nodes=" + std::to_string(a.nodes.size()) +
                " first=" + fleet_.Path(fleet_.NodeTopo(a.nodes.front().node)));
      }
    } else {
      // Preemption is graceful: the job keeps all its progress.
      RemoveBusy(d.job);
      r.progress += now - r.run_start;
      EndRun(r, now);
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
