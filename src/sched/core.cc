// The scheduler's shared state and how jobs move through it: slots, the queue, start and stop.
#include "sched/core.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace gpufleet {

SchedulerCore::SchedulerCore(const Fleet& f, SchedulerConfig c, std::vector<Tenant> t,
                             SchedulerHooks h, std::unique_ptr<SchedulingPolicy> p)
    : fleet(f),
      config(std::move(c)),
      hooks(h),
      policy(std::move(p)),
      index(f),
      site_ranker(f),
      nodes(static_cast<size_t>(f.num_nodes()), NodeState::kUp),
      draining(static_cast<size_t>(f.num_nodes()), 0),
      node_jobs(static_cast<size_t>(f.num_nodes())),
      tenants(std::move(t)) {
  if (tenants.empty()) tenants.push_back(Tenant{"default", 1, std::nullopt});
  if (config.share_policy) {
    index.UseSharePolicy(*config.share_policy, config.share_typical, config.share_seed);
  }
  node_max.resize(fleet.gpu_models().size());
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    NodeMax& nm = node_max[static_cast<size_t>(fleet.NodeModel(n))];
    const NodeType& type = fleet.node_types()[static_cast<size_t>(fleet.NodeTypeOf(n))];
    nm.gpus = std::max(nm.gpus, fleet.NodeGpus(n));
    nm.cpu = std::max<std::int64_t>(
        nm.cpu, type.cpu_cores > 0 ? type.cpu_milli() : CapacityIndex::kUnmodelled);
    nm.memory = std::max<std::int64_t>(
        nm.memory, type.memory_gb > 0 ? type.memory_mib() : CapacityIndex::kUnmodelled);
  }
  if (!config.nodes_present) {
    for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
      nodes[static_cast<size_t>(n)] = NodeState::kAbsent;
      index.SetNodeUp(n, false);
    }
  }
  min_failed.assign((fleet.gpu_models().size() + 1) * kLevels, INT_MAX);
  min_failed_outside = min_failed;
  min_failed_preempt = min_failed;
  counter_stamp_.assign(fleet.topo().size(), 0);
  counter_value_.assign(fleet.topo().size(), 0);
}

// --- slots ---

std::optional<Slot> SchedulerCore::SlotOf(JobId id) const { return slot_of.Find(id); }

Slot SchedulerCore::NewSlot(JobId id) {
  Slot s = 0;
  if (!free_slots.empty()) {
    s = free_slots.back();
    free_slots.pop_back();
  } else {
    s = static_cast<Slot>(jobs.size());
    jobs.emplace_back();
    reason_details.emplace_back();
  }
  SchedJob& j = job(s);
  j = SchedJob{};
  j.id = id;
  j.live = true;
  reason_details[static_cast<size_t>(s)] = PendingReason{};
  slot_of.Insert(id, s);
  return s;
}

void SchedulerCore::FreeSlot(Slot s) {
  SchedJob& j = job(s);
  slot_of.Erase(j.id);
  j = SchedJob{};  // releases its allocation and spans
  reason_details[static_cast<size_t>(s)] = PendingReason{};
  free_slots.push_back(s);
}

// --- the queue ---

QueueKey SchedulerCore::KeyOf(Slot s) const {
  const auto [a, b] = policy->KeyOf(*this, s);
  return {a, b, job(s).id, s};
}

void SchedulerCore::Enqueue(Slot s, SimTime now) {
  SchedJob& j = job(s);
  j.state = JobState::kPending;
  j.pending_since = now;
  if (queue.insert(KeyOf(s)).second) queued_milli += static_cast<std::int64_t>(j.gpus) * j.milli;
}

void SchedulerCore::Dequeue(Slot s) {
  if (queue.erase(KeyOf(s)) != 0)
    queued_milli -= static_cast<std::int64_t>(job(s).gpus) * job(s).milli;
}

// --- start and stop ---

void SchedulerCore::StartJob(Slot s, Allocation alloc, SimTime now, std::vector<Decision>& out) {
  SchedJob& j = job(s);
  Dequeue(s);
  j.state = JobState::kStarting;
  ++j.epoch;
  j.run_start = j.started_at = now;
  j.est_end = now + std::max<SimTime>(0, j.estimate - j.attained);
  if (j.Planning()) AbandonPlan(s);  // it found room elsewhere
  j.alloc = std::move(alloc);
  ComputeSpans(j);
  if (hooks.admission != nullptr) hooks.admission->Started({&j.alloc, j.power_utilization});
  index.CountTags(j.alloc, +1);
  for (const NodeGpus& ng : j.alloc.nodes) {
    auto& on = node_jobs[static_cast<size_t>(ng.node)];
    on.insert(std::upper_bound(on.begin(), on.end(), j.id), j.id);
  }
  allocated_milli += static_cast<std::int64_t>(j.gpus) * j.milli;
  allocated_cpu += j.cpu_per_gpu * j.gpus;
  allocated_memory += j.memory_per_gpu * j.gpus;
  j.running_slot = static_cast<std::int32_t>(running_list.size());
  running_list.push_back(s);
  ++holding;
  // Why it waited, for the driver's record: nothing if it starts when it joined the queue; a job
  // no pass examined waited behind others.
  if (now == j.pending_since) {
    j.last_wait = WaitReason::kNone;
  } else if (j.reason == WaitReason::kNone) {
    j.last_wait = WaitReason::kBehind;
  } else {
    j.last_wait = j.reason;
  }
  j.reason = WaitReason::kNone;
  policy->OnStarted(*this, s, now);
  out.push_back({Decision::Kind::kStart, j.id, j.epoch, j.alloc, j.last_wait});
}

void SchedulerCore::StopJob(Slot s, SimTime now, bool release, bool credit) {
  SchedJob& j = job(s);
  policy->OnStopping(*this, s, now);
  for (const NodeGpus& ng : j.alloc.nodes) {
    auto& on = node_jobs[static_cast<size_t>(ng.node)];
    on.erase(std::lower_bound(on.begin(), on.end(), j.id));
  }
  if (release) index.Release(j.alloc);
  if (hooks.admission != nullptr) hooks.admission->Stopped({&j.alloc, j.power_utilization});
  index.CountTags(j.alloc, -1);
  // A victim stopping for a head that still waits for this round: the part of the head's plan it
  // frees is held for the head; when the last victim lets go, the head is ready.
  if (j.stopping_for >= 0) {
    if (const std::optional<Slot> head = SlotOf(j.stopping_for);
        head && job(*head).state == JobState::kPending && job(*head).Planning() &&
        job(*head).head->round == j.stopping_round && job(*head).head->awaiting_victims > 0) {
      if (release) HandOver(*head, j.alloc);
      if (--job(*head).head->awaiting_victims == 0) ready_heads.push_back(*head);
    }
    j.stopping_for = -1;
    j.stopping_round = 0;
  }
  j.alloc = Allocation{};
  j.spans.clear();
  j.spans.shrink_to_fit();
  if (credit) j.attained += (j.state == JobState::kStopping ? j.stopped_at : now) - j.run_start;
  allocated_milli -= static_cast<std::int64_t>(j.gpus) * j.milli;
  allocated_cpu -= j.cpu_per_gpu * j.gpus;
  allocated_memory -= j.memory_per_gpu * j.gpus;
  // Swap-remove from the running list; its order never matters (victims are sorted by key).
  const auto at = static_cast<size_t>(j.running_slot);
  running_list[at] = running_list.back();
  job(running_list[at]).running_slot = static_cast<std::int32_t>(at);
  running_list.pop_back();
  j.running_slot = -1;
  j.pending_since = now;
  --holding;
  CapacityGrew();
}

void SchedulerCore::Release(Slot s, SimTime now) {
  const bool done = job(s).then_done;
  StopJob(s, now, /*release=*/true, /*credit=*/true);
  job(s).then_done = false;
  if (done) {
    Retire(s);
  } else {
    Enqueue(s, now);
  }
}

void SchedulerCore::Retire(Slot s) { FreeSlot(s); }

void SchedulerCore::CapacityGrew() {
  ++capacity_version;
  std::fill(min_failed.begin(), min_failed.end(), INT_MAX);
  std::fill(min_failed_outside.begin(), min_failed_outside.end(), INT_MAX);
  std::fill(min_failed_preempt.begin(), min_failed_preempt.end(), INT_MAX);
}

// --- failure caches ---

void SchedulerCore::RememberFailure(const SchedJob& j) {
  min_failed[FailureSlot(j)] = std::min(min_failed[FailureSlot(j)], j.gpus);
}

namespace {

// Appends the allocation's GPUs per subtree of `level`, leaving out the nodes `skip` accepts.
// Nodes are sorted by id and every subtree owns a contiguous id range, so the GPUs of one subtree
// are one run of consecutive entries.
template <typename Skip>
void AppendSpans(const Fleet& fleet, const Allocation& a, Level level, Skip skip,
                 std::vector<std::pair<TopoId, std::int32_t>>& out) {
  const size_t first = out.size();
  for (const NodeGpus& ng : a.nodes) {
    if (skip(ng)) continue;
    const TopoId t = fleet.Ancestor(ng.node, level);
    const int gpus = std::popcount(ng.mask);
    if (out.size() > first && out.back().first == t) {
      out.back().second += gpus;
    } else {
      out.emplace_back(t, gpus);
    }
  }
}

}  // namespace

void SchedulerCore::ComputeSpans(SchedJob& j) const {
  j.spans.clear();
  for (int l = 0; l < static_cast<int>(Level::kNode); ++l) {
    j.span_begin[static_cast<size_t>(l)] = static_cast<std::uint32_t>(j.spans.size());
    AppendSpans(
        fleet, j.alloc, static_cast<Level>(l), [](const NodeGpus&) { return false; }, j.spans);
  }
  j.span_begin[static_cast<size_t>(Level::kNode)] = static_cast<std::uint32_t>(j.spans.size());
}

int& SchedulerCore::SubtreeCounter(TopoId t, ModelId m) {
  if (counter_stamp_[static_cast<size_t>(t)] != counter_generation_) {
    counter_stamp_[static_cast<size_t>(t)] = counter_generation_;
    counter_value_[static_cast<size_t>(t)] = index.Free(t, m);
  }
  return counter_value_[static_cast<size_t>(t)];
}

bool SchedulerCore::EverFits(const GangRequest& r) {
  const auto key = std::make_tuple(r.gpus, r.milli, r.cpu_per_gpu, r.memory_per_gpu, r.model,
                                   static_cast<int>(r.constraint));
  const auto it = ever_fits_.find(key);
  if (it != ever_fits_.end()) return it->second;
  // A pure cache: a process that runs for months sees unboundedly many shapes, so it is bounded.
  if (ever_fits_.size() >= 4096) ever_fits_.clear();
  if (!empty_index_) empty_index_ = std::make_unique<CapacityIndex>(fleet);
  const std::optional<Allocation> a = empty_index_->Place(r);
  if (a) empty_index_->Release(*a);
  return ever_fits_[key] = a.has_value();
}

bool SchedulerCore::AnyWaitingCouldStartWhenHealthy() {
  if (!empty_index_) empty_index_ = std::make_unique<CapacityIndex>(fleet);
  static const std::vector<AdmissionGuard::Load> kNoneLeaving;
  for (const QueueKey& k : queue) {
    const Slot s = k.slot;
    const std::optional<Allocation> a = empty_index_->Place(RequestOf(job(s)));
    if (!a) continue;
    empty_index_->Release(*a);
    // A training job that refuses even the best-fit placement on the healthy fleet would wait for
    // ever.
    if (hooks.judge != nullptr && !hooks.judge->Accepts(k.id, *a)) continue;
    if (hooks.admission == nullptr) return true;
    refusing_.clear();
    // Nothing runs: the guard sees an idle fleet.
    hooks.admission->Refusing({&*a, job(s).power_utilization}, kNoneLeaving, refusing_);
    if (refusing_.empty()) return true;
  }
  return false;
}

PendingReason SchedulerCore::ReasonOf(Slot s, const std::function<std::int64_t()>& ahead) const {
  const SchedJob& j = job(s);
  if (j.Planning()) {
    PendingReason r = BasicReason(j);
    r.code = WaitReason::kPreempting;
    r.ahead = j.head->awaiting_victims;  // 0: they let go, it starts at the next pass
    return r;
  }
  if (j.reason_pass == examination && j.reason != WaitReason::kNone) {
    // Reasons marked without their numbers (MarkReason) get them now.
    if (j.reason == WaitReason::kCapacity) return NoRoomReason(j);
    if (std::optional<PendingReason> r = policy->Explain(*this, s, j.reason)) return *r;
    // Its victims let go since the pass: it waits for the next pass to take their GPUs.
    if (j.reason == WaitReason::kPreempting) return NoRoomReason(j);
    return reason_details[static_cast<size_t>(s)];
  }
  // Submitted, or back in the queue (interrupted, preempted), since the last examination.
  if (std::find(new_jobs.begin(), new_jobs.end(), j.id) != new_jobs.end() ||
      j.pending_since > last_examined_at) {
    return PendingReason{};
  }
  return policy->Unexamined(*this, s, ahead());
}

}  // namespace gpufleet

namespace gpufleet {

Scheduler::NodeLoss SchedulerCore::TakeNodeDown(NodeId n, SimTime now, NodeState to) {
  AbandonPlansOn(n);
  const std::vector<JobId> on = node_jobs[static_cast<size_t>(n)];  // ascending
  Scheduler::NodeLoss hit;
  for (JobId id : on) {
    const Slot s = *SlotOf(id);
    if (job(s).state == JobState::kStopping) {
      Release(s, now);
      hit.released.push_back(id);
      continue;
    }
    StopJob(s, now, /*release=*/true, /*credit=*/job(s).state == JobState::kRunning);
    Enqueue(s, now);
    hit.interrupted.push_back(id);
  }
  nodes[static_cast<size_t>(n)] = to;
  index.SetNodeUp(n, false);
  policy->OnNodesChanged(*this);
  CapacityGrew();  // not more capacity, but a different one: cached failures no longer hold
  return hit;
}

void SchedulerCore::AbandonPlansOn(NodeId n) {
  for (Slot head : std::vector<Slot>(planning_heads)) {
    const auto& plan = job(head).head->plan.nodes;
    if (std::any_of(plan.begin(), plan.end(), [n](const NodeGpus& p) { return p.node == n; }))
      AbandonPlan(head);
  }
}

void SchedulerCore::BringNodeUp(NodeId n) {
  nodes[static_cast<size_t>(n)] = NodeState::kUp;
  index.SetNodeUp(n, Placeable(n));
  policy->OnNodesChanged(*this);
  CapacityGrew();
}

void SchedulerCore::SetDraining(NodeId n, bool drain) {
  if (drain) AbandonPlansOn(n);  // it will not take them
  draining[static_cast<size_t>(n)] = drain ? 1 : 0;
  draining_count += drain ? 1 : -1;
  index.SetNodeUp(n, Placeable(n));
  policy->OnNodesChanged(*this);
  CapacityGrew();  // a different capacity: cached failures no longer hold
}

SchedulerCore::SpanRange SchedulerCore::ReusableSpansAt(
    const SchedJob& j, Level level, std::vector<std::pair<TopoId, std::int32_t>>& scratch) const {
  const auto on_draining = [this](const NodeGpus& ng) {
    return draining[static_cast<size_t>(ng.node)] != 0;
  };
  if (draining_count == 0 || std::none_of(j.alloc.nodes.begin(), j.alloc.nodes.end(), on_draining))
    return SpansAt(j, level);
  scratch.clear();
  AppendSpans(fleet, j.alloc, level, on_draining, scratch);
  return {scratch.data(), scratch.data() + scratch.size()};
}

std::optional<std::string> SchedulerCore::NeverFits(const SchedJob& j) {
  const GangRequest request = RequestOf(j);
  const Level level = ConstraintLevel(j.topology);
  int most = 0;
  for (ModelId m = 0; m < static_cast<ModelId>(fleet.gpu_models().size()); ++m) {
    if (request.Allows(m)) most = std::max(most, index.Capacity(level, m));
  }
  // What one node of the job's model can give: GPUs (a share must sit on one node), CPU, memory.
  int node_gpus = 0;
  std::int64_t node_cpu = 0, node_memory = 0;
  for (size_t m = 0; m < node_max.size(); ++m) {
    if (!request.Allows(static_cast<ModelId>(m))) continue;
    node_gpus = std::max(node_gpus, node_max[m].gpus);
    node_cpu = std::max(node_cpu, node_max[m].cpu);
    node_memory = std::max(node_memory, node_max[m].memory);
  }
  if (j.milli < kMilliPerGpu && j.gpus > node_gpus) {
    return "shares GPUs, so needs its " + std::to_string(j.gpus) +
           " GPUs on one node, but nodes have at most " + std::to_string(node_gpus);
  }
  if (j.cpu_per_gpu > node_cpu) {
    return "needs " + std::to_string(j.cpu_per_gpu) +
           " milli-CPU beside each GPU, more than a node has";
  }
  if (j.memory_per_gpu > node_memory) {
    return "needs " + std::to_string(j.memory_per_gpu) +
           " MiB beside each GPU, more than a node has";
  }
  // The power bound counts GPUs at full draw: a job's share and utilization scale its GPUs.
  const double full_draw_gpus =
      static_cast<double>(j.gpus) * j.milli / kMilliPerGpu * std::max(0.0f, j.power_utilization);
  if (hooks.admission != nullptr && j.gpus <= most &&
      full_draw_gpus > static_cast<double>(hooks.admission->MostGpusEver(request)) + 1e-9) {
    return "needs more power than the sites' budgets allow: at most " +
           std::to_string(hooks.admission->MostGpusEver(request)) + " GPUs fit in one " +
           std::string(LevelName(level)) + " (topology: " + TopologyName(j.topology) + ")";
  }
  if (j.gpus <= most && !request.WholeGpusOnly() && !EverFits(request)) {
    return "cannot be placed even on the empty fleet: its GPU share, CPU or memory per GPU does "
           "not fit the nodes of one " +
           std::string(LevelName(level)) + " (topology: " + TopologyName(j.topology) + ")";
  }
  if (j.gpus > most) {
    const std::string model = j.model == kAnyModel
                                  ? "GPUs"
                                  : fleet.gpu_models()[static_cast<size_t>(j.model)].name + " GPUs";
    return "needs " + std::to_string(j.gpus) + " " + model + " inside one " + LevelName(level) +
           " (topology: " + TopologyName(j.topology) +
           "), but the largest such subtree of the fleet has " + std::to_string(most);
  }
  return std::nullopt;
}

}  // namespace gpufleet

namespace gpufleet {

void SchedulerCore::HandOver(Slot head, const Allocation& freed) {
  HeadPlan& h = *job(head).head;
  Allocation part;
  part.model = h.plan.model;
  part.milli = h.plan.milli;
  part.cpu_per_gpu = h.plan.cpu_per_gpu;
  part.memory_per_gpu = h.plan.memory_per_gpu;
  for (const NodeGpus& ng : freed.nodes) {
    const auto it = std::lower_bound(h.plan.nodes.begin(), h.plan.nodes.end(), ng.node,
                                     [](const NodeGpus& p, NodeId n) { return p.node < n; });
    if (it == h.plan.nodes.end() || it->node != ng.node) continue;
    const std::uint64_t bits = it->mask & ng.mask;
    if (bits != 0) part.nodes.push_back({ng.node, bits});
  }
  if (part.nodes.empty() || !index.CanTake(part)) return;
  index.Take(part);
  // Merge into what is held, by node.
  for (const NodeGpus& ng : part.nodes) {
    auto it = std::lower_bound(h.held.nodes.begin(), h.held.nodes.end(), ng.node,
                               [](const NodeGpus& p, NodeId n) { return p.node < n; });
    if (it != h.held.nodes.end() && it->node == ng.node) {
      it->mask |= ng.mask;
    } else {
      h.held.nodes.insert(it, ng);
    }
  }
  h.held.model = part.model;
  h.held.milli = part.milli;
  h.held.cpu_per_gpu = part.cpu_per_gpu;
  h.held.memory_per_gpu = part.memory_per_gpu;
}

void SchedulerCore::AbandonPlan(Slot head) {
  SchedJob& h = job(head);
  if (!h.head->held.empty()) {
    index.Release(h.head->held);
    CapacityGrew();
  }
  h.head.reset();
  std::erase(planning_heads, head);
  std::erase(ready_heads, head);
}

void SchedulerCore::StartReadyHeads(SimTime now, std::vector<Decision>& out) {
  if (ready_heads.empty()) return;
  std::vector<Slot> ready = std::move(ready_heads);
  ready_heads.clear();
  std::sort(ready.begin(), ready.end(), [this](Slot x, Slot y) { return job(x).id < job(y).id; });
  static const std::vector<AdmissionGuard::Load> kNoneLeaving;
  for (Slot head : ready) {
    SchedJob& h = job(head);
    if (h.state != JobState::kPending || !h.Planning() || h.head->awaiting_victims > 0) continue;
    // Everything held, and the sites can still power it (others may have started meanwhile).
    bool whole = h.head->held.Gpus() == h.head->plan.Gpus();
    if (whole && hooks.admission != nullptr) {
      refusing_.clear();
      hooks.admission->Refusing({&h.head->held, h.power_utilization}, kNoneLeaving, refusing_);
      whole = refusing_.empty();
    }
    if (!whole) {
      AbandonPlan(head);  // it waits as any job would
      continue;
    }
    Allocation alloc = std::move(h.head->held);
    h.head.reset();
    std::erase(planning_heads, head);
    StartJob(head, std::move(alloc), now, out);
  }
}

}  // namespace gpufleet
