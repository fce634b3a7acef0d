// Which GPUs a job holds: one entry per node, a bit per GPU, sorted by node id. A plain value that
// the scheduler hands out and the simulator, the physics and (later) the daemon share.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "model/catalog.h"
#include "model/fleet.h"

namespace gpufleet {

struct NodeGpus {
  NodeId node;
  std::uint64_t mask;  // bit i = GPU i of the node
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
