#include "sched/scheduler.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <climits>
#include <cmath>

namespace gpufleet {

Scheduler::Scheduler(const Fleet& fleet, SchedulerConfig config, std::vector<Tenant> tenants)
    : fleet_(fleet), config_(config), index_(fleet), tenants_(std::move(tenants)) {
  if (tenants_.empty()) tenants_.push_back(Tenant{"default", 1, std::nullopt});
  tenant_alloc_.assign(tenants_.size(), 0);
  tenant_usage_.assign(tenants_.size(), 0);
  node_jobs_.resize(static_cast<size_t>(fleet.num_nodes()));
  node_max_.resize(fleet.gpu_models().size());
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    NodeMax& nm = node_max_[static_cast<size_t>(fleet.NodeModel(n))];
    const NodeType& t = fleet.node_types()[static_cast<size_t>(fleet.NodeTypeOf(n))];
    nm.gpus = std::max(nm.gpus, fleet.NodeGpus(n));
    nm.cpu = std::max<std::int64_t>(
        nm.cpu, t.cpu_cores > 0 ? std::llround(t.cpu_cores * 1000) : CapacityIndex::kUnmodelled);
    nm.memory = std::max<std::int64_t>(
        nm.memory, t.memory_gb > 0 ? std::llround(t.memory_gb * 1024) : CapacityIndex::kUnmodelled);
  }
  min_failed_.assign((fleet.gpu_models().size() + 1) * kLevels, INT_MAX);
  min_failed_outside_ = min_failed_;
  min_failed_preempt_ = min_failed_;
  counter_stamp_.assign(fleet.topo().size(), 0);
  counter_value_.assign(fleet.topo().size(), 0);
}

bool Scheduler::EverFits(const GangRequest& r) {
  const auto key = std::make_tuple(r.gpus, r.milli, r.cpu_per_gpu, r.memory_per_gpu, r.model,
                                   static_cast<int>(r.constraint));
  const auto it = ever_fits_.find(key);
  if (it != ever_fits_.end()) return it->second;
  if (!empty_index_) empty_index_ = std::make_unique<CapacityIndex>(fleet_);
  const std::optional<Allocation> a = empty_index_->Place(r);
  if (a) empty_index_->Release(*a);
  return ever_fits_[key] = a.has_value();
}

bool Scheduler::AnyWaitingCouldStartWhenHealthy() {
  assert(running_ == 0);
  if (!empty_index_) empty_index_ = std::make_unique<CapacityIndex>(fleet_);
  static const std::vector<AdmissionGuard::Load> kNoneLeaving;
  for (const QueueKey& k : queue_) {
    const std::optional<Allocation> a = empty_index_->Place(RequestOf(job(k.id)));
    if (!a) continue;
    empty_index_->Release(*a);
    // A training job that refuses even the best-fit placement on the healthy fleet would wait for
    // ever.
    if (judge_ != nullptr && !judge_->Accepts(k.id, *a)) continue;
    if (admission_ == nullptr) return true;
    refusing_.clear();
    // Nothing runs: the guard sees an idle fleet.
    admission_->Refusing({&*a, job(k.id).power_utilization}, kNoneLeaving, refusing_);
    if (refusing_.empty()) return true;
  }
  return false;
}

GangRequest Scheduler::RequestOf(const Job& j) const {
  GangRequest r;
  r.gpus = j.gpus;
  r.model = j.model;
  r.constraint = ConstraintLevel(j.topology);
  r.milli = j.milli;
  r.cpu_per_gpu = j.cpu_per_gpu;
  r.memory_per_gpu = j.memory_per_gpu;
  r.model_mask = j.model_mask;
  return r;
}

Scheduler::QueueKey Scheduler::KeyOf(JobId id) const {
  const Job& j = jobs_[static_cast<size_t>(id)];
  switch (config_.policy) {
    case Policy::kFifo:
      return {j.submit, 0, id};
    case Policy::kPriority:
    case Policy::kBackfill:
      return {-static_cast<std::int64_t>(j.priority), j.submit, id};
    case Policy::kSjfOracle:
    case Policy::kSrtfOracle:
      return {j.oracle_duration - j.attained, j.submit, id};
    case Policy::kLas:
      return {LasQueue(LasService(j, 0)), j.submit, id};
    case Policy::kFairshare:
      return {j.tenant, j.submit, id};
  }
  return {j.submit, 0, id};
}

SimTime Scheduler::RemainingEstimate(const Job& j) const {
  return std::max<SimTime>(0, j.estimate - j.attained);
}

std::optional<std::string> Scheduler::Submit(JobId id, const JobSpec& spec, SimTime now) {
  (void)now;
  if (static_cast<size_t>(id) >= jobs_.size()) jobs_.resize(static_cast<size_t>(id) + 1);
  Job& j = job(id);
  assert(j.state == State::kNone);
  j.submit = spec.submit;
  j.estimate = spec.estimate;
  j.oracle_duration = spec.duration;
  j.gpus = spec.gpus;
  j.milli = spec.gpu_milli;
  // Host CPU and memory are asked per job and held per GPU, on the GPU's node (rounded up).
  j.cpu_per_gpu = spec.gpus > 0 ? (spec.cpu_milli + spec.gpus - 1) / spec.gpus : 0;
  j.memory_per_gpu = spec.gpus > 0 ? (spec.memory_mib + spec.gpus - 1) / spec.gpus : 0;
  j.priority = spec.priority;
  j.power_utilization = spec.power_utilization;
  j.model = spec.gpu_model;
  j.model_mask = spec.gpu_model == kAnyModel ? spec.allowed_models : 0;
  j.topology = spec.topology;
  j.tenant =
      spec.tenant >= 0 && static_cast<size_t>(spec.tenant) < tenants_.size() ? spec.tenant : 0;
  j.pending_since = now;

  const Level level = ConstraintLevel(spec.topology);
  int most = 0;
  for (ModelId m = 0; m < static_cast<ModelId>(fleet_.gpu_models().size()); ++m) {
    if (RequestOf(j).Allows(m)) {
      most = std::max(most, index_.Capacity(level, m));
    }
  }
  // What one node of the job's model can give: GPUs (a share must sit on one node), CPU, memory.
  int node_gpus = 0;
  std::int64_t node_cpu = 0, node_memory = 0;
  for (size_t m = 0; m < node_max_.size(); ++m) {
    if (!RequestOf(j).Allows(static_cast<ModelId>(m))) continue;
    node_gpus = std::max(node_gpus, node_max_[m].gpus);
    node_cpu = std::max(node_cpu, node_max_[m].cpu);
    node_memory = std::max(node_memory, node_max_[m].memory);
  }
  std::optional<std::string> reason;
  if (j.milli < kMilliPerGpu && spec.gpus > node_gpus) {
    reason = "shares GPUs, so needs its " + std::to_string(spec.gpus) +
             " GPUs on one node, but nodes have at most " + std::to_string(node_gpus);
  } else if (j.cpu_per_gpu > node_cpu) {
    reason = "needs " + std::to_string(j.cpu_per_gpu) +
             " milli-CPU beside each GPU, more than a node has";
  } else if (j.memory_per_gpu > node_memory) {
    reason =
        "needs " + std::to_string(j.memory_per_gpu) + " MiB beside each GPU, more than a node has";
  }
  // The power bound counts GPUs at full draw: a job's share and utilization scale its GPUs.
  const double full_draw_gpus = static_cast<double>(spec.gpus) * spec.gpu_milli / kMilliPerGpu *
                                std::max(0.0f, spec.power_utilization);
  if (!reason && admission_ != nullptr && spec.gpus <= most &&
      full_draw_gpus > static_cast<double>(admission_->MostGpusEver(RequestOf(j))) + 1e-9) {
    reason = "needs more power than the sites' budgets allow: at most " +
             std::to_string(admission_->MostGpusEver(RequestOf(j))) + " GPUs fit in one " +
             std::string(LevelName(level)) + " (topology: " + TopologyName(spec.topology) + ")";
  }
  if (!reason && spec.gpus <= most && !RequestOf(j).WholeGpusOnly() && !EverFits(RequestOf(j))) {
    reason =
        "cannot be placed even on the empty fleet: its GPU share, CPU or memory per GPU does not "
        "fit the "
        "nodes of one " +
        std::string(LevelName(level)) + " (topology: " + TopologyName(spec.topology) + ")";
  }
  if (reason) {
    j.state = State::kDone;
    return reason;
  }
  if (spec.gpus > most) {
    j.state = State::kDone;
    const std::string model =
        spec.gpu_model == kAnyModel
            ? "GPUs"
            : fleet_.gpu_models()[static_cast<size_t>(spec.gpu_model)].name + " GPUs";
    return "needs " + std::to_string(spec.gpus) + " " + model + " inside one " + LevelName(level) +
           " (topology: " + TopologyName(spec.topology) +
           "), but the largest such subtree of the fleet has " + std::to_string(most);
  }
  j.state = State::kPending;
  queue_.insert(KeyOf(id));
  new_jobs_.push_back(id);
  return std::nullopt;
}

void Scheduler::StartJob(JobId id, Allocation alloc, SimTime now, std::vector<Decision>& out) {
  Job& j = job(id);
  queue_.erase(KeyOf(id));
  j.state = State::kRunning;
  j.run_start = now;
  j.est_end = now + RemainingEstimate(j);
  j.alloc = std::move(alloc);
  ComputeSpans(j);
  if (admission_ != nullptr) admission_->Started({&j.alloc, j.power_utilization});
  for (const NodeGpus& ng : j.alloc.nodes) {
    auto& on = node_jobs_[static_cast<size_t>(ng.node)];
    on.insert(std::upper_bound(on.begin(), on.end(), id), id);
  }
  // Usage accrues with the allocation held until now; account for it before the allocation changes.
  if (config_.policy == Policy::kFairshare) UpdateUsage(now);
  allocated_milli_ += static_cast<std::int64_t>(j.gpus) * j.milli;
  allocated_cpu_ += j.cpu_per_gpu * j.gpus;
  allocated_memory_ += j.memory_per_gpu * j.gpus;
  tenant_alloc_[static_cast<size_t>(j.tenant)] += j.gpus;
  j.running_slot = static_cast<std::int32_t>(running_list_.size());
  running_list_.push_back(id);
  ++running_;
  if (config_.policy == Policy::kBackfill) by_end_.insert({j.est_end, id});
  if (config_.policy == Policy::kPriority) by_victim_order_.insert({j.priority, -j.run_start, id});
  out.push_back({Decision::Kind::kStart, id});
}

void Scheduler::StopJob(JobId id, SimTime now, bool release) {
  Job& j = job(id);
  assert(j.state == State::kRunning);
  if (config_.policy == Policy::kBackfill) by_end_.erase({j.est_end, id});
  if (config_.policy == Policy::kPriority) by_victim_order_.erase({j.priority, -j.run_start, id});
  for (const NodeGpus& ng : j.alloc.nodes) {
    auto& on = node_jobs_[static_cast<size_t>(ng.node)];
    on.erase(std::lower_bound(on.begin(), on.end(), id));
  }
  if (release) index_.Release(j.alloc);
  if (admission_ != nullptr) admission_->Stopped({&j.alloc, j.power_utilization});
  j.alloc = Allocation{};
  j.spans.clear();
  j.spans.shrink_to_fit();
  j.attained += now - j.run_start;
  if (config_.policy == Policy::kFairshare) UpdateUsage(now);
  allocated_milli_ -= static_cast<std::int64_t>(j.gpus) * j.milli;
  allocated_cpu_ -= j.cpu_per_gpu * j.gpus;
  allocated_memory_ -= j.memory_per_gpu * j.gpus;
  tenant_alloc_[static_cast<size_t>(j.tenant)] -= j.gpus;
  // Swap-remove from the running list; its order never matters (victims are sorted by key).
  const auto slot = static_cast<size_t>(j.running_slot);
  running_list_[slot] = running_list_.back();
  jobs_[static_cast<size_t>(running_list_[slot])].running_slot = static_cast<std::int32_t>(slot);
  running_list_.pop_back();
  j.running_slot = -1;
  j.pending_since = now;
  --running_;
  CapacityGrew();
}

void Scheduler::CapacityGrew() {
  ++capacity_version_;
  std::fill(min_failed_.begin(), min_failed_.end(), INT_MAX);
  std::fill(min_failed_outside_.begin(), min_failed_outside_.end(), INT_MAX);
  std::fill(min_failed_preempt_.begin(), min_failed_preempt_.end(), INT_MAX);
}

void Scheduler::Finish(JobId id, SimTime now) {
  Job& j = job(id);
  // A release the reservation did not foresee (earlier or later than estimated) invalidates it.
  if (now != j.est_end) reservation_stale_ = true;
  StopJob(id, now, /*release=*/true);
  j.state = State::kDone;
}

std::vector<JobId> Scheduler::FailNode(NodeId n, SimTime now) {
  const std::vector<JobId> hit = node_jobs_[static_cast<size_t>(n)];  // ascending
  for (JobId id : hit) {
    StopJob(id, now, /*release=*/true);
    job(id).state = State::kPending;
    queue_.insert(KeyOf(id));
  }
  if (index_.NodeUp(n)) index_.SetNodeUp(n, false);
  reservation_stale_ = true;
  CapacityGrew();  // not more capacity, but a different one: cached failures no longer hold
  return hit;
}

void Scheduler::RepairNode(NodeId n, SimTime now) {
  (void)now;
  if (!index_.NodeUp(n)) index_.SetNodeUp(n, true);
  reservation_stale_ = true;
  CapacityGrew();
}

void Scheduler::Tick(SimTime now) {
  (void)now;
  force_pass_ = true;
}

void Scheduler::SetAttained(JobId id, SimTime attained) {
  Job& j = job(id);
  assert(j.state == State::kPending);
  // Re-key: the sjf order depends on the remaining work.
  queue_.erase(KeyOf(id));
  j.attained = attained;
  queue_.insert(KeyOf(id));
}

size_t Scheduler::FailureSlot(const Job& j) {
  return static_cast<size_t>(j.model + 1) * kLevels +
         static_cast<size_t>(ConstraintLevel(j.topology));
}

void Scheduler::RememberFailure(const Job& j) {
  min_failed_[FailureSlot(j)] = std::min(min_failed_[FailureSlot(j)], j.gpus);
}

void Scheduler::ComputeSpans(Job& j) const {
  // Nodes are sorted by id and every subtree owns a contiguous id range, so the GPUs of one
  // subtree are one run of consecutive entries.
  j.spans.clear();
  for (int l = 0; l < static_cast<int>(Level::kNode); ++l) {
    j.span_begin[static_cast<size_t>(l)] = static_cast<std::uint32_t>(j.spans.size());
    for (const NodeGpus& ng : j.alloc.nodes) {
      const TopoId t = fleet_.Ancestor(ng.node, static_cast<Level>(l));
      const int gpus = std::popcount(ng.mask);
      if (j.spans.size() > j.span_begin[static_cast<size_t>(l)] && j.spans.back().first == t) {
        j.spans.back().second += gpus;
      } else {
        j.spans.emplace_back(t, gpus);
      }
    }
  }
  j.span_begin[static_cast<size_t>(Level::kNode)] = static_cast<std::uint32_t>(j.spans.size());
}

bool Scheduler::TryStart(JobId id, SimTime now, std::vector<Decision>& out) {
  const Job& j = job(id);
  // Within a pass free capacity only shrinks, so a gang at least as large as one that already
  // failed with the same model and constraint fails too.
  if (SkipAsTooLarge(j)) return false;
  std::optional<Allocation> a = PlaceAdmitted(id, RequestOf(j));
  if (!a) {
    if (Cacheable(j) && !refused_not_for_gpus_) RememberFailure(j);
    return false;
  }
  StartJob(id, std::move(*a), now, out);
  return true;
}

bool Scheduler::Judged(JobId id, const Allocation& a) {
  const bool refused = judge_ != nullptr && !judge_->Accepts(id, a);
  refused_not_for_gpus_ = refused_not_for_gpus_ || refused;
  return !refused;
}

std::optional<Allocation> Scheduler::PlaceAdmitted(JobId id, const GangRequest& r, TopoId within) {
  refused_not_for_gpus_ = false;
  std::optional<Allocation> a = index_.Place(r, within);
  if (a && admission_ != nullptr) {
    a = Admitted(std::move(a), r, within, job(id).power_utilization);
    refused_not_for_gpus_ = !a;  // the GPUs were there; the power was not
  }
  if (a && !Judged(id, *a)) {
    index_.Release(*a);
    return std::nullopt;
  }
  return a;
}

std::optional<Allocation> Scheduler::Admitted(std::optional<Allocation> a, const GangRequest& r,
                                              TopoId within, double utilization) {
  std::vector<TopoId> hidden;
  static const std::vector<AdmissionGuard::Load> kNoneLeaving;
  while (a) {
    refusing_.clear();
    admission_->Refusing({&*a, utilization}, kNoneLeaving, refusing_);
    if (refusing_.empty()) break;
    index_.Release(*a);
    for (TopoId site : refusing_) {
      index_.Block(site);
      hidden.push_back(site);
    }
    a = index_.Place(r, within);
  }
  for (TopoId site : hidden) index_.Unblock(site);
  return a;
}

void Scheduler::Schedule(SimTime now, std::vector<Decision>& out) {
  switch (config_.policy) {
    case Policy::kFifo:
    case Policy::kSjfOracle:
      StrictPass(now, /*preempt=*/false, out);
      break;
    case Policy::kPriority:
      StrictPass(now, /*preempt=*/true, out);
      break;
    case Policy::kBackfill:
      BackfillPass(now, out);
      break;
    case Policy::kSrtfOracle:
    case Policy::kLas:
      PreemptivePass(now, out);
      break;
    case Policy::kFairshare:
      FairsharePass(now, out);
      break;
  }
  force_pass_ = false;
  new_jobs_.clear();
  last_pass_version_ = capacity_version_;
  last_head_ = queue_.empty() ? -1 : queue_.begin()->id;
}

void Scheduler::StrictPass(SimTime now, bool preempt, std::vector<Decision>& out) {
  // Nothing was released and the blocked head is the same: nothing can start.
  if (capacity_version_ == last_pass_version_ &&
      (queue_.empty() || queue_.begin()->id == last_head_)) {
    return;
  }
  while (!queue_.empty()) {
    const JobId head = queue_.begin()->id;
    if (TryStart(head, now, out)) continue;
    if (preempt && TryPreempt(head, now, out)) continue;
    break;
  }
}

int& Scheduler::SubtreeCounter(TopoId t, ModelId m) {
  if (counter_stamp_[static_cast<size_t>(t)] != counter_generation_) {
    counter_stamp_[static_cast<size_t>(t)] = counter_generation_;
    counter_value_[static_cast<size_t>(t)] = index_.Free(t, m);
    touched_.push_back(t);
  }
  return counter_value_[static_cast<size_t>(t)];
}

}  // namespace gpufleet
