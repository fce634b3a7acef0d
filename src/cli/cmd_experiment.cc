// gpufleet experiment: studies from the literature, run on the same machinery as `sim`.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/experiment_pages.h"
#include "cli/html_output.h"
#include "cli/output_file.h"
#include "cli/progress.h"
#include "cli/validators.h"
#include "experiment/openb.h"
#include "experiment/parallel.h"
#include "experiment/vc_replay.h"
#include "report/report.h"
#include "trace/datetime.h"
#include "trace/trace.h"

namespace gpufleet::cli {
namespace {

// The study goes to 1.3; far beyond, the pods drawn (tune x capacity) no longer fit in memory.
constexpr double kMaxTune = 100;

struct VcReplayArgs {
  std::string trace, vcs, policy = "fifo", since, report, html;
  int gpus_per_node = 8;
  TraceOptions trace_options;
};

int RunVcReplayCommand(const VcReplayArgs& a) {
  if (a.policy != "fifo" && a.policy != "sjf" && a.policy != "srtf") {
    std::cerr << "gpufleet experiment vc-replay: --policy: expected fifo, sjf or srtf, got '"
              << a.policy << "'\n";
    return kExitBadInput;
  }
  VcReplayOptions options;
  options.scheduler.policy = a.policy;
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
  if (Status s = CheckTracePath(arg.value()); !s.ok()) {
    std::cerr << "gpufleet experiment vc-replay: --trace: " << s.message() << "\n";
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
  if (!a.html.empty() && !HtmlPagesPossible("gpufleet experiment vc-replay: ")) return kExitFailure;
  OutputFile report;
  if (!report.Open(a.report)) {
    std::cerr << "gpufleet experiment vc-replay: --report: " << report.error() << "\n";
    return kExitFailure;
  }
  if (report.is_stdout() && a.html == "-") {
    std::cerr << "gpufleet experiment vc-replay: --report and --html cannot both be standard "
                 "output\n";
    return kExitBadInput;
  }
  // With the report or the page on standard output, the table goes to stderr.
  std::FILE* out = report.is_stdout() || a.html == "-" ? stderr : stdout;
  ProgressBar clock(kNever, false);
  Result<VcReplay> replay = RunVcReplay(trace.value(), quotas.value(), options);
  if (!replay.ok()) {
    std::cerr << replay.message() << "\n";
    return kExitBadInput;
  }
  const SimResult all = MergeVcRuns(replay.value());
  RunInfo info{"(one fleet per virtual cluster: " + a.vcs + ")",
               a.trace,
               a.policy,
               0,
               kNever,
               clock.ElapsedSeconds(),
               {},
               "",
               "",
               ""};
  info.traces.push_back(TraceSummary{trace.value().name, trace.value().rows,
                                     static_cast<std::int64_t>(trace.value().jobs.size()),
                                     trace.value().skipped, trace.value().excluded});
  const Metrics m = ComputeMetrics(all, info);

  std::fprintf(out, "gpufleet experiment vc-replay: %s, policy %s%s%s\n",
               trace.value().name.c_str(), a.policy.c_str(), a.since.empty() ? "" : ", since ",
               a.since.c_str());
  std::fprintf(out, "  %-10s %7s %8s %10s %10s %10s %10s %10s\n", "vc", "GPUs", "jobs", "JCT mean",
               "JCT p50", "JCT p99", "queue mean", "queue p99");
  auto row = [out](const std::string& name, std::int64_t gpus, std::int64_t jobs,
                   const Distribution4& jct, const Distribution4& queue) {
    std::fprintf(out, "  %-10s %7lld %8lld %10s %10s %10s %10s %10s\n", name.c_str(),
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
    std::fprintf(out, "  rejected     %lld jobs larger than their virtual cluster\n",
                 static_cast<long long>(m.rejected));
  for (const auto& [reason, n] : replay.value().excluded) {
    std::fprintf(out, "  excluded     %lld jobs: %s\n", static_cast<long long>(n), reason.c_str());
  }
  std::fprintf(out, "  simulation   %s events in %.2f s wall\n",
               Grouped(static_cast<std::int64_t>(m.events)).c_str(), clock.ElapsedSeconds());
  nlohmann::ordered_json j = ReportJson(m);
  // Per virtual cluster under `vcs`, with its size.
  nlohmann::ordered_json vcs = j["tenants"];
  for (size_t i = 0; i < vcs.size(); ++i) vcs[i]["gpus"] = replay.value().vcs[i].gpus;
  j.erase("tenants");
  j["vcs"] = vcs;
  j["excluded"] = replay.value().excluded;
  if (!a.since.empty()) j["run"]["since"] = a.since;
  if (!a.html.empty()) {
    std::string command = "gpufleet experiment vc-replay --trace " + a.trace + " --vcs " + a.vcs +
                          " --policy " + a.policy;
    if (!a.since.empty()) command += " --since '" + a.since + "'";
    if (!WriteFiguresPage(a.html, VcReplayPage(command, j, DistributionsOf(all)),
                          "gpufleet experiment vc-replay: "))
      return kExitFailure;
    if (a.html != "-") std::fprintf(out, "  html         %s\n", a.html.c_str());
  }
  if (report.is_open()) {
    report.stream() << j.dump(2) << "\n";
    if (!report.Commit()) {
      std::cerr << "gpufleet experiment vc-replay: --report: " << report.error() << "\n";
      return kExitFailure;
    }
    if (!report.is_stdout()) std::fprintf(out, "  report       %s\n", a.report.c_str());
  }
  return kExitOk;
}

struct OpenbArgs {
  std::string nodes, policies = "all", seeds = "42-51", out, frag_out, html;
  std::vector<std::string> pods;
  double tune = 1.3;
  int threads = 2;
};

// "42-51" or "42,43,50".
std::optional<std::vector<std::uint64_t>> ParseSeeds(const std::string& text) {
  std::vector<std::uint64_t> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, comma - start);
    const size_t dash = part.find('-');
    try {
      size_t used = 0;
      if (dash == std::string::npos) {
        out.push_back(std::stoull(part, &used));
        if (used != part.size()) return std::nullopt;
      } else {
        const std::uint64_t lo = std::stoull(part.substr(0, dash), &used);
        if (used != dash) return std::nullopt;
        const std::uint64_t hi = std::stoull(part.substr(dash + 1), &used);
        if (used != part.size() - dash - 1 || hi < lo || hi - lo > 100000) return std::nullopt;
        for (std::uint64_t k = 0; k <= hi - lo; ++k) out.push_back(lo + k);
      }
    } catch (const std::exception&) {
      return std::nullopt;
    }
    start = comma + 1;
  }
  return out;
}

std::string Stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

int RunOpenbCommand(const OpenbArgs& a) {
  std::vector<SharePolicy> policies;
  if (a.policies == "all") {
    policies = AllSharePolicies();
  } else {
    size_t start = 0;
    while (start <= a.policies.size()) {
      const size_t comma = std::min(a.policies.find(',', start), a.policies.size());
      const std::optional<SharePolicy> p =
          ParseSharePolicy(a.policies.substr(start, comma - start));
      if (!p) {
        std::cerr << "gpufleet experiment openb: --policy: expected all or a list of random, "
                     "dotprod, clustering, "
                     "packing, bestfit, fgd, got '"
                  << a.policies << "'\n";
        return kExitBadInput;
      }
      policies.push_back(*p);
      start = comma + 1;
    }
  }
  const std::optional<std::vector<std::uint64_t>> seeds = ParseSeeds(a.seeds);
  if (!seeds || seeds->empty()) {
    std::cerr << "gpufleet experiment openb: --seeds: expected a range such as 42-51 or a list "
                 "such as 42,43, got '"
              << a.seeds << "'\n";
    return kExitBadInput;
  }
  if (!(a.tune > 0)) {
    std::cerr << "gpufleet experiment openb: --tune: expected a positive ratio\n";
    return kExitBadInput;
  }
  if (!a.html.empty() && !HtmlPagesPossible("gpufleet experiment openb: ")) return kExitFailure;
  Result<OpenbCluster> cluster = LoadOpenbNodes(a.nodes);
  if (!cluster.ok()) {
    std::cerr << cluster.message() << "\n";
    return kExitBadInput;
  }
  struct Workload {
    std::string name;
    std::vector<OpenbPod> pods;
    std::vector<TypicalPod> typical;
  };
  std::vector<Workload> workloads;
  for (const std::string& path : a.pods) {
    Result<std::vector<OpenbPod>> pods = LoadOpenbPods(path, cluster.value());
    if (!pods.ok()) {
      std::cerr << pods.message() << "\n";
      return kExitBadInput;
    }
    std::vector<TypicalPod> typical = TypicalPods(pods.value());
    workloads.push_back(Workload{Stem(path), std::move(pods).value(), std::move(typical)});
  }
  OutputFile out_file, frag_file;
  if (!out_file.Open(a.out)) {
    std::cerr << "gpufleet experiment openb: --alloc-csv: " << out_file.error() << "\n";
    return kExitFailure;
  }
  if (!frag_file.Open(a.frag_out)) {
    std::cerr << "gpufleet experiment openb: --frag-csv: " << frag_file.error() << "\n";
    return kExitFailure;
  }
  if (out_file.is_stdout() + frag_file.is_stdout() + (a.html == "-") > 1) {
    std::cerr << "gpufleet experiment openb: only one of --alloc-csv, --frag-csv and --html may "
                 "be standard output\n";
    return kExitBadInput;
  }
  std::ostream& out = out_file.stream();
  std::ostream& frag_out = frag_file.stream();
  // With a curve or the page on standard output, the table goes to stderr.
  std::FILE* table =
      out_file.is_stdout() || frag_file.is_stdout() || a.html == "-" ? stderr : stdout;
  // Every (workload, policy, seed) run is independent: spread them over threads, write in order.
  struct Task {
    size_t workload;
    SharePolicy policy;
    std::uint64_t seed;
    OpenbCurves curves;
    std::int64_t arrivals = 0, failed = 0;
  };
  std::vector<Task> tasks;
  for (size_t w = 0; w < workloads.size(); ++w) {
    for (SharePolicy p : policies) {
      for (std::uint64_t s : *seeds) tasks.push_back(Task{w, p, s, {}});
    }
  }
  ProgressBar clock(kNever, false);
  ParallelFor(tasks.size(), a.threads, [&](size_t k) {
    Task& t = tasks[k];
    const Workload& w = workloads[t.workload];
    const OpenbRun run = RunOpenb(cluster.value(), w.pods, w.typical, t.policy, t.seed, a.tune);
    t.curves = BinCurves(run, cluster.value().total_gpus);
    t.arrivals = static_cast<std::int64_t>(run.arrival.size());
    t.failed = run.failed;
  });

  char tune[32];
  std::snprintf(tune, sizeof tune, "%g", a.tune);
  auto header = [](std::ostream& o, bool total) {
    o << "workload,sc_policy,tune,seed" << (total ? ",total_gpus" : "");
    for (int x = 0; x <= 130; ++x) o << ',' << x;
    o << '\n';
  };
  auto cells = [](std::ostream& o, const std::array<std::optional<double>, 131>& curve) {
    char buf[32];
    for (const auto& v : curve) {
      o << ',';
      if (v) {
        std::snprintf(buf, sizeof buf, "%.2f", *v);
        o << buf;
      }
    }
    o << '\n';
  };
  header(out, true);
  if (frag_file.is_open()) header(frag_out, false);
  std::fprintf(table, "gpufleet experiment openb: %zu runs, %lld GPUs, tune %s\n", tasks.size(),
               static_cast<long long>(cluster.value().total_gpus), tune);
  std::fprintf(table, "  %-28s %-11s %5s %9s %8s %12s\n", "workload", "policy", "seed", "arrivals",
               "failed", "alloc@130%");
  for (const Task& t : tasks) {
    const std::string& name = workloads[t.workload].name;
    out << name << ',' << SharePolicyName(t.policy) << ',' << tune << ',' << t.seed << ','
        << cluster.value().total_gpus;
    cells(out, t.curves.allocation);
    if (frag_file.is_open()) {
      frag_out << name << ',' << SharePolicyName(t.policy) << ',' << tune << ',' << t.seed;
      cells(frag_out, t.curves.fragmentation);
    }
    const auto& last = t.curves.allocation[130];
    std::fprintf(table, "  %-28s %-11s %5llu %9lld %8lld %11.2f%%\n", name.c_str(),
                 SharePolicyName(t.policy), static_cast<unsigned long long>(t.seed),
                 static_cast<long long>(t.arrivals), static_cast<long long>(t.failed),
                 last ? *last : 0.0);
  }
  for (auto [file, flag] :
       {std::make_pair(&out_file, "--alloc-csv"), std::make_pair(&frag_file, "--frag-csv")}) {
    if (!file->Commit()) {
      std::cerr << "gpufleet experiment openb: " << flag << ": " << file->error() << "\n";
      return kExitFailure;
    }
  }
  if (!a.html.empty()) {
    std::vector<OpenbPageRun> runs;
    for (const Task& t : tasks) {
      runs.push_back(OpenbPageRun{workloads[t.workload].name, SharePolicyName(t.policy), t.seed,
                                  t.arrivals, t.failed, t.curves.allocation,
                                  t.curves.fragmentation});
    }
    std::string command = "gpufleet experiment openb --nodes " + a.nodes;
    for (const std::string& p : a.pods) command += " --pods " + p;
    command += " --policy " + a.policies + " --seeds " + a.seeds + " --tune " + tune;
    if (!WriteFiguresPage(a.html, OpenbPage(command, cluster.value().total_gpus, a.tune, runs),
                          "gpufleet experiment openb: "))
      return kExitFailure;
  }
  std::fprintf(table, "  wrote %s%s%s%s%s in %.2f s wall\n", a.out.c_str(),
               a.frag_out.empty() ? "" : " and ", a.frag_out.c_str(),
               a.html.empty() || a.html == "-" ? "" : " and ", a.html == "-" ? "" : a.html.c_str(),
               clock.ElapsedSeconds());
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
  vc->add_option("--vc-gpus-per-node,--gpus-per-node", args->gpus_per_node,
                 "GPUs per node of the virtual clusters (as sim's; --gpus-per-node: the old name).")
      ->capture_default_str()
      ->check(PositiveCount());
  vc->add_option("--report", args->report,
                 "Write the JSON report here (jobs.*, vcs[].jct_s, vcs[].queue_s, ...).");
  vc->add_option("--html", args->html,
                 "Write one self-contained HTML page: the replay, a table by virtual cluster, and "
                 "JCT and queue wait by percentile for each ('-': standard output).");
  AddTraceOptions(vc, args->trace_options);
  vc->footer(
      "Example ($T: the folder of the public traces):\n"
      "  gpufleet experiment vc-replay --trace philly:$T/philly/philly_jobs.csv \\\n"
      "      --vcs $T/philly/philly_vc.csv --policy sjf --since 2017-10-01 --report vc.json");

  auto oargs = std::make_shared<OpenbArgs>();
  CLI::App* ob = experiment->add_subcommand(
      "openb",
      "The openb GPU-sharing placement study (Weng et al., ATC'23): pods arrive one at a time in "
      "a\n"
      "seeded order tuned to --tune x the cluster's GPU capacity and are placed once or fail; "
      "writes\n"
      "the allocation curve in the authors' analysis_allo_discrete.csv layout (and, with\n"
      "--frag-out, the fragmentation curve as analysis_frag_discrete.csv).");
  ob->add_option("--nodes", oargs->nodes, "Node list, CSV sn,cpu_milli,memory_mib,gpu,model.")
      ->required()
      ->check(CLI::ExistingFile);
  ob->add_option("--pods", oargs->pods,
                 "Pod list(s), CSV name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec...] "
                 "(repeatable).")
      ->required()
      ->check(CLI::ExistingFile);
  ob->add_option(
        "--policy", oargs->policies,
        "all, or a comma-separated list of random, dotprod, clustering, packing, bestfit, fgd.")
      ->capture_default_str();
  ob->add_option("--seeds,--seed", oargs->seeds, "Seeds: a range (42-51), a list (42,43) or one.")
      ->capture_default_str();
  ob->add_option(
        "--tune", oargs->tune,
        "Arrived GPU demand as a multiple of the cluster's GPU capacity (above 0, at most\n"
        "100: the pods drawn are held in memory).")
      ->capture_default_str()
      ->check(RealIn(0, kMaxTune, true));
  ob->add_option("--alloc-csv,--out", oargs->out,
                 "Allocation curve CSV: workload,sc_policy,tune,seed,total_gpus,0,...,130.")
      ->required();
  ob->add_option("--frag-csv,--frag-out", oargs->frag_out,
                 "Fragmentation curve CSV: workload,sc_policy,tune,seed,0,...,130.");
  ob->add_option("--html", oargs->html,
                 "Also write one self-contained HTML page: each workload's allocation and "
                 "fragmentation curves, a line per policy (the mean over the seeds), and a table "
                 "('-': standard output).");
  ob->add_option("--threads", oargs->threads,
                 "Runs in parallel (independent; results do not depend on it).")
      ->capture_default_str()
      ->check(PositiveCount());
  ob->footer(
      "Example ($T: the folder of the public traces):\n"
      "  gpufleet experiment openb --nodes $T/alibaba-gpu-2023/openb_node_list_gpu_node.csv \\\n"
      "      --pods $T/alibaba-gpu-2023/openb_pod_list_default.csv --seeds 42-51 "
      "--alloc-csv allo.csv");
  const PolluxCommand pollux = AddPolluxExperimentCommand(experiment);
  return [args, oargs, vc, pollux] {
    if (vc->parsed()) return RunVcReplayCommand(*args);
    if (pollux.command->parsed()) return pollux.run();
    return RunOpenbCommand(*oargs);
  };
}

}  // namespace gpufleet::cli
