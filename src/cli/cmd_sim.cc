// gpufleet sim: run the digital twin on a fleet and a workload.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "cli/commands.h"
#include "cli/html_output.h"
#include "cli/interrupt.h"
#include "cli/output_file.h"
#include "cli/progress.h"
#include "cli/sim_pipeline.h"
#include "cli/validators.h"
#include "cli/workload_check.h"
#include "report/html_report.h"
#include "report/report.h"
#include "report/service_cost.h"
#include "sim/simulator.h"
#include "spec/specs.h"
#include "trace/service_jobs.h"
#include "trace/trace.h"
#include "util/duration.h"
#include "util/fingerprint.h"

namespace gpufleet::cli {
namespace {

constexpr const char* kMe = "gpufleet sim: ";

struct SimArgs {
  std::string fleet, workload, policy = "backfill", until, report, jobs_csv, events, vcs, series,
                               html;
  std::vector<std::string> traces;
  TraceOptions trace_options;
  int vc_gpus_per_node = 8;
  std::string share_policy;  // empty: the capacity index's best fit
  std::string dispatch = "best-fit";
  std::string las_thresholds = "16h", fairshare_half_life = "7d";
  std::string launch_delay = "0s", preemption_grace = "0s";
  double las_promote_knob = 0;
  std::uint64_t seed = 1;
  int bf_max_job_test = 500;
  bool no_progress = false;
  bool no_physics = false;
  bool json = false;
  std::string failures;  // llama3 | none: replaces the workload's failure model
};

// The options given on the command line, by their first long name.
using Given = std::set<std::string>;

// Options that would do nothing in this run are refused, each with the reason (all at once).
// The fingerprint of a file's bytes for the report (empty for no file or one that cannot be read
// again: the run read it already).
std::string FileFingerprint(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return Fingerprint(bytes.str());
}

std::vector<std::string> IdleOptions(const SimArgs& a, const Given& given) {
  std::vector<std::string> out;
  auto only_under = [&](const char* flag, const char* policy, const char* what) {
    if (given.count(flag) > 0 && a.policy != policy) {
      out.push_back(std::string(flag) + ": " + what + " only --policy " + policy + " uses (this " +
                    "run's policy is " + a.policy + "); leave it out or choose " + policy);
    }
  };
  only_under("--vcs", "fairshare", "sets tenant quotas, which");
  only_under("--las-thresholds", "las", "sets the queues that");
  only_under("--las-promote-knob", "las", "sets the starvation guard that");
  only_under("--fairshare-half-life", "fairshare", "sets the usage decay that");
  only_under("--bf-max-job-test", "backfill", "limits the backfill pass that");
  if (given.count("--vc-gpus-per-node") > 0 && given.count("--vcs") == 0)
    out.push_back("--vc-gpus-per-node: it reads the --vcs file, which was not given");
  if (given.count("--preemption-grace") > 0 &&
      (a.policy == "fifo" || a.policy == "backfill" || a.policy == "sjf")) {
    out.push_back("--preemption-grace: policy " + a.policy +
                  " never preempts a job; the grace period applies under priority, srtf, las "
                  "and fairshare");
  }
  if (given.count("--series") > 0 && a.report.empty() && !a.json && a.html.empty()) {
    out.push_back(
        "--series: the series goes into the JSON report; give --report FILE, --json or --html "
        "FILE");
  }
  if (a.no_physics && (a.dispatch == "power-aware" || a.dispatch == "earliest-start")) {
    out.push_back("--dispatch " + a.dispatch + ": --no-physics keeps no " +
                  (a.dispatch == "power-aware" ? "power account" : "checkpoint copies") +
                  " to choose a site by; choose best-fit, cheapest or lowest-carbon, or leave "
                  "out --no-physics");
  }
  // (--failures none agrees with --no-physics: it is how a workload's failure_model is set aside.)
  if (given.count("--failures") > 0 && a.no_physics && a.failures != "none") {
    out.push_back(
        "--failures: --no-physics turns random failures off; give one or the other (scripted "
        "failures in the workload happen either way)");
  }
  for (std::string& m : IdleTraceOptions(a.traces, {given.begin(), given.end()}))
    out.push_back(std::move(m));
  return out;
}

Result<std::vector<SimTime>> ParseLasThresholds(const std::string& text) {
  // las boundaries are GPU-time written as the time on one GPU: "1h,16h" = 1 and 16 GPU-hours.
  std::vector<SimTime> out;
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    Result<SimTime> t = ParseDuration(text.substr(start, comma - start));
    if (!t.ok() || t.value() <= 0 || (!out.empty() && t.value() <= out.back())) {
      return Error{"--las-thresholds: expected rising GPU-times such as 1h,16h, got '" + text +
                   "'"};
    }
    out.push_back(t.value());
    start = comma + 1;
  }
  return out;
}

int RunSim(const SimArgs& a, const Given& given) {
  auto bad = [](const std::string& message) {
    std::cerr << kMe << message << "\n";
    return kExitBadInput;
  };
  if (!IsPolicy(a.policy)) {
    return bad("--policy: unknown policy '" + a.policy + "'; expected one of: " + PolicyNames());
  }
  if (const std::vector<std::string> idle = IdleOptions(a, given); !idle.empty()) {
    for (const std::string& m : idle) std::cerr << kMe << m << "\n";
    return kExitBadInput;
  }
  SimTime until = kNever;
  if (!a.until.empty()) {
    Result<SimTime> u = ParseDuration(a.until);
    if (!u.ok()) return bad("--until: " + u.message());
    until = u.value();
  }
  SimTime series_interval = 0;
  if (!a.series.empty()) {
    Result<SimTime> d = ParseDuration(a.series);
    if (!d.ok() || d.value() < kMinute) {
      return bad("--series: expected an interval of at least 1m, such as 1h or 15m, got '" +
                 a.series + "'");
    }
    series_interval = d.value();
  }
  if (!a.html.empty()) {
    if (!HtmlPagesPossible(kMe)) return kExitFailure;
    // The page's plots are the series': an HTML report records one (hourly) unless told.
    if (series_interval == 0) series_interval = kHour;
  }
  int to_stdout = a.json ? 1 : 0;
  for (const std::string* path : {&a.report, &a.jobs_csv, &a.events, &a.html})
    to_stdout += *path == "-";
  if (to_stdout > 1) {
    return bad(
        "more than one output goes to standard output ('-' or --json); give files for the "
        "others");
  }
  for (const std::string* p : {&a.report, &a.jobs_csv, &a.events, &a.html}) {
    for (const std::string* q : {&a.report, &a.jobs_csv, &a.events, &a.html}) {
      if (p < q && !p->empty() && *p == *q && *p != "-")
        return bad("two outputs would write the same file '" + *p + "'");
    }
  }
  Result<Fleet> fleet = LoadAnyFleet(a.fleet);
  if (!fleet.ok()) {
    std::cerr << fleet.message() << "\n";
    return kExitBadInput;
  }
  if (a.workload.empty() && a.traces.empty())
    return bad("give a --workload, one or more --trace, or both");
  WorkloadSpec spec;
  if (!a.workload.empty()) {
    Result<WorkloadSpec> loaded = LoadWorkload(a.workload);
    if (!loaded.ok()) {
      std::cerr << loaded.message() << "\n";
      return kExitBadInput;
    }
    spec = std::move(loaded).value();
    // What `validate` finds against the fleet stops the run too: every error at once.
    const FleetCheck check = CheckAgainstFleet(spec, fleet.value(), a.workload);
    for (const std::string& e : check.errors) std::cerr << e << "\n";
    for (const std::string& w : check.warnings) std::cerr << "warning: " << w << "\n";
    if (!check.errors.empty()) return kExitBadInput;
  } else {
    spec.tenants.clear();  // the traces bring their own tenants
  }
  if (a.failures == "llama3") {
    spec.failure_model = DefaultFailureModel();
  } else if (a.failures == "none") {
    spec.failure_model.reset();
  } else if (!a.failures.empty()) {
    return bad("--failures: expected llama3 or none, got '" + a.failures + "'");
  }
  if (a.no_physics && spec.failure_model) {
    // The workload asks for random failures, which --no-physics turns off: one of the two would
    // be silently ignored (issue 11 item 11).
    return bad("--no-physics: it turns random failures off, and the workload " + a.workload +
               " has a failure_model; remove one of the two, or add --failures none");
  }
  if (until == kNever && !a.no_physics) {
    // Spot nodes are taken back for as long as the run goes: a job that can never finish there
    // (no checkpoints, reclaims faster than its work) would keep it going for ever.
    if (const Site* spot = SpotSiteNeedingHorizon(fleet.value())) {
      return bad("site '" + spot->name +
                 "' is spot, its nodes taken back at random for as long as the run goes: give "
                 "--until");
    }
  }
  Result<BoundWorkload> bound = BindWorkload(spec, fleet.value(), a.seed);
  if (!bound.ok()) {
    std::cerr << bound.message() << "\n";
    return kExitBadInput;
  }
  // Each service's replicas, as its autoscaler asks for them over its demand, join the jobs.
  const auto services_start = std::chrono::steady_clock::now();
  Result<std::vector<SimulatedService>> services =
      AppendServices(bound.value(), spec, fleet.value(), a.seed, until);
  const std::chrono::duration<double> services_wall =
      std::chrono::steady_clock::now() - services_start;
  if (!services.ok()) {
    std::cerr << services.message() << "\n";
    return kExitBadInput;
  }
  // --share-policy: FGD's typical pods from the workload's and the traces' first jobs.
  constexpr size_t kTypicalSample = 4000;
  std::vector<LabelledPod> sampled_pods;
  if (!a.share_policy.empty())
    SamplePods(spec, fleet.value(), a.seed, kTypicalSample, sampled_pods);
  std::vector<TraceSummary> trace_summaries;
  for (const std::string& t : a.traces) {
    Result<TraceArg> arg = ParseTraceArg(t);
    if (!arg.ok()) return bad("--trace: " + arg.message());
    if (Status s = CheckTracePath(arg.value()); !s.ok()) return bad("--trace: " + s.message());
    Result<TraceJobs> jobs = LoadTrace(arg.value(), a.trace_options);
    if (!jobs.ok()) {
      std::cerr << jobs.message() << "\n";
      return kExitBadInput;
    }
    if (!a.share_policy.empty()) {
      SamplePods(jobs.value().jobs, jobs.value().job_models, kTypicalSample, sampled_pods);
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
    std::int64_t total = 0;
    std::vector<std::string> without_jobs;  // clusters that no tenant of the workload matches
    for (const auto& quota : quotas.value()) {
      const auto& [name, gpus] = quota;
      total += gpus;
      auto& tenants = bound.value().tenants;
      // (Not the binding in the lambda: clang 14 cannot capture structured bindings.)
      auto it = std::find_if(tenants.begin(), tenants.end(),
                             [&quota](const Tenant& t) { return t.name == quota.first; });
      if (it == tenants.end()) {
        tenants.push_back(Tenant{name, 1, gpus});
        without_jobs.push_back(name);
      } else {
        it->quota_gpus = gpus;
      }
    }
    if (total > fleet.value().total_gpus()) {
      return bad("--vcs: the quotas total " + Grouped(total) + " GPUs (at " +
                 std::to_string(a.vc_gpus_per_node) + " per node), more than the fleet's " +
                 Grouped(fleet.value().total_gpus()) +
                 ": quotas are guarantees, and these cannot all be kept; check the file, "
                 "--vc-gpus-per-node and --fleet");
    }
    if (!without_jobs.empty()) {
      // Legitimate (a trace cut short may hold no job of some cluster), but never silent: their
      // quotas change nothing, and a misspelt name would look the same.
      const size_t n = without_jobs.size();
      if (n > 5) without_jobs.resize(5);
      std::cerr << "gpufleet sim: note: --vcs: "
                << Counted(static_cast<std::int64_t>(n), "virtual cluster")
                << " with no tenant in the workload (" << ListNames(without_jobs)
                << (n > 5 ? ", ..." : "") << "): their quotas apply to no job\n";
    }
  }

  SimOptions options;
  options.physics = !a.no_physics;
  Result<std::vector<SimTime>> thresholds = ParseLasThresholds(a.las_thresholds);
  if (!thresholds.ok()) return bad(thresholds.message());
  options.scheduler.las_thresholds = thresholds.value();
  Result<SimTime> half_life = ParseDuration(a.fairshare_half_life);
  if (!half_life.ok() || half_life.value() <= 0) {
    return bad("--fairshare-half-life: expected a positive duration such as 7d, got '" +
               a.fairshare_half_life + "'");
  }
  options.scheduler.fairshare_half_life_ms = half_life.value();
  for (auto [flag, text, out] :
       {std::make_tuple("--launch-delay", &a.launch_delay, &options.launch_delay),
        std::make_tuple("--preemption-grace", &a.preemption_grace, &options.preemption_grace)}) {
    Result<SimTime> d = ParseDuration(*text);
    if (!d.ok() || d.value() < 0) {
      return bad(std::string(flag) + ": expected a duration such as 0s, 30s or 2m, got '" + *text +
                 "'");
    }
    *out = d.value();
  }
  options.scheduler.las_promote_knob = a.las_promote_knob;
  options.scheduler.policy = a.policy;
  if (!a.share_policy.empty()) {
    options.scheduler.share_policy = ParseSharePolicy(a.share_policy);
    options.scheduler.share_typical = TypicalPodsOf(sampled_pods);
    options.scheduler.share_seed = a.seed;
  }
  options.scheduler.bf_max_job_test = a.bf_max_job_test;
  options.scheduler.dispatch = ParseDispatch(a.dispatch).value_or(Dispatch::kBestFit);
  options.until = until;
  options.series_interval = series_interval;
  if (bound.value().tenants.empty())
    bound.value().tenants.push_back(Tenant{"default", 1, std::nullopt});

  // Ctrl-C stops the run between events; outputs go to temporary files beside their paths, which
  // replace the paths only once everything is written, so an interrupted or failed run keeps the
  // old files. Opened before the run, so that a bad path fails in a second, not after a minute.
  CooperativeStop cooperative;
  OutputFile report_out, jobs_out, events_out, html_out;
  for (auto [file, path, flag] : {std::make_tuple(&report_out, &a.report, "--report"),
                                  std::make_tuple(&jobs_out, &a.jobs_csv, "--jobs-csv"),
                                  std::make_tuple(&events_out, &a.events, "--events"),
                                  std::make_tuple(&html_out, &a.html, "--html")}) {
    if (!file->Open(*path)) {
      std::cerr << kMe << flag << ": " << file->error() << "\n";
      return kExitFailure;
    }
  }
  // With data on standard output, the summary goes to stderr.
  std::ostream& summary = to_stdout > 0 && !a.json ? std::cerr : std::cout;

  const std::vector<Tenant> tenants = bound.value().tenants;
  const std::vector<BoundOutage> outages = bound.value().outages;
  Simulator sim(fleet.value(), std::move(bound).value(), options);
  RunJobs jobs(tenants, series_interval > 0);
  if (jobs_out.is_open()) jobs.csv.emplace(jobs_out.stream(), fleet.value(), tenants);
  sim.set_job_sink(&jobs);
  if (!services.value().empty()) jobs.Observe(sim);
  std::optional<CsvEventLog> log;
  if (events_out.is_open()) {
    log.emplace(events_out.stream());
    sim.set_event_sink(&*log);
  }
  ProgressBar progress(until, a.no_progress ? ProgressBar::Mode::kOff : ProgressBar::ForStderr());
  SimTime reached = 0;
  sim.set_progress([&progress, &reached](SimTime now, std::uint64_t events) {
    reached = now;
    progress.Update(now, events);
  });
  sim.set_stop_flag(&StopFlag());
  SimResult result = sim.Run();
  progress.Finish();
  if (sim.interrupted()) {
    std::cerr << kMe << "interrupted by " << SignalName(StopSignal()) << " after "
              << Grouped(static_cast<std::int64_t>(result.events)) << " events (simulated day "
              << std::to_string(static_cast<double>(reached) / kDay).substr(0, 4)
              << "); no output written, existing files kept\n";
    return ExitCodeFor(StopSignal());
  }

  RunInfo info{a.fleet,
               a.workload,
               a.policy,
               a.seed,
               until,
               progress.ElapsedSeconds(),
               trace_summaries,
               FileFingerprint(a.fleet),
               FileFingerprint(a.workload),
               a.share_policy};
  if (a.dispatch != DispatchName(Dispatch::kBestFit)) info.dispatch = a.dispatch;
  Metrics metrics = std::move(jobs.tally).Finish(result, info);
  metrics.run.services_wall_s = services_wall.count();  // the replay's is added to it
  if (Status st = CompleteMetrics(metrics, fleet.value(), result, services.value(), jobs, outages,
                                  options.physics);
      !st.ok()) {
    std::cerr << kMe << st.message() << "\n";
    return kExitBadInput;
  }
  if (a.json) {
    std::cout << ReportJson(metrics).dump(2) << "\n";
  } else {
    PrintSummary(summary, metrics, fleet.value());
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
      char line[64];
      std::snprintf(line, sizeof line, "  peak memory  %s MiB resident\n",
                    Grouped(static_cast<std::int64_t>(usage.ru_maxrss / 1024)).c_str());
      summary << line;
    }
  }
  if (!result.rejections.empty()) {
    // Jobs that can never run on this fleet (generated or from a trace: explicit ones were
    // refused before the run). The run goes on without them; the report counts them.
    std::cerr << "warning: " << Counted(static_cast<std::int64_t>(result.rejections.size()), "job")
              << " rejected: " << (result.rejections.size() == 1 ? "it" : "they")
              << " can never run on this fleet (jobs.rejected in the report)\n";
    for (size_t i = 0; i < result.rejections.size() && i < 5; ++i) {
      std::cerr << "  rejected     " << jobs.rejected_names[i] << ": "
                << result.rejections[i].second << "\n";
    }
    if (result.rejections.size() > 5)
      std::cerr << "  rejected     ... and " << Grouped(result.rejections.size() - 5) << " more\n";
  }
  if (report_out.is_open()) report_out.stream() << ReportJson(metrics).dump(2) << "\n";
  if (html_out.is_open()) {
    Result<std::string> page = HtmlReport(ReportJson(metrics), "gpufleet " GPUFLEET_VERSION);
    if (!page.ok()) {
      std::cerr << kMe << "--html: " << page.message() << "\n";
      return kExitFailure;
    }
    html_out.stream() << page.value();
  }
  int status = kExitOk;
  for (auto [file, label] :
       {std::make_pair(&report_out, "report"), std::make_pair(&jobs_out, "jobs"),
        std::make_pair(&events_out, "events"), std::make_pair(&html_out, "html")}) {
    if (!file->is_open()) continue;
    const bool to_terminal = file->is_stdout();
    const std::string path = file->path();
    if (!file->Commit()) {
      std::cerr << kMe << file->error() << "\n";
      status = kExitFailure;
    } else if (!to_terminal && !a.json) {
      char row[24];
      std::snprintf(row, sizeof row, "  %-13s", label);
      summary << row << path << "\n";
    }
  }
  return status;
}

}  // namespace

Runner AddSimCommand(CLI::App& app) {
  auto args = std::make_shared<SimArgs>();
  CLI::App* sim = app.add_subcommand(
      "sim",
      "Simulate a fleet under a workload and report job completion times, queueing and\n"
      "utilization. Deterministic: the same inputs and --seed give the same report.\n"
      "Options that would do nothing in the run (a knob of another policy) are refused.");
  sim->add_option("--fleet", args->fleet,
                  "Fleet spec (YAML; docs/SPEC.md), or a fleet from a trace: openb-nodes:FILE, "
                  "pai-machines:FILE.")
      ->required();
  sim->add_option("--workload", args->workload,
                  "Workload spec (YAML): tenants, jobs, generators, inference services (their "
                  "replicas placed beside the jobs), scripted failures, maintenance, outages of "
                  "a site or provider, failure model. Optional with --trace.")
      ->check(CLI::ExistingFile);
  sim->add_option(
      "--trace", args->traces,
      "A public trace as FORMAT:FILE (repeatable; mixes with --workload). " + TraceFormatHelp());
  sim->add_option("--vcs", args->vcs,
                  "fairshare: virtual-cluster sizes (CSV `vc,node num`, as philly_vc.csv) as GPU "
                  "quotas of the tenants of that name.")
      ->check(CLI::ExistingFile);
  sim->add_option("--vc-gpus-per-node", args->vc_gpus_per_node, "GPUs per node when reading --vcs.")
      ->capture_default_str()
      ->check(PositiveCount());
  AddTraceOptions(sim, args->trace_options);
  sim->add_option("--las-thresholds", args->las_thresholds,
                  "las: queue boundaries in attained GPU-time, as time on one GPU, rising (e.g. "
                  "1h,16h = 1 and 16 GPU-hours; n boundaries make n+1 queues).")
      ->capture_default_str();
  sim->add_option("--las-promote-knob", args->las_promote_knob,
                  "las starvation guard: a job waiting this many times its run time returns to the "
                  "first queue (0 = off, as in Tiresias; at most 1,000,000).")
      ->capture_default_str()
      ->check(RealIn(0, 1e6));
  sim->add_option("--fairshare-half-life", args->fairshare_half_life,
                  "fairshare: half-life of the usage that orders tenants (duration).")
      ->capture_default_str();
  sim->add_option("--share-policy", args->share_policy,
                  "Place every job that fits one node by a GPU-sharing policy of the openb study\n"
                  "(Weng et al. ATC'23): random, dotprod, clustering, packing, bestfit or fgd\n"
                  "(fragmentation gradient descent, with the workload's typical pods), so shares\n"
                  "and whole-GPU jobs mix under it; default: the capacity index's best fit\n"
                  "(docs/ARCHITECTURE.md, \"Two GPU-sharing placements\").")
      ->check(CLI::IsMember({"random", "dotprod", "clustering", "packing", "bestfit", "fgd"}));
  sim->add_option(
         "--dispatch", args->dispatch,
         "Which site takes a job or replica when several have room (docs/MODELS.md,\n"
         "\"Dispatch\"): best-fit (any: the tightest fit), cheapest (rent and\n"
         "electricity of a GPU-hour beyond what is paid anyway), lowest-carbon (the\n"
         "grid at the hour), earliest-start (the site holding the job's checkpoint, then\n"
         "the quickest copy) or power-aware (the largest share of the power budget left).\n"
         "A job never waits for a site it prefers while another has room.")
      ->capture_default_str()
      ->check(CLI::IsMember(DispatchNames()));
  sim->add_option("--policy", args->policy,
                  "Scheduling policy: fifo, priority (preemptive), backfill (EASY), sjf (oracle), "
                  "srtf (oracle, preemptive), las (Tiresias 2D-LAS, preemptive), fairshare "
                  "(tenant shares, quotas, reclaim).")
      ->capture_default_str();
  sim->add_option("--seed", args->seed, "Seed for the workload generators (unsigned integer).")
      ->capture_default_str()
      ->check(Seed());
  sim->add_option("--until", args->until,
                  "Stop at this simulated time, e.g. 12h or 30d (units ms, s, m, h, d, w). "
                  "Default: run until every job has finished. A service's generated demand "
                  "lasts this long (and needs it), as do spot sites' reclaims.");
  sim->add_option("--series", args->series,
                  "Off unless given. Record the run's time series in the JSON report (key series: "
                  "GPUs busy by "
                  "site, GPU model and tenant, the queue, power and PUE per site, nodes, "
                  "interruptions; docs/REPORT.md) at this interval; --series alone: 1h, about "
                  "700 points for a 30-day run.")
      ->expected(0, 1)
      ->default_str("1h");
  sim->add_option("--html", args->html,
                  "Write an HTML report here: one self-contained page (no other host is asked "
                  "for anything) with the summary and plots over time - GPUs by tenant and site, "
                  "power against budgets, the queue, failures (docs/REPORT.md). Records the time "
                  "series (--series 1h unless given).");
  sim->add_option("--report", args->report,
                  "Write the JSON report here (keys: docs/REPORT.md); - for standard output.");
  sim->add_option("--jobs-csv", args->jobs_csv,
                  "Write one CSV row per job here (times in seconds), as jobs end, then those left "
                  "at the end (sort by id for arrival order); - for standard output.");
  sim->add_option("--events", args->events,
                  "Write the event log here as CSV: time_s,event,job,detail; - for standard "
                  "output.");
  sim->add_option("--bf-max-job-test", args->bf_max_job_test,
                  "backfill: queued jobs examined behind the blocked head per pass (as Slurm's "
                  "bf_max_job_test).")
      ->capture_default_str()
      ->check(PositiveCount());
  sim->add_option("--launch-delay", args->launch_delay,
                  "A started job holds its GPUs this long before it runs (image pull, model load); "
                  "counted as restart time.")
      ->capture_default_str();
  sim->add_option("--preemption-grace", args->preemption_grace,
                  "Preemptive policies: a preempted job keeps its GPUs this long to checkpoint "
                  "before they go to another job (Slurm's GraceTime, Kubernetes' "
                  "terminationGracePeriodSeconds).")
      ->capture_default_str();
  sim->add_option("--failures", args->failures,
                  "Random failures: llama3 (Llama 3 405B's rates by category, docs/MODELS.md) or "
                  "none; replaces the workload's failure_model.");
  sim->add_flag(
      "--no-physics", args->no_physics,
      "Pure scheduling: no site power (budgets, capping, energy), random failures, "
      "network-aware training speed or checkpoint writes. Scripted failures still happen.");
  sim->add_flag("--json", args->json,
                "Print the summary as JSON (the report's keys, docs/REPORT.md) instead of a "
                "table.");
  sim->add_flag("--no-progress", args->no_progress,
                "Never show the progress line (after 1 s: redrawn on a terminal, else a line "
                "every 10 s).");
  sim->footer(
      "Example:\n  gpufleet sim --fleet examples/fleets/tiny.yaml --workload "
      "examples/workloads/tiny.yaml \\\n      --policy priority --seed 7 --report r.json\n"
      "Ctrl-C stops the run between events and keeps existing output files (exit code 130).");
  return [args, sim] {
    const std::vector<std::string> given = GivenOptions(sim);
    return RunSim(*args, Given(given.begin(), given.end()));
  };
}

}  // namespace gpufleet::cli
