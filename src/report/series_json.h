// The report's "series" object (docs/REPORT.md, "series"): a run's time series as JSON arrays,
// one value per interval, keyed by what they measure.
#pragma once

#include <nlohmann/json.hpp>

#include "sim/time_series.h"

namespace gpufleet {

nlohmann::ordered_json SeriesJson(const TimeSeries& s);

}  // namespace gpufleet
