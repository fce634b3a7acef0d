// What `plan serve` with flags and `plan serve --workload` share: the bound on the requests one
// search holds, durations given on the command line, the largest request, latency summaries in
// JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "physics/serving_service.h"
#include "util/result.h"

namespace gpufleet::cli {

// The most requests one search holds in memory and serves, at some 100 bytes each.
constexpr double kMaxServeRequests = 20e6;

// `text` as a positive duration in seconds; the error names `flag`.
Result<double> FlagSeconds(const std::string& text, const char* flag);

// The most tokens (prompt and output) of any request: the KV cache a replica must hold for one.
std::int64_t LargestRequestTokens(const std::vector<ServingRequest>& requests);

// p50, p90, p99 and the maximum, in seconds; with `at_slo_percentile`, the SLO's percentile too.
nlohmann::ordered_json LatencyJson(const LatencySummary& s, bool at_slo_percentile);

}  // namespace gpufleet::cli
