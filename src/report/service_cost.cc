#include "report/service_cost.h"

namespace gpufleet {

ServiceCost ServiceCostOf(const Fleet& fleet, const std::vector<double>& gpu_hours_by_site,
                          double it_energy_kwh) {
  ServiceCost cost;
  double total_gpu_hours = 0;
  for (double h : gpu_hours_by_site) total_gpu_hours += h;
  if (!(total_gpu_hours > 0)) return cost;
  for (size_t s = 0; s < gpu_hours_by_site.size() && s < fleet.sites().size(); ++s) {
    const double hours = gpu_hours_by_site[s];
    if (!(hours > 0)) continue;
    const Site& site = fleet.sites()[s];
    const std::optional<double> price = fleet.GpuHourUsd(static_cast<int>(s));
    const std::optional<OwnedCapex>& capex =
        fleet.providers()[static_cast<size_t>(site.provider)].capex;
    cost.priced = cost.priced || price || site.tariff_usd_per_mwh || capex;
    cost.rent_usd += hours * price.value_or(0);
    if (capex) cost.capex_usd += hours * capex->GpuHourUsd();
    // kWh x PUE over 1,000 is MWh, at the tariff in dollars.
    cost.electricity_usd += it_energy_kwh * (hours / total_gpu_hours) * site.cooling.design_pue /
                            1000 * site.tariff_usd_per_mwh.value_or(0);
  }
  return cost;
}

std::optional<double> UsdPerMillionTokens(double usd, std::int64_t tokens) {
  if (tokens <= 0) return std::nullopt;
  return usd / static_cast<double>(tokens) * 1e6;
}

}  // namespace gpufleet
