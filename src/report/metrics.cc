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

Distributions DistributionsOf(const SimResult& result) {
  Distributions d;
  std::vector<double> jct, queue;
  std::vector<std::vector<double>> tenant_jct(result.tenants.size()),
      tenant_queue(result.tenants.size()), size_jct(kSizeClasses.size()),
      size_queue(kSizeClasses.size());
  for (const JobRecord& r : result.jobs) {
    if (r.state != JobRecord::State::kCompleted) continue;
    const double c = ToSeconds(r.end - r.spec.submit);
    const double q = ToSeconds(r.end - r.spec.submit - r.run_ms);  // as the report's queue_s
    jct.push_back(c);
    queue.push_back(q);
    tenant_jct[static_cast<size_t>(r.spec.tenant)].push_back(c);
    tenant_queue[static_cast<size_t>(r.spec.tenant)].push_back(q);
    size_jct[SizeClass(r.spec.gpus)].push_back(c);
    size_queue[SizeClass(r.spec.gpus)].push_back(q);
  }
  d.jct_all = Quantile("all", std::move(jct));
  d.queue_all = Quantile("all", std::move(queue));
  for (size_t t = 0; t < result.tenants.size(); ++t) {
    d.jct_by_tenant.push_back(Quantile(result.tenants[t].name, std::move(tenant_jct[t])));
    d.queue_by_tenant.push_back(Quantile(result.tenants[t].name, std::move(tenant_queue[t])));
  }
  for (size_t c = 0; c < kSizeClasses.size(); ++c) {
    d.jct_by_size.push_back(Quantile(kSizeClasses[c].second, std::move(size_jct[c])));
    d.queue_by_size.push_back(Quantile(kSizeClasses[c].second, std::move(size_queue[c])));
  }
  return d;
}

Metrics ComputeMetrics(const SimResult& result, RunInfo run) {
  Metrics m;
  m.run = std::move(run);
  m.series = result.series;
  if (result.series) m.distributions = DistributionsOf(result);
  std::vector<double> jct, queue;
  jct.reserve(result.jobs.size());
  queue.reserve(result.jobs.size());
  std::vector<std::vector<double>> tenant_jct(result.tenants.size()),
      tenant_queue(result.tenants.size());
  m.tenants.resize(result.tenants.size());
  for (size_t t = 0; t < result.tenants.size(); ++t) m.tenants[t].name = result.tenants[t].name;
  long double lost_gpu_ms = 0, useful_milli_ms = 0, held_milli_ms = 0, restart_milli_ms = 0;
  std::vector<double> ettr;
  std::vector<double> placement_rates;
  for (const JobRecord& r : result.jobs) {
    const std::int64_t milli = static_cast<std::int64_t>(r.spec.gpus) * r.spec.gpu_milli;
    useful_milli_ms += static_cast<long double>(milli) * r.progress;
    held_milli_ms += static_cast<long double>(r.gpu_milli_ms);
    restart_milli_ms += static_cast<long double>(milli) * r.restart_ms;
    if (r.spec.training >= 0 && r.first_start >= 0) placement_rates.push_back(r.placement_rate);
    ++m.submitted;
    if (r.spec.gpu_milli < kMilliPerGpu) ++m.sharing_jobs;
    TenantMetrics& tm = m.tenants[static_cast<size_t>(r.spec.tenant)];
    ++tm.submitted;
    tm.gpu_hours += static_cast<double>(r.gpu_milli_ms) / kMilliPerGpu / kHour;
    m.preemptions += r.preemptions;
    m.interruptions += r.interruptions;
    if (r.first_start >= 0 && r.waited_for != WaitReason::kNone)
      ++m.wait_reasons[WaitReasonName(r.waited_for)];
    lost_gpu_ms +=
        static_cast<long double>(r.lost_ms) * r.spec.gpus * r.spec.gpu_milli / kMilliPerGpu;
    switch (r.state) {
      case JobRecord::State::kCompleted: {
        ++m.completed;
        ++tm.completed;
        const double c = ToSeconds(r.end - r.spec.submit);
        // Waiting is all time not spent running: the first wait and any wait after a requeue.
        const double q = ToSeconds(r.end - r.spec.submit - r.run_ms);
        jct.push_back(c);
        queue.push_back(q);
        tenant_jct[static_cast<size_t>(r.spec.tenant)].push_back(c);
        tenant_queue[static_cast<size_t>(r.spec.tenant)].push_back(q);
        ettr.push_back(static_cast<double>(r.spec.duration) /
                       static_cast<double>(r.end - r.first_start));
        break;
      }
      case JobRecord::State::kRejected:
        ++m.rejected;
        break;
      case JobRecord::State::kPending:
        ++m.pending_at_end;
        break;
      case JobRecord::State::kRunning:
        ++m.running_at_end;
        break;
    }
  }
  for (const auto& [id, why] : result.waiting) ++m.pending_reasons[WaitReasonName(why.code)];
  m.jct_s = SummarizeSample(std::move(jct));
  m.queue_s = SummarizeSample(std::move(queue));
  for (size_t t = 0; t < m.tenants.size(); ++t) {
    m.tenants[t].jct_s = SummarizeSample(std::move(tenant_jct[t]));
    m.tenants[t].queue_s = SummarizeSample(std::move(tenant_queue[t]));
  }
  m.lost_gpu_hours = static_cast<double>(lost_gpu_ms / kHour);
  if (!ettr.empty()) {
    double sum = 0;
    for (double e : ettr) sum += e;
    m.ettr_mean = sum / static_cast<double>(ettr.size());
    m.ettr_min = *std::min_element(ettr.begin(), ettr.end());
  }
  if (!placement_rates.empty()) {
    double sum = 0;
    for (double p : placement_rates) sum += p;
    m.placement_rate_mean = sum / static_cast<double>(placement_rates.size());
    m.placement_rate_min = *std::min_element(placement_rates.begin(), placement_rates.end());
  }
  m.goodput = held_milli_ms > 0 ? static_cast<double>(useful_milli_ms / held_milli_ms) : 0;
  m.restart_gpu_hours = static_cast<double>(restart_milli_ms / kMilliPerGpu / kHour);
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

void AddPowerMetrics(Metrics& m, const SimResult& result, const Fleet& fleet) {
  constexpr long double kWmsPerMwh = 1e6L * 3'600'000.0L;  // W x ms in one MWh
  m.power_sites.clear();
  m.it_energy_mwh = m.facility_energy_mwh = m.cost_usd = m.carbon_t = 0;
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
    if (site.tariff_usd_per_mwh) sm.cost_usd = sm.facility_energy_mwh * *site.tariff_usd_per_mwh;
    // A rented provider's price bills the GPU-hours jobs held on the site's nodes (shares as
    // their share), on top of the electricity its tariff bills.
    const Provider& provider = fleet.providers()[static_cast<size_t>(site.provider)];
    if (provider.kind == ProviderKind::kCloud && provider.gpu_hour_usd) {
      sm.rented_gpu_hours = static_cast<double>(p.held_gpu_milli_ms / kMilliPerGpu / kHour);
      sm.rent_usd = sm.rented_gpu_hours * *provider.gpu_hour_usd;
      sm.cost_usd = sm.cost_usd.value_or(0) + *sm.rent_usd;
    }
    if (site.carbon_g_per_kwh) sm.carbon_t = static_cast<double>(p.carbon_g / 1e6L);
    m.it_energy_mwh += sm.energy_mwh;
    m.facility_energy_mwh += sm.facility_energy_mwh;
    m.cost_usd += sm.cost_usd.value_or(0);
    m.carbon_t += sm.carbon_t.value_or(0);
    m.power_sites.push_back(std::move(sm));
  }
}

}  // namespace gpufleet
