// Hourly series from a file: one value per line, hour 0 of 1 January first (outdoor temperature
// for a site's climate, grid carbon intensity). Errors name the file, line and what was expected.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "util/result.h"

namespace gpufleet {

// At most this many values (docs/SPEC.md, "Limits"): over a century of hours.
inline constexpr size_t kMaxHourlyValues = 1'000'000;

// Values must lie in [lo, hi]; at least 24 and at most kMaxHourlyValues of them. `what` describes
// one value in messages, e.g. "an outdoor temperature in degrees C".
Result<std::vector<double>> ReadHourlyCsv(const std::string& path, double lo, double hi,
                                          const std::string& what);
// The same from the file's text; `name` stands for the file in messages.
Result<std::vector<double>> ParseHourlyCsv(const std::string& text, const std::string& name,
                                           double lo, double hi, const std::string& what);

}  // namespace gpufleet
