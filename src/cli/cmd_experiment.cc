// gpufleet experiment: studies from the literature, run on the same machinery as `sim`.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/progress.h"
#include "experiment/vc_replay.h"
#include "report/report.h"
#include "trace/datetime.h"
#include "trace/trace.h"

namespace gpufleet::cli {
namespace {

struct VcReplayArgs {
  std::string trace, vcs, policy = "fifo", since, report;
  int gpus_per_node = 8;
  TraceOptions trace_options;
};

// The virtual clusters' runs as one result: their jobs side by side, one tenant per cluster.
SimResult Combine(const VcReplay& replay) {
  SimResult all;
  for (size_t i = 0; i < replay.vcs.size(); ++i) {
    const SimResult& r = replay.vcs[i].result;
    all.tenants.push_back(Tenant{replay.vcs[i].name, 1, replay.vcs[i].gpus});
    for (JobRecord j : r.jobs) {
      j.spec.tenant = static_cast<std::int32_t>(i);
      all.jobs.push_back(std::move(j));
    }
    all.end_time = std::max(all.end_time, r.end_time);
    all.events += r.events;
    all.passes += r.passes;
    all.total_gpus += replay.vcs[i].gpus;
    all.allocated_gpu_ms += r.allocated_gpu_ms;
    all.available_gpu_ms += r.available_gpu_ms;
  }
  return all;
}

int RunVcReplayCommand(const VcReplayArgs& a) {
  const std::optional<Policy> policy = ParsePolicy(a.policy);
  if (!policy || (*policy != Policy::kFifo && *policy != Policy::kSjfOracle &&
                  *policy != Policy::kSrtfOracle)) {
    std::cerr << "gpufleet experiment vc-replay: --policy: expected fifo, sjf or srtf, got '"
              << a.policy << "'\n";
    return kExitBadInput;
  }
  VcReplayOptions options;
  options.scheduler.policy = *policy;
  options.gpus_per_node = a.gpus_per_node;
  if (!a.since.empty()) {
    options.since_epoch_s = ParseDateTime(a.since);
    if (!options.since_epoch_s) {
      std::cerr
          << "gpufleet experiment vc-replay: --since: expected a date such as 2017-10-01, got '"
          << a.since << "'\n";
      return kExitBadInput;
    }
  }
  Result<TraceArg> arg = ParseTraceArg(a.trace);
  if (!arg.ok()) {
    std::cerr << "gpufleet experiment vc-replay: --trace: " << arg.message() << "\n";
    return kExitBadInput;
  }
  Result<TraceJobs> trace = LoadTrace(arg.value(), a.trace_options);
  if (!trace.ok()) {
    std::cerr << trace.message() << "\n";
    return kExitBadInput;
  }
  Result<std::vector<std::pair<std::string, std::int64_t>>> quotas =
      LoadVcQuotas(a.vcs, a.gpus_per_node);
  if (!quotas.ok()) {
    std::cerr << quotas.message() << "\n";
    return kExitBadInput;
  }
  std::ofstream report;
  if (!a.report.empty()) {
    report.open(a.report);
    if (!report) {
      std::cerr << "gpufleet experiment vc-replay: --report: cannot write '" << a.report << "'\n";
      return kExitFailure;
    }
  }
  ProgressBar clock(kNever, false);
  Result<VcReplay> replay = RunVcReplay(trace.value(), quotas.value(), options);
  if (!replay.ok()) {
    std::cerr << replay.message() << "\n";
    return kExitBadInput;
  }
  const SimResult all = Combine(replay.value());
  RunInfo info{"(one fleet per virtual cluster: " + a.vcs + ")",
               a.trace,
               PolicyName(*policy),
               0,
               kNever,
               clock.ElapsedSeconds(),
               {}};
  info.traces.push_back(TraceSummary{trace.value().name, trace.value().rows,
                                     static_cast<std::int64_t>(trace.value().jobs.size()),
                                     trace.value().skipped, trace.value().excluded});
  const Metrics m = ComputeMetrics(all, info);

  std::printf("gpufleet experiment vc-replay: %s, policy %s%s%s\n", trace.value().name.c_str(),
              PolicyName(*policy), a.since.empty() ? "" : ", since ", a.since.c_str());
  std::printf("  %-10s %7s %8s %10s %10s %10s %10s %10s\n", "vc", "GPUs", "jobs", "JCT mean",
              "JCT p50", "JCT p99", "queue mean", "queue p99");
  auto row = [](const std::string& name, std::int64_t gpus, std::int64_t jobs,
                const Distribution4& jct, const Distribution4& queue) {
    std::printf("  %-10s %7lld %8lld %10s %10s %10s %10s %10s\n", name.c_str(),
                static_cast<long long>(gpus), static_cast<long long>(jobs),
                HumanSeconds(jct.mean).c_str(), HumanSeconds(jct.p50).c_str(),
                HumanSeconds(jct.p99).c_str(), HumanSeconds(queue.mean).c_str(),
                HumanSeconds(queue.p99).c_str());
  };
  for (size_t i = 0; i < m.tenants.size(); ++i) {
    row(m.tenants[i].name, replay.value().vcs[i].gpus, m.tenants[i].submitted, m.tenants[i].jct_s,
        m.tenants[i].queue_s);
  }
  row("all", m.total_gpus, m.submitted, m.jct_s, m.queue_s);
  if (m.rejected > 0)
    std::printf("  rejected     %lld jobs larger than their virtual cluster\n",
                static_cast<long long>(m.rejected));
  for (const auto& [reason, n] : replay.value().excluded) {
    std::printf("  excluded     %lld jobs: %s\n", static_cast<long long>(n), reason.c_str());
  }
  std::printf("  simulation   %s events in %.2f s wall\n",
              Grouped(static_cast<std::int64_t>(m.events)).c_str(), clock.ElapsedSeconds());
  if (report.is_open()) {
    nlohmann::ordered_json j = ReportJson(m);
    // Per virtual cluster under `vcs`, with its size.
    nlohmann::ordered_json vcs = j["tenants"];
    for (size_t i = 0; i < vcs.size(); ++i) vcs[i]["gpus"] = replay.value().vcs[i].gpus;
    j.erase("tenants");
    j["vcs"] = vcs;
    j["excluded"] = replay.value().excluded;
    if (!a.since.empty()) j["run"]["since"] = a.since;
    report << j.dump(2) << "\n";
    std::printf("  report       %s\n", a.report.c_str());
  }
  return kExitOk;
}

}  // namespace

Runner AddExperimentCommand(CLI::App& app) {
  CLI::App* experiment =
      app.add_subcommand("experiment", "Reproduce published studies (docs/EXPERIMENTS.md).");
  experiment->require_subcommand(1);
  auto args = std::make_shared<VcReplayArgs>();
  CLI::App* vc = experiment->add_subcommand(
      "vc-replay",
      "The Helios-style study on Philly: each virtual cluster an isolated queue on its own\n"
      "nodes x 8 GPUs replaying its own GPU jobs; JCT and queueing overall and per virtual "
      "cluster.");
  vc->add_option("--trace", args->trace, "The trace as FORMAT:FILE, e.g. philly:philly_jobs.csv.")
      ->required();
  vc->add_option("--vcs", args->vcs, "Virtual-cluster sizes, CSV `vc,node num` (philly_vc.csv).")
      ->required()
      ->check(CLI::ExistingFile);
  vc->add_option("--policy", args->policy, "fifo, sjf (oracle) or srtf (oracle, preemptive).")
      ->capture_default_str();
  vc->add_option("--since", args->since,
                 "Only jobs submitted at or after this date (YYYY-MM-DD[ HH:MM:SS], UTC).");
  vc->add_option("--gpus-per-node", args->gpus_per_node, "GPUs per node of the virtual clusters.")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  vc->add_option("--report", args->report,
                 "Write the JSON report here (jobs.*, vcs[].jct_s, vcs[].queue_s, ...).");
  AddTraceOptions(vc, args->trace_options);
  return [args] { return RunVcReplayCommand(*args); };
}

}  // namespace gpufleet::cli
