// The Pollux paper's simulated baselines (Qiao et al., OSDI'21), as docs/EXPERIMENTS.md describes
// them: workloads of jobs sampled from Philly on a
// 16 × 4-GPU cluster, progress driven by the measured profiles, 60 s rounds, and a policy
// (Tiresias, Optimus, or the extra FIFO / LAS baselines). The result is every job's completion
// time (JCT = completion − submission) and the average per workload.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sched/round_policy.h"
#include "sim/round_engine.h"
#include "trace/pollux.h"
#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

struct PolluxWorkload {
  std::string name;  // the file name without .csv, e.g. workload-3
  std::vector<PolluxJob> jobs;
};

// Every workload-<N>.csv of `dir`, in order of N.
Result<std::vector<PolluxWorkload>> LoadPolluxWorkloads(const std::string& dir,
                                                        const PolluxApplications& apps);

struct PolluxRun {
  std::string workload;
  std::vector<SimTime> jct;  // by job, in file order (whole seconds, as the study's)
  double average_jct_s = 0;
  RoundResult rounds;
};

// One workload under one policy, on the study's cluster unless `options` says otherwise.
Result<PolluxRun> RunPolluxWorkload(const PolluxWorkload& workload, const PolluxApplications& apps,
                                    RoundPolicyKind policy, const RoundOptions& options = {});

}  // namespace gpufleet
