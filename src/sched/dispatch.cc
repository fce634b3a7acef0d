#include "sched/dispatch.h"

#include <algorithm>
#include <numeric>

namespace gpufleet {
namespace {

constexpr Dispatch kAll[] = {Dispatch::kBestFit, Dispatch::kCheapest, Dispatch::kLowestCarbon,
                             Dispatch::kEarliestStart, Dispatch::kPowerAware};

}  // namespace

const char* DispatchName(Dispatch d) {
  switch (d) {
    case Dispatch::kBestFit:
      return "best-fit";
    case Dispatch::kCheapest:
      return "cheapest";
    case Dispatch::kLowestCarbon:
      return "lowest-carbon";
    case Dispatch::kEarliestStart:
      return "earliest-start";
    case Dispatch::kPowerAware:
      return "power-aware";
  }
  return "?";
}

std::optional<Dispatch> ParseDispatch(std::string_view name) {
  for (Dispatch d : kAll) {
    if (name == DispatchName(d)) return d;
  }
  return std::nullopt;
}

std::vector<std::string> DispatchNames() {
  std::vector<std::string> out;
  for (Dispatch d : kAll) out.emplace_back(DispatchName(d));
  return out;
}

std::string_view DispatchSummary(Dispatch d) {
  switch (d) {
    case Dispatch::kBestFit:
      return "the tightest fit over the whole fleet, whatever the site";
    case Dispatch::kCheapest:
      return "the site where a GPU-hour costs least beyond what is paid anyway (rent, electricity)";
    case Dispatch::kLowestCarbon:
      return "the site whose grid emits least at the hour (through its PUE)";
    case Dispatch::kEarliestStart:
      return "the site holding the job's checkpoint, then the one it copies to soonest";
    case Dispatch::kPowerAware:
      return "the site with the largest share of its power budget left";
  }
  return "";
}

double MeanGpuTdpW(const Fleet& fleet, int site) {
  const auto [first, last] = fleet.NodeRange(fleet.sites()[static_cast<size_t>(site)].topo);
  double watts = 0, gpus = 0;
  for (NodeId n = first; n < last; ++n) {
    watts += fleet.NodeGpus(n) * fleet.gpu_models()[static_cast<size_t>(fleet.NodeModel(n))].tdp_w;
    gpus += fleet.NodeGpus(n);
  }
  return gpus > 0 ? watts / gpus : 0;
}

double MarginalGpuHourUsd(const Fleet& fleet, int site_index, double gpu_w) {
  const Site& site = fleet.sites()[static_cast<size_t>(site_index)];
  // Reserved capacity is billed whether used or not: a GPU-hour more costs no more rent.
  const double rent =
      site.pricing == Pricing::kReserved ? 0 : fleet.GpuHourUsd(site_index).value_or(0);
  // W x PUE over 1e6 is MW, for one hour MWh, at the tariff in dollars.
  return rent + gpu_w * site.cooling.design_pue / 1e6 * site.tariff_usd_per_mwh.value_or(0);
}

std::optional<double> ItCarbonGPerKwh(const Site& site, SimTime now) {
  const std::vector<double>& hourly = site.hourly_carbon_g_per_kwh;
  if (!hourly.empty() && now >= 0) {
    return hourly[static_cast<size_t>(now / kHour) % hourly.size()] * site.cooling.design_pue;
  }
  if (!site.carbon_g_per_kwh) return std::nullopt;
  return *site.carbon_g_per_kwh * site.cooling.design_pue;
}

std::vector<std::vector<int>> TiersByKey(const std::vector<std::optional<double>>& keys) {
  std::vector<int> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  // Unknown keys last; stable, so that equal keys keep the sites' order.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const std::optional<double>& ka = keys[static_cast<size_t>(a)];
    const std::optional<double>& kb = keys[static_cast<size_t>(b)];
    if (ka.has_value() != kb.has_value()) return ka.has_value();
    return ka && *ka < *kb;
  });
  std::vector<std::vector<int>> tiers;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || keys[static_cast<size_t>(order[i])] != keys[static_cast<size_t>(order[i - 1])]) {
      tiers.emplace_back();
    }
    tiers.back().push_back(order[i]);
  }
  return tiers;
}

// Seconds to copy the job's checkpoint to `site`: latency plus its size at the share of the link
// it would get beside the copies already in flight there (docs/MODELS.md, "Checkpoints across
// sites"); those may end sooner, so this is an upper estimate for the link as it is now.
static double CopyEstimateSeconds(const Fleet& fleet, const DispatchJob& job, int site) {
  if (site == job.checkpoint_site) return 0;
  const SiteLink link = fleet.LinkBetween(job.checkpoint_site, site);
  const int others = static_cast<size_t>(site) < job.copies_in_flight.size()
                         ? job.copies_in_flight[static_cast<size_t>(site)]
                         : 0;
  return link.latency_s + job.checkpoint_gb * (others + 1) / link.gb_s;
}

SiteRanker::SiteRanker(const Fleet& fleet)
    : fleet_(fleet), cheapest_by_model_(fleet.gpu_models().size() + 1) {
  every_site_.emplace_back();
  for (int s = 0; s < static_cast<int>(fleet.sites().size()); ++s) {
    mean_tdp_w_.push_back(MeanGpuTdpW(fleet, s));
    every_site_.front().push_back(s);
  }
}

const SiteRanker::Tiers& SiteRanker::Rank(
    Dispatch d, const DispatchJob& job, SimTime now,
    const std::function<std::optional<double>(int site)>& headroom) {
  switch (d) {
    case Dispatch::kBestFit:
      return every_site_;
    case Dispatch::kCheapest: {
      std::optional<Tiers>& kept = cheapest_by_model_[static_cast<size_t>(job.model + 1)];
      if (!kept) kept = RankByKeys(d, job, now, headroom);
      return *kept;
    }
    case Dispatch::kLowestCarbon: {
      const SimTime hour = now < 0 ? -1 : now / kHour;
      if (hour != carbon_hour_) {
        carbon_tiers_ = RankByKeys(d, job, now, headroom);
        carbon_hour_ = hour;
      }
      return carbon_tiers_;
    }
    case Dispatch::kEarliestStart:
    case Dispatch::kPowerAware:
      break;
  }
  computed_ = RankByKeys(d, job, now, headroom);
  return computed_;
}

SiteRanker::Tiers SiteRanker::RankByKeys(
    Dispatch d, const DispatchJob& job, SimTime now,
    const std::function<std::optional<double>(int site)>& headroom) const {
  const int sites = static_cast<int>(fleet_.sites().size());
  std::vector<std::optional<double>> keys(static_cast<size_t>(sites));
  for (int s = 0; s < sites; ++s) {
    std::optional<double>& key = keys[static_cast<size_t>(s)];
    switch (d) {
      case Dispatch::kBestFit:
        key = 0.0;
        break;
      case Dispatch::kCheapest:
        key = MarginalGpuHourUsd(fleet_, s,
                                 job.model == kAnyModel
                                     ? mean_tdp_w_[static_cast<size_t>(s)]
                                     : fleet_.gpu_models()[static_cast<size_t>(job.model)].tdp_w);
        break;
      case Dispatch::kLowestCarbon:
        key = ItCarbonGPerKwh(fleet_.sites()[static_cast<size_t>(s)], now);
        break;
      case Dispatch::kEarliestStart:
        // Nothing to resume from: every site alike.
        key = job.checkpoint_site < 0 ? 0.0 : CopyEstimateSeconds(fleet_, job, s);
        break;
      case Dispatch::kPowerAware:
        // The largest share left first; no account at all leaves every site alike (one tier).
        if (const std::optional<double> w = headroom(s)) key = -*w;
        break;
    }
  }
  return TiersByKey(keys);
}

}  // namespace gpufleet
