// Small fleets and workloads for tests, written as the YAML a user would write.
#pragma once

#include <string>

#include "model/allocation.h"
#include "model/fleet.h"
#include "sim/simulator.h"
#include "workload/workload.h"

namespace gpufleet::testing {

// Parses a fleet spec; fails the test (and aborts) on error.
Fleet MustParseFleet(const std::string& yaml);
WorkloadSpec MustParseWorkload(const std::string& yaml);

// Simulates `workload` (YAML, seed 1) on `fleet` with `options`.
SimResult RunWorkload(const Fleet& fleet, const std::string& workload, SimOptions options = {});
// The same with the default options, until `until`.
SimResult RunUntil(const Fleet& fleet, const std::string& workload, SimTime until = kNever);

// `pods` pods × `leaves` leaves × `domains` NVLink domains of one DGX H100 (8 GPUs) each.
// `site_lines` (YAML lines of the site mapping, indented by 4) replace its budget of 10 MW.
std::string DgxFleetYaml(int pods, int leaves, int domains,
                         const std::string& site_lines = "    power_budget_mw: 10\n");

// Meta's 24K-cluster shape in miniature (Llama 3 §3.3.1): 4 pods behind 1:7 oversubscription,
// each of 4 racks (leaves) of 2 DGX H100 (16 GPUs per rack); electricity at $50/MWh. Nodes 0-7 are
// pod 0, 8-15 pod 1, and so on.
std::string OversubscribedPodsYaml();

// An ideal fleet of `gpus` GPUs of model `gpu` (model/ideal_fleet.h) and the scheduler's placement
// of one gang of all of them on it.
struct PlacedFleet {
  Fleet fleet;
  Allocation allocation;
};
PlacedFleet PlaceOnIdealFleet(const std::string& gpu, int gpus);

// Path of a file in the source tree, for the bundled examples.
std::string SourcePath(const std::string& relative);

}  // namespace gpufleet::testing
