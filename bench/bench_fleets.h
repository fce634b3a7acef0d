// Fleets the benchmarks share: the 403,200-GPU Stargate-class example, and random occupancy.
#pragma once

#include "model/fleet.h"
#include "sched/capacity_index.h"

namespace gpufleet {

// examples/fleets/stargate-abilene.yaml, loaded once; exits on error.
const Fleet& StargateFleet();
// Takes every GPU with probability 1/2, independently (seeded).
void OccupyHalfAtRandom(CapacityIndex& index, const Fleet& fleet);

}  // namespace gpufleet
