#include "report/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

namespace gpufleet {

namespace {

// The nearest-rank p-th percentile of a sorted, non-empty sample: the value at rank
// max(1, ceil(p/100 · n)).
double NearestRank(const std::vector<double>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  const size_t r = static_cast<size_t>(std::max(1.0, std::ceil(p / 100.0 * n)));
  return sorted[std::min(r, sorted.size()) - 1];
}

}  // namespace

Distribution4 SummarizeSample(std::vector<double> values) {
  Distribution4 d;
  d.count = static_cast<std::int64_t>(values.size());
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  long double sum = 0;
  for (double v : values) sum += v;
  d.mean = static_cast<double>(sum / static_cast<long double>(values.size()));
  d.p50 = NearestRank(values, 50);
  d.p95 = NearestRank(values, 95);
  d.p99 = NearestRank(values, 99);
  d.max = values.back();
  return d;
}

std::vector<double> Percentiles(std::vector<double> values) {
  std::vector<double> p;
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  for (int q = 0; q <= 100; ++q) p.push_back(NearestRank(values, q));
  return p;
}

namespace {

// Job sizes as the HTML report groups them: one GPU, a node, a rack-scale domain, a pod, beyond.
constexpr std::array<std::pair<int, const char*>, 5> kSizeClasses = {
    {{1, "1"},
     {8, "2-8"},
     {64, "9-64"},
     {512, "65-512"},
     {std::numeric_limits<int>::max(), "513+"}}};

size_t SizeClass(int gpus) {
  size_t c = 0;
  while (gpus > kSizeClasses[c].first) ++c;
  return c;
}

Distributions::Quantiles Quantile(std::string name, std::vector<double> values) {
  Distributions::Quantiles q;
  q.name = std::move(name);
  q.count = static_cast<std::int64_t>(values.size());
  q.p = Percentiles(std::move(values));
  return q;
}

}  // namespace

JobTally::JobTally(const std::vector<Tenant>& tenants, bool distributions)
    : distributions_(distributions),
      tenant_jct_(tenants.size()),
      tenant_queue_(tenants.size()),
      size_jct_(distributions ? kSizeClasses.size() : 0),
      size_queue_(distributions ? kSizeClasses.size() : 0),
      tenant_milli_ms_(tenants.size(), 0) {
  m_.tenants.resize(tenants.size());
  for (size_t t = 0; t < tenants.size(); ++t) m_.tenants[t].name = tenants[t].name;
}

void JobTally::AddReplica(const JobRecord& r, JobId id) {
  if (r.state == JobRecord::State::kPending) waiting_replicas_.insert(id);
  const size_t k = static_cast<size_t>(r.spec.service);
  if (m_.services.size() <= k) {
    m_.services.resize(k + 1);
    service_wait_.resize(k + 1);
    service_milli_ms_.resize(k + 1, 0);
  }
  ServiceMetrics& s = m_.services[k];
  ++s.replicas;
  s.tp = r.spec.gpus;
  if (r.first_start >= 0) {
    ++s.placed;
    service_wait_[k].push_back(ToSeconds(r.first_start - r.spec.submit));
  } else {
    ++s.never_placed;
  }
  service_milli_ms_[k] += static_cast<long double>(r.gpu_milli_ms);
  // A tenant's GPU-hours are all it held, its services' replicas too (as the series by tenant).
  tenant_milli_ms_[static_cast<size_t>(r.spec.tenant)] += static_cast<long double>(r.gpu_milli_ms);
  s.preemptions += r.preemptions;
  s.interruptions += r.interruptions;
}

void JobTally::Add(const JobRecord& r, JobId id) {
  if (r.spec.service >= 0) {
    AddReplica(r, id);
    return;
  }
  const std::int64_t milli = static_cast<std::int64_t>(r.spec.gpus) * r.spec.gpu_milli;
  useful_milli_ms_ += static_cast<long double>(milli) * r.progress;
  held_milli_ms_ += static_cast<long double>(r.gpu_milli_ms);
  restart_milli_ms_ += static_cast<long double>(milli) * r.restart_ms;
  if (r.spec.training >= 0 && r.first_start >= 0) {
    ++placement_count_;
    placement_sum_ += r.placement_rate;
    placement_min_ = std::min(placement_min_, r.placement_rate);
  }
  ++m_.submitted;
  if (r.spec.gpu_milli < kMilliPerGpu) ++m_.sharing_jobs;
  const size_t tenant = static_cast<size_t>(r.spec.tenant);
  TenantMetrics& tm = m_.tenants[tenant];
  ++tm.submitted;
  // Summed as integers (exact in a long double up to ~1.8e19 milli-GPU-ms, 5,000 GPU-centuries), so
  // that the order in which records come does not change the result.
  tenant_milli_ms_[tenant] += static_cast<long double>(r.gpu_milli_ms);
  m_.preemptions += r.preemptions;
  m_.interruptions += r.interruptions;
  if (r.first_start >= 0 && r.waited_for != WaitReason::kNone)
    ++m_.wait_reasons[WaitReasonName(r.waited_for)];
  lost_gpu_ms_ +=
      static_cast<long double>(r.lost_ms) * r.spec.gpus * r.spec.gpu_milli / kMilliPerGpu;
  if (r.spec.deadline != kNever) {
    if (!m_.deadlines) m_.deadlines.emplace();
    ++m_.deadlines->jobs;
    if (r.state == JobRecord::State::kCompleted) {
      ++(r.end <= r.spec.deadline ? m_.deadlines->met : m_.deadlines->missed);
    } else if (r.state == JobRecord::State::kRejected) {
      ++m_.deadlines->missed;
    } else {
      unfinished_deadlines_.push_back(r.spec.deadline);
    }
  }
  switch (r.state) {
    case JobRecord::State::kCompleted: {
      ++m_.completed;
      ++tm.completed;
      const double c = ToSeconds(r.end - r.spec.submit);
      // Waiting is all time not spent running: the first wait and any wait after a requeue.
      const double q = ToSeconds(r.end - r.spec.submit - r.run_ms);
      tenant_jct_[tenant].push_back(c);
      tenant_queue_[tenant].push_back(q);
      if (distributions_) {
        size_jct_[SizeClass(r.spec.gpus)].push_back(c);
        size_queue_[SizeClass(r.spec.gpus)].push_back(q);
      }
      const double ettr =
          static_cast<double>(r.spec.duration) / static_cast<double>(r.end - r.first_start);
      ++ettr_count_;
      ettr_sum_ += ettr;
      ettr_min_ = std::min(ettr_min_, ettr);
      break;
    }
    case JobRecord::State::kRejected:
      ++m_.rejected;
      break;
    case JobRecord::State::kPending:
      ++m_.pending_at_end;
      break;
    case JobRecord::State::kRunning:
      ++m_.running_at_end;
      break;
  }
}

namespace {

// All tenants' samples in one, in tenant order (the order does not change a summary).
std::vector<double> Concatenated(const std::vector<std::vector<double>>& parts) {
  size_t n = 0;
  for (const std::vector<double>& p : parts) n += p.size();
  std::vector<double> all;
  all.reserve(n);
  for (const std::vector<double>& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

}  // namespace

Distributions JobTally::DistributionsOfJobs() const {
  Distributions d;
  d.jct_all = Quantile("all", Concatenated(tenant_jct_));
  d.queue_all = Quantile("all", Concatenated(tenant_queue_));
  for (size_t t = 0; t < m_.tenants.size(); ++t) {
    d.jct_by_tenant.push_back(Quantile(m_.tenants[t].name, tenant_jct_[t]));
    d.queue_by_tenant.push_back(Quantile(m_.tenants[t].name, tenant_queue_[t]));
  }
  for (size_t c = 0; c < size_jct_.size(); ++c) {
    d.jct_by_size.push_back(Quantile(kSizeClasses[c].second, size_jct_[c]));
    d.queue_by_size.push_back(Quantile(kSizeClasses[c].second, size_queue_[c]));
  }
  return d;
}

Distributions DistributionsOf(const SimResult& result) {
  JobTally tally(result.tenants, true);
  for (size_t id = 0; id < result.jobs.size(); ++id) tally.Add(result.jobs[id], JobId(id));
  return tally.DistributionsOfJobs();
}

Metrics ComputeMetrics(const SimResult& result, RunInfo run) {
  JobTally tally(result.tenants, result.series.has_value());
  for (size_t id = 0; id < result.jobs.size(); ++id) tally.Add(result.jobs[id], JobId(id));
  return std::move(tally).Finish(result, std::move(run));
}

Metrics JobTally::Finish(const SimResult& result, RunInfo run) && {
  std::optional<Distributions> distributions;
  if (result.series && distributions_) distributions = DistributionsOfJobs();
  Metrics m = std::move(m_);
  m.run = std::move(run);
  m.series = result.series;
  m.distributions = std::move(distributions);
  for (const auto& [id, why] : result.waiting) {
    if (!waiting_replicas_.contains(id)) ++m.pending_reasons[WaitReasonName(why.code)];
  }
  if (m.deadlines) {
    // A job not done by the run's end has missed a deadline before it; a later one is open when
    // the run stopped at its horizon, and missed when it ended because nothing more could run
    // (the jobs left wait for capacity that never comes).
    for (const SimTime d : unfinished_deadlines_) {
      ++(d > result.end_time && result.stopped_at_until ? m.deadlines->open : m.deadlines->missed);
    }
  }
  m.jct_s = SummarizeSample(Concatenated(tenant_jct_));
  m.queue_s = SummarizeSample(Concatenated(tenant_queue_));
  for (size_t t = 0; t < m.tenants.size(); ++t) {
    m.tenants[t].jct_s = SummarizeSample(std::move(tenant_jct_[t]));
    m.tenants[t].queue_s = SummarizeSample(std::move(tenant_queue_[t]));
  }
  for (size_t t = 0; t < m.tenants.size(); ++t)
    m.tenants[t].gpu_hours = static_cast<double>(tenant_milli_ms_[t] / kMilliPerGpu / kHour);
  m.lost_gpu_hours = static_cast<double>(lost_gpu_ms_ / kHour);
  for (size_t k = 0; k < m.services.size(); ++k) {
    m.services[k].placement_wait_s = SummarizeSample(std::move(service_wait_[k]));
    m.services[k].gpu_hours = static_cast<double>(service_milli_ms_[k] / kMilliPerGpu / kHour);
  }
  if (ettr_count_ > 0) {
    m.ettr_mean = static_cast<double>(ettr_sum_ / static_cast<long double>(ettr_count_));
    m.ettr_min = ettr_min_;
  }
  if (placement_count_ > 0) {
    m.placement_rate_mean =
        static_cast<double>(placement_sum_ / static_cast<long double>(placement_count_));
    m.placement_rate_min = placement_min_;
  }
  m.goodput = held_milli_ms_ > 0 ? static_cast<double>(useful_milli_ms_ / held_milli_ms_) : 0;
  m.job_gpu_hours = static_cast<double>(held_milli_ms_ / kMilliPerGpu / kHour);
  m.restart_gpu_hours = static_cast<double>(restart_milli_ms_ / kMilliPerGpu / kHour);
  for (int c = 0; c < kFailureCategories; ++c) {
    const SimResult::FailureStats& f = result.failures[static_cast<size_t>(c)];
    if (f.events == 0) continue;
    m.failures_by_category.push_back({FailureCategoryName(static_cast<FailureCategory>(c)),
                                      f.events, f.interruptions,
                                      static_cast<double>(f.lost_gpu_ms / kHour)});
  }
  m.total_gpus = result.total_gpus;
  m.allocated_gpu_hours = static_cast<double>(result.allocated_gpu_milli_ms / kMilliPerGpu / kHour);
  m.available_gpu_hours = static_cast<double>(result.available_gpu_milli_ms / kMilliPerGpu / kHour);
  m.utilization =
      result.available_gpu_milli_ms > 0
          ? static_cast<double>(result.allocated_gpu_milli_ms / result.available_gpu_milli_ms)
          : 0;
  m.makespan_s = ToSeconds(result.end_time);
  if (result.available_cpu_ms > 0)
    m.cpu_utilization = static_cast<double>(result.allocated_cpu_ms / result.available_cpu_ms);
  if (result.available_memory_ms > 0) {
    m.memory_utilization =
        static_cast<double>(result.allocated_memory_ms / result.available_memory_ms);
  }
  m.stopped_at_until = result.stopped_at_until;
  m.node_failures = result.node_failures;
  m.node_repairs = result.node_repairs;
  m.events = result.events;
  m.passes = result.passes;
  return m;
}

// The GPUs on a site's nodes.
static std::int64_t SiteGpuCount(const Fleet& fleet, const Site& site) {
  auto [first, last] = fleet.NodeRange(site.topo);
  std::int64_t gpus = 0;
  for (NodeId n = first; n < last; ++n) gpus += fleet.NodeGpus(n);
  return gpus;
}

void AddPowerMetrics(Metrics& m, const SimResult& result, const Fleet& fleet) {
  constexpr long double kWmsPerMwh = 1e6L * 3'600'000.0L;  // W x ms in one MWh
  m.power_sites.clear();
  m.it_energy_mwh = m.facility_energy_mwh = m.cost_usd = m.carbon_t = 0;
  // Capacity paid for busy or idle (reserved, owned with a purchase price) is paid for the run's
  // horizon: --until when given (a run done sooner still held it), else the run's end.
  const SimTime horizon =
      m.run.until != kNever ? std::max(m.run.until, result.end_time) : result.end_time;
  for (size_t i = 0; i < fleet.sites().size() && i < result.sites.size(); ++i) {
    const Site& site = fleet.sites()[i];
    const SimResult::SitePower& p = result.sites[i];
    SitePowerMetrics sm;
    sm.name = site.name;
    sm.budget_mw = site.power_budget_mw;
    sm.peak_mw = p.peak_w / 1e6;
    sm.energy_mwh = static_cast<double>(p.it_energy_wms / kWmsPerMwh);
    sm.mean_mw =
        result.end_time > 0 ? static_cast<double>(p.it_energy_wms / result.end_time / 1e6L) : 0;
    sm.facility_energy_mwh = static_cast<double>(p.facility_energy_wms / kWmsPerMwh);
    sm.pue_mean = p.it_energy_wms > 0 ? static_cast<double>(p.facility_energy_wms / p.it_energy_wms)
                                      : site.cooling.design_pue;
    sm.time_capped_s = ToSeconds(p.capped_ms);
    sm.capped_gpu_hours_lost = static_cast<double>(p.capped_lost_gpu_ms / kHour);
    sm.held_gpu_hours = static_cast<double>(p.held_gpu_milli_ms / kMilliPerGpu / kHour);
    if (site.tariff_usd_per_mwh) {
      sm.electricity_usd = sm.facility_energy_mwh * *site.tariff_usd_per_mwh;
      sm.cost_usd = sm.electricity_usd;
    }
    // A rented provider's price bills the GPU-hours jobs held on the site's nodes (shares as
    // their share), on top of the electricity its tariff bills.
    // Reserved capacity bills every GPU of the site for the whole run, used or not (docs/MODELS.md,
    // "Providers' prices").
    const Provider& provider = fleet.providers()[static_cast<size_t>(site.provider)];
    if (provider.kind == ProviderKind::kCloud) {
      sm.pricing = PricingName(site.pricing);
      const std::optional<double> price = fleet.GpuHourUsd(static_cast<int>(i));
      sm.rented_gpu_hours = sm.held_gpu_hours;
      for (const SimResult::ElasticSite& e : result.elastic) {
        if (e.site == static_cast<int>(i)) {
          sm.rented_gpu_hours = static_cast<double>(e.held_gpu_ms / kHour);
        }
      }
      if (site.pricing == Pricing::kReserved && price) {
        const std::int64_t gpus = SiteGpuCount(fleet, site);
        sm.rented_gpu_hours = static_cast<double>(gpus) * ToSeconds(horizon) / 3600;
        sm.reserved_commitment_usd =
            static_cast<double>(gpus) * ToSeconds(provider.reserved->term) / 3600 * *price;
      }
      if (price) {
        sm.rent_usd = sm.rented_gpu_hours * *price;
        sm.cost_usd = sm.cost_usd.value_or(0) + *sm.rent_usd;
      } else {
        sm.rented_gpu_hours = 0;
      }
    }
    if (provider.capex) {
      // Owned capacity bought: every GPU of the site, busy or idle, for the whole run.
      sm.capex_usd = static_cast<double>(SiteGpuCount(fleet, site)) * provider.capex->gpu_usd *
                     static_cast<double>(horizon) / static_cast<double>(provider.capex->life);
      sm.cost_usd = sm.cost_usd.value_or(0) + *sm.capex_usd;
    }
    if (i < result.checkpoint_egress_gb.size()) sm.egress_gb = result.checkpoint_egress_gb[i];
    if (provider.egress_usd_per_gb && sm.egress_gb > 0) {
      sm.egress_usd = sm.egress_gb * *provider.egress_usd_per_gb;
      sm.cost_usd = sm.cost_usd.value_or(0) + *sm.egress_usd;
    }
    if (site.carbon_g_per_kwh) sm.carbon_t = static_cast<double>(p.carbon_g / 1e6L);
    m.it_energy_mwh += sm.energy_mwh;
    m.facility_energy_mwh += sm.facility_energy_mwh;
    m.cost_usd += sm.cost_usd.value_or(0);
    m.carbon_t += sm.carbon_t.value_or(0);
    m.power_sites.push_back(std::move(sm));
  }
  m.providers.clear();
  for (size_t k = 0; k < fleet.providers().size(); ++k) {
    const Provider& provider = fleet.providers()[k];
    ProviderMetrics pm;
    pm.name = provider.name;
    pm.kind = provider.kind == ProviderKind::kCloud ? "cloud" : "owned";
    for (size_t i = 0; i < m.power_sites.size(); ++i) {
      if (fleet.sites()[i].provider != static_cast<int>(k)) continue;
      const SitePowerMetrics& sm = m.power_sites[i];
      pm.sites.push_back(sm.name);
      pm.gpu_hours += sm.held_gpu_hours;
      pm.electricity_usd += sm.electricity_usd.value_or(0);
      pm.rent_usd += sm.rent_usd.value_or(0);
      const Pricing pricing = fleet.sites()[i].pricing;
      (pricing == Pricing::kReserved ? pm.reserved_usd
       : pricing == Pricing::kSpot   ? pm.spot_usd
                                     : pm.on_demand_usd) += sm.rent_usd.value_or(0);
      pm.egress_gb += sm.egress_gb;
      pm.reserved_commitment_usd += sm.reserved_commitment_usd;
      pm.capex_usd += sm.capex_usd.value_or(0);
      pm.egress_usd += sm.egress_usd.value_or(0);
      pm.cost_usd += sm.cost_usd.value_or(0);
    }
    if (!pm.sites.empty()) m.providers.push_back(std::move(pm));
  }
}

void AddElasticMetrics(Metrics& m, const SimResult& result, const Fleet& fleet) {
  m.elastic.clear();
  for (const SimResult::ElasticSite& e : result.elastic) {
    if (e.site < 0 || static_cast<size_t>(e.site) >= fleet.sites().size()) continue;
    ElasticMetrics em;
    em.site = fleet.sites()[static_cast<size_t>(e.site)].name;
    em.nodes_asked = e.asked;
    em.nodes_acquired = e.acquired;
    em.nodes_released = e.released;
    em.peak_nodes = e.peak_nodes;
    em.node_hours = static_cast<double>(e.held_node_ms / kHour);
    em.gpu_hours = static_cast<double>(e.held_gpu_ms / kHour);
    if (static_cast<size_t>(e.site) < result.sites.size() && e.held_gpu_ms > 0) {
      em.busy = static_cast<double>(result.sites[static_cast<size_t>(e.site)].held_gpu_milli_ms /
                                    kMilliPerGpu / e.held_gpu_ms);
    }
    m.elastic.push_back(std::move(em));
  }
}

void AddOutageMetrics(Metrics& m, const SimResult& result, const Fleet& fleet,
                      const std::vector<BoundOutage>& outages) {
  m.checkpoint_copies = result.checkpoint_copies;
  m.checkpoint_copy_gpu_hours = static_cast<double>(result.copy_gpu_ms / kHour);
  m.checkpoint_copy_gb = 0;
  for (const double gb : result.checkpoint_egress_gb) m.checkpoint_copy_gb += gb;
  m.outages.clear();
  for (size_t k = 0; k < outages.size() && k < result.outages.size(); ++k) {
    const BoundOutage& o = outages[k];
    const SimResult::OutageStats& stats = result.outages[k];
    OutageMetrics out;
    out.target = o.target;
    out.at_s = ToSeconds(o.at);
    out.for_s = ToSeconds(o.duration);
    for (const int s : o.sites) {
      const Site& site = fleet.sites()[static_cast<size_t>(s)];
      out.sites.push_back(site.name);
      out.gpus += SiteGpuCount(fleet, site);
    }
    const SimTime down = std::clamp<SimTime>(result.end_time - o.at, 0, o.duration);
    out.down_gpu_hours = static_cast<double>(out.gpus) * static_cast<double>(down) / kHour;
    out.jobs_interrupted = stats.jobs_interrupted;
    out.replicas_interrupted = stats.replicas_interrupted;
    out.lost_gpu_hours = static_cast<double>(stats.lost_gpu_ms / kHour);
    std::vector<double> delays;
    for (const SimTime d : stats.restart_delays) delays.push_back(ToSeconds(d));
    out.not_restarted = stats.jobs_interrupted - std::ssize(delays);
    out.restart_delay_s = SummarizeSample(std::move(delays));
    out.checkpoint_copies = stats.checkpoint_copies;
    out.jobs_lost_gpu_hours = static_cast<double>(stats.jobs_lost_gpu_ms / kHour);
    out.jobs_restart_gpu_hours = static_cast<double>(stats.jobs_restart_gpu_ms / kHour);
    m.outages.push_back(std::move(out));
  }
}

}  // namespace gpufleet
