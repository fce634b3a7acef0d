// What a simulation produces: a record per job and the fleet's totals. Apart from the event loop
// (sim/simulator.h) so that the parts it delegates to can keep and fill in the fields they account
// for without depending on the loop.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/failure.h"
#include "model/job.h"
#include "sched/pending_reason.h"
#include "sim/time_series.h"
#include "util/time.h"

namespace gpufleet {

// What happened to one job.
struct JobRecord {
  JobSpec spec;
  enum class State : std::uint8_t {
    kPending,
    kRunning,
    kCompleted,
    kRejected
  } state = State::kPending;
  // Why it waited before its first start, as the scheduler last found (kNone: it did not wait).
  WaitReason waited_for = WaitReason::kNone;
  SimTime first_start = -1;
  SimTime queued_since = -1;  // when its last run stopped (it waits again from then)
  // Time on its GPUs in preemption grace periods (checkpointing, no progress); part of run_ms.
  SimTime grace_ms = 0;
  SimTime end = -1;               // completion time
  SimTime progress = 0;           // run time credited towards `spec.duration`
  SimTime run_start = -1;         // start of the current run, while running
  SimTime run_ms = 0;             // wall run time over all runs, lost work included
  std::int64_t gpu_milli_ms = 0;  // milli-GPU x milliseconds held over all runs (exact)
  SimTime lost_ms = 0;            // run time lost to interruptions (work since the last checkpoint)
  std::int32_t preemptions = 0;
  std::int32_t interruptions = 0;
  SimTime run_progress = 0;   // progress when the current run started
  SimTime restart_ms = 0;     // run time spent restarting after interruptions
  SimTime overhead_left = 0;  // restart overhead still to pay before work resumes
  // Checkpoints across sites (docs/MODELS.md, "Checkpoints across sites"): the site whose storage
  // holds the progress it kept (its last run's; -1 before any), and the copies it waited for.
  std::int32_t checkpoint_site = -1;
  std::int32_t copies = 0;  // completed
  SimTime copy_ms = 0;      // copying, cut-short copies included
  // The current run: its site, its copy (paid last of its overhead: from copy_from, when the rest
  // is paid, until copy_done, when the link has carried it; -1 and -1: none, -1 done: in flight)
  // and when it works again (kLatestTime until its copy is done).
  std::int32_t run_site = -1;
  SimTime copy_from = -1;
  SimTime copy_done = -1;
  SimTime resumes_at = -1;
  // The outage (BoundWorkload::outages) that last interrupted it and when, until it runs again.
  std::int32_t outage_hit = -1;
  SimTime outage_hit_at = -1;
  SimTime checkpoint_every = 0;  // of work, this run (the job's interval, or Daly's for auto)
  SimTime checkpoint_write = 0;  // the time to write one, this run (0: free, or none)
  double checkpoint_factor = 1;  // work over wall time spent on work and checkpoint writes
  double placement_rate = 1;     // a training job's speed on this run's placement, of the ideal
  // While running, work is credited at `rate` (1: full speed; less under a GPU power cap) since
  // `segment_start`; `progress` holds what was credited before.
  SimTime segment_start = -1;
  double rate = 1;
  std::int32_t epoch =
      0;  // bumped whenever a run ends early or changes pace: its finish event is stale
};

// Takes each job's record once it is final, so that a run need not keep every job it ever saw
// (Simulator::set_job_sink): a completed or rejected job's when it ends, then, at the end of the
// run, those still pending or running, in id order, with the scheduler's reason for those waiting.
class JobRecordSink {
 public:
  virtual ~JobRecordSink() = default;
  // `waiting`: for a job still pending at the end, why (else null). The record is gone after.
  virtual void Take(JobId id, const JobRecord& r, const PendingReason* waiting) = 0;
};

struct SimResult {
  std::vector<JobRecord> jobs;  // by JobId; empty when the run gave them to a JobRecordSink
  std::vector<std::pair<JobId, std::string>> rejections;
  // The jobs still waiting at the end and why, in queue order (the scheduler's reasons then).
  std::vector<std::pair<JobId, PendingReason>> waiting;
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
    long double held_gpu_milli_ms = 0;   // ∫ milli-GPUs held by jobs on the site's nodes dt
  };
  std::vector<SitePower> sites;
  // By failure category (model/failure.h): failures that happened, jobs they interrupted, and
  // the GPU time those jobs lost (work since their last checkpoint).
  struct FailureStats {
    std::int64_t events = 0, interruptions = 0;
    long double lost_gpu_ms = 0;
  };
  std::array<FailureStats, kFailureCategories> failures;
  // Per workload outage (BoundWorkload::outages): the jobs and replicas it interrupted, the work
  // they lost, and for each job restarted since, the time from the interruption to working
  // again (waiting for GPUs, the restart overhead, the checkpoint's copy and the launch).
  struct OutageStats {
    std::int64_t jobs_interrupted = 0, replicas_interrupted = 0;
    long double lost_gpu_ms = 0;
    std::vector<SimTime> restart_delays;
    std::int64_t checkpoint_copies = 0;  // by the jobs it interrupted, restarting elsewhere
    // Training's share (not replicas'): the work its jobs lost, and the GPU-time (GPUs x ms) they
    // then held without working - restart overheads, launches, copies - until working again.
    long double jobs_lost_gpu_ms = 0, jobs_restart_gpu_ms = 0;
  };
  std::vector<OutageStats> outages;
  // Checkpoints copied to the site a job resumed on, from the site that held them: how many, the
  // GPU-time spent waiting for them (GPUs x ms), and by site the data copied out of it (GB).
  std::int64_t checkpoint_copies = 0;
  long double copy_gpu_ms = 0;
  std::vector<double> checkpoint_egress_gb;
  // Per elastic site (model/fleet.h ElasticRent), in the fleet's order: the nodes it held and
  // was billed for (from arrival to release, or the end), and the nodes asked for, arrived and
  // given back.
  struct ElasticSite {
    int site = -1;
    long double held_node_ms = 0, held_gpu_ms = 0;
    std::int32_t asked = 0, acquired = 0, released = 0, peak_nodes = 0;
  };
  std::vector<ElasticSite> elastic;
  std::int64_t node_failures = 0;
  std::int64_t node_repairs = 0;
  std::optional<TimeSeries> series;  // with SimOptions::series_interval
};

}  // namespace gpufleet
