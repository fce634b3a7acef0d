#include "bench_fleets.h"

#include <cstdlib>
#include <iostream>

#include "spec/specs.h"
#include "util/rng.h"

namespace gpufleet {

const Fleet& StargateFleet() {
  static const Fleet fleet = [] {
    Result<Fleet> f =
        LoadFleet(std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/stargate-abilene.yaml");
    if (!f.ok()) {
      std::cerr << f.message() << "\n";
      std::exit(1);
    }
    return std::move(f).value();
  }();
  return fleet;
}

void OccupyHalfAtRandom(CapacityIndex& index, const Fleet& fleet) {
  Rng rng(2026);
  Allocation busy;
  busy.model = 0;
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    std::uint64_t mask = 0;
    for (int g = 0; g < fleet.NodeGpus(n); ++g) {
      if (rng.Uniform() < 0.5) mask |= std::uint64_t{1} << g;
    }
    if (mask != 0) busy.nodes.push_back({n, mask});
  }
  index.Take(busy);
}

}  // namespace gpufleet
