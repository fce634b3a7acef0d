#include "cli/fleet_summary.h"

#include "physics/power.h"

namespace gpufleet::cli {

FleetSummary Summarize(const Fleet& fleet) {
  FleetSummary s;
  std::vector<std::int64_t> by_model(fleet.gpu_models().size(), 0);
  std::vector<double> node_max_w;  // by node type
  for (const NodeType& t : fleet.node_types()) {
    const ModelId m = fleet.FindModel(t.gpu);
    node_max_w.push_back(m == kAnyModel
                             ? t.max_power_kw * 1000
                             : NodeMaxPowerW(t, fleet.gpu_models()[static_cast<size_t>(m)]));
  }
  for (const Site& site : fleet.sites()) {
    FleetSummary::SiteTotals st;
    st.name = site.name;
    const Provider& provider = fleet.providers()[static_cast<size_t>(site.provider)];
    st.provider = provider.name;
    if (provider.kind == ProviderKind::kOwned) {
      st.pricing = "owned";
      // Its purchase over its life, per GPU-hour: what it costs beside its electricity.
      if (provider.capex) st.gpu_hour_usd = provider.capex->GpuHourUsd();
    } else {
      st.pricing = PricingName(site.pricing);
      if (site.pricing == Pricing::kOnDemand) st.gpu_hour_usd = provider.gpu_hour_usd;
      st.elastic = site.elastic;
      if (site.pricing == Pricing::kReserved && provider.reserved)
        st.gpu_hour_usd = provider.reserved->gpu_hour_usd;
      if (site.pricing == Pricing::kSpot && provider.spot)
        st.gpu_hour_usd = provider.spot->gpu_hour_usd;
    }
    st.location = site.location;
    st.power_budget_mw = site.power_budget_mw;
    std::vector<std::int64_t> site_models(fleet.gpu_models().size(), 0);
    auto [first, last] = fleet.NodeRange(site.topo);
    for (NodeId n = first; n < last; ++n) {
      st.gpus += fleet.NodeGpus(n);
      site_models[static_cast<size_t>(fleet.NodeModel(n))] += fleet.NodeGpus(n);
      st.it_power_mw += node_max_w[static_cast<size_t>(fleet.NodeTypeOf(n))] / 1e6;
    }
    st.nodes = last - first;
    for (TopoId d = fleet.LevelBegin(Level::kDomain); d < fleet.LevelEnd(Level::kDomain); ++d) {
      if (fleet.Ancestor(fleet.NodeRange(d).first, Level::kSite) == site.topo) ++st.domains;
    }
    const TopoNode& sn = fleet.topo(site.topo);
    st.pods = sn.num_children;
    for (size_t m = 0; m < site_models.size(); ++m) {
      if (site_models[m] > 0) st.by_model.push_back({fleet.gpu_models()[m].name, site_models[m]});
      by_model[m] += site_models[m];
    }
    s.gpus += st.gpus;
    s.nodes += st.nodes;
    s.domains += st.domains;
    s.pods += st.pods;
    s.it_power_mw += st.it_power_mw;
    s.power_budget_mw += st.power_budget_mw;
    s.sites.push_back(std::move(st));
  }
  s.leaves = fleet.CountAt(Level::kLeaf);
  for (size_t m = 0; m < by_model.size(); ++m) {
    s.by_model.push_back({fleet.gpu_models()[m].name, by_model[m]});
  }
  return s;
}

}  // namespace gpufleet::cli
