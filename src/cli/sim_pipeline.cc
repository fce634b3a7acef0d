#include "cli/sim_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "report/service_cost.h"
#include "util/duration.h"

namespace gpufleet::cli {
namespace {

Status AddServiceMetrics(Metrics& m, const Fleet& fleet,
                         const std::vector<SimulatedService>& services,
                         std::vector<std::vector<JobId>> ids,
                         std::unordered_map<JobId, std::vector<ReplicaRunSpan>>& runs,
                         const std::vector<BoundOutage>& outages) {
  std::vector<ArrivalPeriod> periods;
  for (const BoundOutage& o : outages)
    periods.push_back({ToSeconds(o.at), ToSeconds(o.at + o.duration)});
  if (m.services.size() < services.size()) m.services.resize(services.size());
  ids.resize(services.size());
  for (size_t k = 0; k < services.size(); ++k) {
    const SimulatedService& s = services[k];
    // Job ids follow the submissions, which follow the autoscaler's decisions: k-th id, k-th life.
    std::sort(ids[k].begin(), ids[k].end());
    std::vector<std::vector<ReplicaRunSpan>> replica_runs(s.run.lives.size());
    for (size_t j = 0; j < ids[k].size() && j < replica_runs.size(); ++j) {
      if (auto it = runs.find(ids[k][j]); it != runs.end()) replica_runs[j] = std::move(it->second);
    }
    Result<PlacedServiceRun> as_placed = ServeAsPlaced(s, replica_runs, periods);
    if (!as_placed.ok()) return as_placed.status();
    const ServiceRun& v = as_placed.value().run;
    const AutoscaledRun& a = s.run;
    ServiceMetrics& out = m.services[k];
    out.name = s.name;
    out.tp = s.tp;
    out.served =
        ServiceMetrics::Requests{s.fluid ? s.fluid_demand.window_s : 0,
                                 v.requests,
                                 as_placed.value().unserved,
                                 as_placed.value().held_at_router,
                                 as_placed.value().retried,
                                 v.ttft.at_slo_percentile,
                                 v.tpot.at_slo_percentile,
                                 v.attainment,
                                 v.slo_met,
                                 a.run.attainment,
                                 a.run.slo_met,
                                 a.run.replicas,
                                 a.replica_seconds / 3600,
                                 a.scale_ups,
                                 a.scale_downs,
                                 ReplicasItEnergyJ(s, out.gpu_hours * 3600, v.busy_s) / 3.6e6,
                                 v.output_tokens,
                                 as_placed.value().periods};
    const ServiceCost cost =
        ServiceCostOf(fleet, GpuHoursBySite(replica_runs, out.gpu_hours, fleet.sites().size()),
                      out.served->it_energy_kwh);
    out.served->rent_usd = cost.rent_usd;
    out.served->electricity_usd = cost.electricity_usd;
    out.served->capex_usd = cost.capex_usd;
    out.served->priced = cost.priced;
  }
  return Status::Ok();
}

}  // namespace

void RunJobs::Take(JobId id, const JobRecord& r, const PendingReason* waiting) {
  tally.Add(r, id);
  if (r.spec.service >= 0) {
    const size_t k = static_cast<size_t>(r.spec.service);
    if (replicas.size() <= k) replicas.resize(k + 1);
    replicas[k].push_back(id);
  }
  if (csv) csv->Take(id, r, waiting);
  // Rejections are reported by name, the first few; they are taken in the order they happen.
  if (r.state == JobRecord::State::kRejected && rejected_names.size() < 5)
    rejected_names.push_back(r.spec.name);
}

void RunJobs::Observe(Simulator& sim) {
  sim.set_run_observer(
      [this](JobId id, const JobSpec& job, SimTime from, SimTime to, int site, SimTime cut) {
        if (job.service >= 0) {
          runs[id].push_back(
              {ToSeconds(from), ToSeconds(to), site, cut == kNever ? HUGE_VAL : ToSeconds(cut)});
        }
      });
}

Status CompleteMetrics(Metrics& m, const Fleet& fleet, const SimResult& result,
                       const std::vector<SimulatedService>& services, RunJobs& jobs,
                       const std::vector<BoundOutage>& outages, bool physics) {
  const auto replay_start = std::chrono::steady_clock::now();
  if (Status st =
          AddServiceMetrics(m, fleet, services, std::move(jobs.replicas), jobs.runs, outages);
      !st.ok())
    return st;
  m.run.services_wall_s +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - replay_start).count();
  if (physics) AddPowerMetrics(m, result, fleet);
  AddOutageMetrics(m, result, fleet, outages);
  AddElasticMetrics(m, result, fleet);
  return Status::Ok();
}

const Site* SpotSiteNeedingHorizon(const Fleet& fleet) {
  for (const Site& site : fleet.sites()) {
    const Provider& p = fleet.providers()[static_cast<size_t>(site.provider)];
    if (site.pricing == Pricing::kSpot && p.spot && p.spot->reclaims_per_node_day > 0) return &site;
  }
  return nullptr;
}

Result<Metrics> SimulateSpec(const Fleet& fleet, const WorkloadSpec& spec, std::uint64_t seed,
                             const SimOptions& options, RunInfo info,
                             const std::vector<AutoscaledService>& autoscaled) {
  Result<BoundWorkload> bound = BindWorkload(spec, fleet, seed);
  if (!bound.ok()) return bound.error();
  Result<std::vector<SimulatedService>> services =
      AppendServices(bound.value(), spec, fleet, options.until, autoscaled);
  if (!services.ok()) return services.error();
  if (bound.value().tenants.empty())
    bound.value().tenants.push_back(Tenant{"default", 1, std::nullopt});
  const std::vector<Tenant> tenants = bound.value().tenants;
  const std::vector<BoundOutage> outages = bound.value().outages;
  Simulator sim(fleet, std::move(bound).value(), options);
  RunJobs jobs(tenants, options.series_interval > 0);
  sim.set_job_sink(&jobs);
  if (!services.value().empty()) jobs.Observe(sim);
  const SimResult result = sim.Run();
  Metrics metrics = std::move(jobs.tally).Finish(result, std::move(info));
  if (Status st =
          CompleteMetrics(metrics, fleet, result, services.value(), jobs, outages, options.physics);
      !st.ok())
    return Error{st.message(), st.code()};
  return metrics;
}

}  // namespace gpufleet::cli
