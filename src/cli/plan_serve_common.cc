#include "cli/plan_serve_common.h"

#include <algorithm>

#include "util/duration.h"

namespace gpufleet::cli {

Result<double> FlagSeconds(const std::string& text, const char* flag) {
  Result<SimTime> d = ParseDuration(text);
  if (!d.ok() || d.value() <= 0) {
    return Error{std::string(flag) + ": " +
                 (d.ok() ? "expected a positive duration, got '" + text + "'" : d.message())};
  }
  return ToSeconds(d.value());
}

nlohmann::ordered_json LatencyJson(const LatencySummary& s, bool at_slo_percentile) {
  nlohmann::ordered_json j{{"p50_s", s.p50}, {"p90_s", s.p90}, {"p99_s", s.p99}, {"max_s", s.max}};
  if (at_slo_percentile) j["at_slo_percentile_s"] = s.at_slo_percentile;
  return j;
}

}  // namespace gpufleet::cli
