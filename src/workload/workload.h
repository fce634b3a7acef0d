// A workload as the spec describes it (tenants, explicit jobs, generators, scripted failures) and
// the job sources that turn it into a stream of jobs in submission order.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/failure.h"
#include "model/fleet.h"
#include "model/job.h"
#include "physics/step_time.h"
#include "util/result.h"
#include "workload/distribution.h"
#include "workload/job_source.h"
#include "workload/service_spec.h"
#include "workload/source_loc.h"

namespace gpufleet {

struct ExplicitJobSpec {
  JobSpec job;
  std::optional<TrainingJob> training;  // its model and parallelism, DP filled for its GPUs
  // Catalogue names, resolved against the fleet: one model, or a set the job may use any of.
  std::vector<std::string> gpu_models;
  std::vector<SourceLoc> gpu_model_locs;
  SourceLoc loc;  // of the job's entry, field "jobs[i]": where fleet checks point
};

struct TopologyRule {
  std::optional<std::int32_t> up_to_gpus;  // none: every larger gang
  Topology topology = Topology::kAny;
};

// The jobs all generators of a workload may make (docs/SPEC.md, "Limits"): ten times the
// one-million-job benchmark. The spec reader checks each generator's count (or the jobs it is
// expected to make by its `until`) against it.
inline constexpr std::int64_t kMaxGeneratedJobs = 10'000'000;

struct GeneratorSpec {
  std::string name;
  SourceLoc loc;                      // of the generator's entry, field "generators[i]"
  std::optional<std::uint64_t> seed;  // default: derived from the run's seed and the position
  std::optional<std::int64_t> count;  // stop after this many jobs ...
  std::optional<SimTime> until;       // ... or at this submission time
  SimTime start = 0;
  bool poisson = true;  // exponential gaps with this mean; otherwise evenly spaced
  double mean_interarrival_ms = 1000;
  Distribution gpus = Distribution::Fixed(1);
  Distribution duration_ms = Distribution::Fixed(3600e3);
  Distribution estimate_factor = Distribution::Fixed(1);
  Distribution priority = Distribution::Fixed(0);
  // Indices into the workload's tenants / into `gpu_models` below.
  Distribution tenant = Distribution::Fixed(0);
  std::vector<std::string> gpu_models;              // the names the spec lists; empty: any model
  std::vector<SourceLoc> gpu_model_locs;            // where each was first written
  Distribution gpu_model = Distribution::Fixed(0);  // index into gpu_models
  std::vector<TopologyRule> topology;               // first rule whose up_to_gpus admits the gang
  SimTime checkpoint_interval = 0;                  // or kCheckpointAuto
  SimTime checkpoint_write = 0;
  float checkpoint_size_gb = 0;
  SimTime restart_overhead = -1;
  float power_utilization = 1;
  std::optional<SimTime> deadline_after;  // each job's deadline: this long after its submission
  // Share of each GPU and host resources (fixed distributions draw no random numbers, so
  // adding these never changes the jobs of a workload that leaves them out).
  Distribution gpu_milli = Distribution::Fixed(kMilliPerGpu);
  Distribution cpus = Distribution::Fixed(0);       // cores, whole job
  Distribution memory_gb = Distribution::Fixed(0);  // whole job
};

struct ScriptedFailure {
  SimTime at = 0;
  std::string target;  // topology path: a node or any subtree (every node below it fails)
  std::optional<SimTime> repair_after;
  SourceLoc target_loc;
  FailureCategory category = FailureCategory::kScripted;
};

// Planned maintenance: the jobs on the target checkpoint and stop (losing nothing), its nodes are
// down for `duration`.
struct MaintenanceWindow {
  SimTime at = 0;
  std::string target;
  SimTime duration = 0;
  SourceLoc target_loc;
};

// A whole provider or site down for a period (docs/SPEC.md, "Outages"): the nodes of its sites
// fail at `at` and come back `duration` later; their jobs restart elsewhere from their last
// checkpoint, copied over the inter-site links.
struct OutageSpec {
  std::string provider, site;  // exactly one is given
  SimTime at = 0;
  SimTime duration = 0;
  SourceLoc target_loc;  // of the provider or site named
};

// Random failures (docs/MODELS.md, "Failures"): a Poisson process per category with a rate per
// node and day, each failure hitting a node drawn uniformly (network failures take down the
// node's leaf), repaired after a time drawn from its category's distribution.
struct FailureModelSpec {
  std::vector<double> per_node_day;     // by category, the first kRandomFailureCategories
  std::vector<Distribution> repair_ms;  // by category
  SimTime restart_overhead = 0;         // for jobs that do not give their own
  std::optional<std::uint64_t> seed;    // default: derived from the run's seed
};

struct WorkloadSpec {
  std::vector<Tenant> tenants;
  std::vector<ExplicitJobSpec> jobs;
  std::vector<GeneratorSpec> generators;
  std::vector<ScriptedFailure> failures;
  std::vector<MaintenanceWindow> maintenance;
  std::vector<OutageSpec> outages;
  std::optional<FailureModelSpec> failure_model;
  std::vector<ServiceSpec> services;
};

// A failure resolved against the fleet.
struct BoundFailure {
  SimTime at = 0;
  TopoId target = -1;
  std::optional<SimTime> repair_after;
  FailureCategory category = FailureCategory::kScripted;
  bool drawn = false;        // by the failure model (the next one is drawn when it happens)
  std::int32_t outage = -1;  // index into BoundWorkload::outages, for an outage's sites
  std::int32_t spot = -1;    // a spot reclaim's stream (FailureProcess::DrawReclaim)
};

// An outage resolved against the fleet: one BoundFailure (FailureCategory::kOutage) per site.
struct BoundOutage {
  std::string target;  // "provider azure" or "site campus"
  SimTime at = 0, duration = 0;
  std::vector<int> sites;
};

// The workload tied to one fleet and one seed: GPU model names resolved, failure targets found.
struct BoundWorkload {
  std::unique_ptr<JobSource> source;
  std::vector<Tenant> tenants;
  std::vector<BoundFailure> failures;  // scripted, maintenance and outages, by time
  std::vector<BoundOutage> outages;    // in the spec's order
  std::vector<TrainingJob> trainings;  // JobSpec::training indexes this
  std::optional<FailureModelSpec> failure_model;
  std::uint64_t failure_seed = 0;  // the failure model's stream
};
Result<BoundWorkload> BindWorkload(const WorkloadSpec& spec, const Fleet& fleet,
                                   std::uint64_t seed);

}  // namespace gpufleet
