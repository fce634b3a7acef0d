#include "model/ideal_fleet.h"

#include <algorithm>

namespace gpufleet {

Result<Fleet> IdealFleet(const std::string& gpu, std::int64_t gpus) {
  FleetSpec spec;
  spec.node_types = BuiltinNodeTypes();
  int type = -1;
  std::vector<std::string> known;
  for (size_t i = 0; i < spec.node_types.size(); ++i) {
    known.push_back(spec.node_types[i].gpu);
    if (type < 0 && spec.node_types[i].gpu == gpu) type = static_cast<int>(i);
  }
  if (type < 0) {
    return Error{"no built-in node type holds GPU model '" + gpu +
                 "'; expected one of: " + ListNames(known)};
  }
  if (gpus < 1) return Error{"an ideal fleet needs at least one GPU"};
  const NodeType& nt = spec.node_types[static_cast<size_t>(type)];
  const std::int64_t domain_gpus = std::int64_t{nt.gpus_per_node} * nt.nodes_per_domain;
  const std::int64_t domains = (gpus + domain_gpus - 1) / domain_gpus;
  const std::int64_t per_leaf = std::max<std::int64_t>(1, kIdealLeafGpus / domain_gpus);
  if (domains / per_leaf > 1'000'000) return Error{"too many GPUs for an ideal fleet"};

  spec.providers.push_back(OwnedProvider("ideal"));
  SiteSpec site;
  site.site.name = "ideal";
  site.site.cooling.kind = Cooling::Kind::kLiquid;
  site.site.cooling.design_pue = kIdealDesignPue;
  PodGroupSpec pod;
  pod.name = "pod";
  // Full leaves, then one leaf for the remainder: exactly `domains` NVLink domains.
  auto leaf = [&](const char* name, std::int64_t count, std::int64_t domains_in_leaf) {
    LeafGroupSpec l;
    l.name = name;
    l.count = static_cast<int>(count);
    l.domains.push_back(DomainGroupSpec{"node", static_cast<int>(domains_in_leaf), 1, type});
    pod.leaves.push_back(std::move(l));
  };
  if (domains / per_leaf > 0) leaf("leaf", domains / per_leaf, per_leaf);
  if (domains % per_leaf > 0) leaf("last-leaf", 1, domains % per_leaf);
  site.pods.push_back(std::move(pod));
  spec.sites.push_back(std::move(site));
  return Fleet::Build(spec);
}

}  // namespace gpufleet
