// The fleet the fuzz targets that need one bind to: two sites, two GPU models (8-GPU DGX H100
// nodes in a pod of leaves, 72-GPU GB200 NVL72 racks), small enough that a pass is cheap and
// varied enough for every kind of placement, allocation and pending reason.
#pragma once

#include "fuzz_support.h"
#include "spec/specs.h"

namespace gpufleet::fuzz {

inline const Fleet& SmallFleet() {
  static const Fleet* fleet = [] {
    constexpr const char* kYaml = R"(
sites:
  - name: east
    power_budget_mw: 1
    pods:
      - name: pod
        count: 2
        leaves:
          - name: leaf
            count: 2
            domains:
              - {name: dgx, count: 2, node_type: dgx-h100}
  - name: west
    power_budget_mw: 1
    leaves:
      - name: rack
        domains:
          - {name: nvl, count: 2, node_type: gb200-nvl72}
)";
    Result<Fleet> f = ParseFleet(kYaml, "fuzz-fleet.yaml");
    if (!f.ok()) Broken("the fuzz targets' own fleet", f.message());
    return new Fleet(std::move(f).value());
  }();
  return *fleet;
}

}  // namespace gpufleet::fuzz
