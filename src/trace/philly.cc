// Philly (Microsoft, Jeon et al. ATC'19): the per-job CSV derived by the Pollux/AdaptDL artifact,
// and the raw cluster_job_log JSON of msr-fiddle/philly-traces.
#include <cmath>
#include <nlohmann/json.hpp>

#include "trace/datetime.h"
#include "trace/importer.h"

namespace gpufleet::trace_internal {

Result<TraceJobs> LoadPhillyCsv(const TraceArg& arg, const TraceOptions& options) {
  Result<CsvFile> opened = CsvFile::Open(arg.path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  int col[5];
  const char* names[5] = {"timestamp", "duration", "num_gpus", "gpu_time", "cluster"};
  for (int i = 0; i < 5; ++i) {
    Result<int> c = f.Column(names[i]);
    if (!c.ok()) return c.error();
    col[i] = c.value();
  }
  TraceBuilder b(arg, options);
  while (f.Next()) {
    b.CountRow();
    if (Status q = b.CheckRow(f); !q.ok()) return Error{q.message()};
    if (f.unterminated_quote()) continue;
    const std::optional<double> submit = ParseDateTime(f.Field(col[0]));
    if (!submit) {
      Status s =
          b.BadRow(Error{f.Where(col[0]) + "expected a timestamp like 2017-10-09 07:01:55, got '" +
                         std::string(f.Field(col[0])) + "'"},
                   "timestamp: not a date and time");
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    // gpu_time is derived (duration x num_gpus): a mismatch means a damaged row. It is checked
    // when both are readable; ReadGpusAndDuration reports them otherwise.
    Result<double> duration = ReadNumber(f, col[1]);
    Result<std::int64_t> gpus = ReadInteger(f, col[2]);
    Result<double> gpu_time = ReadNumber(f, col[3]);
    std::optional<Error> problem;
    std::string reason;
    // Only for values in range: beyond it ReadGpusAndDuration says what is wrong, in words
    // rather than as a product of 300 digits.
    const bool in_range = duration.ok() && gpus.ok() && duration.value() >= 0 &&
                          duration.value() <= kMaxTraceSeconds && gpus.value() >= 0 &&
                          gpus.value() <= kMaxJobGpus;
    if (in_range && !gpu_time.ok()) {
      problem = gpu_time.error(), reason = "gpu_time: not a number";
    } else if (in_range && std::fabs(duration.value() * static_cast<double>(gpus.value()) -
                                     gpu_time.value()) > 1.0) {
      problem = Error{f.Where(col[3]) + "expected duration x num_gpus = " +
                      std::to_string(duration.value() * static_cast<double>(gpus.value())) +
                      ", got " + std::string(f.Field(col[3]))};
      reason = "gpu_time: not duration x num_gpus";
    }
    if (problem) {
      Status s = b.BadRow(*problem, reason);
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    Status fail;
    const auto gd = b.ReadGpusAndDuration(f, col[2], col[1], fail);
    if (!fail.ok()) return Error{fail.message()};
    if (!gd) continue;
    if (f.Field(col[4]).empty()) {
      Status s =
          b.BadRow(Error{f.Where(col[4]) + "expected a virtual-cluster id"}, "cluster: empty");
      if (!s.ok()) return Error{s.message()};
      continue;
    }
    JobSpec j;
    j.name = "philly-" + std::to_string(f.line() - 1);
    j.gpus = gd->gpus;
    j.duration = gd->duration;
    j.estimate = j.duration;
    j.tenant = static_cast<std::int32_t>(b.Tenant(std::string(f.Field(col[4]))));
    b.Add(std::move(j), *submit);
  }
  return b.Finish(/*absolute_times=*/true);
}

namespace {

// Byte offsets of the elements of the top-level JSON array, so that errors can name a line.
std::vector<size_t> TopLevelElementOffsets(const std::string& text) {
  std::vector<size_t> out;
  int depth = 0;
  bool in_string = false;
  bool expect_element = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    const bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (depth == 1 && expect_element && !space && c != ']') {
      out.push_back(i);
      expect_element = false;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth == 1) expect_element = true;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 1) {
      expect_element = true;
    }
  }
  return out;
}

std::string LineColumn(const std::string& text, size_t offset) {
  int line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

std::optional<double> Time(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  return ParseDateTime(j[key].get<std::string>());
}

}  // namespace

Result<TraceJobs> LoadPhillyJson(const TraceArg& arg, const TraceOptions& options) {
  Result<std::string> read = ReadTraceFile(arg.path);
  if (!read.ok()) return read.error();
  const std::string& text = read.value();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Error{arg.path + ":" + LineColumn(text, e.byte > 0 ? e.byte - 1 : 0) +
                 ": JSON syntax error: " + e.what()};
  } catch (const nlohmann::json::exception& e) {
    // A number beyond a double (out_of_range.406), which nlohmann reports without its place:
    // its message quotes the number, found here in the text.
    const std::string what = e.what();
    const size_t open = what.find('\''), close = what.rfind('\'');
    const size_t at =
        open < close ? text.find(what.substr(open + 1, close - open - 1)) : std::string::npos;
    return Error{arg.path + ":" + (at == std::string::npos ? "" : LineColumn(text, at) + ":") +
                 " JSON: " + what};
  }
  if (!doc.is_array()) return Error{arg.path + ":1:1: expected a JSON list of jobs"};
  if (doc.size() > static_cast<size_t>(kMaxCsvLines)) {
    return Error{arg.path + ": more than " + std::to_string(kMaxCsvLines) +
                 " jobs, the most gpufleet reads from one trace (docs/SPEC.md, \"Limits\")"};
  }
  const std::vector<size_t> offsets = TopLevelElementOffsets(text);
  TraceBuilder b(arg, options);
  for (size_t i = 0; i < doc.size(); ++i) {
    b.CountRow();
    const nlohmann::json& job = doc[i];
    const std::string where = arg.path + ":" +
                              (i < offsets.size() ? LineColumn(text, offsets[i]) : "1:1") +
                              ": job " + std::to_string(i) + ": ";
    auto bad = [&](const std::string& field, const std::string& what, const std::string& reason) {
      return b.BadRow(Error{where + "field '" + field + "': " + what}, reason);
    };
    Status s;
    if (!job.is_object()) {
      s = bad("(job)", "expected an object", "job: not an object");
    } else if (!Time(job, "submitted_time")) {
      s = bad("submitted_time", "expected a timestamp like 2017-10-03 02:06:37",
              "submitted_time: not a timestamp");
    } else if (!job.contains("vc") || !job["vc"].is_string()) {
      s = bad("vc", "expected a virtual-cluster id (string)", "vc: missing");
    } else if (!job.contains("attempts") || !job["attempts"].is_array()) {
      s = bad("attempts", "expected a list of attempts", "attempts: missing");
    } else {
      // Run time is the sum of the attempts' run times; the GPUs are those of the first attempt.
      double run_s = 0;
      std::int64_t gpus = 0;
      bool ok = true;
      for (size_t a = 0; a < job["attempts"].size() && ok; ++a) {
        const nlohmann::json& at = job["attempts"][a];
        const std::string prefix = "attempts[" + std::to_string(a) + "].";
        // -1: missing or not a timestamp (times are after 1970, so never negative).
        const double start = at.is_object() ? Time(at, "start_time").value_or(-1) : -1;
        const double end = at.is_object() ? Time(at, "end_time").value_or(-1) : -1;
        if (start < 0 || end < start) {
          // An attempt cut off by the end of the trace has no end time: the job never finished.
          s = bad(prefix + (start < 0 ? "start_time" : "end_time"),
                  "expected a timestamp not before start_time",
                  "attempt without start or end time");
          ok = false;
          break;
        }
        run_s += end - start;
        if (a == 0) {
          if (!at.contains("detail") || !at["detail"].is_array()) {
            s = bad(prefix + "detail", "expected a list of {ip, gpus}", "attempt without detail");
            ok = false;
            break;
          }
          for (const auto& d : at["detail"]) {
            if (d.is_object() && d.contains("gpus") && d["gpus"].is_array())
              gpus += static_cast<std::int64_t>(d["gpus"].size());
          }
        }
      }
      if (ok && run_s > kMaxTraceSeconds) {
        s = bad("attempts", "expected attempts running less than 100 years in all",
                "duration: out of range");
        ok = false;
      }
      if (ok) {
        if (job["attempts"].empty()) {
          b.Exclude("never started (no attempts)");
        } else if (gpus == 0) {
          b.Exclude("no GPUs (CPU-only job)");
        } else if (gpus > kMaxJobGpus) {
          s = bad("attempts[0].detail", "expected at most 10000000 GPUs in all",
                  "GPUs: out of range");
          if (!s.ok()) return Error{s.message()};
        } else if (run_s <= 0) {
          b.Exclude("zero duration");
        } else {
          JobSpec j;
          j.name = job.contains("jobid") && job["jobid"].is_string()
                       ? job["jobid"].get<std::string>()
                       : "philly-" + std::to_string(i);
          j.gpus = static_cast<std::int32_t>(gpus);
          j.duration = SecondsToMs(run_s).value();  // at most kMaxTraceSeconds: cannot fail
          j.estimate = j.duration;
          j.tenant = static_cast<std::int32_t>(b.Tenant(job["vc"].get<std::string>()));
          b.Add(std::move(j), *Time(job, "submitted_time"));
        }
        continue;
      }
    }
    if (!s.ok()) return Error{s.message()};
  }
  return b.Finish(/*absolute_times=*/true);
}

}  // namespace gpufleet::trace_internal
