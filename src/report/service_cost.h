// What a service's replicas cost, and per million output tokens (docs/MODELS.md, "What serving
// costs"): the rent of the GPU-hours they held at each site, at the site's price under its
// pricing (on demand, spot, reserved: the reserved rate for the hours used), and the electricity
// of their IT energy through each site's design PUE at its tariff; on owned capacity whose
// provider gives a purchase price (`capex:`), the GPU-hours held at that price over its life.
// Without one a service on owned GPUs costs its electricity alone.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "model/fleet.h"

namespace gpufleet {

struct ServiceCost {
  double rent_usd = 0, electricity_usd = 0;
  // Whether a site the service ran on gives a price or a tariff: without, its cost is unknown,
  // not zero.
  bool priced = false;
  double capex_usd = 0;  // owned GPU-hours at their purchase price over its life
  double total_usd() const { return rent_usd + electricity_usd + capex_usd; }
};

// `gpu_hours_by_site`: the GPU-hours the service's replicas held at each site (by site index);
// `it_energy_kwh`: their IT energy, spread over the sites in proportion to those GPU-hours.
ServiceCost ServiceCostOf(const Fleet& fleet, const std::vector<double>& gpu_hours_by_site,
                          double it_energy_kwh);

// Dollars per million output tokens; nullopt without tokens.
std::optional<double> UsdPerMillionTokens(double usd, std::int64_t tokens);

}  // namespace gpufleet
