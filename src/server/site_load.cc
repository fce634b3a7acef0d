#include "server/site_load.h"

#include <bit>

#include "physics/power.h"

namespace gpufleet {

std::vector<SiteLoad> SiteLoads(const Fleet& fleet, const Scheduler& scheduler,
                                const std::map<JobId, LiveJob>& jobs) {
  std::vector<SiteLoad> out(fleet.sites().size());
  for (size_t s = 0; s < out.size(); ++s) {
    out[s].name = fleet.sites()[s].name;
    out[s].power_budget_w = fleet.sites()[s].power_budget_mw * 1e6;
  }
  const std::vector<NodePower> powers = NodeTypePowers(fleet);
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    SiteLoad& site = out[static_cast<size_t>(fleet.SiteOf(n))];
    site.nodes += 1;
    site.gpus += fleet.NodeGpus(n);
    if (scheduler.StateOf(n) != NodeState::kUp) continue;
    site.nodes_up += 1;
    site.gpus_up += fleet.NodeGpus(n);
    // Busy GPUs of the node, each weighted by its job's share and how hard it works.
    double busy = 0, working = 0;
    for (JobId id : scheduler.JobsOn(n)) {
      const auto it = jobs.find(id);
      if (it == jobs.end()) continue;
      const LiveJob& j = it->second;
      for (size_t i = 0; i < j.nodes.size() && i < j.gpu_masks.size(); ++i) {
        if (j.nodes[i] != n) continue;
        const double gpus = std::popcount(j.gpu_masks[i]) * j.request.gpu_milli / 1000.0;
        busy += gpus;
        working += gpus * j.request.power_utilization;
      }
    }
    site.gpus_busy += busy;
    site.it_power_w += powers[static_cast<size_t>(fleet.NodeTypeOf(n))].Watts(working);
  }
  return out;
}

}  // namespace gpufleet
