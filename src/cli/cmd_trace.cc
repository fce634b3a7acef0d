// gpufleet trace inspect: what a trace holds, before simulating it.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "report/report.h"
#include "spec/specs.h"
#include "trace/inspect.h"
#include "trace/trace.h"

namespace gpufleet::cli {
namespace {

struct InspectArgs {
  std::string trace;
  bool json = false;
  TraceOptions options;
};

int RunInspect(const InspectArgs& a) {
  Result<TraceArg> arg = ParseTraceArg(a.trace);
  if (!arg.ok()) {
    std::cerr << "gpufleet trace inspect: " << arg.message() << "\n";
    return kExitBadInput;
  }
  Result<TraceJobs> t = LoadTrace(arg.value(), a.options);
  if (!t.ok()) {
    std::cerr << t.message() << "\n";
    return kExitBadInput;
  }
  const TraceJobs& trace = t.value();
  const TraceStats s = InspectTrace(trace);
  if (a.json) {
    nlohmann::ordered_json j;
    j["trace"] = trace.name;
    j["rows"] = trace.rows;
    j["jobs"] = s.jobs;
    j["tenants"] = s.tenants;
    j["span_s"] = s.span_s;
    if (s.absolute) {
      j["first_submit"] = FormatEpoch(s.first_epoch_s);
      j["last_submit"] = FormatEpoch(s.last_epoch_s);
    }
    nlohmann::ordered_json by = nlohmann::ordered_json::object();
    for (const auto& [g, n] : s.jobs_by_gpus) by[std::to_string(g)] = n;
    j["jobs_by_gpus"] = by;
    j["duration_s"] = {{"mean", s.duration_mean_s},
                       {"p50", s.duration_p50_s},
                       {"p90", s.duration_p90_s},
                       {"p99", s.duration_p99_s},
                       {"max", s.duration_max_s}};
    j["gpu_hours"] = s.gpu_hours;
    j["skipped"] = trace.skipped;
    j["excluded"] = trace.excluded;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  char line[256];
  std::cout << "trace " << trace.name << "\n";
  std::cout << "  jobs          " << Grouped(s.jobs) << " of " << Grouped(trace.rows) << " rows, "
            << Grouped(s.tenants) << " tenant(s)\n";
  std::cout << "  span          " << HumanSeconds(s.span_s);
  if (s.absolute)
    std::cout << "  (" << FormatEpoch(s.first_epoch_s) << " to " << FormatEpoch(s.last_epoch_s)
              << " UTC)";
  std::cout << "\n";
  std::snprintf(line, sizeof line, "  duration      mean %s   p50 %s   p90 %s   p99 %s   max %s\n",
                HumanSeconds(s.duration_mean_s).c_str(), HumanSeconds(s.duration_p50_s).c_str(),
                HumanSeconds(s.duration_p90_s).c_str(), HumanSeconds(s.duration_p99_s).c_str(),
                HumanSeconds(s.duration_max_s).c_str());
  std::cout << line;
  std::snprintf(line, sizeof line, "  GPU-hours     %.1f\n", s.gpu_hours);
  std::cout << line << "  GPUs per job  jobs       share\n";
  for (const auto& [g, n] : s.jobs_by_gpus) {
    std::snprintf(
        line, sizeof line, "  %12d  %-10s %5.1f%%\n", g, Grouped(n).c_str(),
        100.0 * static_cast<double>(n) / static_cast<double>(std::max<std::int64_t>(1, s.jobs)));
    std::cout << line;
  }
  for (const auto& [reason, n] : trace.excluded)
    std::cout << "  excluded      " << Grouped(n) << " " << reason << "\n";
  for (const auto& [reason, n] : trace.skipped)
    std::cout << "  skipped       " << Grouped(n) << " malformed: " << reason << "\n";
  return kExitOk;
}

}  // namespace

Result<Fleet> LoadAnyFleet(const std::string& arg) {
  if (!IsTraceFleetArg(arg)) return LoadFleet(arg);
  Result<TraceFleet> f = LoadTraceFleet(arg);
  if (!f.ok()) return f.error();
  if (!f.value().note.empty()) std::cerr << arg << ": " << f.value().note << "\n";
  return std::move(f.value().fleet);
}

std::string TraceFormatHelp() {
  std::string out = "Trace formats (FORMAT:FILE):";
  for (const auto& f : TraceFormats()) out += std::string("\n  ") + f.name + ": " + f.description;
  return out;
}

void AddTraceOptions(CLI::App* cmd, TraceOptions& options) {
  cmd->add_flag(
      "--skip-bad-rows", options.skip_bad_rows,
      "Skip malformed trace rows and count them by reason, instead of stopping at the first.");
  cmd->add_option(
      "--gavel-throughputs", options.gavel_throughputs,
      "Gavel's simulation_throughputs.json (default: beside the trace or one directory up).");
  cmd->add_option("--gavel-gpu", options.gavel_gpu,
                  "GPU type whose Gavel throughputs turn steps into durations.")
      ->capture_default_str();
}

Runner AddTraceCommand(CLI::App& app) {
  CLI::App* trace =
      app.add_subcommand("trace", "Work with public GPU-cluster traces (docs/TRACES.md).");
  trace->require_subcommand(1);
  auto args = std::make_shared<InspectArgs>();
  CLI::App* inspect = trace->add_subcommand(
      "inspect",
      "Jobs, time span, GPU-count distribution, duration percentiles and GPU-hours of a trace.\n" +
          TraceFormatHelp());
  inspect
      ->add_option("trace", args->trace, "The trace as FORMAT:FILE, e.g. philly:philly_jobs.csv.")
      ->required();
  inspect->add_flag("--json", args->json, "Print JSON instead of a table.");
  AddTraceOptions(inspect, args->options);
  return [args] { return RunInspect(*args); };
}

}  // namespace gpufleet::cli
