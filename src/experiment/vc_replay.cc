#include "experiment/vc_replay.h"

#include <algorithm>
#include <memory>

#include "experiment/merge_results.h"
#include "experiment/parallel.h"
#include "workload/job_source.h"

namespace gpufleet {
namespace {

// One site, one leaf, `nodes` servers of `gpus_per_node` GPUs: best-fit placement then
// consolidates a job onto as few servers as possible.
Result<Fleet> VcFleet(const std::string& name, std::int64_t nodes, int gpus_per_node) {
  // A domain group's count is an int: refuse what it cannot hold rather than wrap around.
  if (nodes < 1 || nodes > kMaxVcNodes) {
    return Error{"virtual cluster '" + name + "': expected 1 to " + std::to_string(kMaxVcNodes) +
                 " nodes, got " + std::to_string(nodes)};
  }
  FleetSpec spec;
  spec.providers.push_back(OwnedProvider("philly"));
  spec.node_types.push_back(NodeType{"vc-node", "p100", gpus_per_node, 1, 3.2});
  SiteSpec site;
  site.site.name = name;
  site.site.power_budget_mw = 1;
  PodGroupSpec pod;
  LeafGroupSpec leaf;
  leaf.domains.push_back(DomainGroupSpec{"node", static_cast<int>(nodes), 1, 0});
  pod.leaves.push_back(std::move(leaf));
  site.pods.push_back(std::move(pod));
  spec.sites.push_back(std::move(site));
  return Fleet::Build(spec);
}

}  // namespace

Result<VcReplay> RunVcReplay(const TraceJobs& trace,
                             const std::vector<std::pair<std::string, std::int64_t>>& quotas,
                             const VcReplayOptions& options) {
  VcReplay out;
  if (options.gpus_per_node < 1 || options.gpus_per_node > 64) {
    return Error{"GPUs per node of the virtual clusters: expected 1 to 64, got " +
                 std::to_string(options.gpus_per_node)};
  }
  std::map<std::string, size_t> vc_index;
  for (const auto& [name, gpus] : quotas) {
    if (gpus == 0) continue;  // a cluster without nodes: its jobs are excluded below
    if (gpus % options.gpus_per_node != 0 || gpus < 0) {
      return Error{"virtual cluster '" + name + "' has " + std::to_string(gpus) +
                   " GPUs, not a positive multiple of " + std::to_string(options.gpus_per_node)};
    }
    vc_index.emplace(name, out.vcs.size());
    out.vcs.push_back(VcRun{name, gpus, {}});
  }
  std::vector<std::vector<JobSpec>> jobs(out.vcs.size());
  // Time 0 of every cluster's run is --since (or the trace's first submission), so that weeks
  // left out do not count as idle time.
  SimTime shift = 0;
  if (options.since_epoch_s && *options.since_epoch_s > trace.origin_epoch_s) {
    const Result<SimTime> since = SecondsToMs(*options.since_epoch_s - trace.origin_epoch_s);
    if (!since.ok()) return Error{"--since: " + since.message()};
    shift = since.value();
  }
  for (const JobSpec& j : trace.jobs) {
    if (j.submit < shift) {
      out.excluded["submitted before --since"]++;
      continue;
    }
    const std::string& vc = trace.tenants[static_cast<size_t>(j.tenant)];
    const auto it = vc_index.find(vc);
    if (it == vc_index.end()) {
      const bool listed =
          std::any_of(quotas.begin(), quotas.end(), [&](const auto& q) { return q.first == vc; });
      out.excluded[listed ? "virtual cluster with 0 nodes" : "virtual cluster not in --vcs"]++;
      continue;
    }
    JobSpec copy = j;
    copy.submit -= shift;
    copy.tenant = 0;  // each virtual cluster runs alone
    jobs[it->second].push_back(std::move(copy));
  }
  std::vector<Result<Fleet>> fleets;
  for (const VcRun& vc : out.vcs)
    fleets.push_back(VcFleet(vc.name, vc.gpus / options.gpus_per_node, options.gpus_per_node));
  for (const auto& f : fleets) {
    if (!f.ok()) return f.error();
  }

  // Largest clusters first spreads the work best over the threads; results land in file order.
  std::vector<size_t> order(out.vcs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return jobs[a].size() > jobs[b].size(); });
  ParallelFor(order.size(), options.threads, [&](size_t k) {
    const size_t i = order[k];
    BoundWorkload w;
    w.tenants = {Tenant{out.vcs[i].name, 1, out.vcs[i].gpus}};
    w.source = std::make_unique<VectorJobSource>(std::move(jobs[i]));
    SimOptions sim_options;
    sim_options.scheduler = options.scheduler;
    Simulator sim(fleets[i].value(), std::move(w), sim_options);
    out.vcs[i].result = sim.Run();
  });
  return out;
}

SimResult MergeVcRuns(const VcReplay& replay) {
  std::vector<SideBySideRun> runs;
  // The clusters' nodes model no host CPU or memory (VcFleet): only their GPUs stay available.
  for (const VcRun& vc : replay.vcs) runs.push_back(SideBySideRun{&vc.result, 0, 0});
  return MergeResults(runs);
}

}  // namespace gpufleet
