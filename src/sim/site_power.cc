#include "sim/site_power.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace gpufleet {

SitePowerLedger::SitePowerLedger(const Fleet& fleet) : fleet_(fleet) {
  type_power_ = NodeTypePowers(fleet);
  for (const NodeType& t : fleet.node_types()) type_model_.push_back(fleet.FindModel(t.gpu));
  const size_t sites = fleet.sites().size(), types = fleet.node_types().size();
  up_nodes_.assign(sites, std::vector<std::int64_t>(types, 0));
  busy_milli_ = up_nodes_;
  scratch_ = up_nodes_;
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    up_nodes_[static_cast<size_t>(fleet.SiteOf(n))][static_cast<size_t>(fleet.NodeTypeOf(n))]++;
  }
  gpus_ = up_nodes_;
  for (size_t s = 0; s < sites; ++s) {
    for (size_t t = 0; t < types; ++t) gpus_[s][t] *= fleet.node_types()[t].gpus_per_node;
  }
  for (size_t s = 0; s < sites; ++s) {
    const Site& site = fleet.sites()[s];
    budget_w_.push_back(site.power_budget_mw * 1e6);
    floor_.push_back(site.gpu_power_cap_floor);
    double idle = 0;
    for (size_t t = 0; t < types; ++t)
      idle += static_cast<double>(up_nodes_[s][t]) * type_power_[t].idle_w;
    all_idle_w_.push_back(idle);
  }
  site_cap_.assign(sites, 1.0);
}

void SitePowerLedger::Account(const Load& load, int sign,
                              std::vector<std::vector<std::int64_t>>& busy) const {
  const Allocation& a = *load.allocation;
  for (const NodeGpus& ng : a.nodes) {
    const auto milli = static_cast<std::int64_t>(std::popcount(ng.mask)) * a.milli;
    busy[static_cast<size_t>(fleet_.SiteOf(ng.node))]
        [static_cast<size_t>(fleet_.NodeTypeOf(ng.node))] +=
        sign * (load.utilization >= 1
                    ? milli
                    : std::llround(static_cast<double>(milli) * load.utilization));
  }
}

double SitePowerLedger::AdmittedW(size_t site, const std::vector<std::int64_t>& busy_milli) const {
  double w = 0;
  for (size_t t = 0; t < type_power_.size(); ++t) {
    w += static_cast<double>(busy_milli[t]) / kMilliPerGpu *
         type_power_[t].PerBusyGpuW(floor_[site]);
  }
  return w;
}

void SitePowerLedger::Refusing(const Load& load, const std::vector<Load>& leaving,
                               std::vector<TopoId>& sites) const {
  scratch_ = busy_milli_;
  Account(load, +1, scratch_);
  for (const Load& l : leaving) Account(l, -1, scratch_);
  const Allocation& a = *load.allocation;
  int last_site = -1;
  for (const NodeGpus& ng : a.nodes) {  // ascending node ids: each site's nodes are contiguous
    const int s = fleet_.SiteOf(ng.node);
    if (s == last_site) continue;
    last_site = s;
    const auto i = static_cast<size_t>(s);
    if (all_idle_w_[i] + AdmittedW(i, scratch_[i]) > budget_w_[i]) {
      sites.push_back(fleet_.sites()[i].topo);
    }
  }
}

std::optional<double> SitePowerLedger::HeadroomShare(int site) const {
  const auto i = static_cast<size_t>(site);
  if (!(budget_w_[i] > 0)) return 0.0;
  return std::max(0.0, budget_w_[i] - all_idle_w_[i] - AdmittedW(i, busy_milli_[i])) / budget_w_[i];
}

std::int64_t SitePowerLedger::MostGpusEver(const GangRequest& r) const {
  const auto key = std::make_tuple(r.model, r.model_mask, static_cast<int>(r.constraint));
  if (const auto it = most_gpus_ever_.find(key); it != most_gpus_ever_.end()) return it->second;
  constexpr std::int64_t kUnlimited = std::numeric_limits<std::int64_t>::max() / 4;
  std::int64_t sum = 0, most = 0;
  for (size_t s = 0; s < budget_w_.size(); ++s) {
    // Cheapest GPUs first: the most a site's headroom can power with nothing else running.
    std::vector<std::pair<double, std::int64_t>> by_cost;  // (W per busy GPU, GPUs)
    for (size_t t = 0; t < type_power_.size(); ++t) {
      if (!r.Allows(type_model_[t]) || gpus_[s][t] == 0) continue;
      by_cost.emplace_back(type_power_[t].PerBusyGpuW(floor_[s]), gpus_[s][t]);
    }
    std::sort(by_cost.begin(), by_cost.end());
    double headroom = budget_w_[s] - all_idle_w_[s];
    std::int64_t gpus = 0;
    for (const auto& [w, count] : by_cost) {
      if (w <= 0) {
        gpus = kUnlimited;
        break;
      }
      // At most `count` before the conversion: a tiny per-GPU power must not overflow it.
      const auto fit = static_cast<std::int64_t>(
          std::min(std::max(0.0, std::floor(headroom / w)), static_cast<double>(count)));
      gpus += fit;
      headroom -= static_cast<double>(fit) * w;
    }
    sum = std::min(kUnlimited, sum + gpus);
    most = std::max(most, gpus);
  }
  return most_gpus_ever_[key] = r.constraint <= Level::kFleet ? sum : most;
}

void SitePowerLedger::Started(const Load& load) { Account(load, +1, busy_milli_); }
void SitePowerLedger::Stopped(const Load& load) { Account(load, -1, busy_milli_); }

void SitePowerLedger::NodeDown(NodeId n) {
  up_nodes_[static_cast<size_t>(fleet_.SiteOf(n))][static_cast<size_t>(fleet_.NodeTypeOf(n))]--;
}
void SitePowerLedger::NodeUp(NodeId n) {
  up_nodes_[static_cast<size_t>(fleet_.SiteOf(n))][static_cast<size_t>(fleet_.NodeTypeOf(n))]++;
}

bool SitePowerLedger::UpdateCaps() {
  bool changed = false;
  for (size_t s = 0; s < site_cap_.size(); ++s) {
    double full = 0, busy_tdp = 0;
    for (size_t t = 0; t < type_power_.size(); ++t) {
      const double busy = static_cast<double>(busy_milli_[s][t]) / kMilliPerGpu;
      full += static_cast<double>(up_nodes_[s][t]) * type_power_[t].idle_w +
              busy * type_power_[t].per_busy_gpu_w;
      busy_tdp += busy * type_power_[t].gpu_tdp_w;
    }
    double cap = 1;
    if (full > budget_w_[s] && busy_tdp > 0) {
      // Every busy GPU gives up (1 - cap) x TDP: the highest cap on a 1% grid that fits. Admission
      // guarantees that the floor fits.
      cap = std::floor((1 - (full - budget_w_[s]) / busy_tdp) * 100) / 100;
      cap = std::clamp(cap, floor_[s], 1.0);
    }
    if (cap != site_cap_[s]) {
      site_cap_[s] = cap;
      changed = true;
    }
  }
  return changed;
}

double SitePowerLedger::PowerW(size_t site) const {
  double w = 0;
  for (size_t t = 0; t < type_power_.size(); ++t) {
    w += static_cast<double>(up_nodes_[site][t]) * type_power_[t].idle_w +
         static_cast<double>(busy_milli_[site][t]) / kMilliPerGpu *
             type_power_[t].PerBusyGpuW(site_cap_[site]);
  }
  return w;
}

double SitePowerLedger::BusyGpus(size_t site) const {
  double gpus = 0;
  for (std::int64_t milli : busy_milli_[site]) gpus += static_cast<double>(milli) / kMilliPerGpu;
  return gpus;
}

}  // namespace gpufleet
