#include "test_fleets.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "model/ideal_fleet.h"
#include "sched/capacity_index.h"
#include "spec/specs.h"

namespace gpufleet::testing {

PlacedFleet PlaceOnIdealFleet(const std::string& gpu, int gpus) {
  PlacedFleet p{IdealFleet(gpu, gpus).value(), {}};
  CapacityIndex index(p.fleet);
  p.allocation = index.Place(gpus, 0, Level::kFleet).value();
  return p;
}

Fleet MustParseFleet(const std::string& yaml) {
  Result<Fleet> f = ParseFleet(yaml, "test-fleet.yaml");
  if (!f.ok()) {
    std::cerr << "bad test fleet: " << f.message() << "\n";
    std::abort();
  }
  return std::move(f).value();
}

SimResult RunWorkload(const Fleet& fleet, const std::string& workload, SimOptions options) {
  Simulator sim(fleet, BindWorkload(MustParseWorkload(workload), fleet, 1).value(), options);
  return sim.Run();
}

SimResult RunUntil(const Fleet& fleet, const std::string& workload, SimTime until) {
  SimOptions options;
  options.until = until;
  return RunWorkload(fleet, workload, options);
}

WorkloadSpec MustParseWorkload(const std::string& yaml) {
  Result<WorkloadSpec> w = ParseWorkload(yaml, "test-workload.yaml");
  if (!w.ok()) {
    std::cerr << "bad test workload: " << w.message() << "\n";
    std::abort();
  }
  return std::move(w).value();
}

std::string DgxFleetYaml(int pods, int leaves, int domains, const std::string& site_lines) {
  return "sites:\n"
         "  - name: s\n" +
         site_lines +
         "    pods:\n"
         "      - name: p\n"
         "        count: " +
         std::to_string(pods) +
         "\n"
         "        leaves:\n"
         "          - name: l\n"
         "            count: " +
         std::to_string(leaves) +
         "\n"
         "            domains:\n"
         "              - name: d\n"
         "                count: " +
         std::to_string(domains) +
         "\n"
         "                node_type: dgx-h100\n";
}

std::string OversubscribedPodsYaml() {
  return "sites:\n"
         "  - name: s\n"
         "    power_budget_mw: 10\n"
         "    tariff_usd_per_mwh: 50\n"
         "    pods:\n"
         "      - name: p\n"
         "        count: 4\n"
         "        uplink_oversubscription: 7\n"
         "        leaves:\n"
         "          - name: rack\n"
         "            count: 4\n"
         "            domains:\n"
         "              - name: d\n"
         "                count: 2\n"
         "                node_type: dgx-h100\n";
}

std::string SourcePath(const std::string& relative) {
  return std::string(GPUFLEET_SOURCE_DIR) + "/" + relative;
}

}  // namespace gpufleet::testing
