// gpufleet trace inspect: what a trace holds, before simulating it.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "model/catalog.h"
#include "report/report.h"
#include "spec/specs.h"
#include "trace/inspect.h"
#include "trace/trace.h"
#include "util/text.h"

namespace gpufleet::cli {
namespace {

struct InspectArgs {
  std::string trace;
  bool json = false;
  TraceOptions options;
};

int RunInspect(const InspectArgs& a, const std::vector<std::string>& given) {
  if (const auto idle = IdleTraceOptions({a.trace}, given); !idle.empty()) {
    for (const std::string& m : idle) std::cerr << "gpufleet trace inspect: " << m << "\n";
    return kExitBadInput;
  }
  Result<TraceArg> arg = ParseTraceArg(a.trace);
  if (!arg.ok()) {
    std::cerr << "gpufleet trace inspect: " << arg.message() << "\n";
    return kExitBadInput;
  }
  if (Status s = CheckTracePath(arg.value()); !s.ok()) {
    std::cerr << "gpufleet trace inspect: " << s.message() << "\n";
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
            << Counted(s.tenants, "tenant") << "\n";
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

Status CheckTracePath(const TraceArg& arg) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(arg.path, ec);
  const bool folder = arg.format == TraceFormat::kPai2020;
  if (!fs::exists(st)) return Error{arg.Name() + ": no such " + (folder ? "folder" : "file")};
  if (folder && !fs::is_directory(st))
    return Error{arg.Name() + ": is a file; this format reads a folder (" +
                 "with pai_job_table.csv and pai_task_table.csv)"};
  if (!folder && fs::is_directory(st)) {
    std::vector<std::string> files;
    for (const fs::directory_entry& e : fs::directory_iterator(arg.path, ec)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file(ec) &&
          (ext == ".csv" || ext == ".json" || ext == ".tsv" || ext == ".txt" || ext == ".log"))
        files.push_back(e.path().filename().string());
    }
    std::sort(files.begin(), files.end());
    if (files.size() > 4) files.resize(4);
    return Error{arg.Name() + ": is a folder; this format reads one file" +
                 (files.empty() ? std::string() : " (the folder holds " + ListNames(files) + ")")};
  }
  return Status::Ok();
}

std::vector<std::string> IdleTraceOptions(const std::vector<std::string>& traces,
                                          const std::vector<std::string>& given) {
  auto has = [&](const char* flag) {
    return std::find(given.begin(), given.end(), flag) != given.end();
  };
  std::vector<std::string> out;
  bool gavel = false;
  for (const std::string& t : traces) gavel = gavel || t.rfind("gavel:", 0) == 0;
  for (const char* flag : {"--gavel-gpu", "--gavel-throughputs"}) {
    if (has(flag) && !gavel)
      out.push_back(std::string(flag) + ": it applies to Gavel traces, and no gavel:FILE trace " +
                    "was given");
  }
  if (has("--skip-bad-rows") && traces.empty())
    out.push_back("--skip-bad-rows: it applies to --trace files, and none was given");
  return out;
}

std::vector<std::string> GivenOptions(const CLI::App* cmd) {
  std::vector<std::string> out;
  for (const CLI::Option* o : cmd->get_options()) {
    if (o->count() > 0 && !o->get_lnames().empty()) out.push_back("--" + o->get_lnames().front());
  }
  return out;
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
                  "GPU type whose Gavel throughputs turn steps into durations (any case).")
      ->capture_default_str()
      ->transform(CLI::Validator(
          [](std::string& text) {
            text = Lowercase(text);  // Gavel's throughput tables name them lower case
            return std::string();
          },
          "", "lower case"));
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
  inspect->footer(
      "Example ($T: the folder of the public traces):\n"
      "  gpufleet trace inspect philly:$T/philly/philly_jobs.csv");
  return [args, inspect] { return RunInspect(*args, GivenOptions(inspect)); };
}

}  // namespace gpufleet::cli
