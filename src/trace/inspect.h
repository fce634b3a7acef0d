// What `gpufleet trace inspect` shows about a trace.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "trace/trace.h"

namespace gpufleet {

struct TraceStats {
  std::int64_t jobs = 0;
  double span_s = 0;                           // first to last submission
  double first_epoch_s = 0, last_epoch_s = 0;  // absolute times, when the trace has them
  bool absolute = false;
  std::map<std::int32_t, std::int64_t> jobs_by_gpus;
  double duration_mean_s = 0, duration_p50_s = 0, duration_p90_s = 0, duration_p99_s = 0,
         duration_max_s = 0;
  double gpu_hours = 0;
  std::int64_t tenants = 0;
};
TraceStats InspectTrace(const TraceJobs& t);
// "2017-10-03 02:06:37" (UTC) for an epoch time.
std::string FormatEpoch(double epoch_s);

}  // namespace gpufleet
