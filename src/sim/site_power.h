// The power account of every site: healthy nodes and busy GPUs per (site, node type), the IT draw
// that follows (physics/power.h), the GPU power cap that keeps each site inside its budget, and the
// admission rule that makes the budget a hard limit (docs/MODELS.md, "Power-aware scheduling").
//
// Admission counts every node of a site at its idle draw, failed ones too (a repaired node comes
// back drawing power), and every admitted job at its draw with GPUs at the site's lowest allowed
// cap. So the site can always cap its way under the budget, whatever fails or is repaired. The cap
// itself is the highest (on a 1% grid, rounded down) at which the actual draw fits.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "model/fleet.h"
#include "physics/power.h"
#include "sched/admission.h"

namespace gpufleet {

class SitePowerLedger : public AdmissionGuard {
 public:
  explicit SitePowerLedger(const Fleet& fleet);

  // AdmissionGuard: what the scheduler asks and reports.
  void Refusing(const Load& load, const std::vector<Load>& leaving,
                std::vector<TopoId>& sites) const override;
  std::int64_t MostGpusEver(const GangRequest& r) const override;
  std::optional<double> HeadroomShare(int site) const override;
  void Started(const Load& load) override;
  void Stopped(const Load& load) override;

  void NodeDown(NodeId n);
  void NodeUp(NodeId n);

  size_t sites() const { return site_cap_.size(); }
  // GPU power cap of a site, as a fraction of TDP (1: uncapped). Call UpdateCaps after changes.
  double Cap(size_t site) const { return site_cap_[site]; }
  // Recomputes every site's cap; returns true when some cap changed.
  bool UpdateCaps();
  double PowerW(size_t site) const;  // IT draw now, at the site's cap
  double BusyGpus(size_t site) const;

 private:
  // Adds sign x the load's busy milli-GPUs, weighted by its utilization, to `busy` ([site][type]).
  void Account(const Load& load, int sign, std::vector<std::vector<std::int64_t>>& busy) const;
  // Watts the admitted jobs add at the site's lowest cap, from busy milli-GPUs per type.
  double AdmittedW(size_t site, const std::vector<std::int64_t>& busy_milli) const;

  const Fleet& fleet_;
  std::vector<NodePower> type_power_;
  std::vector<ModelId> type_model_;
  std::vector<double> budget_w_, floor_, all_idle_w_;             // per site
  std::vector<std::vector<std::int64_t>> up_nodes_, busy_milli_;  // [site][type]
  std::vector<std::vector<std::int64_t>> gpus_;  // [site][type]: all GPUs, failed or not
  std::vector<double> site_cap_;
  mutable std::vector<std::vector<std::int64_t>> scratch_;  // Refusing: busy after the change
  // MostGpusEver by (model, model mask, constraint level): it depends on the fleet alone.
  mutable std::map<std::tuple<ModelId, std::uint64_t, int>, std::int64_t> most_gpus_ever_;
};

}  // namespace gpufleet
