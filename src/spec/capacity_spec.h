// The capacity options `gpufleet plan capacity` compares (docs/SPEC.md, "Capacity options"): a
// fleet file holding every site any option may use, each option a selection of its sites (by
// provider and by name, spot sites in or out), and an optional risk: each provider of each option
// down for a period.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/time.h"
#include "workload/source_loc.h"

namespace gpufleet {

struct CapacityOption {
  std::string name;
  std::vector<std::string> sites;      // in the fleet file's order
  std::vector<std::string> providers;  // of those sites, in the fleet file's order
};

// Each provider of each option down from `at` for `duration` (a workload outage added to the
// demand), one run per provider.
struct CapacityRisk {
  SimTime at = 0, duration = 0;
  SourceLoc at_loc;  // of `risk.at`, for an error against the run's horizon
};

struct CapacityPlanSpec {
  std::string fleet;  // the fleet file, as a path from the working directory
  // The whole fleet's providers and sites: a demand's outage must name one of them.
  std::vector<std::string> fleet_providers, fleet_sites;
  std::vector<CapacityOption> options;
  std::optional<CapacityRisk> risk;
};

// Reads the options file and the fleet it names; every error at once, each with the file, line,
// column and field (an unknown provider or site names the ones the fleet has).
Result<CapacityPlanSpec> LoadCapacityPlan(const std::string& file);

}  // namespace gpufleet
