// Snapshot and restore of the whole scheduler state: jobs (queue, running, stopping), nodes, the
// pass bookkeeping that decides how much the next pass does, and the policy's own state (fairshare
// usage, las promotion bases, backfill's reservation). What derives from these - the queue order,
// the capacity index, per-node job lists, counters, the policies' ordered sets - is rebuilt, so a
// restored scheduler takes exactly the decisions the original would have taken.
//
// Versioned, and refused (kFailedPrecondition) for another fleet, policy, configuration or set of
// tenants; a short or inconsistent snapshot is kDataLoss, never undefined behaviour, and a failed
// restore changes nothing. Restore replaces the whole state. The admission guard keeps its own
// account (it is not told of the restored jobs): its owner restores it beside the scheduler.
#include <algorithm>
#include <type_traits>

#include "sched/core.h"
#include "util/byte_codec.h"

namespace gpufleet {
namespace {

constexpr std::uint32_t kMagic = 0x47465343;  // "GFSC"
// 2: nodes' drain flags; 3: backfill's power hold; 4: the dispatch policy in the fingerprint
constexpr std::uint32_t kVersion = 4;

// Everything a snapshot must agree on with the scheduler it is restored into.
std::string Fingerprint(const SchedulerCore& c) {
  ByteWriter w;
  w.PutString(c.config.policy);
  w.Put(c.config.bf_max_job_test);
  w.Put(static_cast<std::uint64_t>(c.config.las_thresholds.size()));
  for (std::int64_t t : c.config.las_thresholds) w.Put(t);
  w.PutDouble(c.config.las_promote_knob);
  w.Put(c.config.fairshare_half_life_ms);
  w.Put(c.config.confirm_stops);
  w.Put(c.config.nodes_present);
  w.Put(static_cast<std::uint8_t>(c.config.dispatch));
  w.Put(c.config.hourly_carbon);
  w.Put(c.fleet.num_nodes());
  w.Put(static_cast<std::uint64_t>(c.fleet.topo().size()));
  w.Put(static_cast<std::uint64_t>(c.fleet.gpu_models().size()));
  for (NodeId n = 0; n < c.fleet.num_nodes(); ++n) w.Put(c.fleet.NodeGpus(n));
  w.Put(static_cast<std::uint64_t>(c.tenants.size()));
  for (const Tenant& t : c.tenants) {
    w.PutString(t.name);
    w.PutDouble(t.weight);
    w.Put(t.quota_gpus.value_or(-1));
  }
  return w.Take();
}

// One list of fields for both directions, so that what is written is what is read.
struct Writing {
  ByteWriter& w;
  template <typename T>
  void operator()(const T& v) {
    if constexpr (std::is_same_v<T, float>) {
      w.PutFloat(v);
    } else {
      w.Put(v);
    }
  }
};
struct Reading {
  ByteReader& r;
  template <typename T>
  void operator()(T& v) {
    if constexpr (std::is_same_v<T, float>) {
      r.GetFloat(v);
    } else {
      r.Get(v);
    }
  }
};

template <typename IO, typename Reason>
void ReasonFields(IO& io, Reason& p) {
  io(p.code);
  io(p.level);
  io(p.model);
  io(p.wanted);
  io(p.most_free);
  io(p.where);
  io(p.until);
  io(p.blocker);
  io(p.ahead);
  io(p.held);
  io(p.quota);
}

// Every field of a job but its allocations.
template <typename IO, typename Job>
void JobFields(IO& io, Job& j) {
  io(j.id);
  io(j.state);
  io(j.then_done);
  io(j.epoch);
  io(j.submit);
  io(j.estimate);
  io(j.attained);
  io(j.run_start);
  io(j.started_at);
  io(j.est_end);
  io(j.gpus);
  io(j.milli);
  io(j.cpu_per_gpu);
  io(j.memory_per_gpu);
  io(j.priority);
  io(j.power_utilization);
  io(j.model);
  io(j.model_mask);
  io(j.topology);
  io(j.tenant);
  io(j.pending_since);
  io(j.stopped_at);
  io(j.seq);
  io(j.stopping_for);
  io(j.stopping_round);
  io(j.reason);
  io(j.reason_pass);
  io(j.last_wait);
}

void PutAllocation(ByteWriter& w, const Allocation& a) {
  w.Put(a.model);
  w.Put(a.milli);
  w.Put(a.cpu_per_gpu);
  w.Put(a.memory_per_gpu);
  w.Put(static_cast<std::uint64_t>(a.nodes.size()));
  for (const NodeGpus& ng : a.nodes) {
    w.Put(ng.node);
    w.Put(ng.mask);
  }
}

// Nodes ascending, each once, only GPUs the node has; the model one of the fleet's (or any, for
// an empty allocation).
void GetAllocation(ByteReader& r, Allocation& a, const SchedulerCore& c) {
  r.Get(a.model);
  r.Get(a.milli);
  r.Get(a.cpu_per_gpu);
  r.Get(a.memory_per_gpu);
  std::uint64_t nodes = 0;
  r.GetCount(nodes, sizeof(NodeId) + sizeof(std::uint64_t));
  a.nodes.resize(nodes);
  NodeId previous = -1;
  for (NodeGpus& ng : a.nodes) {
    r.Get(ng.node);
    r.Get(ng.mask);
    if (ng.node <= previous || ng.node >= c.fleet.num_nodes() || ng.mask == 0 ||
        (ng.mask >> c.fleet.NodeGpus(ng.node)) != 0) {
      r.Fail();
      return;
    }
    previous = ng.node;
  }
  const auto models = static_cast<ModelId>(c.fleet.gpu_models().size());
  if (!a.nodes.empty() && (a.model < 0 || a.model >= models)) r.Fail();
  for (const NodeGpus& ng : a.nodes) {
    if (!a.nodes.empty() && c.fleet.NodeModel(ng.node) != a.model) r.Fail();
  }
}

void PutJob(ByteWriter& w, const SchedJob& j) {
  Writing out{w};
  JobFields(out, j);
  PutAllocation(w, j.alloc);
  w.Put(j.Planning());
  if (j.Planning()) {
    PutAllocation(w, j.head->plan);
    PutAllocation(w, j.head->held);
    w.Put(j.head->awaiting_victims);
    w.Put(j.head->round);
  }
}

// Reads one job and checks what would otherwise break the core: enums, ids, node ranges.
void GetJob(ByteReader& r, SchedJob& j, const SchedulerCore& c) {
  Reading in{r};
  JobFields(in, j);
  if (static_cast<int>(j.reason) >= kWaitReasons) r.Fail();
  GetAllocation(r, j.alloc, c);
  if (r.failed()) return;
  bool planning = false;
  r.Get(planning);
  if (planning) {
    j.head = std::make_unique<SchedJob::HeadPlan>();
    SchedJob::HeadPlan& h = *j.head;
    GetAllocation(r, h.plan, c);
    GetAllocation(r, h.held, c);
    r.Get(h.awaiting_victims);
    r.Get(h.round);
    if (r.failed()) return;
    // What a head holds is part of its plan, of its share and host resources, and only a waiting
    // job plans.
    if (j.state != JobState::kPending || h.plan.empty() || h.plan.milli != j.milli ||
        h.plan.cpu_per_gpu != j.cpu_per_gpu || h.plan.memory_per_gpu != j.memory_per_gpu ||
        h.plan.Gpus() != j.gpus || h.awaiting_victims < 0) {
      r.Fail();
    }
    if (!h.held.empty()) {
      if (h.held.milli != h.plan.milli || h.held.model != h.plan.model ||
          h.held.cpu_per_gpu != h.plan.cpu_per_gpu ||
          h.held.memory_per_gpu != h.plan.memory_per_gpu) {
        r.Fail();
      }
      for (const NodeGpus& hg : h.held.nodes) {
        const auto it = std::find_if(h.plan.nodes.begin(), h.plan.nodes.end(),
                                     [&](const NodeGpus& p) { return p.node == hg.node; });
        if (it == h.plan.nodes.end() || (hg.mask & ~it->mask) != 0) r.Fail();
      }
    }
  }
  const auto models = static_cast<ModelId>(c.fleet.gpu_models().size());
  // As Submit accepts them: host resources to 2^50, times and durations to 2^60 ms (an estimated
  // end, a time plus a duration, to twice that).
  constexpr std::int64_t kLimit = std::int64_t{1} << 50;
  auto time_ok = [](SimTime t) { return t >= -1 && t <= kLatestTime; };
  if (!time_ok(j.submit) || !time_ok(j.estimate) || !time_ok(j.attained) || !time_ok(j.run_start) ||
      !time_ok(j.started_at) || j.est_end < -1 || j.est_end > 2 * kLatestTime ||
      !time_ok(j.pending_since) || !time_ok(j.stopped_at) || j.cpu_per_gpu < 0 ||
      j.cpu_per_gpu > kLimit || j.memory_per_gpu < 0 || j.memory_per_gpu > kLimit) {
    r.Fail();
  }
  if (j.HoldsGpus() && (j.alloc.milli != j.milli || j.alloc.cpu_per_gpu != j.cpu_per_gpu ||
                        j.alloc.memory_per_gpu != j.memory_per_gpu)) {
    r.Fail();
  }
  if (j.id < 0 || static_cast<int>(j.state) > static_cast<int>(JobState::kStopping) || j.gpus < 1 ||
      j.milli < 1 || j.milli > kMilliPerGpu ||
      (j.model != kAnyModel && (j.model < 0 || j.model >= models)) ||
      static_cast<int>(j.topology) > static_cast<int>(Topology::kAny) || j.tenant < 0 ||
      static_cast<size_t>(j.tenant) >= c.tenants.size() ||
      static_cast<int>(j.last_wait) >= kWaitReasons || j.HoldsGpus() != !j.alloc.nodes.empty() ||
      (j.HoldsGpus() && (j.alloc.model < 0 || j.alloc.model >= models))) {
    r.Fail();
  }
}

template <typename T>
void PutVector(ByteWriter& w, const std::vector<T>& v) {
  w.Put(static_cast<std::uint64_t>(v.size()));
  for (const T& x : v) w.Put(x);
}

template <typename T>
void GetVector(ByteReader& r, std::vector<T>& v) {
  std::uint64_t n = 0;
  r.GetCount(n, sizeof(T));
  v.assign(n, T{});
  for (T& x : v) r.Get(x);
}

Error Corrupt(const std::string& what) {
  return Error{"scheduler snapshot: " + what, ErrorCode::kDataLoss};
}

}  // namespace

std::string Scheduler::Snapshot() const {
  const SchedulerCore& c = *core_;
  ByteWriter w;
  w.Put(kMagic);
  w.Put(kVersion);
  w.PutString(Fingerprint(c));
  w.Put(c.last_now);
  w.Put(c.capacity_version);
  w.Put(c.last_pass_version);
  w.Put(c.examination);
  w.Put(c.last_examined_at);
  w.Put(c.last_head_seq);
  w.Put(c.next_seq);
  w.Put(c.next_round);
  w.Put(c.victims_version);
  w.Put(c.force_pass);
  PutVector(w, c.new_jobs);
  PutVector(w, c.min_failed);
  PutVector(w, c.min_failed_outside);
  PutVector(w, c.min_failed_preempt);
  PutVector(w, c.nodes);
  PutVector(w, c.draining);
  w.Put(static_cast<std::uint64_t>(c.jobs.size()));
  for (size_t s = 0; s < c.jobs.size(); ++s) {
    w.Put(c.jobs[s].live);
    if (!c.jobs[s].live) continue;
    PutJob(w, c.jobs[s]);
    Writing out{w};
    ReasonFields(out, c.reason_details[s]);
  }
  PutVector(w, c.free_slots);
  PutVector(w, c.running_list);
  c.policy->Save(c, w);
  return w.Take();
}

Status Scheduler::Restore(std::string_view snapshot) {
  // The state is rebuilt in a new core and swapped in only when all of it is sound, so a failed
  // restore changes nothing.
  const SchedulerCore& old = *core_;
  auto fresh = std::make_unique<SchedulerCore>(old.fleet, old.config, old.tenants, old.hooks,
                                               FindPolicy(old.config.policy)->make(old.config));
  SchedulerCore& c = *fresh;
  ByteReader r(snapshot);
  std::uint32_t magic = 0, version = 0;
  r.Get(magic);
  r.Get(version);
  if (r.failed() || magic != kMagic) return Corrupt("not a gpufleet scheduler snapshot");
  if (version != kVersion) {
    return Error{"scheduler snapshot: version " + std::to_string(version) +
                     " is not supported (this build reads version " + std::to_string(kVersion) +
                     ")",
                 ErrorCode::kFailedPrecondition};
  }
  std::string fingerprint;
  r.GetString(fingerprint);
  if (r.failed()) return Corrupt("truncated");
  if (fingerprint != Fingerprint(c)) {
    return Error{"scheduler snapshot: taken with another fleet, policy, configuration or tenants",
                 ErrorCode::kFailedPrecondition};
  }
  r.Get(c.last_now);
  if (c.last_now < 0 || c.last_now > kLatestTime) return Corrupt("its clock is out of range");
  r.Get(c.capacity_version);
  r.Get(c.last_pass_version);
  r.Get(c.examination);
  r.Get(c.last_examined_at);
  r.Get(c.last_head_seq);
  r.Get(c.next_seq);
  r.Get(c.next_round);
  r.Get(c.victims_version);
  r.Get(c.force_pass);
  const size_t failure_slots = c.min_failed.size();
  GetVector(r, c.new_jobs);
  GetVector(r, c.min_failed);
  GetVector(r, c.min_failed_outside);
  GetVector(r, c.min_failed_preempt);
  std::vector<NodeState> nodes;
  GetVector(r, nodes);
  std::vector<std::uint8_t> draining;
  GetVector(r, draining);
  if (r.failed() || c.min_failed.size() != failure_slots ||
      c.min_failed_outside.size() != failure_slots ||
      c.min_failed_preempt.size() != failure_slots || nodes.size() != c.nodes.size() ||
      draining.size() != c.nodes.size() ||
      std::any_of(draining.begin(), draining.end(), [](std::uint8_t d) { return d > 1; }) ||
      std::any_of(nodes.begin(), nodes.end(), [](NodeState s) {
        return static_cast<int>(s) > static_cast<int>(NodeState::kAbsent);
      })) {
    return Corrupt("its bookkeeping or node states do not fit this fleet");
  }
  c.nodes = std::move(nodes);
  c.draining = std::move(draining);
  c.draining_count = static_cast<std::int32_t>(std::count(c.draining.begin(), c.draining.end(), 1));
  // Draining nodes are up while their jobs' GPUs are taken below, then out of placement.
  for (NodeId n = 0; n < c.fleet.num_nodes(); ++n) {
    const bool up = c.nodes[static_cast<size_t>(n)] == NodeState::kUp;
    if (up != c.index.NodeUp(n)) c.index.SetNodeUp(n, up);
  }
  std::uint64_t slots = 0;
  r.GetCount(slots, 1);
  c.jobs.resize(slots);
  c.reason_details.resize(slots);
  for (size_t s = 0; s < slots; ++s) {
    SchedJob& j = c.jobs[s];
    r.Get(j.live);
    if (j.live) {
      GetJob(r, j, c);
      PendingReason& why = c.reason_details[s];
      Reading in{r};
      ReasonFields(in, why);
      if (static_cast<int>(why.code) >= kWaitReasons || why.level > Level::kNode) r.Fail();
    }
    if (r.failed()) return Corrupt("a job is truncated or out of range");
  }
  GetVector(r, c.free_slots);
  GetVector(r, c.running_list);
  if (r.failed()) return Corrupt("truncated");

  // Cross-checks: every slot is either free (listed once) or holds a job with a unique id; the
  // running list holds exactly the jobs holding GPUs.
  std::vector<char> seen(c.jobs.size(), 0);
  for (Slot s : c.free_slots) {
    if (s < 0 || static_cast<size_t>(s) >= c.jobs.size() || c.job(s).live ||
        seen[static_cast<size_t>(s)]++) {
      return Corrupt("its free slots do not match its jobs");
    }
  }
  for (Slot s = 0; s < static_cast<Slot>(c.jobs.size()); ++s) {
    const SchedJob& j = c.job(s);
    if (!j.live) {
      if (!seen[static_cast<size_t>(s)]) return Corrupt("a slot is neither free nor used");
      continue;
    }
    if (!c.slot_of.Insert(j.id, s)) return Corrupt("two jobs have id " + std::to_string(j.id));
    if (j.HoldsGpus()) ++c.holding;
  }
  if (c.running_list.size() != c.holding)
    return Corrupt("its running list does not match its jobs");
  for (size_t i = 0; i < c.running_list.size(); ++i) {
    const Slot s = c.running_list[i];
    if (s < 0 || static_cast<size_t>(s) >= c.jobs.size() || !c.job(s).live ||
        !c.job(s).HoldsGpus() || c.job(s).running_slot >= 0) {
      return Corrupt("its running list does not match its jobs");
    }
    c.job(s).running_slot = static_cast<std::int32_t>(i);
  }
  // Allocations are taken one by one so that two jobs claiming one GPU are found, not believed.
  for (SchedJob& j : c.jobs) {
    if (!j.live || !j.HoldsGpus()) continue;
    if (!c.index.CanTake(j.alloc)) {
      return Corrupt("job " + std::to_string(j.id) +
                     " holds GPUs that another holds, or on a node that is not up");
    }
    c.index.Take(j.alloc);
    c.index.CountTags(j.alloc, +1);
    c.ComputeSpans(j);
    for (const NodeGpus& ng : j.alloc.nodes)
      c.node_jobs[static_cast<size_t>(ng.node)].push_back(j.id);
    c.allocated_milli += static_cast<std::int64_t>(j.gpus) * j.milli;
    c.allocated_cpu += j.cpu_per_gpu * j.gpus;
    c.allocated_memory += j.memory_per_gpu * j.gpus;
  }
  for (auto& on : c.node_jobs) std::sort(on.begin(), on.end());
  // What waiting heads hold of their plans, likewise; and which heads plan, and are ready.
  for (Slot s = 0; s < static_cast<Slot>(c.jobs.size()); ++s) {
    const SchedJob& j = c.job(s);
    if (!j.live || !j.Planning()) continue;
    if (!j.head->held.empty()) {
      if (!c.index.CanTake(j.head->held)) {
        return Corrupt("job " + std::to_string(j.id) +
                       " is held GPUs that another holds, or on a node that is not up");
      }
      c.index.Take(j.head->held);
    }
    c.planning_heads.push_back(s);
    if (j.head->awaiting_victims == 0) c.ready_heads.push_back(s);
  }
  for (NodeId n = 0; n < c.fleet.num_nodes(); ++n) {
    if (c.draining[static_cast<size_t>(n)] != 0 && c.index.NodeUp(n)) c.index.SetNodeUp(n, false);
  }
  if (Status s = c.policy->Load(c, r); !s.ok()) return s;
  if (r.failed() || !r.done())
    return Corrupt("the policy's state is truncated or followed by junk");
  c.policy->OnRestored(c);  // before the queue: a policy's key may read what it rebuilds
  for (Slot s = 0; s < static_cast<Slot>(c.jobs.size()); ++s) {
    if (c.job(s).live && c.job(s).state == JobState::kPending && c.queue.insert(c.KeyOf(s)).second)
      c.queued_milli += static_cast<std::int64_t>(c.job(s).gpus) * c.job(s).milli;
  }
  if (std::optional<std::string> e = c.CheckInvariants()) return Corrupt(*e);
  core_ = std::move(fresh);
  return Status::Ok();
}

}  // namespace gpufleet
