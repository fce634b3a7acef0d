// The digital twin's discrete-event engine: the event loop. It feeds the scheduler core with
// arrivals, completions, failures, repairs and wake-ups in simulated time, runs one scheduling pass
// per instant and applies its decisions. What happens between and because of events is the work
// of its parts: a running job's progress is the job-run model's (sim/job_run.h), failures and
// what they cost are the failure process's (sim/failure_process.h), and the run's integrals of
// resources and energy are the energy account's (sim/energy_account.h). Every call into the
// scheduler stays here; the parts get what the scheduler knows (an allocation's size, the jobs'
// holdings) as values.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/failure.h"
#include "model/fleet.h"
#include "model/job.h"
#include "sched/scheduler.h"
#include "sim/elastic_pool.h"
#include "sim/energy_account.h"
#include "sim/event_queue.h"
#include "sim/failure_process.h"
#include "sim/link_traffic.h"
#include "sim/series_recorder.h"
#include "sim/sim_result.h"
#include "sim/site_power.h"
#include "workload/workload.h"

namespace gpufleet {

struct SimOptions {
  SchedulerConfig scheduler;
  SimTime until = kNever;  // stop at this simulated time even if work remains
  // The physics of the twin: site power (budgets, capping, energy, PUE), the random failure model,
  // training jobs' network-aware speed and checkpoint writes. Off: a pure scheduling simulation
  // (scripted failures still happen), e.g. to measure what the physics costs.
  bool physics = true;
  // The two phases of a real cluster's starts and stops (docs/ARCHITECTURE.md, "The scheduler"):
  // a started job holds its GPUs this long before it runs (pulling images, loading the model), and
  // a preempted job this long after it is told to stop (checkpointing) before its GPUs go to
  // another job. 0 and 0: placements run at once and free victims' GPUs at once.
  SimTime launch_delay = 0;
  SimTime preemption_grace = 0;
  // > 0: record the run's time series at this interval (sim/series_recorder.h; `--series`).
  SimTime series_interval = 0;
};

// Receives every state change, in order; the CLI writes them to --events.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Record(SimTime t, const char* event, JobId job, const std::string& detail) = 0;
};

class Simulator : private PlacementJudge, private DurationOracle, private CheckpointLocator {
 public:
  // Called every few thousand events with the simulated time and events so far.
  using Progress = std::function<void(SimTime now, std::uint64_t events)>;

  Simulator(const Fleet& fleet, BoundWorkload workload, SimOptions options);
  void set_event_sink(EventSink* sink) { sink_ = sink; }
  // Hands every job's record to `sink` once final and forgets it, instead of returning them all in
  // SimResult::jobs: memory then grows with the jobs alive, not with the history (a 10M-job run).
  // Set before Run().
  void set_job_sink(JobRecordSink* sink) { job_sink_ = sink; }
  // Told of every run of a job as it ends (completed, preempted, interrupted, a replica's leave,
  // or still going at the run's end): from the start decision until it stopped working - a
  // preempted run when it was told to stop, not when its grace ended; a replica taken by a spot
  // reclaim when the notice came - the site it ran at (its first node's), and when it lost its
  // GPUs with what it still held (`cut`: a preempted run's grace ended, or a failure, an outage,
  // a reclaim or a preemption without grace struck; kNever: it finished what it held). For the
  // serving replay and the services' costs.
  using RunObserver = std::function<void(JobId id, const JobSpec& spec, SimTime from, SimTime until,
                                         int site, SimTime cut)>;
  void set_run_observer(RunObserver observer) { run_observer_ = std::move(observer); }
  // After Run(): the most job records held at once (all jobs without a job sink).
  std::size_t peak_records() const { return peak_records_; }
  void set_progress(Progress p) { progress_ = std::move(p); }
  // A flag the run reads between instants (the CLI sets it on Ctrl-C): once set, the run stops
  // there, interrupted() is true and the result is incomplete, to be discarded.
  void set_stop_flag(const std::atomic<bool>* stop) { stop_ = stop; }
  bool interrupted() const { return interrupted_; }

  SimResult Run();
  // The scheduler, for tests that inspect placements during or after a run.
  const Scheduler& scheduler() const { return scheduler_; }
  // For tests of snapshot and restore: after the event numbered `event` (from 1), the scheduler is
  // replaced by a fresh one restored from its snapshot, as a restarted daemon's would be. The run
  // must go on exactly as without it.
  void RestoreSchedulerAfter(std::uint64_t event) { restore_after_ = event; }

 private:
  void Advance(SimTime to);
  void PullArrival();
  void OnArrival(SimTime now);
  void OnFinish(const Event& e);
  // A replica's leave_at: it ends where it is - waiting, starting, running or stopping.
  void OnLeave(const Event& e);
  void OnFailure(SimTime now, std::int32_t index);
  void OnRepair(SimTime now, std::int32_t index);
  // A started job's launch delay is over: the scheduler is told it runs.
  void OnLaunch(const Event& e);
  // A preempted job's grace period is over: its GPUs are released.
  void OnRelease(const Event& e);
  // Pushes the failure model's next failure after `after`, if it draws.
  void DrawFailure(SimTime after);
  // Stops the jobs a failure on node `n` hit (the failure process says what they lose); they
  // wait to run again.
  // The jobs failure `f` stopped on node n: a planned stop (maintenance) checkpoints first, and
  // so does a job a spot reclaim gives the notice to write one in.
  void Interrupt(const Scheduler::NodeLoss& jobs, NodeId n, const BoundFailure& f, SimTime now);
  void DrawReclaim(std::int32_t stream, SimTime after);
  // A run starting on `site`: the copy of a checkpoint held on another site, paid before work as
  // a restart's overhead is, last (over the link, shared with the copies in flight there).
  void MoveCheckpoint(JobId id, JobRecord& r, int site, SimTime now);
  // What of its overhead a run stopped at `t` still owes the next: a copy cut short is started
  // over there (from the site holding the checkpoint then), so only the overhead before it.
  SimTime OwedOverhead(const JobRecord& r, SimTime t) const;
  // The run's copy ends at `t`, done or cut short (a copy in flight leaves its link): what it took
  // and moved counts. Again at the same time: nothing more.
  void CutCopy(JobId id, JobRecord& r, SimTime t);
  // The run stopped working at `t` (or the simulation ended), once per run: its copy is cut, the
  // GPU-time it spent restarting from an outage counts to that outage; once it worked again, its
  // checkpoint is on its site and the outage's restart delay is known.
  void SettleCopy(JobId id, JobRecord& r, SimTime t);
  // A link's copies move on: those completed let their runs work; its next event is queued.
  void OnLinkEvent(const Event& e);
  void QueueLinkEvent(int slot);
  void ApplyDecisions(SimTime now);
  // Runs start on the scheduler's decision and stop at completion, preemption or failure; the
  // running jobs are listed for changes of pace (a GPU power cap slows every job on its site).
  void StartRunning(JobId id, SimTime now, Allocation allocation, Epoch epoch);
  // `notice`: the run was cut at `now`, told that long before (the run observer hears of it);
  // nullopt: it ended as it would (done, left, drained, its grace over).
  void StopRunning(JobId id, JobRecord& r, SimTime now,
                   std::optional<SimTime> notice = std::nullopt);
  double RateOf(JobId id) const;
  void ScheduleFinish(JobId id, const JobRecord& r);
  void ApplyCaps(SimTime now);
  // PlacementJudge: a training job with a min_placement_rate refuses slower placements.
  bool Accepts(JobId job, const Allocation& a) override;
  // DurationOracle: the true durations the oracle policies (sjf, srtf) read.
  SimTime TrueDuration(JobId id) const override;
  // CheckpointLocator: the site holding a job's checkpoint, for the earliest-start dispatch.
  std::optional<Place> CheckpointOf(JobId id) const override;
  int CopiesInFlight(int from, int to) const override { return links_.InFlight(from, to); }
  // The checkpoint a run elsewhere would copy first: nothing without one worth copying.
  std::optional<Place> CheckpointHeld(const JobRecord& r) const;
  double PlacementRate(JobId id, const Allocation& a) const;
  void Log(SimTime t, const char* event, JobId job, const std::string& detail);
  // The records of the jobs alive (all jobs without a job sink), in recycled slots.
  JobRecord& Record(JobId id) {
    return records_[static_cast<size_t>(record_slot_[static_cast<size_t>(id)])];
  }
  const JobRecord& Record(JobId id) const {
    return records_[static_cast<size_t>(record_slot_[static_cast<size_t>(id)])];
  }
  // A job's record is final (completed or rejected): to the job sink, its slot to the next job.
  void Retire(JobId id);

  const Fleet& fleet_;
  BoundWorkload workload_;  // its failures and failure model move to failures_
  SimOptions options_;
  Scheduler scheduler_;
  EventQueue queue_;
  SimResult result_;
  EventSink* sink_ = nullptr;
  JobRecordSink* job_sink_ = nullptr;
  RunObserver run_observer_;
  Progress progress_;
  const std::atomic<bool>* stop_ = nullptr;
  bool interrupted_ = false;
  JobSpec next_job_;
  bool has_next_job_ = false;
  SimTime now_ = 0;
  SitePowerLedger power_;  // site IT power, caps and the admission rule
  EnergyAccount account_;
  FailureProcess failures_;
  ElasticPool elastic_;    // the elastic sites' nodes: absent until rented
  LinkTraffic links_;      // checkpoint copies in flight between sites
  bool run_over_ = false;  // the loop is done: the end settles the runs, queueing nothing more
  // The elastic pool's plan runs after a pass at most once a simulated minute (and at once when
  // nothing runs); a plan skipped is owed, made at the wake-up pushed for it.
  SimTime next_plan_ = 0;
  bool plan_owed_ = false;
  SimTime elastic_wake_at_ = -1;  // the latest elastic wake-up pushed
  // Bumped when a job arrives, starts or stops and when a failure or repair changes the fleet
  // (ElasticPool::Plan).
  std::uint64_t queue_stamp_ = 0;
  // By failure index: the elastic nodes it found absent, which its repair leaves alone.
  std::unordered_map<std::int32_t, std::vector<NodeId>> absent_at_failure_;
  // After each pass: idle rented nodes go back, then the pool plans.
  void TendElastic(SimTime now);
  // An elastic wake-up: nodes whose provisioning is over come up.
  void OnElasticWake(SimTime now);
  // A job holding GPUs: where (from the start decision), which start of the scheduler's, and
  // whether it is stopping (preempted, in its grace period: no progress, GPUs still held).
  struct Running {
    JobId id;
    Allocation allocation;
    Epoch epoch;
    bool stopping = false;
    SimTime stop_at = 0;        // stopping: when it was told to
    SimTime owed_overhead = 0;  // stopping: restart overhead it still owes its next run
  };
  bool StillRunning(const Event& e, bool stopping) const;
  // A stopping job lets go of its GPUs at `now`: its grace period counts, it waits again.
  // `notice`: a spot reclaim's, when one ends the grace (a replica stopped taking requests then).
  void EndGrace(JobId id, SimTime now, SimTime notice = 0);
  Running& RunningOf(JobId id) {
    return running_[static_cast<size_t>(running_slot_[static_cast<size_t>(id)])];
  }
  const Running& RunningOf(JobId id) const {
    return running_[static_cast<size_t>(running_slot_[static_cast<size_t>(id)])];
  }
  std::vector<JobRecord> records_;
  std::vector<std::int32_t> record_slot_;  // per job: its place in records_ (-1: retired)
  std::vector<std::int32_t> free_records_;
  std::size_t peak_records_ = 0;
  std::vector<Running> running_;
  std::vector<std::int32_t> running_slot_;  // per job: its place in running_ (-1: not running)
  // Milli-GPUs held by running jobs per site (what a rented provider bills).
  std::vector<std::int64_t> site_held_milli_;
  // For the time series: milli-GPUs held per GPU model and per tenant, and nodes down.
  std::vector<std::int64_t> model_held_milli_, tenant_held_milli_;
  std::int64_t nodes_down_ = 0;
  std::optional<SeriesRecorder> series_;
  void CountHeld(JobId id, const Allocation& a, int sign);
  std::vector<Decision> decisions_;
  std::size_t unfinished_ = 0;       // pending or running jobs
  std::size_t repairs_pending_ = 0;  // repair events still in the queue
  SimTime next_tick_ = 0;            // the earliest wake-up already scheduled
  std::uint64_t restore_after_ = 0;  // RestoreSchedulerAfter
};

}  // namespace gpufleet
