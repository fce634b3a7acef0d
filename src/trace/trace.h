// Importers for the public GPU-cluster traces (docs/TRACES.md describes each format and how its
// columns become gpufleet jobs). A trace is named FORMAT:FILE on the command line.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/job.h"
#include "util/result.h"
#include "workload/workload.h"

namespace gpufleet {

enum class TraceFormat {
  kPhilly,
  kPhillyJson,
  kHelios,
  kAcme,
  kTiresias,
  kGavel,
  kOpenb,
  kPai2020
};

struct TraceFormatInfo {
  TraceFormat format;
  const char* name;         // as written before the colon
  const char* description;  // one line for --help
};
const std::vector<TraceFormatInfo>& TraceFormats();

struct TraceArg {
  TraceFormat format;
  std::string path;
  std::string Name() const;  // "philly:FILE"
};
// "philly:../shared/traces/philly/philly_jobs.csv"
Result<TraceArg> ParseTraceArg(std::string_view arg);

struct TraceOptions {
  // Malformed rows are errors unless skipped; skipped rows are counted by reason.
  bool skip_bad_rows = false;
  // Gavel traces give steps, not durations: steps / (steps per second of the job type on this
  // GPU type, alone) from Gavel's simulation_throughputs.json.
  std::string gavel_throughputs;  // default: beside the trace, or one directory up
  std::string gavel_gpu = "v100";
};

struct TraceJobs {
  std::string name;                  // "philly:FILE"
  std::vector<JobSpec> jobs;         // sorted by submission; the first submission is time 0
  std::vector<std::string> tenants;  // JobSpec::tenant indexes this (virtual clusters, users)
  // A GPU model each job is bound to, by catalogue name ("" = any), resolved against the fleet
  // when the trace joins a workload. Parallel to `jobs`.
  std::vector<std::string> job_models;
  double origin_epoch_s = 0;  // the trace time that maps to 0 (0 for relative traces)
  std::int64_t rows = 0;      // data rows (or JSON entries) read
  std::map<std::string, std::int64_t> skipped;   // malformed rows skipped, by reason
  std::map<std::string, std::int64_t> excluded;  // well-formed rows that are no runnable GPU job
};

Result<TraceJobs> LoadTrace(const TraceArg& arg, const TraceOptions& options);

// Adds a trace's jobs to a bound workload: tenants are merged by name, jobs merged by time, GPU
// models resolved against the fleet (an error names a model the fleet lacks).
Status AppendTrace(BoundWorkload& workload, TraceJobs trace, const Fleet& fleet);

// Fleets described by traces, as FORMAT:FILE: `openb-nodes` (Alibaba 2023 node list) and
// `pai-machines` (Alibaba PAI 2020 machine spec). One site, every machine its own node; GPU
// models lower-cased (undisclosed ones such as G2 become models without figures). `note` says
// what was left out (machines without GPUs).
struct TraceFleet {
  Fleet fleet;
  std::string note;
};
bool IsTraceFleetArg(std::string_view arg);
Result<TraceFleet> LoadTraceFleet(std::string_view arg);

// Virtual-cluster sizes (`vc,node num`, as philly_vc.csv) as GPU quotas of the tenants:
// `node num` × gpus_per_node (1 to 64). Node counts above kMaxVcNodes are errors (docs/SPEC.md,
// "Limits"): each cluster may become a fleet of its own (experiment vc-replay).
inline constexpr std::int64_t kMaxVcNodes = 1'000'000;
Result<std::vector<std::pair<std::string, std::int64_t>>> LoadVcQuotas(const std::string& path,
                                                                       int gpus_per_node);

}  // namespace gpufleet
