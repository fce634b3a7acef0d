// The totals `gpufleet fleet show` prints: GPUs by model, nodes, NVLink domains, pods and IT power,
// per site and overall. A view for the command line, not part of the fleet model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/fleet.h"

namespace gpufleet::cli {

struct FleetSummary {
  struct ModelCount {
    std::string model;
    std::int64_t gpus = 0;
  };
  struct SiteTotals {
    std::string name, provider, location;
    // "owned", or a rented site's pricing (PricingName) and its price per GPU-hour (none: not
    // given, unbilled); for an owned site with a purchase price, that price over its life.
    std::string pricing;
    std::optional<double> gpu_hour_usd;
    std::optional<ElasticRent> elastic;  // rented node by node, its nodes the most it may hold
    std::int64_t gpus = 0, nodes = 0, domains = 0, pods = 0;
    double it_power_mw = 0;  // all nodes at their maximum (TDP) draw
    double power_budget_mw = 0;
    std::vector<ModelCount> by_model;
  };
  std::int64_t gpus = 0, nodes = 0, domains = 0, leaves = 0, pods = 0;
  double it_power_mw = 0, power_budget_mw = 0;
  std::vector<ModelCount> by_model;
  std::vector<SiteTotals> sites;
};
FleetSummary Summarize(const Fleet& fleet);

}  // namespace gpufleet::cli
