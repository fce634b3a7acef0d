// gpufleet experiment pollux: the Pollux paper's simulated baselines (docs/EXPERIMENTS.md).
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/experiment_pages.h"
#include "cli/html_output.h"
#include "cli/output_file.h"
#include "cli/progress.h"
#include "experiment/pollux.h"
#include "report/report.h"
#include "util/duration.h"

namespace gpufleet::cli {
namespace {

struct PolluxArgs {
  std::string workloads, profiles, nd_table, policy = "tiresias", round = "60s", out, html;
};

// The folder's name, e.g. `workloads-1.5`, for the summary's title.
std::string FolderName(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int RunPolluxCommand(const PolluxArgs& a) {
  const char* me = "gpufleet experiment pollux";
  const std::optional<RoundPolicyKind> policy = ParseRoundPolicy(a.policy);
  if (!policy) {
    std::cerr << me << ": --policy: expected one of " << RoundPolicyNames() << ", got '" << a.policy
              << "'\n";
    return kExitBadInput;
  }
  Result<SimTime> round = ParseDuration(a.round);
  if (!round.ok() || round.value() <= 0 || round.value() % kSecond != 0) {
    std::cerr << me << ": --round: expected a positive whole number of seconds such as 60s, got '"
              << a.round << "'\n";
    return kExitBadInput;
  }
  if (!a.html.empty() && !HtmlPagesPossible(std::string(me) + ": ")) return kExitFailure;
  RoundOptions options;
  options.round = round.value();
  const std::string nd_table =
      a.nd_table.empty() ? a.profiles + "/../nd_throughput_table.csv" : a.nd_table;
  Result<PolluxApplications> apps = LoadPolluxApplications(a.profiles, nd_table);
  if (!apps.ok()) {
    std::cerr << apps.message() << "\n";
    return kExitBadInput;
  }
  Result<std::vector<PolluxWorkload>> workloads = LoadPolluxWorkloads(a.workloads, apps.value());
  if (!workloads.ok()) {
    std::cerr << workloads.message() << "\n";
    return kExitBadInput;
  }
  OutputFile out_file;
  if (!out_file.Open(a.out)) {
    std::cerr << me << ": --jobs-csv: " << out_file.error() << "\n";
    return kExitFailure;
  }
  if (out_file.is_stdout() && a.html == "-") {
    std::cerr << me << ": --jobs-csv and --html cannot both be standard output\n";
    return kExitBadInput;
  }
  std::ostream& out = out_file.stream();
  // With the JCTs or the page on standard output, the table goes to stderr.
  std::FILE* table = out_file.is_stdout() || a.html == "-" ? stderr : stdout;
  ProgressBar clock(kNever, false);
  std::vector<PolluxRun> runs;
  for (const PolluxWorkload& w : workloads.value()) {
    Result<PolluxRun> run = RunPolluxWorkload(w, apps.value(), *policy, options);
    if (!run.ok()) {
      std::cerr << me << ": " << run.message() << "\n";
      return kExitBadInput;
    }
    runs.push_back(std::move(run).value());
  }
  const double wall = clock.ElapsedSeconds();

  out << "workload,job,jct_s\n";
  for (size_t w = 0; w < runs.size(); ++w) {
    const std::vector<PolluxJob>& jobs = workloads.value()[w].jobs;
    for (size_t j = 0; j < jobs.size(); ++j)
      out << runs[w].workload << ',' << jobs[j].name << ',' << WholeSeconds(runs[w].jct[j]) << '\n';
  }
  if (!out_file.Commit()) {
    std::cerr << me << ": --jobs-csv: " << out_file.error() << "\n";
    return kExitFailure;
  }

  std::fprintf(table, "%s: %s, policy %s, %lld s rounds, %d x %d GPUs\n", me,
               FolderName(a.workloads).c_str(), RoundPolicyName(*policy),
               static_cast<long long>(WholeSeconds(options.round)), options.cluster.nodes,
               options.cluster.gpus_per_node);
  std::fprintf(table, "  %-12s %6s %14s %10s %9s %10s\n", "workload", "jobs", "avg JCT (s)",
               "avg JCT", "restarts", "makespan");
  double mean = 0;
  for (size_t w = 0; w < runs.size(); ++w) {
    const PolluxRun& r = runs[w];
    mean += r.average_jct_s;
    std::fprintf(table, "  %-12s %6zu %14.4f %10s %9lld %10s\n", r.workload.c_str(),
                 workloads.value()[w].jobs.size(), r.average_jct_s,
                 HumanSeconds(r.average_jct_s).c_str(), static_cast<long long>(r.rounds.restarts),
                 HumanSeconds(ToSeconds(r.rounds.end_time)).c_str());
  }
  mean /= static_cast<double>(runs.size());
  std::fprintf(table, "  %-12s %6s %14.4f %10s\n",
               ("mean of " + std::to_string(runs.size())).c_str(), "", mean,
               HumanSeconds(mean).c_str());
  if (!a.html.empty()) {
    std::vector<PolluxPageRun> pages;
    for (const PolluxRun& r : runs) {
      PolluxPageRun p{
          r.workload, {}, r.average_jct_s, r.rounds.restarts, ToSeconds(r.rounds.end_time)};
      for (SimTime jct : r.jct) p.jct_s.push_back(ToSeconds(jct));
      pages.push_back(std::move(p));
    }
    const std::string command = "gpufleet experiment pollux --workloads " + a.workloads +
                                " --profiles " + a.profiles + " --policy " + a.policy +
                                " --round " + a.round;
    if (!WriteFiguresPage(
            a.html, PolluxPage(command, RoundPolicyName(*policy), ToSeconds(options.round), pages),
            std::string(me) + ": "))
      return kExitFailure;
  }
  std::fprintf(table, "  wrote %s (workload,job,jct_s)%s%s in %.2f s wall\n", a.out.c_str(),
               a.html.empty() || a.html == "-" ? "" : " and ", a.html == "-" ? "" : a.html.c_str(),
               wall);
  return kExitOk;
}

}  // namespace

PolluxCommand AddPolluxExperimentCommand(CLI::App* experiment) {
  auto args = std::make_shared<PolluxArgs>();
  CLI::App* cmd = experiment->add_subcommand(
      "pollux",
      "The Pollux paper's simulated baselines (Qiao et al., OSDI'21): workloads of jobs on a\n"
      "16 x 4-GPU cluster, progress driven by measured throughput profiles and per-epoch\n"
      "statistical efficiency, scheduled in fixed rounds; writes every job's JCT\n"
      "(workload,job,jct_s) and prints the average JCT per workload and their mean.");
  cmd->add_option("--workloads", args->workloads,
                  "Folder of workload-<N>.csv files (name,time,application,num_replicas,"
                  "batch_size), e.g. pollux-osdi21/workloads-1.5.")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--profiles", args->profiles,
                  "Folder with one folder per application (validation-<B>.csv, placements.csv).")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--nd-table", args->nd_table,
                  "Step times of placements over 5+ nodes (nd_throughput_table.csv); default: "
                  "next to the profiles folder.");
  cmd->add_option("--policy", args->policy,
                  "tiresias (2 queues, 16 GPU-hours), optimus (oracle), fifo, fifo-backfill or "
                  "las (Tiresias with one queue).")
      ->capture_default_str();
  cmd->add_option("--round", args->round, "Scheduling interval (the study's is 60s).")
      ->capture_default_str();
  cmd->add_option("--jobs-csv,--out", args->out,
                  "Per-job CSV: workload,job,jct_s (- for standard output; --out: the old name).")
      ->required();
  cmd->add_option("--html", args->html,
                  "Also write one self-contained HTML page: a table by workload and each "
                  "workload's JCT by percentile ('-': standard output).");
  cmd->footer(
      "Example ($T: the folder of the public traces):\n"
      "  gpufleet experiment pollux --workloads $T/pollux-osdi21/workloads \\\n"
      "      --profiles $T/pollux-osdi21/profiles --policy tiresias --jobs-csv jct.csv");
  return PolluxCommand{cmd, [args] { return RunPolluxCommand(*args); }};
}

}  // namespace gpufleet::cli
