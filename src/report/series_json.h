// The report's "series" and "distributions" objects (docs/REPORT.md, "series"): a run's time series
// as JSON arrays, one value per interval, keyed by what they measure.
#pragma once

#include <nlohmann/json.hpp>

#include "report/metrics.h"
#include "sim/time_series.h"

namespace gpufleet {

nlohmann::ordered_json SeriesJson(const TimeSeries& s);
// The report's "distributions" object (docs/REPORT.md), written with the series.
nlohmann::ordered_json DistributionsJson(const Distributions& d);

}  // namespace gpufleet
