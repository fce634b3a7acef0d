// The digital twin's discrete-event engine: it feeds the scheduler core with arrivals, completions,
// failures and repairs in simulated time and applies its decisions.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/failure.h"
#include "model/fleet.h"
#include "model/job.h"
#include "sched/scheduler.h"
#include "sim/energy_account.h"
#include "sim/event_queue.h"
#include "sim/sim_result.h"
#include "sim/site_power.h"
#include "util/rng.h"
#include "workload/workload.h"

namespace gpufleet {

struct SimOptions {
  SchedulerConfig scheduler;
  SimTime until = kNever;  // stop at this simulated time even if work remains
  // The physics of the twin: site power (budgets, capping, energy, PUE), the random failure model,
  // training jobs' network-aware speed and checkpoint writes. Off: a pure scheduling simulation
  // (scripted failures still happen), e.g. to measure what the physics costs.
  bool physics = true;
};

// Receives every state change, in order; the CLI writes them to --events.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Record(SimTime t, const char* event, JobId job, const std::string& detail) = 0;
};

class Simulator : private PlacementJudge {
 public:
  // Called every few thousand events with the simulated time and events so far.
  using Progress = std::function<void(SimTime now, std::uint64_t events)>;

  Simulator(const Fleet& fleet, BoundWorkload workload, SimOptions options);
  void set_event_sink(EventSink* sink) { sink_ = sink; }
  void set_progress(Progress p) { progress_ = std::move(p); }

  SimResult Run();
  // The scheduler, for tests that inspect placements during or after a run.
  const Scheduler& scheduler() const { return scheduler_; }

 private:
  void Advance(SimTime to);
  void PullArrival();
  void OnArrival(SimTime now);
  void OnFinish(const Event& e);
  void OnFailure(SimTime now, int index, bool repair);
  void ApplyDecisions(SimTime now);
  // Runs start on the scheduler's decision and stop at completion, preemption or failure; the
  // running jobs are listed for changes of pace (a GPU power cap slows every job on its site).
  // What a run does to a job's work is the job-run model's (sim/job_run.h).
  void StartRunning(JobId id, SimTime now);
  void StopRunning(JobId id, JobRecord& r, SimTime now);
  double RateOf(JobId id) const;
  void ScheduleFinish(JobId id, const JobRecord& r);
  void ApplyCaps(SimTime now);
  // PlacementJudge: a training job with a min_placement_rate refuses slower placements.
  bool Accepts(std::int32_t job, const Allocation& a) override;
  double PlacementRate(JobId id, const Allocation& a) const;
  // Stops the jobs a failure hit: they lose the work since their last checkpoint (none if the stop
  // is planned) and will pay the restart overhead.
  void Interrupt(const std::vector<JobId>& jobs, NodeId n, FailureCategory category, bool planned,
                 SimTime now);
  void DrawNextFailure(SimTime after);
  SimTime RestartOverhead(const JobRecord& r) const;
  void Log(SimTime t, const char* event, JobId job, const std::string& detail);

  const Fleet& fleet_;
  BoundWorkload workload_;
  SimOptions options_;
  Scheduler scheduler_;
  EventQueue queue_;
  SimResult result_;
  EventSink* sink_ = nullptr;
  Progress progress_;
  JobSpec next_job_;
  bool has_next_job_ = false;
  SimTime now_ = 0;
  SitePowerLedger power_;  // site IT power, caps and the admission rule
  EnergyAccount account_;
  // The failure model: its total rate (failures per ms over the fleet) and stream.
  double failure_rate_per_ms_ = 0;
  // Per day: host-borne failures per node and GPU-borne ones per GPU (physics/failure_rates.h).
  double node_failures_per_day_ = 0, gpu_failures_per_day_ = 0;
  std::vector<double> category_weight_;           // each category's share of the fleet's rate
  std::vector<std::int64_t> gpus_before_;         // per node: GPUs of the nodes before it
  std::vector<std::int32_t> free_failure_slots_;  // in workload_.failures, of drawn failures over
  double JobFailuresPerDay(const Allocation& a) const;
  Rng failure_rng_{0};
  std::vector<JobId> running_ids_;
  std::vector<std::int32_t> running_slot_;  // per job: its place in running_ids_ (-1: not running)
  std::vector<std::int32_t> down_count_;    // per node: overlapping failures holding it down
  std::vector<Decision> decisions_;
  std::size_t unfinished_ = 0;       // pending or running jobs
  std::size_t repairs_pending_ = 0;  // repair events still in the queue
  SimTime next_tick_ = 0;            // the earliest wake-up already scheduled
};

}  // namespace gpufleet
