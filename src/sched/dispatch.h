// Which site a job or a service's replica goes to when several have room for it: the dispatch
// policy (docs/MODELS.md, "Dispatch"). The scheduling policy still decides which job starts
// next; dispatch only orders the sites its placement tries. A job never waits for a site it
// prefers while another has room: the first site in order that fits it (GPUs, power, network)
// takes it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/fleet.h"
#include "util/time.h"

namespace gpufleet {

enum class Dispatch : std::uint8_t {
  kBestFit,        // no preference: the capacity index's best fit over the whole fleet
  kCheapest,       // the lowest marginal price of a GPU-hour (rent and electricity)
  kLowestCarbon,   // the lowest grid carbon intensity at the hour, through the site's PUE
  kEarliestStart,  // where the job works soonest: its checkpoint's site, then the quickest copy
  kPowerAware,     // the largest share of the site's power budget left
};
const char* DispatchName(Dispatch d);
std::optional<Dispatch> ParseDispatch(std::string_view name);
std::vector<std::string> DispatchNames();  // best-fit, cheapest, ...
std::string_view DispatchSummary(Dispatch d);

// What a busy GPU-hour drawing `gpu_w` watts costs at `site` beyond what is paid anyway: the
// rent of an on demand or spot site (a reserved site and an owned one are paid for whether used or
// not) plus the GPU's electricity through the site's design PUE at its tariff (none without one).
double MarginalGpuHourUsd(const Fleet& fleet, int site, double gpu_w);
// The mean TDP of a site's GPUs: the draw priced for a job that takes any model.
double MeanGpuTdpW(const Fleet& fleet, int site);
// Grams of CO2 a kWh of IT energy at `site` emits at `now`: the grid's intensity at that hour
// (hourly where given, the year repeating; `now` < 0: the mean) times the design PUE; nullopt
// where the site gives no intensity.
std::optional<double> ItCarbonGPerKwh(const Site& site, SimTime now);

// What the ranking knows of the job being placed.
struct DispatchJob {
  ModelId model = kAnyModel;
  int checkpoint_site = -1;  // the site holding its checkpoint (-1: none to resume from)
  double checkpoint_gb = 0;
  // By destination site, the copies already in flight from checkpoint_site (empty: none known).
  std::vector<int> copies_in_flight;
};

// The sites (indices) in the order a dispatch policy prefers them for a job, as tiers: sites the
// policy cannot tell apart share a tier, and placement takes the best fit among them. Best fit,
// and a policy with nothing to go by (no checkpoint for earliest start, no power account for
// power-aware), give one tier of every site. Sites the policy knows nothing of (no carbon
// intensity) come last, as one tier.
class SiteRanker {
 public:
  using Tiers = std::vector<std::vector<int>>;
  explicit SiteRanker(const Fleet& fleet);
  // `headroom(site)`: the share of the site's budget left for new jobs (nullopt: not accounted),
  // read by power-aware alone. The result is valid until the next call.
  const Tiers& Rank(Dispatch d, const DispatchJob& job, SimTime now,
                    const std::function<std::optional<double>(int site)>& headroom);

 private:
  Tiers RankByKeys(Dispatch d, const DispatchJob& job, SimTime now,
                   const std::function<std::optional<double>(int site)>& headroom) const;

  const Fleet& fleet_;
  std::vector<double> mean_tdp_w_;  // per site
  // Rankings that change rarely, kept rather than sorted at every placement attempt: best fit's
  // one tier, cheapest's per GPU model (slot 0: any model; prices are fixed for a run), lowest
  // carbon's for the hour it was computed at (kNever: none yet; -1: the mean).
  Tiers every_site_;
  std::vector<std::optional<Tiers>> cheapest_by_model_;
  SimTime carbon_hour_ = kNever;
  Tiers carbon_tiers_;
  Tiers computed_;  // earliest start's and power-aware's, computed at each call
};

// The ranking from each site's key (lower first; nullopt last): sites of equal keys share a tier.
std::vector<std::vector<int>> TiersByKey(const std::vector<std::optional<double>>& keys);

}  // namespace gpufleet
