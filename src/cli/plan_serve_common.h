// What `plan serve` with flags and `plan serve --workload` share: durations given on the command
// line and latency summaries in JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "physics/serving_service.h"
#include "util/result.h"

namespace gpufleet::cli {

// `text` as a positive duration in seconds; the error names `flag`.
Result<double> FlagSeconds(const std::string& text, const char* flag);

// p50, p90, p99 and the maximum, in seconds; with `at_slo_percentile`, the SLO's percentile too.
nlohmann::ordered_json LatencyJson(const LatencySummary& s, bool at_slo_percentile);

}  // namespace gpufleet::cli
