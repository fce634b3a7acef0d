// The Helios-style study on Philly (Hu et al. SC'21, §5): every virtual cluster is an isolated
// queue on its own nodes × 8 GPUs, replaying only its own GPU jobs, under one policy.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sched/policy_config.h"
#include "sim/simulator.h"
#include "trace/trace.h"

namespace gpufleet {

struct VcReplayOptions {
  SchedulerConfig scheduler;
  std::optional<double> since_epoch_s;  // only jobs submitted at or after this time
  int gpus_per_node = 8;
  int threads = 2;  // virtual clusters are independent: they run in parallel
};

struct VcRun {
  std::string name;
  std::int64_t gpus = 0;
  SimResult result;
};

struct VcReplay {
  std::vector<VcRun> vcs;                        // in the order of the --vcs file
  std::map<std::string, std::int64_t> excluded;  // jobs left out, by reason
};

// `quotas`: (virtual cluster, GPUs), as LoadVcQuotas returns them.
Result<VcReplay> RunVcReplay(const TraceJobs& trace,
                             const std::vector<std::pair<std::string, std::int64_t>>& quotas,
                             const VcReplayOptions& options);

// The clusters' runs as one result (experiment/merge_results.h) whose tenants are the clusters,
// in the order of `replay.vcs`: the usual metrics then come overall and per cluster.
SimResult MergeVcRuns(const VcReplay& replay);

}  // namespace gpufleet
