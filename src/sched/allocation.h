// Which GPUs a job holds: one entry per node, a bit per GPU, sorted by node id.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "model/fleet.h"

namespace gpufleet {

struct NodeGpus {
  NodeId node;
  std::uint64_t mask;  // bit i = GPU i of the node
};

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
    return model != kAnyModel ? m == model : model_mask == 0 || ((model_mask >> m) & 1) != 0;
  }
  // Whole GPUs and nothing else: the fast path of the capacity index.
  bool WholeGpusOnly() const {
    return milli == kMilliPerGpu && cpu_per_gpu == 0 && memory_per_gpu == 0;
  }
};

struct Allocation {
  ModelId model = kAnyModel;
  std::vector<NodeGpus> nodes;  // ascending node id
  int milli = kMilliPerGpu;     // of each GPU held
  std::int64_t cpu_per_gpu = 0, memory_per_gpu = 0;

  int Gpus() const {
    int n = 0;
    for (const auto& ng : nodes) n += std::popcount(ng.mask);
    return n;
  }
  bool empty() const { return nodes.empty(); }
};

}  // namespace gpufleet
