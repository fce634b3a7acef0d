// The run's time series (`gpufleet sim --series 1h`; docs/REPORT.md, "series"): per interval
// from time 0, what the fleet held, what waited and what the sites drew, as time averages of
// exact integrals (not samples: a job that held GPUs for ten minutes of an hour adds a sixth of
// them to that hour), and counts of the interruptions that happened in it.
//
// The recorder is told each stretch of time over which nothing changes (the simulator's
// intervals between events) with the state throughout, and splits it at interval boundaries. Its
// sums are its own: the report's totals (sim/energy_account.h) are untouched, and the series'
// integrals equal them to rounding.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "sim/energy_account.h"
#include "sim/site_power.h"
#include "sim/time_series.h"
#include "util/time.h"

namespace gpufleet {

// What holds over a stretch of time, as the simulator keeps it.
struct SeriesState {
  std::int64_t held_milli = 0;
  std::int64_t up_milli = 0;                     // milli-GPUs on healthy nodes
  std::int64_t queue_jobs = 0, queue_milli = 0;  // jobs waiting, the milli-GPUs they ask for
  std::int64_t nodes_down = 0;
  const std::vector<std::int64_t>* site_held_milli = nullptr;    // per site, the fleet's order
  const std::vector<std::int64_t>* model_held_milli = nullptr;   // per GPU model (ModelId)
  const std::vector<std::int64_t>* tenant_held_milli = nullptr;  // per tenant index
  const SitePowerLedger* power = nullptr;                        // with physics
};

class SeriesRecorder {
 public:
  // `interval` > 0. Without `physics`, no site power is recorded.
  SeriesRecorder(const Fleet& fleet, std::vector<std::string> tenant_names, SimTime interval,
                 bool physics);

  // `state` holds from `from` to `to` (from < to, each call starting where the last ended).
  void Add(SimTime from, SimTime to, const SeriesState& state);
  // Something happened at the end of the last stretch added.
  void CountInterruption(FailureCategory category);
  void CountPreemption();
  // Closes the interval that holds `end` (partial) and hands the series over.
  TimeSeries Finish(SimTime end);

 private:
  void Close(SimTime at);
  void AddPiece(SimTime from, SimTime to, const SeriesState& s);

  const Fleet& fleet_;
  bool physics_;
  TimeSeries out_;
  SimTime open_start_ = 0;  // the open interval's start
  // ∫ value dt over the open interval (ms × the value's unit; milli-GPUs for GPUs).
  long double busy_ = 0, up_ = 0, queue_jobs_ = 0, queue_milli_ = 0, down_ = 0;
  std::vector<long double> by_site_, by_model_, by_tenant_, cap_;
  std::vector<SiteEnergy> energy_;                    // per site: cumulative IT and facility energy
  std::vector<long double> it_mark_, facility_mark_;  // at the open interval's start
};

}  // namespace gpufleet
