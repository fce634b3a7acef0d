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
#include "physics/cooling.h"
#include "physics/power.h"
#include "sched/scheduler.h"
#include "sim/event_queue.h"
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

// What happened to one job.
struct JobRecord {
  JobSpec spec;
  enum class State : std::uint8_t {
    kPending,
    kRunning,
    kCompleted,
    kRejected
  } state = State::kPending;
  SimTime first_start = -1;
  SimTime end = -1;               // completion time
  SimTime progress = 0;           // run time credited towards `spec.duration`
  SimTime run_start = -1;         // start of the current run, while running
  SimTime run_ms = 0;             // wall run time over all runs, lost work included
  std::int64_t gpu_milli_ms = 0;  // milli-GPU x milliseconds held over all runs (exact)
  SimTime lost_ms = 0;            // run time lost to interruptions (work since the last checkpoint)
  std::int32_t preemptions = 0;
  std::int32_t interruptions = 0;
  SimTime run_progress = 0;      // progress when the current run started
  SimTime restart_ms = 0;        // run time spent restarting after interruptions
  SimTime overhead_left = 0;     // restart overhead still to pay before work resumes
  SimTime checkpoint_every = 0;  // of work, this run (the job's interval, or Daly's for auto)
  double checkpoint_factor = 1;  // work over wall time spent on work and checkpoint writes
  double placement_rate = 1;     // a training job's speed on this run's placement, of the ideal
  // While running, work is credited at `rate` (1: full speed; less under a GPU power cap) since
  // `segment_start`; `progress` holds what was credited before.
  SimTime segment_start = -1;
  double rate = 1;
  std::int32_t epoch =
      0;  // bumped whenever a run ends early or changes pace: its finish event is stale
};

struct SimResult {
  std::vector<JobRecord> jobs;
  std::vector<std::pair<JobId, std::string>> rejections;
  std::vector<Tenant> tenants;
  SimTime end_time = 0;  // makespan: from 0 to the last completion or `until`
  bool stopped_at_until = false;
  std::uint64_t events = 0;  // events processed
  std::uint64_t passes = 0;  // scheduling passes
  std::int64_t total_gpus = 0;
  long double allocated_gpu_milli_ms = 0;  // ∫ allocated milli-GPUs dt (integers: exact)
  long double available_gpu_milli_ms = 0;  // ∫ milli-GPUs on healthy nodes dt
  // Host resources, over the nodes whose type models them: ∫ held dt and ∫ capacity of healthy
  // nodes dt (milli-CPU x ms, MiB x ms).
  long double allocated_cpu_ms = 0, available_cpu_ms = 0;
  long double allocated_memory_ms = 0, available_memory_ms = 0;
  // Per site, in the order of the fleet: IT and facility energy (W x ms), peak IT power (W) and
  // GPU power capping.
  struct SitePower {
    long double it_energy_wms = 0;
    long double facility_energy_wms = 0;  // IT x PUE, hour by hour where the site has a climate
    long double carbon_g = 0;  // grams of CO2 of the facility energy, where the site gives a grid
                               // intensity (hour by hour when hourly)
    double peak_w = 0;
    SimTime over_budget_ms = 0;  // time above the budget: never, admission and capping prevent it
    SimTime capped_ms = 0;       // time with the site's GPUs power-capped
    long double capped_lost_gpu_ms = 0;  // ∫ busy GPUs x (1 - capped speed) dt
  };
  std::vector<SitePower> sites;
  // By failure category (model/failure.h): failures that happened, jobs they interrupted, and
  // the GPU time those jobs lost (work since their last checkpoint).
  struct FailureStats {
    std::int64_t events = 0, interruptions = 0;
    long double lost_gpu_ms = 0;
  };
  std::array<FailureStats, kFailureCategories> failures;
  std::int64_t node_failures = 0;
  std::int64_t node_repairs = 0;
};

// Receives every state change, in order; the CLI writes them to --events.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Record(SimTime t, const char* event, JobId job, const std::string& detail) = 0;
};

class Simulator : private PlacementJudge, private DurationOracle {
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
  void EndRun(JobId id, JobRecord& r, SimTime now);
  // Runs and their pace (a GPU power cap slows every job on the capped site).
  void BeginRun(JobId id, SimTime now, Allocation allocation);
  SimTime WorkDone(const JobRecord& r, SimTime now) const;
  double RateOf(JobId id) const;
  void ScheduleFinish(JobId id, JobRecord& r);
  void ApplyCaps(SimTime now);
  // Credits the current run's work up to `now` (paying restart overhead first) and starts a new
  // segment there.
  void Settle(JobRecord& r, SimTime now);
  // PlacementJudge: a training job with a min_placement_rate refuses slower placements.
  bool Accepts(JobId job, const Allocation& a) override;
  // DurationOracle: the true durations the oracle policies read.
  SimTime TrueDuration(JobId id) const override;
  // The allocation of a running job, as the start decision gave it.
  const Allocation& AllocationOf(JobId id) const {
    return running_allocs_[static_cast<size_t>(running_slot_[static_cast<size_t>(id)])];
  }
  double PlacementRate(JobId id, const Allocation& a) const;
  // Stops the jobs a failure hit: they lose the work since their last checkpoint (none if the stop
  // is planned) and will pay the restart overhead.
  void Interrupt(const std::vector<JobId>& jobs, NodeId n, FailureCategory category, bool planned,
                 SimTime now);
  void DrawNextFailure(SimTime after);
  SimTime RestartOverhead(const JobRecord& r) const;
  void SetCheckpointing(JobId id, JobRecord& r) const;
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
  std::int64_t up_gpus_ = 0;
  std::int64_t up_cpu_ = 0, up_memory_ = 0;  // modelled host capacity of healthy nodes
  std::int64_t NodeCpu(NodeId n) const;
  void UpdatePeaks();
  SitePowerLedger power_;  // site IT power, caps and the admission rule
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
  std::vector<Allocation> running_allocs_;  // beside running_ids_
  std::vector<std::int32_t> running_slot_;  // per job: its place in running_ids_ (-1: not running)
  // Per site: PUE for each hour of its climate's year (empty: the design PUE throughout).
  std::vector<std::vector<double>> hourly_pue_;
  std::int64_t NodeMemory(NodeId n) const;
  std::vector<std::int32_t> down_count_;  // per node: overlapping failures holding it down
  std::vector<Decision> decisions_;
  std::size_t unfinished_ = 0;       // pending or running jobs
  std::size_t repairs_pending_ = 0;  // repair events still in the queue
  SimTime next_tick_ = 0;            // the earliest wake-up already scheduled
};

}  // namespace gpufleet
