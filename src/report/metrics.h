// Metrics derived from a simulation result: what the terminal summary and the JSON report show.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "physics/serving_placed.h"
#include "sim/simulator.h"

namespace gpufleet {

// Nearest-rank percentiles (the value at rank ceil(p/100 · n) of the sorted sample).
struct Distribution4 {
  double mean = 0, p50 = 0, p95 = 0, p99 = 0, max = 0;
  std::int64_t count = 0;
};
Distribution4 SummarizeSample(std::vector<double> values);
// The sample's nearest-rank percentiles 0, 1, ..., 100 (0: its minimum); empty for no value.
std::vector<double> Percentiles(std::vector<double> values);

// With the time series (`--series`, `--html`): the distributions of JCT and queue wait of the
// completed jobs, as percentiles, in all, by tenant and by job size - what the HTML report draws.
struct Distributions {
  struct Quantiles {
    std::string name;  // a tenant, a size class ("1", "2-8", "9-64", "65-512", "513+") or "all"
    std::int64_t count = 0;
    std::vector<double> p;  // Percentiles()
  };
  Quantiles jct_all, queue_all;
  std::vector<Quantiles> jct_by_tenant, queue_by_tenant, jct_by_size, queue_by_size;
};

// The distributions of `result`'s completed jobs (ComputeMetrics gives them with the series;
// the experiments' HTML pages ask for them without).
Distributions DistributionsOf(const SimResult& result);

struct TenantMetrics {
  std::string name;
  std::int64_t submitted = 0, completed = 0;
  double gpu_hours = 0;
  Distribution4 jct_s, queue_s;
};

// A trace fed to the run: what was read, what became jobs, what was left out and why.
struct TraceSummary {
  std::string name;
  std::int64_t rows = 0, jobs = 0;
  std::map<std::string, std::int64_t> skipped, excluded;
};

struct RunInfo {
  std::string fleet_file, workload_file, policy;
  std::uint64_t seed = 0;
  SimTime until = kNever;
  double wall_s = 0;  // the event loop's; not deterministic, nor is services_wall_s
  std::vector<TraceSummary> traces;
  // Fingerprints of the fleet and workload files' bytes (util/fingerprint.h), so that `compare`
  // can tell runs of the same inputs; empty: not known (not written to the report).
  std::string fleet_fingerprint, workload_fingerprint;
  // sim --share-policy: the GPU-sharing policy that placed single-node jobs; empty: none.
  std::string share_policy;
  // With services: the request-level work (the autoscalers' runs and the requests served again as
  // placed), in wall-clock seconds.
  double services_wall_s = 0;
  // sim --dispatch: how sites were chosen; empty for best fit (the default: no key in the report).
  std::string dispatch = {};
};

// Power, energy, cost and carbon of one site over the run (docs/MODELS.md, "Power").
struct SitePowerMetrics {
  std::string name;
  double peak_mw = 0, mean_mw = 0, budget_mw = 0;
  double energy_mwh = 0;           // IT
  double facility_energy_mwh = 0;  // IT x PUE
  double pue_mean = 0;
  double time_capped_s = 0;          // GPUs power-capped to stay inside the budget
  double capped_gpu_hours_lost = 0;  // GPU-hours of work lost to the slower capped clocks
  // Electricity (where the site gives a tariff) plus rent (where its provider is rented at a
  // price); carbon where the site gives a carbon intensity.
  std::optional<double> cost_usd, carbon_t;
  // Rented sites: GPU-hours billed (held by jobs on its nodes; every GPU for the whole run when
  // reserved; an elastic site's nodes' while it held them) and their price (not in the JSON report,
  // whose per-site cost_usd includes it).
  double rented_gpu_hours = 0;
  std::optional<double> rent_usd;
  // Checkpoints copied out of the site, and their price where its provider charges egress (in
  // cost_usd too).
  double egress_gb = 0;
  std::optional<double> egress_usd;
  double held_gpu_hours = 0;              // held by jobs and replicas on its nodes
  std::string pricing;                    // a rented site's (PricingName); empty: owned
  double reserved_commitment_usd = 0;     // reserved: every GPU for the whole term
  std::optional<double> electricity_usd;  // where it gives a tariff
  // An owned site whose provider gives a purchase price: its GPUs' price over their life, for the
  // run's time (in cost_usd too).
  std::optional<double> capex_usd;
};

// One provider's sites together (docs/REPORT.md, "providers"): what it was used for and cost.
struct ProviderMetrics {
  std::string name, kind;  // kind: owned | cloud
  std::vector<std::string> sites;
  double gpu_hours = 0;  // held on its sites
  double electricity_usd = 0, rent_usd = 0, egress_gb = 0, egress_usd = 0, cost_usd = 0;
  double on_demand_usd = 0, reserved_usd = 0, spot_usd = 0;  // rent_usd by the sites' pricing
  // What its reserved sites commit to over their term (the run bills its share, reserved_usd).
  double reserved_commitment_usd = 0;
  double capex_usd = 0;  // owned: its sites' GPUs' purchase price over their life, for the run
};

// An inference service's replicas in the fleet (trace/service_jobs.h): how the scheduler placed
// the replicas its autoscaler asked for. Its replicas are not counted among the jobs.
struct ServiceMetrics {
  std::string name;
  std::int32_t tp = 0;        // GPUs per replica
  std::int64_t replicas = 0;  // asked for
  std::int64_t placed = 0;    // started at least once
  // Never placed: let go by the autoscaler while waiting for GPUs, or waiting at the end.
  std::int64_t never_placed = 0;
  Distribution4 placement_wait_s;  // from the autoscaler's decision to the first start, placed
  double gpu_hours = 0;            // held by its replicas
  std::int64_t preemptions = 0, interruptions = 0;  // of its replicas
  // The request level, set by the caller that served them (absent otherwise): the requests
  // served by the replicas as placed (ServeAsPlaced), beside the autoscaler's own run, which took
  // each replica as placed when asked (the `if_placed_when_asked` figures and the replicas).
  struct Requests {
    // Served in aggregate by windows of this many seconds (physics/serving_fluid.h); 0: request by
    // request.
    double fluid_window_s = 0;
    std::int64_t requests = 0;
    std::int64_t unserved = 0;        // no replica took them before the run's end
    std::int64_t held_at_router = 0;  // waited for a replica to take them
    // Held by a replica stopped without warning and retried at the router, once per such stop.
    std::int64_t retried = 0;
    double ttft_at_slo_percentile_s = 0, tpot_at_slo_percentile_s = 0, attainment = 0;
    bool slo_met = false;
    double attainment_if_placed_when_asked = 0;
    bool slo_met_if_placed_when_asked = false;
    int peak_replicas = 0;
    double replica_hours = 0;  // asked for
    std::int64_t scale_ups = 0, scale_downs = 0;
    // The replicas' IT energy (their GPUs' share of their nodes, busy while in passes) and per
    // output token served; 0 where the GPU model has no power figures.
    double it_energy_kwh = 0;
    std::int64_t output_tokens = 0;  // of the requests served
    // By workload outage: the requests that arrived during it and those served within the SLO.
    std::vector<PeriodAttainment> during_outages;
    // What the replicas cost (report/service_cost.h): rent at their sites' prices, electricity.
    double rent_usd = 0, electricity_usd = 0, capex_usd = 0;
    bool priced = false;  // a site it ran on gives a price or a tariff (else the cost is unknown)
    double cost_usd() const { return rent_usd + electricity_usd + capex_usd; }
  };
  std::optional<Requests> served;
};

// A workload's outage (BoundWorkload::outages) and what it did (docs/REPORT.md, "outages").
struct OutageMetrics {
  std::string target;  // "provider azure", "site campus"
  double at_s = 0, for_s = 0;
  std::vector<std::string> sites;
  std::int64_t gpus = 0;      // on its sites
  double down_gpu_hours = 0;  // their GPU-time down, up to the run's end
  std::int64_t jobs_interrupted = 0, replicas_interrupted = 0;
  double lost_gpu_hours = 0;  // work since their last checkpoints, jobs and replicas
  // The jobs restarted since: from the interruption to working again (waiting for GPUs elsewhere
  // or for the site, the restart overhead, the checkpoint's copy, the launch).
  Distribution4 restart_delay_s;
  std::int64_t not_restarted = 0;  // interrupted jobs that had not restarted by the end
  std::int64_t checkpoint_copies = 0;
  // Training's goodput it cost, in GPU-hours: the work its jobs lost (not replicas') and the
  // GPU-time they then held restarting (overheads, launches, copies) until working again.
  double jobs_lost_gpu_hours = 0, jobs_restart_gpu_hours = 0;
  double training_gpu_hours_lost() const { return jobs_lost_gpu_hours + jobs_restart_gpu_hours; }
};

// An elastic site (docs/REPORT.md, "elastic"): the nodes it rented as the queue needed them.
struct ElasticMetrics {
  std::string site;
  std::int64_t nodes_asked = 0, nodes_acquired = 0, nodes_released = 0, peak_nodes = 0;
  double node_hours = 0, gpu_hours = 0;  // held (and billed): from arrival to release or the end
  double busy = 0;  // of those GPU-hours, the share jobs and replicas held (0 without any)
};

// The jobs with a deadline (JobSpec::deadline; docs/REPORT.md, "jobs.deadlines"): met (done by
// it), missed (done after it, rejected, unfinished at a run's end past it or when nothing more
// could run) and open (unfinished, the run stopped at its horizon before it).
struct DeadlineMetrics {
  std::int64_t jobs = 0, met = 0, missed = 0, open = 0;
};

struct Metrics {
  RunInfo run;
  std::int64_t submitted = 0, completed = 0, rejected = 0, pending_at_end = 0, running_at_end = 0;
  std::int64_t preemptions = 0, interruptions = 0;
  // Why jobs waited, by reason (WaitReasonName): the jobs still waiting at the end, and the jobs
  // that started, by what they waited for last before their first start (those that started at
  // once are not counted).
  std::map<std::string, std::int64_t> pending_reasons, wait_reasons;
  Distribution4 jct_s, queue_s;
  std::optional<DeadlineMetrics> deadlines;  // only when some job has a deadline
  double lost_gpu_hours = 0;
  std::int64_t total_gpus = 0;
  double utilization = 0;  // allocated GPU-time over available GPU-time, across the makespan
  double allocated_gpu_hours = 0, available_gpu_hours = 0;
  double makespan_s = 0;
  // Host resources over the nodes whose type models them (0 when none does).
  double cpu_utilization = 0, memory_utilization = 0;
  std::int64_t sharing_jobs = 0;  // jobs that took a share of their GPUs (gpu_milli < 1000)
  bool stopped_at_until = false;
  std::int64_t node_failures = 0, node_repairs = 0;
  std::uint64_t events = 0, passes = 0;
  std::vector<TenantMetrics> tenants;
  std::vector<ServiceMetrics> services;  // by JobSpec::service; names set by the caller
  std::vector<SitePowerMetrics> power_sites;
  std::vector<ProviderMetrics> providers;  // with the power figures
  std::vector<OutageMetrics> outages;
  std::vector<ElasticMetrics> elastic;  // the elastic sites, in the fleet's order
  // Checkpoints copied between sites: how many, GPU-hours spent waiting for them, data moved.
  std::int64_t checkpoint_copies = 0;
  double checkpoint_copy_gpu_hours = 0, checkpoint_copy_gb = 0;
  double it_energy_mwh = 0, facility_energy_mwh = 0, cost_usd = 0, carbon_t = 0;
  // Effective training time ratio of each completed job: its work (duration) over its time from
  // first start to end; mean and min over completed jobs (none: nullopt).
  std::optional<double> ettr_mean, ettr_min;
  // Useful GPU-time (work credited) over GPU-time held, all jobs.
  double goodput = 0;
  double job_gpu_hours = 0;      // held by jobs (not services' replicas): goodput's denominator
  double restart_gpu_hours = 0;  // GPU-time spent restarting after interruptions
  // Training jobs that ran: speed of their last placement relative to the ideal (mean, min).
  std::optional<double> placement_rate_mean, placement_rate_min;
  struct FailureCategoryMetrics {
    std::string name;
    std::int64_t failures = 0, interruptions = 0;
    double lost_gpu_hours = 0;
  };
  std::vector<FailureCategoryMetrics> failures_by_category;  // categories that occurred
  std::optional<TimeSeries> series;                          // `--series`: the run's, as recorded
  std::optional<Distributions> distributions;                // with the series
};

// The jobs' metrics, one record at a time: what ComputeMetrics does over SimResult::jobs, for a
// run that gives its records to a JobRecordSink rather than keep them all. It keeps the completed
// jobs' JCT and queue wait (16 bytes a job, twice with the distributions) for exact percentiles.
class JobTally {
 public:
  // `distributions`: keep what Distributions needs too (the samples by job size).
  JobTally(const std::vector<Tenant>& tenants, bool distributions);
  // `id`: the job's, to leave a service's replicas out of the reasons jobs wait at the end.
  void Add(const JobRecord& r, JobId id);
  // The metrics of the jobs added, with the run's totals from `result` (whose jobs it ignores).
  Metrics Finish(const SimResult& result, RunInfo run) &&;

 private:
  Distributions DistributionsOfJobs() const;
  friend Distributions DistributionsOf(const SimResult& result);

  Metrics m_;
  bool distributions_;
  std::vector<std::vector<double>> tenant_jct_, tenant_queue_, size_jct_, size_queue_;
  std::vector<long double> tenant_milli_ms_;
  std::vector<std::vector<double>> service_wait_;  // placement waits, by service
  std::vector<long double> service_milli_ms_;
  void AddReplica(const JobRecord& r, JobId id);
  std::unordered_set<JobId> waiting_replicas_;
  std::vector<SimTime> unfinished_deadlines_;  // of the jobs not done: met or not at the run's end
  long double lost_gpu_ms_ = 0, useful_milli_ms_ = 0, held_milli_ms_ = 0, restart_milli_ms_ = 0;
  std::int64_t ettr_count_ = 0, placement_count_ = 0;
  // Sums of fractions in extended precision: records come in the order jobs end when they are
  // streamed, in id order when kept, and the means should not depend on it.
  long double ettr_sum_ = 0, placement_sum_ = 0;
  double ettr_min_ = std::numeric_limits<double>::infinity();
  double placement_min_ = std::numeric_limits<double>::infinity();
};

Metrics ComputeMetrics(const SimResult& result, RunInfo run);
// Fills the power figures, which need the fleet's sites (budgets, PUE, tariffs).
void AddPowerMetrics(Metrics& m, const SimResult& result, const Fleet& fleet);
// Fills the elastic sites' rentals.
void AddElasticMetrics(Metrics& m, const SimResult& result, const Fleet& fleet);
// Fills the outages and the checkpoints copied between sites.
void AddOutageMetrics(Metrics& m, const SimResult& result, const Fleet& fleet,
                      const std::vector<BoundOutage>& outages);

}  // namespace gpufleet
