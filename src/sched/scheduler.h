// The scheduler core: events in, decisions out. No clock, no I/O: the simulator and the daemon
// drive it with the same calls, passing the current time with each event.
//
// Every call is checked. The daemon drives it with calls that arrive over a network - late,
// duplicated, out of order, for jobs cancelled a moment ago - so each call validates its job or
// node id, the state it expects and its time, and returns a Status; a wrong call changes nothing.
//
// Jobs are named by the driver's 64-bit ids and kept in dense slots that are reused when a job
// ends, so memory follows the jobs alive, not the jobs ever submitted. Queries return values.
//
// Starts and stops are two-phase, as a real cluster carries them out: a started job is *starting*
// until the driver confirms it (or reports that the start failed: it is rolled back and waits
// again); with `confirm_stops`, a preempted or cancelled job is *stopping* and keeps its GPUs until
// the driver says they are released (after the job's grace period), so they are never handed to
// the next job while the victim still checkpoints.
//
// The scheduler sees a job's run time only through the user's estimate; the oracle policies (sjf,
// srtf) read true durations through a DurationOracle, which only the simulator provides.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/allocation.h"
#include "model/fleet.h"
#include "model/job.h"
#include "sched/admission.h"
#include "sched/capacity_index.h"
#include "sched/gang_request.h"
#include "sched/pending_reason.h"
#include "sched/policy_config.h"
#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

class SchedulerCore;

// A job's start number: bumped at every start, carried by decisions and required by the calls
// that answer them, so that an answer about an earlier run is refused rather than applied to the
// current one (epoch fencing).
using Epoch = std::uint32_t;

// What the scheduler may know of a job: what a user asks for and estimates. No true duration.
struct JobRequest {
  SimTime estimate = 0;  // the user's run-time estimate (backfill's reservations use it)
  std::int32_t gpus = 1;
  std::int32_t gpu_milli = kMilliPerGpu;  // share of each GPU; below 1000 on one node
  std::int64_t cpu_milli = 0;             // host CPU of the whole job, held per GPU
  std::int64_t memory_mib = 0;            // host memory of the whole job, held per GPU
  std::int32_t priority = 0;              // larger runs first and may preempt smaller
  // How hard its GPUs work, for the admission guard's power account (1: training at TDP).
  float power_utilization = 1;
  ModelId gpu_model = kAnyModel;
  std::uint64_t allowed_models = 0;  // with gpu_model any: a bit per allowed model (0: all)
  std::int32_t tenant = 0;           // index into the scheduler's tenants
  Topology topology = Topology::kAny;
};
// The scheduler's part of a workload's job.
JobRequest RequestFor(const JobSpec& spec);

enum class JobState : std::uint8_t {
  kPending,   // waiting in the queue
  kStarting,  // placed; the driver has not confirmed that it runs
  kRunning,
  kStopping,  // preempted or cancelled; holds its GPUs until the driver releases them
};
const char* JobStateName(JobState s);

// A node the scheduler places on only when it is up. Absent: never registered, or removed.
enum class NodeState : std::uint8_t { kUp, kDown, kAbsent };

struct Decision {
  enum class Kind : std::uint8_t {
    kStart,    // run the job on `allocation`; answer with ConfirmStart or StartFailed
    kPreempt,  // stop the job on `allocation`; with confirm_stops, answer with Released
  };
  Kind kind;
  JobId job;
  Epoch epoch;  // of the run this decision starts or stops
  Allocation allocation;
  // For a start: why the job waited last, before this start (kNone if it never waited).
  WaitReason waited_for = WaitReason::kNone;
};

// A job as the scheduler sees it now, by value.
struct JobView {
  JobId id = -1;
  JobState state = JobState::kPending;
  Epoch epoch = 0;
  SimTime submitted = 0;
  SimTime attained = 0;  // run time credited before the current run
  SimTime run_start = -1;
  Allocation allocation;  // empty unless it holds GPUs
};

// The oracle policies' source of truth: the job's true run time (the simulator knows it).
class DurationOracle {
 public:
  virtual ~DurationOracle() = default;
  virtual SimTime TrueDuration(JobId id) const = 0;
};

// Where a job's checkpoint lies, for the earliest-start dispatch: a driver that moves checkpoints
// between sites (the simulator) knows it; nullopt when the job has nothing to resume from there.
class CheckpointLocator {
 public:
  virtual ~CheckpointLocator() = default;
  struct Place {
    int site = -1;  // site index
    double gb = 0;
  };
  virtual std::optional<Place> CheckpointOf(JobId id) const = 0;
  // The copies in flight from site `from` to site `to` now: a new copy would share their link.
  virtual int CopiesInFlight(int /*from*/, int /*to*/) const { return 0; }
};

// What the scheduler asks of its driver beyond the calls: each may be null.
struct SchedulerHooks {
  AdmissionGuard* admission = nullptr;  // power budgets; must outlive the scheduler
  PlacementJudge* judge = nullptr;      // a training job's refusal of slow placements
  const DurationOracle* oracle = nullptr;
  const CheckpointLocator* checkpoints = nullptr;
};

class Scheduler {
 public:
  // Refuses a policy it does not know and an oracle policy without an oracle.
  static Result<Scheduler> Create(const Fleet& fleet, SchedulerConfig config,
                                  std::vector<Tenant> tenants = {}, SchedulerHooks hooks = {});
  Scheduler(Scheduler&&) noexcept;
  Scheduler& operator=(Scheduler&&) noexcept;
  ~Scheduler();

  // --- events in; `now` never goes back ---
  // Queues a job. kAlreadyExists for an id in use; kInvalidArgument for a request that makes no
  // sense; kUnsatisfiable (with the reason) for one that can never run on this fleet, which is
  // not queued.
  Status Submit(JobId id, const JobRequest& request, SimTime now);
  // What Submit would answer about `request` (an error for one that makes no sense or can never
  // run), without queuing anything: the daemon checks a request before it makes it durable.
  Status Check(JobId id, const JobRequest& request);
  // The driver started the job of a kStart decision: it runs.
  Status ConfirmStart(JobId id, Epoch epoch, SimTime now);
  // A job that already runs on `allocation` (a daemon restarted, and the job's agents report its
  // run): it runs there as if started and confirmed now, at epoch 1, with `attained` run time
  // credited. Checked as Submit; the allocation's nodes must be up (draining is up), its GPUs free
  // and of one model the request allows, its shape the request's (GPUs, share, host resources).
  Status Adopt(JobId id, const JobRequest& request, const Allocation& allocation, SimTime attained,
               SimTime now);
  // The start failed (the node refused, the launch crashed): its GPUs return, it waits again.
  Status StartFailed(JobId id, Epoch epoch, SimTime now);
  // Run `epoch` of the job completed (running, or stopping and it ended during its grace): it is
  // gone. A completion reported for an earlier run is refused.
  Status Finish(JobId id, Epoch epoch, SimTime now);
  // The driver stops run `epoch` of a starting or running job that cannot go on (a part of a gang
  // failed to start while others run): with confirm_stops it is stopping until Released, then
  // waits again; otherwise it waits again at once. No run time is credited to a start never
  // confirmed.
  Status Interrupt(JobId id, Epoch epoch, SimTime now);
  // The user withdrew the job. Waiting: it is gone. Holding GPUs: with confirm_stops it is
  // stopping until Released, otherwise gone at once.
  Status Cancel(JobId id, SimTime now);
  // A stopping job has let go of its GPUs: a preempted one waits again, a cancelled one is gone.
  Status Released(JobId id, Epoch epoch, SimTime now);
  // Node n is down. Its starting and running jobs are stopped and wait again (`interrupted`, so
  // that the driver can account for lost work and report kept progress through SetAttained); its
  // stopping jobs are released (`released`: they wait again, or are gone if cancelled). Ascending.
  struct NodeLoss {
    std::vector<JobId> interrupted;
    std::vector<JobId> released;
  };
  Result<NodeLoss> FailNode(NodeId n, SimTime now);
  Status RepairNode(NodeId n, SimTime now);
  // A node joins (the daemon's agent registered) or leaves the fleet; leaving stops its jobs as a
  // failure does.
  Status RegisterNode(NodeId n, SimTime now);
  Result<NodeLoss> RemoveNode(NodeId n, SimTime now);
  // An operator drains node n: no new job is placed there, its jobs run on (a node being drained
  // with no job left is drained, ready for maintenance). It stays drained through a failure and
  // a repair, until UndrainNode. Any registered or absent node; kFailedPrecondition when it
  // already is (or, for UndrainNode, is not) draining.
  Status DrainNode(NodeId n, SimTime now);
  Status UndrainNode(NodeId n, SimTime now);
  // An operator changes a tenant's share (its weight and quota, as fairshare reads them); the next
  // pass uses it. kInvalidArgument for a weight that is not positive or a negative quota.
  Status SetTenantShare(std::int32_t tenant, double weight, std::optional<std::int64_t> quota_gpus);
  const std::vector<Tenant>& tenants() const;
  // Run time a waiting job keeps after an interruption (from its last checkpoint).
  Status SetAttained(JobId id, SimTime attained);
  // A wake-up the scheduler asked for through NextWakeup has come.
  Status Tick(SimTime now);
  // When the scheduler wants a pass even if no job arrives or ends (las: a running job crosses
  // into a lower queue, a waiting one is due for promotion). kNever when not needed.
  SimTime NextWakeup(SimTime now) const;

  // --- decisions out ---
  // One scheduling pass at `now`; appends the decisions taken. Started jobs are starting and hold
  // their GPUs; preempted jobs wait again (or, with confirm_stops, are stopping).
  Status Schedule(SimTime now, std::vector<Decision>& out);

  // With no job holding GPUs: whether some waiting job could start on the whole fleet healthy (its
  // GPUs, host resources and, with an admission guard, power). When none could, no repair can
  // help them and the driver may stop.
  bool AnyWaitingCouldStartWhenHealthy();

  // --- snapshot: the whole state, versioned; Restore needs the same fleet, config and tenants ---
  std::string Snapshot() const;
  Status Restore(std::string_view snapshot);

  // --- queries, by value ---
  std::optional<JobView> Find(JobId id) const;
  // Why a waiting job waits (nullopt if the job is not waiting).
  std::optional<PendingReason> WhyPending(JobId id) const;
  // Every waiting job with its reason, in queue order.
  std::vector<std::pair<JobId, PendingReason>> PendingReasons() const;
  std::vector<JobId> Waiting() const;         // the waiting jobs, in queue order
  std::vector<JobId> JobsOn(NodeId n) const;  // jobs holding GPUs of node n, ascending
  NodeState StateOf(NodeId n) const;
  bool Draining(NodeId n) const;
  size_t pending() const;
  std::int64_t pending_milli() const;    // milli-GPUs the waiting jobs ask for
  size_t running() const;                // jobs holding GPUs: starting, running or stopping
  size_t live_jobs() const;              // waiting or holding GPUs: the slots in use
  size_t slot_capacity() const;          // slots ever allocated (the high-water mark of live jobs)
  std::int64_t allocated_milli() const;  // milli-GPUs held
  std::int64_t FreeGpus(ModelId model) const;  // whole GPUs of `model` free on nodes up
  // Host CPU (milli-cores) and memory (MiB) held.
  std::int64_t allocated_cpu() const;
  std::int64_t allocated_memory() const;
  const Fleet& fleet() const;
  const SchedulerConfig& config() const;
  // The backfill reservation: the blocked head and the time it is promised to start by.
  std::optional<std::pair<JobId, SimTime>> reservation() const;
  // For tests: checks that allocations, GPU owners, counters, the id map and the capacity index
  // agree, and that every gang is whole, of one model, on healthy nodes and inside its topology
  // constraint. Returns a description of the first violation.
  std::optional<std::string> CheckInvariants() const;

 private:
  explicit Scheduler(std::unique_ptr<SchedulerCore> core);
  std::unique_ptr<SchedulerCore> core_;
};

}  // namespace gpufleet
