// The HTML pages of the experiments (`gpufleet experiment ... --html FILE`; docs/REPORT.md, "HTML
// pages of plan and experiment"): what each study's paper plots, from what the command computed.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "report/figures_page.h"
#include "report/metrics.h"

namespace gpufleet::cli {

// vc-replay: the replay's figures, a table by virtual cluster, and JCT and queue wait by
// percentile for each (`report` as --report writes it; `d` the merged run's distributions).
FiguresPage VcReplayPage(const std::string& command, const nlohmann::ordered_json& report,
                         const Distributions& d);

// openb: one run of a workload under a policy and seed, as the command computed it.
struct OpenbPageRun {
  std::string workload, policy;
  std::uint64_t seed = 0;
  std::int64_t arrivals = 0, failed = 0;
  std::array<std::optional<double>, 131> allocation, fragmentation;  // by arrived demand, 0..130 %
};
// The allocation and fragmentation curves of each workload, one line per policy (the mean over
// the seeds, where every seed has a value), and a table by workload and policy.
FiguresPage OpenbPage(const std::string& command, std::int64_t total_gpus, double tune,
                      const std::vector<OpenbPageRun>& runs);

// pollux: one workload's run.
struct PolluxPageRun {
  std::string workload;
  std::vector<double> jct_s;  // per job
  double average_jct_s = 0;
  std::int64_t restarts = 0;
  double makespan_s = 0;
};
// A table by workload (jobs, average JCT, restarts, makespan) and each workload's JCT by
// percentile.
FiguresPage PolluxPage(const std::string& command, const std::string& policy, double round_s,
                       const std::vector<PolluxPageRun>& runs);

}  // namespace gpufleet::cli
