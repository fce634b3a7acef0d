// What a gang asks of the capacity index: a request, as opposed to the Allocation it is granted
// (model/allocation.h).
#pragma once

#include <cstdint>

#include "model/catalog.h"
#include "model/fleet.h"

namespace gpufleet {

// What a gang asks of each GPU it takes and of the hosts of those GPUs.
struct GangRequest {
  int gpus = 1;
  ModelId model = kAnyModel;
  Level constraint = Level::kFleet;
  int milli = kMilliPerGpu;         // share of each GPU; < 1000 shares a GPU with other jobs
  std::int64_t cpu_per_gpu = 0;     // milli-CPU on the GPU's node, per GPU
  std::int64_t memory_per_gpu = 0;  // MiB on the GPU's node, per GPU
  std::uint64_t model_mask = 0;     // with model any: allowed models, a bit each (0: all)
  bool Allows(ModelId m) const {
    if (m < 0) return false;  // a node type the fleet does not use has no model
    if (model != kAnyModel) return m == model;
    return model_mask == 0 || (m < 64 && ((model_mask >> m) & 1) != 0);
  }
  // Whole GPUs and nothing else: the fast path of the capacity index.
  bool WholeGpusOnly() const {
    return milli == kMilliPerGpu && cpu_per_gpu == 0 && memory_per_gpu == 0;
  }
};

}  // namespace gpufleet
