// Research-simulator traces with relative times: Tiresias (Gu et al. NSDI'19) job CSVs and Gavel
// (Narayanan et al. OSDI'20) TSV traces.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "trace/importer.h"
#include "util/input_file.h"

namespace gpufleet::trace_internal {

Result<TraceJobs> LoadTiresias(const TraceArg& arg, const TraceOptions& options) {
  Result<CsvFile> opened = CsvFile::Open(arg.path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  const char* names[4] = {"job_id", "num_gpu", "submit_time", "duration"};
  int col[4];
  for (int i = 0; i < 4; ++i) {
    Result<int> c = f.Column(names[i]);
    if (!c.ok()) return c.error();
    col[i] = c.value();
  }
  TraceBuilder b(arg, options);
  const int tenant = b.Tenant("tiresias");
  while (f.Next()) {
    b.CountRow();
    if (Status q = b.CheckRow(f); !q.ok()) return Error{q.message()};
    if (f.unterminated_quote()) continue;
    Result<double> submit = ReadNumber(f, col[2]);
    std::optional<Error> problem;
    std::string reason;
    if (!submit.ok()) {
      problem = submit.error(), reason = "submit_time: not a number";
    } else if (submit.value() < 0) {
      problem = Error{f.Where(col[2]) + "expected seconds >= 0"}, reason = "submit_time: negative";
    } else if (submit.value() > kMaxTraceSeconds) {
      problem = Error{f.Where(col[2]) + "expected at most 100 years, got '" +
                      std::string(f.Field(col[2])) + "'"};
      reason = "submit_time: too large";
    }
    if (problem) {
      Status s = b.BadRow(*problem, reason);
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    Status fail;
    const auto gd = b.ReadGpusAndDuration(f, col[1], col[3], fail);
    if (!fail.ok()) return Error{fail.message()};
    if (!gd) continue;
    JobSpec j;
    j.name = "tiresias-" + std::string(f.Field(col[0]));
    j.gpus = gd->gpus;
    j.duration = gd->duration;
    j.estimate = j.duration;
    j.tenant = static_cast<std::int32_t>(tenant);
    b.Add(std::move(j), submit.value());
  }
  return b.Finish(/*absolute_times=*/false);
}

namespace {

std::string FindThroughputs(const TraceArg& arg, const TraceOptions& options) {
  if (!options.gavel_throughputs.empty()) return options.gavel_throughputs;
  const std::filesystem::path dir = std::filesystem::path(arg.path).parent_path();
  for (const auto& candidate :
       {dir / "simulation_throughputs.json", dir.parent_path() / "simulation_throughputs.json"}) {
    if (std::filesystem::exists(candidate)) return candidate.string();
  }
  return "";
}

}  // namespace

// Two layouts exist: 7 columns (job_type, command, num_steps_arg, needs_data_dir, total_steps,
// arrival_time, scale_factor) and 10 (job_type, command, working_directory, num_steps_arg,
// needs_data_dir, total_steps, scale_factor, priority_weight, SLO, arrival_time).
Result<TraceJobs> LoadGavel(const TraceArg& arg, const TraceOptions& options) {
  const std::string throughputs_path = FindThroughputs(arg, options);
  if (throughputs_path.empty()) {
    return Error{
        arg.path +
        ": Gavel traces give steps, not durations; no simulation_throughputs.json beside the "
        "trace or one directory up (give it with --gavel-throughputs)"};
  }
  Result<std::ifstream> throughputs_file = OpenInputFile(throughputs_path);
  if (!throughputs_file.ok()) return throughputs_file.error();
  std::ifstream& tin = throughputs_file.value();
  nlohmann::json throughputs;
  try {
    throughputs = nlohmann::json::parse(tin);
  } catch (const nlohmann::json::parse_error& e) {
    return Error{throughputs_path + ": JSON syntax error: " + e.what()};
  } catch (const nlohmann::json::exception& e) {  // a number beyond a double (out_of_range.406)
    return Error{throughputs_path + ": JSON: " + e.what()};
  }
  if (!throughputs.is_object()) {
    return Error{throughputs_path +
                 ":1:1: expected a JSON object from GPU types to throughputs (as Gavel's "
                 "simulation_throughputs.json)"};
  }
  if (!throughputs.contains(options.gavel_gpu)) {
    std::string have;
    for (auto it = throughputs.begin(); it != throughputs.end(); ++it)
      have += (have.empty() ? "" : ", ") + it.key();
    return Error{throughputs_path + ": no GPU type '" + options.gavel_gpu + "'; it has: " + have};
  }
  const nlohmann::json& table = throughputs[options.gavel_gpu];

  Result<CsvFile> opened = CsvFile::Open(arg.path, '\t', /*has_header=*/false);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  TraceBuilder b(arg, options);
  const int tenant = b.Tenant("gavel");
  while (f.Next()) {
    b.CountRow();
    if (Status q = b.CheckRow(f); !q.ok()) return Error{q.message()};
    if (f.unterminated_quote()) continue;
    const int n = f.fields();
    int steps_col, arrival_col, scale_col;
    if (n == 7) {
      steps_col = 4, arrival_col = 5, scale_col = 6;
      f.SetHeader({"job_type", "command", "num_steps_arg", "needs_data_dir", "total_steps",
                   "arrival_time", "scale_factor"});
    } else if (n == 10) {
      steps_col = 5, arrival_col = 9, scale_col = 6;
      f.SetHeader({"job_type", "command", "working_directory", "num_steps_arg", "needs_data_dir",
                   "total_steps", "scale_factor", "priority_weight", "SLO", "arrival_time"});
    } else {
      Status s = b.BadRow(
          Error{f.WhereRow() + "expected 7 or 10 tab-separated fields, got " + std::to_string(n)},
          "wrong number of fields");
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    auto got = [&](int column) { return ", got '" + std::string(f.Field(column)) + "'"; };
    const std::string job_type(f.Field(0));
    Result<double> steps = ReadNumber(f, steps_col);
    Result<double> arrival = ReadNumber(f, arrival_col);
    Result<std::int64_t> scale = ReadInteger(f, scale_col);
    std::optional<Error> problem;
    std::string reason;
    double rate = 0;
    if (!steps.ok() || steps.value() <= 0) {
      problem = Error{f.Where(steps_col) + "expected a positive number of steps" + got(steps_col)},
      reason = "total_steps: not positive";
    } else if (!arrival.ok() || arrival.value() < 0 || arrival.value() > kMaxTraceSeconds) {
      problem = Error{f.Where(arrival_col) +
                      "expected an arrival time in seconds from 0 to 100 years" + got(arrival_col)},
      reason = "arrival_time: bad";
    } else if (!scale.ok() || scale.value() < 1 || scale.value() > kMaxJobGpus) {
      problem =
          Error{f.Where(scale_col) + "expected a scale factor (GPU count) >= 1" + got(scale_col)},
      reason = "scale_factor: bad";
    } else {
      const std::string key = "('" + job_type + "', " + std::to_string(scale.value()) + ")";
      if (!table.contains(key) || !table[key].contains("null") || !table[key]["null"].is_number() ||
          table[key]["null"].get<double>() <= 0) {
        problem = Error{f.Where(0) + "no throughput for " + key + " on " + options.gavel_gpu +
                        " in " + throughputs_path};
        reason = "job type without a throughput";
      } else {
        rate = table[key]["null"].get<double>();
        if (steps.value() / rate > kMaxTraceSeconds) {
          problem = Error{f.Where(steps_col) + "expected steps that take less than 100 years" +
                          got(steps_col)};
          reason = "total_steps: out of range";
        }
      }
    }
    if (problem) {
      Status s = b.BadRow(*problem, reason);
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    JobSpec j;
    j.name = "gavel-" + std::to_string(f.line());
    j.gpus = static_cast<std::int32_t>(scale.value());
    // At most kMaxTraceSeconds (checked above): the conversion cannot fail.
    j.duration = std::max<SimTime>(1, SecondsToMs(steps.value() / rate).value());
    j.estimate = j.duration;
    j.tenant = static_cast<std::int32_t>(tenant);
    b.Add(std::move(j), arrival.value());
  }
  return b.Finish(/*absolute_times=*/false);
}

}  // namespace gpufleet::trace_internal
