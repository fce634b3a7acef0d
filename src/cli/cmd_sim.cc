// gpufleet sim: run the digital twin on a fleet and a workload.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <tuple>

#include "cli/commands.h"
#include "cli/progress.h"
#include "report/report.h"
#include "sim/simulator.h"
#include "spec/specs.h"
#include "trace/trace.h"
#include "util/duration.h"

namespace gpufleet::cli {
namespace {

struct SimArgs {
  std::string fleet, workload, policy = "backfill", until, report, jobs_csv, events, vcs;
  std::vector<std::string> traces;
  TraceOptions trace_options;
  int vc_gpus_per_node = 8;
  std::string las_thresholds = "16h", fairshare_half_life = "7d";
  std::string launch_delay = "0s", preemption_grace = "0s";
  double las_promote_knob = 0;
  std::uint64_t seed = 1;
  int bf_max_job_test = 500;
  bool no_progress = false;
  bool no_physics = false;
  std::string failures;  // llama3 | none: replaces the workload's failure model
};

int RunSim(const SimArgs& a) {
  if (!IsPolicy(a.policy)) {
    std::cerr << "gpufleet sim: --policy: unknown policy '" << a.policy
              << "'; expected one of: " << PolicyNames() << "\n";
    return kExitBadInput;
  }
  SimTime until = kNever;
  if (!a.until.empty()) {
    Result<SimTime> u = ParseDuration(a.until);
    if (!u.ok()) {
      std::cerr << "gpufleet sim: --until: " << u.message() << "\n";
      return kExitBadInput;
    }
    until = u.value();
  }
  Result<Fleet> fleet = LoadAnyFleet(a.fleet);
  if (!fleet.ok()) {
    std::cerr << fleet.message() << "\n";
    return kExitBadInput;
  }
  if (a.workload.empty() && a.traces.empty()) {
    std::cerr << "gpufleet sim: give a --workload, one or more --trace, or both\n";
    return kExitBadInput;
  }
  WorkloadSpec spec;
  if (!a.workload.empty()) {
    Result<WorkloadSpec> loaded = LoadWorkload(a.workload);
    if (!loaded.ok()) {
      std::cerr << loaded.message() << "\n";
      return kExitBadInput;
    }
    spec = std::move(loaded).value();
  } else {
    spec.tenants.clear();  // the traces bring their own tenants
  }
  if (a.failures == "llama3") {
    spec.failure_model = DefaultFailureModel();
  } else if (a.failures == "none") {
    spec.failure_model.reset();
  } else if (!a.failures.empty()) {
    std::cerr << "gpufleet sim: --failures: expected llama3 or none, got '" << a.failures << "'\n";
    return kExitBadInput;
  }
  Result<BoundWorkload> bound = BindWorkload(spec, fleet.value(), a.seed);
  if (!bound.ok()) {
    std::cerr << bound.message() << "\n";
    return kExitBadInput;
  }
  std::vector<TraceSummary> trace_summaries;
  for (const std::string& t : a.traces) {
    Result<TraceArg> arg = ParseTraceArg(t);
    if (!arg.ok()) {
      std::cerr << "gpufleet sim: --trace: " << arg.message() << "\n";
      return kExitBadInput;
    }
    Result<TraceJobs> jobs = LoadTrace(arg.value(), a.trace_options);
    if (!jobs.ok()) {
      std::cerr << jobs.message() << "\n";
      return kExitBadInput;
    }
    trace_summaries.push_back(TraceSummary{jobs.value().name, jobs.value().rows,
                                           static_cast<std::int64_t>(jobs.value().jobs.size()),
                                           jobs.value().skipped, jobs.value().excluded});
    if (Status s = AppendTrace(bound.value(), std::move(jobs).value(), fleet.value()); !s.ok()) {
      std::cerr << s.message() << "\n";
      return kExitBadInput;
    }
  }
  if (!a.vcs.empty()) {
    Result<std::vector<std::pair<std::string, std::int64_t>>> quotas =
        LoadVcQuotas(a.vcs, a.vc_gpus_per_node);
    if (!quotas.ok()) {
      std::cerr << quotas.message() << "\n";
      return kExitBadInput;
    }
    for (const auto& quota : quotas.value()) {
      const auto& [name, gpus] = quota;
      auto& tenants = bound.value().tenants;
      // (Not the binding in the lambda: clang 14 cannot capture structured bindings.)
      auto it = std::find_if(tenants.begin(), tenants.end(),
                             [&quota](const Tenant& t) { return t.name == quota.first; });
      if (it == tenants.end()) {
        tenants.push_back(Tenant{name, 1, gpus});
      } else {
        it->quota_gpus = gpus;
      }
    }
  }
  // Open every output before the run, so that a bad path fails in a second, not after a minute.
  std::ofstream report_out, jobs_out, events_out;
  auto open = [](std::ofstream& f, const std::string& path, const char* flag) {
    if (path.empty()) return true;
    f.open(path);
    if (!f) std::cerr << "gpufleet sim: " << flag << ": cannot write '" << path << "'\n";
    return static_cast<bool>(f);
  };
  if (!open(report_out, a.report, "--report") || !open(jobs_out, a.jobs_csv, "--jobs-csv") ||
      !open(events_out, a.events, "--events")) {
    return kExitFailure;
  }

  SimOptions options;
  options.physics = !a.no_physics;
  // las boundaries are GPU-time written as the time on one GPU: "1h,16h" = 1 and 16 GPU-hours.
  options.scheduler.las_thresholds.clear();
  for (size_t start = 0; start <= a.las_thresholds.size();) {
    const size_t comma = std::min(a.las_thresholds.find(',', start), a.las_thresholds.size());
    Result<SimTime> t = ParseDuration(a.las_thresholds.substr(start, comma - start));
    if (!t.ok() || t.value() <= 0 ||
        (!options.scheduler.las_thresholds.empty() &&
         t.value() <= options.scheduler.las_thresholds.back())) {
      std::cerr << "gpufleet sim: --las-thresholds: expected rising GPU-times such as 1h,16h, got '"
                << a.las_thresholds << "'\n";
      return kExitBadInput;
    }
    options.scheduler.las_thresholds.push_back(t.value());
    start = comma + 1;
  }
  Result<SimTime> half_life = ParseDuration(a.fairshare_half_life);
  if (!half_life.ok() || half_life.value() <= 0) {
    std::cerr
        << "gpufleet sim: --fairshare-half-life: expected a positive duration such as 7d, got '"
        << a.fairshare_half_life << "'\n";
    return kExitBadInput;
  }
  options.scheduler.fairshare_half_life_ms = half_life.value();
  for (auto [flag, text, out] :
       {std::make_tuple("--launch-delay", &a.launch_delay, &options.launch_delay),
        std::make_tuple("--preemption-grace", &a.preemption_grace, &options.preemption_grace)}) {
    Result<SimTime> d = ParseDuration(*text);
    if (!d.ok() || d.value() < 0) {
      std::cerr << "gpufleet sim: " << flag << ": expected a duration such as 0s, 30s or 2m, got '"
                << *text << "'\n";
      return kExitBadInput;
    }
    *out = d.value();
  }
  options.scheduler.las_promote_knob = a.las_promote_knob;
  options.scheduler.policy = a.policy;
  options.scheduler.bf_max_job_test = a.bf_max_job_test;
  options.until = until;
  if (bound.value().tenants.empty())
    bound.value().tenants.push_back(Tenant{"default", 1, std::nullopt});
  Simulator sim(fleet.value(), std::move(bound).value(), options);
  std::optional<CsvEventLog> log;
  if (events_out.is_open()) {
    log.emplace(events_out);
    sim.set_event_sink(&*log);
  }
  ProgressBar progress(until, !a.no_progress && StderrIsTerminal());
  sim.set_progress(
      [&progress](SimTime now, std::uint64_t events) { progress.Update(now, events); });
  SimResult result = sim.Run();
  progress.Finish();

  RunInfo info{a.fleet,        a.workload, a.policy, a.seed, until, progress.ElapsedSeconds(),
               trace_summaries};
  Metrics metrics = ComputeMetrics(result, info);
  if (options.physics) AddPowerMetrics(metrics, result, fleet.value());
  PrintSummary(std::cout, metrics, fleet.value());
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    char line[64];
    std::snprintf(line, sizeof line, "  peak memory  %.0f MiB resident\n",
                  static_cast<double>(usage.ru_maxrss) / 1024);
    std::cout << line;
  }
  for (size_t i = 0; i < result.rejections.size() && i < 5; ++i) {
    const auto& [id, reason] = result.rejections[i];
    std::cout << "  rejected     " << result.jobs[static_cast<size_t>(id)].spec.name << ": "
              << reason << "\n";
  }
  if (result.rejections.size() > 5)
    std::cout << "  rejected     ... and " << result.rejections.size() - 5 << " more\n";
  if (report_out.is_open()) {
    report_out << ReportJson(metrics).dump(2) << "\n";
    std::cout << "  report       " << a.report << "\n";
  }
  if (jobs_out.is_open()) {
    WriteJobsCsv(jobs_out, result, fleet.value());
    std::cout << "  jobs         " << a.jobs_csv << "\n";
  }
  if (events_out.is_open()) std::cout << "  events       " << a.events << "\n";
  for (std::ofstream* f : {&report_out, &jobs_out, &events_out}) {
    if (f->is_open()) {
      f->close();
      if (!*f) {
        std::cerr << "gpufleet sim: writing an output file failed\n";
        return kExitFailure;
      }
    }
  }
  return kExitOk;
}

}  // namespace

Runner AddSimCommand(CLI::App& app) {
  auto args = std::make_shared<SimArgs>();
  CLI::App* sim = app.add_subcommand(
      "sim",
      "Simulate a fleet under a workload and report job completion times, queueing and\n"
      "utilization. Deterministic: the same inputs and --seed give the same report.");
  sim->add_option("--fleet", args->fleet,
                  "Fleet spec (YAML; docs/SPEC.md), or a fleet from a trace: openb-nodes:FILE, "
                  "pai-machines:FILE.")
      ->required();
  sim->add_option("--workload", args->workload,
                  "Workload spec (YAML): tenants, jobs, generators, scripted failures, "
                  "maintenance, failure model. Optional "
                  "with --trace.")
      ->check(CLI::ExistingFile);
  sim->add_option(
      "--trace", args->traces,
      "A public trace as FORMAT:FILE (repeatable; mixes with --workload). " + TraceFormatHelp());
  sim->add_option("--vcs", args->vcs,
                  "Virtual-cluster sizes (CSV `vc,node num`, as philly_vc.csv): GPU quotas of the "
                  "tenants of that name.")
      ->check(CLI::ExistingFile);
  sim->add_option("--vc-gpus-per-node", args->vc_gpus_per_node, "GPUs per node when reading --vcs.")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  AddTraceOptions(sim, args->trace_options);
  sim->add_option("--las-thresholds", args->las_thresholds,
                  "las: queue boundaries in attained GPU-time, as time on one GPU, rising (e.g. "
                  "1h,16h = 1 and 16 "
                  "GPU-hours; n boundaries make n+1 queues).")
      ->capture_default_str();
  sim->add_option("--las-promote-knob", args->las_promote_knob,
                  "las starvation guard: a job waiting this many times its run time returns to the "
                  "first queue "
                  "(0 = off, as in Tiresias).")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sim->add_option("--fairshare-half-life", args->fairshare_half_life,
                  "fairshare: half-life of the usage that orders tenants (duration).")
      ->capture_default_str();
  sim->add_option("--policy", args->policy,
                  "Scheduling policy: fifo, priority (preemptive), backfill (EASY), sjf (oracle), "
                  "srtf (oracle, "
                  "preemptive), las (Tiresias 2D-LAS, preemptive), fairshare (tenant shares, "
                  "quotas, reclaim).")
      ->capture_default_str();
  sim->add_option("--seed", args->seed, "Seed for the workload generators (unsigned integer).")
      ->capture_default_str();
  sim->add_option("--until", args->until,
                  "Stop at this simulated time, e.g. 12h or 30d (units ms, s, m, h, d, w). "
                  "Default: run until every job has finished.");
  sim->add_option("--report", args->report, "Write the JSON report here (keys: docs/REPORT.md).");
  sim->add_option("--jobs-csv", args->jobs_csv,
                  "Write one CSV row per job here (times in seconds).");
  sim->add_option("--events", args->events,
                  "Write the event log here as CSV: time_s,event,job,detail.");
  sim->add_option("--bf-max-job-test", args->bf_max_job_test,
                  "Backfill: queued jobs examined behind the blocked head per pass (as Slurm's "
                  "bf_max_job_test).")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sim->add_option("--launch-delay", args->launch_delay,
                  "A started job holds its GPUs this long before it runs (image pull, model load); "
                  "counted as restart time.")
      ->capture_default_str();
  sim->add_option("--preemption-grace", args->preemption_grace,
                  "A preempted job keeps its GPUs this long to checkpoint before they go to "
                  "another job (Slurm's GraceTime, Kubernetes' terminationGracePeriodSeconds).")
      ->capture_default_str();
  sim->add_option("--failures", args->failures,
                  "Random failures: llama3 (Llama 3 405B's rates by category, docs/MODELS.md) or "
                  "none; replaces the workload's failure_model.");
  sim->add_flag(
      "--no-physics", args->no_physics,
      "Pure scheduling: no site power (budgets, capping, energy), random failures, "
      "network-aware training speed or checkpoint writes. Scripted failures still happen.");
  sim->add_flag("--no-progress", args->no_progress,
                "Never show the progress line (it is shown only on a terminal, after 1 s).");
  return [args] { return RunSim(*args); };
}

}  // namespace gpufleet::cli
