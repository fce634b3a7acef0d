#include "model/job.h"

namespace gpufleet {

const char* TopologyName(Topology t) {
  switch (t) {
    case Topology::kNvlink:
      return "nvlink";
    case Topology::kLeaf:
      return "leaf";
    case Topology::kPod:
      return "pod";
    case Topology::kSite:
      return "site";
    case Topology::kAny:
      return "any";
  }
  return "?";
}

std::optional<Topology> ParseTopology(std::string_view name) {
  for (Topology t :
       {Topology::kNvlink, Topology::kLeaf, Topology::kPod, Topology::kSite, Topology::kAny}) {
    if (name == TopologyName(t)) return t;
  }
  return std::nullopt;
}

}  // namespace gpufleet
