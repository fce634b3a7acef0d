// Hourly series from a file: one value per line, hour 0 of 1 January first (outdoor temperature
// for a site's climate, grid carbon intensity). Errors name the file, line and what was expected.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace gpufleet {

// Values must lie in [lo, hi]; at least 24 of them. `what` describes one value in messages, e.g.
// "an outdoor temperature in degrees C".
Result<std::vector<double>> ReadHourlyCsv(const std::string& path, double lo, double hi,
                                          const std::string& what);

}  // namespace gpufleet
