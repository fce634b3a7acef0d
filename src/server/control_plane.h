// The live control plane's core (docs/ARCHITECTURE.md, "The server"): one thread owns the
// scheduler and every job record, and runs what the HTTP handlers hand it, in order, as tasks;
// after each batch of tasks it runs a scheduling pass. Nothing else touches that state, so it
// needs no locks, and a request sees every earlier one applied - as the simulator's event loop
// drives the same Scheduler.
//
// Durable changes go through the store's group committer: a submission is admitted to the
// scheduler only once its row is committed, and answered after that.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "model/fleet.h"
#include "server/admin_store.h"
#include "server/forecast.h"
#include "server/job_store.h"
#include "server/live_job.h"
#include "store/group_commit.h"
#include "util/result.h"

namespace gpufleet {

// Wall time as the scheduler counts it: milliseconds since the Unix epoch. Injected, so that
// tests drive time.
using WallClock = std::function<SimTime()>;
SimTime SystemWallClock();
// A clock that runs `scale` times faster than real time (`gpufleet serve --time-scale`, for
// tests and demos): it starts at `real()`'s time and then advances `scale` ms per real ms
// (measured on the steady clock, so that a step of the system clock does not move it).
WallClock ScaledWallClock(double scale, const WallClock& real = SystemWallClock);
// "2026-12-05 14:05:00 UTC": a wall time in a reason a user reads.
std::string WallTimeText(SimTime ms);

struct ControlPlaneOptions {
  SchedulerConfig scheduler;  // nodes_present and confirm_stops are set by the control plane
  // An agent silent this long has its node marked down (its jobs wait again).
  SimTime heartbeat_timeout = 30 * kSecond;
  SimTime heartbeat_interval = 10 * kSecond;  // what agents are told to keep
  SimTime grace = 30 * kSecond;               // SIGTERM to SIGKILL when a job is stopped
  // Scheduling passes are at least this far apart (a pass after every batch of requests would
  // cost O(running jobs) each under backfill, thousands of times a second).
  SimTime pass_interval = 10;
  // The most jobs one tenant may have waiting; a submission beyond it is refused (0: no limit).
  std::int64_t max_pending_per_tenant = 0;
  // How many times faster than real time the injected clock runs (ScaledWallClock; 1: it is the
  // wall clock). The spans above and a sync's or an event poll's wait stay real time - they are
  // about processes, networks and the cost of a pass, which a scaled clock does not speed up - so
  // the control plane multiplies them by this before it compares them with the clock, and
  // divides what it sleeps by it.
  double time_scale = 1;
};

// What an agent is told to run: one node's part of a job's run.
struct StartOrder {
  JobId id = -1;
  Epoch epoch = 0;
  std::string command;
  std::vector<int> gpus;  // the GPU indices on the node
  std::vector<std::pair<std::string, std::string>> env;
  SimTime grace = 0;
  SimTime duration = 0;  // how long a hollow agent pretends it runs (real agents run the command)
};
struct StopOrder {
  JobId id = -1;
  Epoch epoch = 0;
  SimTime grace = 0;
};
// What an agent reports of one job it runs (or ran).
struct JobReport {
  enum class Kind { kRunning, kExited, kStartFailed };
  JobId id = -1;
  Epoch epoch = 0;
  Kind kind = Kind::kRunning;
  std::optional<int> exit_code;  // kExited: the status it exited with...
  std::optional<int> signal;     // ...or the signal that ended it
  std::string message;           // kStartFailed: why
};
// Something that happened, for the event stream (GET /v1/events).
struct LiveEvent {
  std::uint64_t seq = 0;
  SimTime at = 0;
  // submitted, started, preempted, requeued (its GPUs released after a preemption),
  // interrupted (a node failed, or a start did, or a run from before a restart was not
  // confirmed), adopted (a run from before a restart goes on), ended, node_up, node_down
  std::string kind;
  JobId job = -1;  // -1: a node's event
  std::string tenant;
  std::string detail;  // the job's state or its nodes, the node's path
};

struct NodeOrders {
  std::vector<StartOrder> start;
  std::vector<StopOrder> stop;
};

class ControlPlane {
 public:
  // Opens the store at `db_path` (created when absent), recovers its jobs and starts the
  // thread. `tenants`: the tenants the tokens file names.
  // Drains and tenants' shares come back from the store too.
  // What a control plane refuses of a fleet: an elastic site (the twin rents its nodes; the
  // control plane's nodes are its agents'). Start checks it first.
  static Status CheckFleet(const Fleet& fleet);
  static Result<std::unique_ptr<ControlPlane>> Start(const Fleet& fleet,
                                                     std::vector<std::string> tenants,
                                                     const std::string& db_path,
                                                     ControlPlaneOptions options,
                                                     WallClock clock = SystemWallClock);
  ~ControlPlane();  // finishes the queued tasks, then stops
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Runs `task` on the control plane's thread. Tasks run in the order posted.
  using Task = std::function<void(ControlPlane&)>;
  void Post(Task task);

  // --- on the control plane's thread only (inside a task) ---
  SimTime now() const { return now_; }
  const Fleet& fleet() const { return fleet_; }
  const std::vector<std::string>& tenants() const { return tenants_; }
  // The scheduler's index of a tenant (-1: none).
  std::int32_t TenantIndex(const std::string& name) const;

  // Checks a new job against the scheduler and gives it an id; `job.request.tenant` must be set.
  // An error (kInvalidArgument, kUnsatisfiable) leaves nothing changed.
  Result<JobId> Reserve(const LiveJob& job);
  // Makes a reserved job durable and then queues it; `done` runs on this thread with the job as
  // admitted, or, for an idempotency key used before, the earlier job (`replayed`), or the
  // store's error.
  struct Admitted {
    LiveJob job;
    bool replayed = false;
  };
  void Submit(LiveJob job, std::function<void(Result<Admitted>)> done);
  // Cancels a job: waiting, it is cancelled; holding GPUs, it stops. `done` after the change is
  // committed, with the job as it is then; kFailedPrecondition for a job already over.
  // (`job` is null with an error.)
  void Cancel(JobId id, std::function<void(Status, const LiveJob* job)> done);

  // --- agents ---
  // An agent registers node `path`; its GPUs and model must be the fleet spec's. The node is up;
  // the answer lists the runs the server has placed there (id, epoch).
  Result<std::vector<std::pair<JobId, Epoch>>> RegisterAgent(const std::string& path, int gpus,
                                                             const std::string& gpu_model,
                                                             const std::string& address);
  // An agent's heartbeat with its reports; `done` runs once the reports' changes are committed
  // and there are orders for the node, or at `wait` from now (0: at once), with the orders.
  // kNotFound for a node not registered (the agent registers again).
  void Sync(const std::string& path, std::vector<JobReport> reports, SimTime wait,
            std::function<void(Result<NodeOrders>)> done);
  SimTime heartbeat_interval() const { return options_.heartbeat_interval; }

  // --- what operators set (admin endpoints) ---
  // Drains (or undrains) the nodes at `paths` together: committed first, then applied, then
  // `done` with their ids. kNotFound naming the first path that is not a node of the fleet; a node
  // already in the state asked for is left as it is.
  void SetDrain(std::vector<std::string> paths, bool drain, std::string reason,
                std::function<void(Result<std::vector<NodeId>>)> done);
  const NodeDrain* DrainOf(NodeId n) const;
  // up, down, absent (no agent), draining (drained, jobs still on it) or drained (none left).
  const char* NodeStateName(NodeId n) const;
  // A tenant's weight and quota for fairshare: committed, then applied; kNotFound for a tenant
  // the tokens file does not name, kInvalidArgument for values out of range.
  void SetTenantShare(const std::string& tenant, double weight,
                      std::optional<std::int64_t> quota_gpus, std::function<void(Status)> done);

  // --- the event stream ---
  // Events after `after` that `visible` accepts, at most `limit`; `done` at once when there are
  // any (or `wait` is 0), otherwise when one comes or `wait` is up. `gap`: events after `after`
  // were dropped from memory before they were read.
  struct EventPage {
    std::vector<LiveEvent> events;
    std::uint64_t next_after = 0;
    bool gap = false;
  };
  void WaitForEvents(std::uint64_t after, SimTime wait, size_t limit,
                     std::function<bool(const LiveEvent&)> visible,
                     std::function<void(EventPage)> done);

  // --- the forecast ---
  // Runs `done` on this thread with a forecast at most `max_age` old: the cached one, or a new
  // one computed on a thread of its own from a snapshot (the scheduler's thread goes on).
  void WithForecast(SimTime max_age, std::function<void(const Result<Forecast>&)> done);
  // The latest forecast computed (null: none yet, or it failed).
  const Forecast* latest_forecast() const {
    return forecast_ && forecast_->ok() ? &forecast_->value() : nullptr;
  }

  const LiveJob* Find(JobId id) const;
  std::int64_t PendingOf(const std::string& tenant) const;  // its jobs waiting
  // Each tenant's jobs by state and the milli-GPUs they hold, kept as states change, so that
  // /metrics and /v1/tenants never walk every job ever submitted.
  struct TenantCounts {
    std::array<std::int64_t, kLiveStates> jobs{};
    std::int64_t gpu_milli = 0;
  };
  const std::map<std::string, TenantCounts>& tenant_counts() const { return by_tenant_; }
  const std::map<JobId, LiveJob>& jobs() const { return jobs_; }
  // The ids of the jobs in state `s`, which must not be over (pending, starting, running,
  // stopping): kept as states change, so that listing the queue (the dashboard, every few
  // seconds) does not walk every job ever submitted.
  const std::set<JobId>& JobsIn(LiveState s) const;
  // The number of the latest event (0: none yet). Every change of a node's state or of the GPUs
  // a job holds is an event, so an answer built from those is still true while this is the
  // same: the API keeps such answers (sites, nodes) until it moves.
  std::uint64_t last_event_seq() const { return next_seq_ - 1; }
  // Why a pending job waits, in words (empty for a job that does not wait), and the reason's key.
  struct Why {
    std::string code, text;
  };
  Why WhyPending(JobId id) const;
  const Scheduler& scheduler() const { return scheduler_; }

  struct Counters {
    // Queue wait of first starts (submission to start), in seconds: a Prometheus histogram.
    static constexpr std::array<double, 11> kWaitBuckets = {
        1, 10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400};
    std::array<std::int64_t, kWaitBuckets.size()> wait_counts{};  // cumulative (le)
    std::int64_t waits = 0;
    double wait_seconds = 0;
    std::int64_t submitted = 0, replayed = 0, cancelled = 0;
    std::int64_t passes = 0;
    double pass_seconds = 0;
    std::int64_t store_failures = 0;
  };
  const Counters& counters() const { return counters_; }
  // Whether the store still takes writes (after a failed COMMIT it does not: restart).
  bool store_ok() const { return store_ok_; }

 private:
  ControlPlane(const Fleet& fleet, std::vector<std::string> tenants, Scheduler scheduler,
               std::unique_ptr<GroupCommitter> committer, WallClock clock,
               ControlPlaneOptions options, std::vector<Tenant> scheduler_tenants);
  // A node's link with its agent.
  struct AgentLink {
    bool registered = false;
    SimTime last_seen = 0;
    std::string address;
    NodeOrders orders;                                // committed, not yet handed over
    std::function<void(Result<NodeOrders>)> waiting;  // a sync held open (long poll)
    SimTime wait_until = kNever;
  };
  std::optional<NodeId> NodeAt(const std::string& path) const;
  void Apply(NodeId node, const JobReport& report);
  // Queues a stop for the node, once per run.
  void QueueStop(NodeId node, const StopOrder& stop);
  // Hands the node's orders to its waiting sync, if any.
  void Deliver(NodeId node);
  // Holds a sync's answer until there are orders for the node or `wait` has passed.
  void AwaitOrders(NodeId node, SimTime wait, std::function<void(Result<NodeOrders>)> done);
  // Agents silent past the timeout: nodes down; syncs whose wait is over: answered.
  void CheckAgents();
  void OnNodeLoss(const Scheduler::NodeLoss& loss);
  void SendStart(const Decision& d, LiveJob& job);
  // Tells every node of the job's run but `except` to stop it; a node whose start is still
  // queued (it never heard of the run) has its start taken back and its part counted gone.
  void SendStops(LiveJob& job, NodeId except);
  // The node's part of the job's current run is gone: exited, or never started there.
  static void PartGone(LiveJob& job, NodeId node);
  // A stopping job whose parts are all gone lets go of its GPUs: preempted or interrupted, it
  // waits again; cancelled, or a gang whose part failed, it ends. Whether it let go.
  bool ReleaseIfGone(LiveJob& job);
  // A recovered job that held GPUs waits again.
  void Requeue(LiveJob& job);
  SimTime NextAgentDeadline() const;
  // A span of real time as the (possibly scaled) clock counts it.
  SimTime ClockSpan(SimTime real) const;
  void Recover(std::vector<LiveJob> jobs, JobId largest_id);
  void Loop();
  void Pass();
  // Commits `job`'s changed columns, then runs `done` on this thread.
  void Persist(const LiveJob& job, std::function<void(Status)> done);
  // Commits `write`, then runs `done` on this thread.
  void Commit(GroupCommitter::Write write, std::function<void(Status)> done);
  std::map<NodeId, NodeDrain> drains_;
  // Every change of a job's state goes through here: it keeps the per-tenant counts.
  void SetState(LiveJob& job, LiveState to);
  void Count(const LiveJob& job, int sign);  // adds (or takes away) the job from its tenant's
  std::map<std::string, TenantCounts> by_tenant_;
  std::array<std::set<JobId>, kLiveStates> active_;  // JobsIn: the states not over only
  // A job leaves the scheduler for good, in state `to`.
  void End(LiveJob& job, LiveState to);

  const Fleet& fleet_;
  std::vector<std::string> tenants_;
  Scheduler scheduler_;
  std::unique_ptr<GroupCommitter> committer_;
  WallClock clock_;
  SimTime now_ = 0;
  std::map<JobId, LiveJob> jobs_;
  JobId next_id_ = 1;
  bool changed_ = true;  // a pass is due
  bool store_ok_ = true;
  // Writes handed to the store so far: a sync that asked for none has nothing to wait for.
  std::int64_t writes_asked_ = 0;
  Counters counters_;
  std::vector<Decision> decisions_;
  ControlPlaneOptions options_;
  std::vector<AgentLink> agents_;  // by node
  std::int64_t registered_agents_ = 0;
  // Jobs that held GPUs when the server stopped: queued again once every node of their run has
  // registered (and was told that nothing runs there) or the heartbeat timeout has passed, so
  // that no job runs twice.
  struct Unreconciled {
    SimTime until;               // then it waits again, whatever its agents said
    std::set<NodeId> confirmed;  // nodes whose agents report it running
  };
  std::map<JobId, Unreconciled> unreconciled_;
  // Per node, the unreconciled runs on it: what a registering agent is told to keep, and what
  // holds the node out of placement, without a walk over every unreconciled run each time.
  std::vector<std::vector<JobId>> unreconciled_on_;
  // Erases `u` from unreconciled_ and from its nodes' lists; the next entry.
  std::map<JobId, Unreconciled>::iterator ForgetUnreconciled(
      std::map<JobId, Unreconciled>::iterator u);
  bool HoldsUnreconciled(NodeId n) const;
  // Offers a node to the scheduler (registered, or repaired).
  Status BringUp(NodeId n);
  // Nodes whose agents are there and that hold no unreconciled run any more: offered.
  void SettleNodes(const std::vector<NodeId>& nodes);
  // Keeps node `n` out of placement while an operator drains it or it holds an unconfirmed run.
  void UpdatePlacementHold(NodeId n);
  // A report about a run from before the restart.
  void Reconcile(NodeId node, const JobReport& r, std::map<JobId, Unreconciled>::iterator u);
  // A run from before the restart is given up: stopped wherever it still goes on; it waits again.
  void GiveUpRun(LiveJob& j, const std::string& why);
  SimTime next_agent_check_ = 0;
  SimTime last_pass_at_ = 0;
  std::vector<Tenant> scheduler_tenants_;
  // The forecast: the latest one, whether one is being computed, and who waits for it.
  std::shared_ptr<const Result<Forecast>> forecast_;
  bool forecasting_ = false;
  std::vector<std::function<void(const Result<Forecast>&)>> forecast_waiters_;
  std::thread forecast_thread_;
  // The event stream: the latest events in memory, and the long polls waiting for more.
  void Emit(const char* kind, const LiveJob* job, std::string detail);
  EventPage PageAfter(std::uint64_t after, size_t limit,
                      const std::function<bool(const LiveEvent&)>& visible) const;
  std::deque<LiveEvent> events_;
  std::uint64_t next_seq_ = 1;
  struct EventWaiter {
    std::uint64_t after;
    size_t limit;
    std::function<bool(const LiveEvent&)> visible;
    std::function<void(EventPage)> done;
    SimTime until;
  };
  std::vector<EventWaiter> event_waiters_;
  // Answers (and drops) the long polls `ready` picks.
  void AnswerEventWaiters(const std::function<bool(const EventWaiter&)>& ready);

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  bool closed_ = false;     // guarded by mu_: the thread has stopped; tasks are dropped
  std::thread thread_;      // last: started when everything above is ready
};

}  // namespace gpufleet
