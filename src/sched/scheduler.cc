// The checked API: every call validates its ids, the state it expects and its time before it
// changes anything, then hands over to the core (core.h) and the policy (policy.h).
#include "sched/scheduler.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <iterator>

#include "sched/core.h"

namespace gpufleet {
namespace {

Error Wrong(std::string message, ErrorCode code = ErrorCode::kFailedPrecondition) {
  return Error{std::move(message), code};
}

std::string JobName(JobId id) { return "job " + std::to_string(id); }

// An answer about a run: the job must be in one of `states` (named `expected` in the error) and at
// run `epoch`, or the answer is about an earlier run and is refused.
Status ExpectRun(JobId id, const SchedJob& j, std::initializer_list<JobState> states,
                 const char* expected, Epoch epoch) {
  if (std::find(states.begin(), states.end(), j.state) == states.end())
    return Wrong(JobName(id) + " is " + JobStateName(j.state) + ", not " + expected);
  if (j.epoch != epoch) {
    return Wrong(JobName(id) + ": run " + std::to_string(epoch) + " is stale (the current one is " +
                 std::to_string(j.epoch) + ")");
  }
  return Status::Ok();
}

}  // namespace

JobRequest RequestFor(const JobSpec& spec) {
  JobRequest r;
  r.estimate = spec.estimate;
  r.gpus = spec.gpus;
  r.gpu_milli = spec.gpu_milli;
  r.cpu_milli = spec.cpu_milli;
  r.memory_mib = spec.memory_mib;
  r.priority = spec.priority;
  r.power_utilization = spec.power_utilization;
  r.gpu_model = spec.gpu_model;
  r.allowed_models = spec.gpu_model == kAnyModel ? spec.allowed_models : 0;
  r.tenant = spec.tenant;
  r.topology = spec.topology;
  return r;
}

const char* JobStateName(JobState s) {
  switch (s) {
    case JobState::kPending:
      return "pending";
    case JobState::kStarting:
      return "starting";
    case JobState::kRunning:
      return "running";
    case JobState::kStopping:
      return "stopping";
  }
  return "?";
}

Result<Scheduler> Scheduler::Create(const Fleet& fleet, SchedulerConfig config,
                                    std::vector<Tenant> tenants, SchedulerHooks hooks) {
  const PolicyInfo* info = FindPolicy(config.policy);
  if (info == nullptr) {
    return Error{
        "unknown scheduling policy '" + config.policy + "': expected one of " + PolicyNames(),
        ErrorCode::kInvalidArgument};
  }
  if (info->oracle && hooks.oracle == nullptr) {
    return Error{"policy '" + config.policy +
                     "' is an oracle: it reads true job durations, which only the simulator "
                     "knows; it cannot run here",
                 ErrorCode::kInvalidArgument};
  }
  if (config.bf_max_job_test < 0) {
    return Error{"bf_max_job_test must be at least 0", ErrorCode::kInvalidArgument};
  }
  if (!std::is_sorted(config.las_thresholds.begin(), config.las_thresholds.end())) {
    return Error{"las thresholds must be ascending", ErrorCode::kInvalidArgument};
  }
  if (config.fairshare_half_life_ms <= 0) {
    return Error{"the fairshare half-life must be positive", ErrorCode::kInvalidArgument};
  }
  for (const Tenant& t : tenants) {
    if (!(t.weight > 0) || !std::isfinite(t.weight)) {
      return Error{"tenant '" + t.name + "': weight must be a positive number",
                   ErrorCode::kInvalidArgument};
    }
  }
  auto policy = info->make(config);
  return Scheduler(std::make_unique<SchedulerCore>(fleet, std::move(config), std::move(tenants),
                                                   hooks, std::move(policy)));
}

Scheduler::Scheduler(std::unique_ptr<SchedulerCore> core) : core_(std::move(core)) {}
Scheduler::Scheduler(Scheduler&&) noexcept = default;
Scheduler& Scheduler::operator=(Scheduler&&) noexcept = default;
Scheduler::~Scheduler() = default;

// --- the checks every call shares ---

#define GPUFLEET_CHECK_TIME(now)                                                                  \
  if ((now) < core_->last_now) {                                                                  \
    return Wrong("time " + std::to_string(now) + " ms is earlier than the last call's " +         \
                     std::to_string(core_->last_now) + " ms: time never goes back",               \
                 ErrorCode::kOutOfRange);                                                         \
  }                                                                                               \
  if ((now) > kLatestTime) {                                                                      \
    return Wrong(                                                                                 \
        "time " + std::to_string(now) + " ms is past the latest the scheduler accepts (2^60 ms)", \
        ErrorCode::kOutOfRange);                                                                  \
  }                                                                                               \
  static_assert(true, "")

#define GPUFLEET_FIND_JOB(slot, id)                                                     \
  const std::optional<Slot> slot##_found = core_->SlotOf(id);                           \
  if (!slot##_found) return Wrong(JobName(id) + " is not known", ErrorCode::kNotFound); \
  const Slot slot = *slot##_found

#define GPUFLEET_CHECK_NODE(n)                                                   \
  if ((n) < 0 || (n) >= core_->fleet.num_nodes()) {                              \
    return Wrong("node " + std::to_string(n) + " is not in the fleet (it has " + \
                     std::to_string(core_->fleet.num_nodes()) + " nodes)",       \
                 ErrorCode::kNotFound);                                          \
  }                                                                              \
  static_assert(true, "")

// --- events in ---

namespace {

// The job a request describes, checked: an error for a request that makes no sense
// (kInvalidArgument) or that can never run on this fleet (kUnsatisfiable).
Result<SchedJob> CheckedJob(SchedulerCore& c, JobId id, const JobRequest& r, SimTime now) {
  const std::string who = JobName(id);
  auto invalid = [&](const std::string& what) {
    return Wrong(who + ": " + what, ErrorCode::kInvalidArgument);
  };
  if (id < 0) return invalid("job ids are non-negative");
  const auto models = static_cast<ModelId>(c.fleet.gpu_models().size());
  if (r.gpus < 1) return invalid("gpus must be at least 1, got " + std::to_string(r.gpus));
  if (r.gpu_milli < 1 || r.gpu_milli > kMilliPerGpu)
    return invalid("gpu_milli must be 1 to 1000, got " + std::to_string(r.gpu_milli));
  // Far beyond any machine, and small enough that per-GPU sums cannot overflow.
  constexpr std::int64_t kHostLimit = std::int64_t{1} << 50;
  if (r.cpu_milli < 0 || r.cpu_milli > kHostLimit)
    return invalid("cpu_milli must be 0 to 2^50, got " + std::to_string(r.cpu_milli));
  if (r.memory_mib < 0 || r.memory_mib > kHostLimit)
    return invalid("memory_mib must be 0 to 2^50, got " + std::to_string(r.memory_mib));
  if (r.estimate < 0 || r.estimate > kLatestTime)
    return invalid("estimate must be 0 to 2^60 ms, got " + std::to_string(r.estimate));
  if (!(r.power_utilization >= 0 && r.power_utilization <= 1))
    return invalid("power_utilization must be 0 to 1");
  if (r.gpu_model != kAnyModel && (r.gpu_model < 0 || r.gpu_model >= models))
    return invalid("gpu_model " + std::to_string(r.gpu_model) + " is not a model of the fleet");
  if (r.gpu_model == kAnyModel && models < 64 && (r.allowed_models >> models) != 0)
    return invalid("allowed_models names models the fleet does not have");
  if (r.tenant < 0 || static_cast<size_t>(r.tenant) >= c.tenants.size()) {
    return invalid("tenant " + std::to_string(r.tenant) + " is not one of the " +
                   std::to_string(c.tenants.size()) + " tenants");
  }
  if (static_cast<int>(r.topology) > static_cast<int>(Topology::kAny))
    return invalid("unknown topology constraint");

  SchedJob j;
  j.id = id;
  j.submit = now;
  j.estimate = r.estimate;
  j.gpus = r.gpus;
  j.milli = r.gpu_milli;
  // Host CPU and memory are asked per job and held per GPU, on the GPU's node (rounded up).
  j.cpu_per_gpu = (r.cpu_milli + r.gpus - 1) / r.gpus;
  j.memory_per_gpu = (r.memory_mib + r.gpus - 1) / r.gpus;
  j.priority = r.priority;
  j.power_utilization = r.power_utilization;
  j.model = r.gpu_model;
  j.model_mask = r.gpu_model == kAnyModel ? r.allowed_models : 0;
  j.topology = r.topology;
  j.tenant = r.tenant;
  j.pending_since = now;
  if (std::optional<std::string> reason = c.NeverFits(j)) {
    // The reason alone: the caller knows which job it submitted (the simulator logs it so).
    return Wrong(*reason, ErrorCode::kUnsatisfiable);
  }
  return j;
}

}  // namespace

Status Scheduler::Check(JobId id, const JobRequest& request) {
  Result<SchedJob> j = CheckedJob(*core_, id, request, core_->last_now);
  if (!j.ok()) return j.error();
  return Status::Ok();
}

Status Scheduler::Submit(JobId id, const JobRequest& r, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  SchedulerCore& c = *core_;
  if (c.SlotOf(id)) return Wrong(JobName(id) + " is already submitted", ErrorCode::kAlreadyExists);
  // Refused, so nothing changes (not even the clock).
  Result<SchedJob> j = CheckedJob(c, id, r, now);
  if (!j.ok()) return j.error();
  const Slot s = c.NewSlot(id);
  c.job(s) = std::move(j).value();
  c.job(s).live = true;
  c.job(s).seq = c.next_seq++;
  c.policy->OnSubmitted(c, s);
  c.Enqueue(s, now);
  c.new_jobs.push_back(id);
  c.last_now = now;
  return Status::Ok();
}

Status Scheduler::Adopt(JobId id, const JobRequest& r, const Allocation& a, SimTime attained,
                        SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  SchedulerCore& c = *core_;
  if (c.SlotOf(id)) return Wrong(JobName(id) + " is already submitted", ErrorCode::kAlreadyExists);
  Result<SchedJob> checked = CheckedJob(c, id, r, now);
  if (!checked.ok()) return checked.error();
  SchedJob& j = checked.value();
  auto wrong = [&](const std::string& what) {
    return Wrong(JobName(id) + ": cannot adopt its run: " + what, ErrorCode::kFailedPrecondition);
  };
  if (attained < 0 || attained > kLatestTime) return wrong("attained time out of range");
  if (a.nodes.empty()) return wrong("no nodes");
  if (a.Gpus() != j.gpus) {
    return wrong("it holds " + std::to_string(a.Gpus()) + " GPUs, its request " +
                 std::to_string(j.gpus));
  }
  if (a.milli != j.milli || a.cpu_per_gpu != j.cpu_per_gpu || a.memory_per_gpu != j.memory_per_gpu)
    return wrong("the allocation's share or host resources are not the request's");
  NodeId last = -1;
  for (const NodeGpus& ng : a.nodes) {
    if (ng.node <= last || ng.node >= c.fleet.num_nodes() || ng.mask == 0)
      return wrong("its nodes must be ascending, of the fleet, each with GPUs");
    last = ng.node;
    if (c.nodes[static_cast<size_t>(ng.node)] != NodeState::kUp)
      return wrong("node " + c.fleet.Path(c.fleet.NodeTopo(ng.node)) + " is not up");
    if (c.fleet.NodeModel(ng.node) != a.model)
      return wrong("its nodes are not all of the allocation's GPU model");
    if (c.fleet.NodeGpus(ng.node) < 64 && (ng.mask >> c.fleet.NodeGpus(ng.node)) != 0)
      return wrong("GPUs the node does not have");
  }
  if (j.model != kAnyModel ? a.model != j.model
                           : j.model_mask != 0 && (j.model_mask & ModelBit(a.model)) == 0)
    return wrong("GPU model not one the request allows");
  // A draining node's GPUs are out of placement, not out of use: the run goes on there.
  std::vector<NodeId> drained;
  for (const NodeGpus& ng : a.nodes) {
    if (c.draining[static_cast<size_t>(ng.node)] != 0) {
      drained.push_back(ng.node);
      c.index.SetNodeUp(ng.node, true);
    }
  }
  const bool free = c.index.CanTake(a);
  if (free) c.index.Take(a);
  for (NodeId n : drained) c.index.SetNodeUp(n, false);
  if (!free) return wrong("its GPUs are not free");
  const Slot s = c.NewSlot(id);
  c.job(s) = std::move(j);
  SchedJob& adopted = c.job(s);
  adopted.live = true;
  adopted.seq = c.next_seq++;
  adopted.attained = attained;
  c.policy->OnSubmitted(c, s);
  c.Enqueue(s, now);
  std::vector<Decision> ignored;  // the driver knows: it runs already
  c.StartJob(s, a, now, ignored);
  adopted.state = JobState::kRunning;
  c.force_pass = true;
  c.last_now = now;
  return Status::Ok();
}

Status Scheduler::ConfirmStart(JobId id, Epoch epoch, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_FIND_JOB(s, id);
  SchedJob& j = core_->job(s);
  if (Status st = ExpectRun(id, j, {JobState::kStarting}, "starting", epoch); !st.ok()) return st;
  const SimTime old_start = j.run_start, old_end = j.est_end;
  j.state = JobState::kRunning;
  j.run_start = now;
  j.est_end = now + std::max<SimTime>(0, j.estimate - j.attained);
  if (now != old_start) {
    // Confirmed after a launch delay: a job that could not be preempted now can be, so a head
    // that found no victims looks again.
    ++core_->victims_version;
    core_->force_pass = true;
  }
  core_->policy->OnConfirmed(*core_, s, old_start, old_end);
  core_->last_now = now;
  return Status::Ok();
}

Status Scheduler::StartFailed(JobId id, Epoch epoch, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_FIND_JOB(s, id);
  const SchedJob& j = core_->job(s);
  if (Status st = ExpectRun(id, j, {JobState::kStarting}, "starting", epoch); !st.ok()) return st;
  core_->StopJob(s, now, /*release=*/true, /*credit=*/false);
  core_->Enqueue(s, now);
  core_->last_now = now;
  return Status::Ok();
}

Status Scheduler::Finish(JobId id, Epoch epoch, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_FIND_JOB(s, id);
  const SchedJob& j = core_->job(s);
  if (Status st = ExpectRun(id, j, {JobState::kRunning, JobState::kStopping}, "running", epoch);
      !st.ok()) {
    return st;
  }
  core_->StopJob(s, now, /*release=*/true, /*credit=*/true);
  core_->Retire(s);
  core_->last_now = now;
  return Status::Ok();
}

Status Scheduler::Interrupt(JobId id, Epoch epoch, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_FIND_JOB(s, id);
  SchedJob& j = core_->job(s);
  if (Status st =
          ExpectRun(id, j, {JobState::kStarting, JobState::kRunning}, "starting or running", epoch);
      !st.ok())
    return st;
  if (core_->config.confirm_stops) {
    j.stopped_at = j.state == JobState::kStarting ? j.run_start : now;
    j.state = JobState::kStopping;
    j.then_done = false;
  } else {
    core_->StopJob(s, now, /*release=*/true, /*credit=*/j.state == JobState::kRunning);
    core_->Enqueue(s, now);
  }
  core_->last_now = now;
  return Status::Ok();
}

Status Scheduler::Cancel(JobId id, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_FIND_JOB(s, id);
  SchedJob& j = core_->job(s);
  switch (j.state) {
    case JobState::kPending:
      if (j.Planning()) core_->AbandonPlan(s);
      core_->Dequeue(s);
      core_->Retire(s);
      break;
    case JobState::kStarting:
    case JobState::kRunning:
      if (core_->config.confirm_stops) {
        // A start never confirmed never ran: nothing to credit. (run_start stays: policies key
        // their sets by it.)
        j.stopped_at = j.state == JobState::kStarting ? j.run_start : now;
        j.state = JobState::kStopping;
        j.then_done = true;
      } else {
        core_->StopJob(s, now, /*release=*/true, /*credit=*/j.state == JobState::kRunning);
        core_->Retire(s);
      }
      break;
    case JobState::kStopping:
      j.then_done = true;
      break;
  }
  core_->last_now = now;
  return Status::Ok();
}

Status Scheduler::Released(JobId id, Epoch epoch, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_FIND_JOB(s, id);
  const SchedJob& j = core_->job(s);
  if (Status st = ExpectRun(id, j, {JobState::kStopping}, "stopping", epoch); !st.ok()) return st;
  core_->Release(s, now);
  core_->last_now = now;
  return Status::Ok();
}

Result<Scheduler::NodeLoss> Scheduler::FailNode(NodeId n, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_CHECK_NODE(n);
  if (core_->nodes[static_cast<size_t>(n)] != NodeState::kUp)
    return Wrong("node " + core_->fleet.Path(core_->fleet.NodeTopo(n)) + " is not up");
  NodeLoss loss = core_->TakeNodeDown(n, now, NodeState::kDown);
  core_->last_now = now;
  return loss;
}

Status Scheduler::RepairNode(NodeId n, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_CHECK_NODE(n);
  if (core_->nodes[static_cast<size_t>(n)] != NodeState::kDown)
    return Wrong("node " + core_->fleet.Path(core_->fleet.NodeTopo(n)) + " is not down");
  core_->BringNodeUp(n);
  core_->last_now = now;
  return Status::Ok();
}

Status Scheduler::RegisterNode(NodeId n, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_CHECK_NODE(n);
  if (core_->nodes[static_cast<size_t>(n)] != NodeState::kAbsent) {
    return Wrong("node " + core_->fleet.Path(core_->fleet.NodeTopo(n)) + " is already registered",
                 ErrorCode::kAlreadyExists);
  }
  core_->BringNodeUp(n);
  core_->last_now = now;
  return Status::Ok();
}

Result<Scheduler::NodeLoss> Scheduler::RemoveNode(NodeId n, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_CHECK_NODE(n);
  NodeLoss hit;
  switch (core_->nodes[static_cast<size_t>(n)]) {
    case NodeState::kAbsent:
      return Wrong("node " + core_->fleet.Path(core_->fleet.NodeTopo(n)) + " is not registered");
    case NodeState::kUp:
      hit = core_->TakeNodeDown(n, now, NodeState::kAbsent);
      break;
    case NodeState::kDown:
      core_->nodes[static_cast<size_t>(n)] = NodeState::kAbsent;
      break;
  }
  core_->last_now = now;
  return hit;
}

Status Scheduler::DrainNode(NodeId n, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_CHECK_NODE(n);
  if (core_->draining[static_cast<size_t>(n)] != 0)
    return Wrong("node " + core_->fleet.Path(core_->fleet.NodeTopo(n)) + " is already draining");
  core_->SetDraining(n, true);
  core_->last_now = now;
  return Status::Ok();
}

Status Scheduler::UndrainNode(NodeId n, SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  GPUFLEET_CHECK_NODE(n);
  if (core_->draining[static_cast<size_t>(n)] == 0)
    return Wrong("node " + core_->fleet.Path(core_->fleet.NodeTopo(n)) + " is not draining");
  core_->SetDraining(n, false);
  core_->last_now = now;
  return Status::Ok();
}

Status Scheduler::SetTenantShare(std::int32_t tenant, double weight,
                                 std::optional<std::int64_t> quota_gpus) {
  if (tenant < 0 || static_cast<size_t>(tenant) >= core_->tenants.size())
    return Wrong("no tenant " + std::to_string(tenant), ErrorCode::kNotFound);
  if (!(weight > 0) || !std::isfinite(weight) || (quota_gpus && *quota_gpus < 0)) {
    return Wrong("tenant '" + core_->tenants[static_cast<size_t>(tenant)].name +
                     "': weight must be a positive number and quota_gpus at least 0",
                 ErrorCode::kInvalidArgument);
  }
  Tenant& t = core_->tenants[static_cast<size_t>(tenant)];
  t.weight = weight;
  t.quota_gpus = quota_gpus;
  core_->force_pass = true;
  return Status::Ok();
}

const std::vector<Tenant>& Scheduler::tenants() const { return core_->tenants; }

Status Scheduler::SetAttained(JobId id, SimTime attained) {
  GPUFLEET_FIND_JOB(s, id);
  if (core_->job(s).state != JobState::kPending)
    return Wrong(JobName(id) + " is " + JobStateName(core_->job(s).state) + ", not waiting");
  if (attained < 0 || attained > kLatestTime) {
    return Wrong(JobName(id) + ": attained time must be 0 to 2^60 ms", ErrorCode::kInvalidArgument);
  }
  // Re-keyed: the sjf order depends on the remaining work.
  core_->Rekey(s, [&](SchedJob& j) { j.attained = attained; });
  return Status::Ok();
}

Status Scheduler::Tick(SimTime now) {
  GPUFLEET_CHECK_TIME(now);
  core_->force_pass = true;
  core_->last_now = now;
  return Status::Ok();
}

SimTime Scheduler::NextWakeup(SimTime now) const { return core_->policy->NextWakeup(*core_, now); }

Status Scheduler::Schedule(SimTime now, std::vector<Decision>& out) {
  GPUFLEET_CHECK_TIME(now);
  SchedulerCore& c = *core_;
  c.last_now = now;  // the pass's time: dispatch ranks sites by it (the grid's hour)
  c.StartReadyHeads(now, out);
  c.policy->Pass(c, now, out);
  c.force_pass = false;
  c.new_jobs.clear();
  c.last_pass_version = c.capacity_version;
  c.last_head_seq = c.HeadSeq();
  c.last_now = now;
  return Status::Ok();
}

bool Scheduler::AnyWaitingCouldStartWhenHealthy() {
  return core_->AnyWaitingCouldStartWhenHealthy();
}

// --- queries ---

std::optional<JobView> Scheduler::Find(JobId id) const {
  const std::optional<Slot> s = core_->SlotOf(id);
  if (!s) return std::nullopt;
  const SchedJob& j = core_->job(*s);
  JobView v;
  v.id = id;
  v.state = j.state;
  v.epoch = j.epoch;
  v.submitted = j.submit;
  v.attained = j.attained;
  v.run_start = j.HoldsGpus() ? j.run_start : -1;
  v.allocation = j.alloc;
  return v;
}

std::optional<PendingReason> Scheduler::WhyPending(JobId id) const {
  const std::optional<Slot> s = core_->SlotOf(id);
  if (!s || core_->job(*s).state != JobState::kPending) return std::nullopt;
  const SchedulerCore& c = *core_;
  return c.ReasonOf(*s, [&c, slot = *s] {
    return static_cast<std::int64_t>(std::distance(c.queue.begin(), c.queue.find(c.KeyOf(slot))));
  });
}

std::vector<std::pair<JobId, PendingReason>> Scheduler::PendingReasons() const {
  std::vector<std::pair<JobId, PendingReason>> out;
  out.reserve(core_->queue.size());
  std::int64_t ahead = 0;
  for (const QueueKey& k : core_->queue) out.emplace_back(k.id, core_->ReasonOf(k.slot, ahead++));
  return out;
}

std::vector<JobId> Scheduler::Waiting() const {
  std::vector<JobId> out;
  out.reserve(core_->queue.size());
  for (const QueueKey& k : core_->queue) out.push_back(k.id);
  return out;
}

std::vector<JobId> Scheduler::JobsOn(NodeId n) const {
  if (n < 0 || n >= core_->fleet.num_nodes()) return {};
  return core_->node_jobs[static_cast<size_t>(n)];
}

NodeState Scheduler::StateOf(NodeId n) const {
  if (n < 0 || n >= core_->fleet.num_nodes()) return NodeState::kAbsent;
  return core_->nodes[static_cast<size_t>(n)];
}

bool Scheduler::Draining(NodeId n) const {
  return n >= 0 && n < core_->fleet.num_nodes() && core_->draining[static_cast<size_t>(n)] != 0;
}

size_t Scheduler::pending() const { return core_->queue.size(); }
std::int64_t Scheduler::pending_milli() const { return core_->queued_milli; }
size_t Scheduler::running() const { return core_->holding; }
size_t Scheduler::live_jobs() const { return core_->slot_of.size(); }
size_t Scheduler::slot_capacity() const { return core_->jobs.size(); }
std::int64_t Scheduler::allocated_milli() const { return core_->allocated_milli; }
std::int64_t Scheduler::FreeGpus(ModelId model) const { return core_->index.Free(0, model); }
std::int64_t Scheduler::allocated_cpu() const { return core_->allocated_cpu; }
std::int64_t Scheduler::allocated_memory() const { return core_->allocated_memory; }
const Fleet& Scheduler::fleet() const { return core_->fleet; }
const SchedulerConfig& Scheduler::config() const { return core_->config; }
std::optional<std::pair<JobId, SimTime>> Scheduler::reservation() const {
  return core_->policy->Reservation();
}
std::optional<std::string> Scheduler::CheckInvariants() const { return core_->CheckInvariants(); }

}  // namespace gpufleet
