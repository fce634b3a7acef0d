// The fleet `gpufleet plan train` assumes without --fleet: enough nodes of the GPU's built-in node
// type on a non-blocking, rail-optimised fabric (every uplink 1:1), one site at a hyperscale PUE.
#pragma once

#include <cstdint>
#include <string>

#include "model/fleet.h"
#include "util/result.h"

namespace gpufleet {

// Nodes per leaf: 32 DGX-class nodes (256 GPUs), the scalable unit of NVIDIA's DGX SuperPOD
// reference architecture (REFERENCE.md "rail-optimised Clos": 512 GPUs on 16 leaves / 8 spines).
inline constexpr int kIdealLeafGpus = 256;
// Design PUE of the ideal site: a new hyperscale facility (REFERENCE.md: Google fleet 1.10, Meta
// 1.08-1.09).
inline constexpr double kIdealDesignPue = 1.1;

// At least `gpus` GPUs of catalogue model `gpu` (its first built-in node type); an error names the
// known models when `gpu` has no built-in node type.
Result<Fleet> IdealFleet(const std::string& gpu, std::int64_t gpus);

}  // namespace gpufleet
