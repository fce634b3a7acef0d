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

struct Allocation {
  ModelId model = kAnyModel;
  std::vector<NodeGpus> nodes;  // ascending node id

  int Gpus() const {
    int n = 0;
    for (const auto& ng : nodes) n += std::popcount(ng.mask);
    return n;
  }
  bool empty() const { return nodes.empty(); }
};

}  // namespace gpufleet
