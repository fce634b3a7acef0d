// Shared machinery of the trace importers (internal to trace/).
#pragma once

#include <map>
#include <string>

#include "trace/csv.h"
#include "trace/trace.h"
#include "util/checked_number.h"

namespace gpufleet::trace_internal {

// Collects jobs and enforces the bad-row policy: a malformed row is an error unless
// --skip-bad-rows, in which case it is counted by reason.
class TraceBuilder {
 public:
  TraceBuilder(const TraceArg& arg, const TraceOptions& options);
  // Returns the error to stop with, or an ok status when the row was skipped.
  Status BadRow(const Error& e, const std::string& reason);
  void Exclude(const std::string& reason) { out_.excluded[reason]++; }
  int Tenant(const std::string& name);
  // A job with its submission in seconds of trace time (absolute or relative) and the GPU model
  // it is bound to ("" = any).
  void Add(JobSpec job, double submit_s, std::string model = "");
  void CountRow() { ++out_.rows; }
  // A CSV row that cannot be read at all (an unterminated quote): an error, or skipped.
  Status CheckRow(const CsvFile& f);
  // A job's GPU count and duration (seconds) from two columns of the current row. A malformed
  // value is a bad row (`fail` holds the error to stop with unless rows are skipped); 0 GPUs or a
  // zero duration excludes the row. Either way nullopt: the caller moves on to the next row.
  struct GpusAndDuration {
    std::int32_t gpus;
    SimTime duration;
  };
  std::optional<GpusAndDuration> ReadGpusAndDuration(const CsvFile& f, int gpus_col,
                                                     int duration_col, Status& fail);
  // Sorts by submission, shifts the first to 0. Fails if submissions span more than simulated
  // time can hold.
  Result<TraceJobs> Finish(bool absolute_times);

 private:
  TraceOptions options_;
  TraceJobs out_;
  std::map<std::string, int> tenant_index_;
  std::vector<double> submit_s_;
  std::vector<std::string> models_;
};

Result<TraceJobs> LoadPhillyCsv(const TraceArg& arg, const TraceOptions& options);
Result<TraceJobs> LoadPhillyJson(const TraceArg& arg, const TraceOptions& options);
Result<TraceJobs> LoadHeliosOrAcme(const TraceArg& arg, const TraceOptions& options);
Result<TraceJobs> LoadTiresias(const TraceArg& arg, const TraceOptions& options);
Result<TraceJobs> LoadGavel(const TraceArg& arg, const TraceOptions& options);
Result<TraceJobs> LoadOpenb(const TraceArg& arg, const TraceOptions& options);
Result<TraceJobs> LoadPai2020(const TraceArg& arg, const TraceOptions& options);
// "V100M16" -> "v100m16".
std::string ModelName(std::string_view trace_label);

// Durations and relative times beyond 100 years are malformed, not something to simulate; this
// also keeps every time far from the range of 64-bit milliseconds, so that once checked against
// it, seconds convert to SimTime (util/time.h's SecondsToMs) without fail.
inline constexpr double kMaxTraceSeconds = 100.0 * 365 * 86400;
inline constexpr std::int64_t kMaxTraceWholeSeconds = std::int64_t{100} * 365 * 86400;

}  // namespace gpufleet::trace_internal
