// A run's time series (`gpufleet sim --series 1h`; docs/REPORT.md, "series"): per interval from
// time 0, time averages of exact integrals - what the fleet held, what waited, what the sites drew
// - and counts of what happened in it. Filled by sim/series_recorder.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/failure.h"
#include "util/time.h"

namespace gpufleet {

struct TimeSeries {
  SimTime interval = 0;
  std::vector<SimTime> start;  // each interval's start; the last one may end early (at `end`)
  SimTime end = 0;
  // Time averages over each interval.
  std::vector<double> gpus_busy;               // GPUs held by jobs (shares add up)
  std::vector<double> gpus_up;                 // GPUs on healthy nodes
  std::vector<double> queue_jobs, queue_gpus;  // jobs waiting, and the GPUs they ask for
  std::vector<double> nodes_up, nodes_down;
  struct Named {
    std::string name;
    std::vector<double> values;
  };
  std::vector<Named> gpus_busy_by_site, gpus_busy_by_model, gpus_busy_by_tenant;
  // With the twin's physics: per site, IT and facility power (averages of the energy), PUE
  // (facility over IT energy; the design PUE where nothing drew), the GPU power cap (1: none;
  // time-averaged) and the budget (constant).
  struct SitePower {
    std::string name;
    double budget_w = 0;
    std::vector<double> it_power_w, facility_power_w, pue, gpu_cap;
  };
  std::vector<SitePower> sites;  // empty without physics
  // Counts within each interval: jobs interrupted by failures, by category, and preemptions.
  std::array<std::vector<std::int64_t>, kFailureCategories> interruptions;
  std::vector<std::int64_t> preemptions;

  size_t size() const { return start.size(); }
  SimTime Length(size_t i) const {
    return i + 1 < start.size() ? start[i + 1] - start[i] : end - start[i];
  }
};

}  // namespace gpufleet
