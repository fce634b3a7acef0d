// The energy account: the time integrals of a run, added over each interval between events
// (nothing changes inside one). GPUs, CPU and memory that jobs hold and that healthy nodes offer;
// with the twin's physics, each site's IT energy, facility energy and carbon (hour by hour where
// PUE or the grid's carbon intensity is hourly), peak IT power, time over its budget, time capped
// and the GPU-time capping costs.
//
// Apart from the event loop because it is arithmetic on what the loop reports (the jobs' holdings,
// the site power ledger), and that arithmetic is what the reports' figures are made of: its sums
// are long double, one addition per interval (per hour where hourly), in that order, and must stay
// so for results to be the same bit for bit.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "model/fleet.h"
#include "sim/sim_result.h"
#include "sim/site_power.h"

namespace gpufleet {

// What jobs hold over an interval (the scheduler's counters).
struct Held {
  std::int64_t gpu_milli = 0;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
};

// One site's account. It reads the site's PUE, grid carbon and budget and nothing of the fleet,
// so a test can give it a site of its own.
class SiteEnergy {
 public:
  // `hourly_pue`: the PUE of each hour of the site's climate year, repeating (empty: the design
  // PUE throughout). `site` must outlive the account.
  SiteEnergy(const Site& site, std::vector<double> hourly_pue);

  // IT power `w` from `from` to `to`: IT and facility energy, carbon and time over the budget.
  void AddPower(SimTime from, SimTime to, double w);
  // The site's GPUs capped at `cap` (< 1) for `dt`, `busy_gpus` of them busy.
  void AddCapped(SimTime dt, double cap, double busy_gpus);
  void NotePower(double w) { total_.peak_w = std::max(total_.peak_w, w); }
  // `milli` milli-GPUs held by jobs on the site's nodes for `dt` (what a rented site bills).
  void AddHeld(SimTime dt, std::int64_t milli) {
    total_.held_gpu_milli_ms += static_cast<long double>(milli) * dt;
  }

  const SimResult::SitePower& total() const { return total_; }

 private:
  const Site* site_;
  std::vector<double> hourly_pue_;
  SimResult::SitePower total_;
};

// The PUE of each hour of the site's climate year (empty: the design PUE throughout).
std::vector<double> HourlyPue(const Site& site);

class EnergyAccount {
 public:
  // Without `physics`, sites' power is not accounted.
  EnergyAccount(const Fleet& fleet, bool physics);

  // A node fails or returns: the capacity that is available changes.
  void NodeDown(NodeId n);
  void NodeUp(NodeId n);

  // The interval from `from` to `to` (from < to), with `held` and the ledger's power throughout.
  void Add(SimTime from, SimTime to, const Held& held, const SitePowerLedger& power);
  // Milli-GPUs held by jobs per site (in the fleet's order) for `dt`, with physics or without.
  void AddSiteHeld(SimTime dt, const std::vector<std::int64_t>& milli) {
    for (size_t i = 0; i < sites_.size() && i < milli.size(); ++i) sites_[i].AddHeld(dt, milli[i]);
  }
  // The sites' IT power now, for the peaks.
  void NotePeaks(const SitePowerLedger& power);

  std::int64_t up_gpus() const { return up_gpus_; }  // GPUs on healthy nodes now
  // Writes the totals into a run's result.
  void WriteTo(SimResult& result) const;

 private:
  std::int64_t NodeCpu(NodeId n) const;
  std::int64_t NodeMemory(NodeId n) const;

  const Fleet& fleet_;
  bool physics_;
  // Capacity of healthy nodes: GPUs, and host CPU (milli-cores) and memory (MiB) where modelled.
  std::int64_t up_gpus_ = 0, up_cpu_ = 0, up_memory_ = 0;
  long double allocated_gpu_milli_ms_ = 0, available_gpu_milli_ms_ = 0;
  long double allocated_cpu_ms_ = 0, available_cpu_ms_ = 0;
  long double allocated_memory_ms_ = 0, available_memory_ms_ = 0;
  std::vector<SiteEnergy> sites_;  // in the order of the fleet
};

}  // namespace gpufleet
