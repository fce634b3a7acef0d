// gpufleet plan capacity: capacity options compared by simulating the same demand on each - cost,
// deadlines met, SLO attainment, energy, carbon - and, with a risk, what an outage of each of an
// option's providers would cost (docs/MODELS.md, "Capacity plans").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/capacity_page.h"
#include "cli/commands.h"
#include "cli/html_output.h"
#include "cli/sim_pipeline.h"
#include "cli/workload_check.h"
#include "experiment/parallel.h"
#include "model/catalog.h"
#include "report/report.h"
#include "sched/dispatch.h"
#include "sched/policy_config.h"
#include "spec/capacity_spec.h"
#include "spec/specs.h"
#include "util/duration.h"

namespace gpufleet::cli {
namespace {

constexpr const char* kMe = "gpufleet plan capacity: ";

struct CapacityArgs {
  std::string demand, options, policy = "priority", dispatch = "cheapest", until;
  std::uint64_t seed = 1;
  int seeds = 1;    // runs each with seed, seed + 1, ...: the figures' spread over schedules
  int threads = 0;  // 0: one per core
  bool json = false;
  bool serving_cost = false;  // each option once more without the demand's services
  std::string html;           // the page, or empty
};

// One simulated run: an option, with one of its providers down (risk) or not.
struct PlannedRun {
  size_t option = 0;
  std::string provider_down;      // empty: the option as it is
  bool without_services = false;  // --serving-cost: the demand less its services
};

// What the comparison reads of a run's metrics.
struct RunFigures {
  std::int64_t gpus = 0;
  double cost_usd = 0, rent_usd = 0, electricity_usd = 0, egress_usd = 0, capex_usd = 0;
  double utilization = 0;
  std::int64_t submitted = 0, completed = 0;
  std::optional<DeadlineMetrics> deadlines;
  double queue_p99_s = 0;
  std::int64_t requests = 0;
  std::optional<double> slo_attainment;  // the services' requests within their SLO, all of them
  double energy_mwh = 0, carbon_t = 0;   // facility energy
  double training_gpu_hours = 0;         // held by jobs, not by services' replicas
  // The outage the risk added (the demand's own come first): its services' requests within the
  // SLO during it, the work it lost, the jobs it interrupted and those not restarted by the end.
  std::optional<double> slo_attainment_during;
  double lost_gpu_hours = 0;
  double training_gpu_hours_lost = 0;  // the jobs' work lost and GPU-time restarting
  std::int64_t jobs_interrupted = 0, not_restarted = 0;
};

RunFigures FiguresOf(const Metrics& m, std::optional<size_t> added_outage) {
  RunFigures f;
  f.gpus = m.total_gpus;
  f.cost_usd = m.cost_usd;
  for (const ProviderMetrics& p : m.providers) {
    f.rent_usd += p.rent_usd;
    f.electricity_usd += p.electricity_usd;
    f.egress_usd += p.egress_usd;
    f.capex_usd += p.capex_usd;
  }
  f.utilization = m.utilization;
  f.submitted = m.submitted;
  f.completed = m.completed;
  f.deadlines = m.deadlines;
  f.queue_p99_s = m.queue_s.p99;
  f.energy_mwh = m.facility_energy_mwh;
  f.training_gpu_hours = m.job_gpu_hours;
  f.carbon_t = m.carbon_t;
  double met = 0;
  std::int64_t during = 0, met_during = 0;
  for (const ServiceMetrics& s : m.services) {
    if (!s.served) continue;
    f.requests += s.served->requests;
    met += s.served->attainment * static_cast<double>(s.served->requests);
    if (added_outage && *added_outage < s.served->during_outages.size()) {
      during += s.served->during_outages[*added_outage].requests;
      met_during += s.served->during_outages[*added_outage].met;
    }
  }
  if (f.requests > 0) f.slo_attainment = met / static_cast<double>(f.requests);
  if (during > 0) f.slo_attainment_during = static_cast<double>(met_during) / during;
  if (added_outage && *added_outage < m.outages.size()) {
    const OutageMetrics& o = m.outages[*added_outage];
    f.lost_gpu_hours = o.lost_gpu_hours;
    f.training_gpu_hours_lost = o.training_gpu_hours_lost();
    f.jobs_interrupted = o.jobs_interrupted;
    f.not_restarted = o.not_restarted;
  }
  return f;
}

// Each figure's mean over the seeds' runs of one run (counts rounded to whole ones); a share or
// deadline count only where every seed has it. One seed: its figures as they are.
RunFigures MeanFigures(const std::vector<RunFigures>& by_seed) {
  if (by_seed.size() == 1) return by_seed.front();
  const double n = static_cast<double>(by_seed.size());
  auto mean = [&](auto figure) {
    double sum = 0;
    for (const RunFigures& f : by_seed) sum += static_cast<double>(figure(f));
    return sum / n;
  };
  auto count = [&](auto figure) { return static_cast<std::int64_t>(std::llround(mean(figure))); };
  auto all = [&](auto has) {
    return std::all_of(by_seed.begin(), by_seed.end(), [&](const RunFigures& f) { return has(f); });
  };
  RunFigures m;
  m.gpus = by_seed.front().gpus;
  m.cost_usd = mean([](const RunFigures& f) { return f.cost_usd; });
  m.rent_usd = mean([](const RunFigures& f) { return f.rent_usd; });
  m.electricity_usd = mean([](const RunFigures& f) { return f.electricity_usd; });
  m.egress_usd = mean([](const RunFigures& f) { return f.egress_usd; });
  m.capex_usd = mean([](const RunFigures& f) { return f.capex_usd; });
  m.utilization = mean([](const RunFigures& f) { return f.utilization; });
  m.submitted = count([](const RunFigures& f) { return f.submitted; });
  m.completed = count([](const RunFigures& f) { return f.completed; });
  if (all([](const RunFigures& f) { return f.deadlines.has_value(); })) {
    DeadlineMetrics d;
    d.jobs = count([](const RunFigures& f) { return f.deadlines->jobs; });
    d.met = count([](const RunFigures& f) { return f.deadlines->met; });
    d.missed = count([](const RunFigures& f) { return f.deadlines->missed; });
    d.open = count([](const RunFigures& f) { return f.deadlines->open; });
    m.deadlines = d;
  }
  m.queue_p99_s = mean([](const RunFigures& f) { return f.queue_p99_s; });
  m.requests = count([](const RunFigures& f) { return f.requests; });
  if (all([](const RunFigures& f) { return f.slo_attainment.has_value(); }))
    m.slo_attainment = mean([](const RunFigures& f) { return *f.slo_attainment; });
  m.energy_mwh = mean([](const RunFigures& f) { return f.energy_mwh; });
  m.carbon_t = mean([](const RunFigures& f) { return f.carbon_t; });
  m.training_gpu_hours = mean([](const RunFigures& f) { return f.training_gpu_hours; });
  if (all([](const RunFigures& f) { return f.slo_attainment_during.has_value(); }))
    m.slo_attainment_during = mean([](const RunFigures& f) { return *f.slo_attainment_during; });
  m.lost_gpu_hours = mean([](const RunFigures& f) { return f.lost_gpu_hours; });
  m.training_gpu_hours_lost = mean([](const RunFigures& f) { return f.training_gpu_hours_lost; });
  m.jobs_interrupted = count([](const RunFigures& f) { return f.jobs_interrupted; });
  m.not_restarted = count([](const RunFigures& f) { return f.not_restarted; });
  return m;
}

// A count over the seeds: its mean, lowest and highest, and each seed's.
struct Spread {
  double mean = 0;
  std::int64_t low = 0, high = 0;
  std::vector<std::int64_t> values;
};

// `figure(seed)` for each seed; nullopt where a seed's run has no such figure.
template <class Figure>
std::optional<Spread> SpreadOver(int seeds, Figure figure) {
  Spread s;
  for (int k = 0; k < seeds; ++k) {
    const std::optional<std::int64_t> v = figure(static_cast<size_t>(k));
    if (!v) return std::nullopt;
    s.values.push_back(*v);
  }
  s.low = *std::min_element(s.values.begin(), s.values.end());
  s.high = *std::max_element(s.values.begin(), s.values.end());
  double sum = 0;
  for (std::int64_t v : s.values) sum += static_cast<double>(v);
  s.mean = sum / seeds;
  return s;
}

// The deadlines met by each seed's run of run `i` (nullopt: it has no deadlines).
std::optional<Spread> DeadlinesMet(const std::vector<std::vector<RunFigures>>& by_seed, size_t i,
                                   int seeds) {
  return SpreadOver(seeds, [&](size_t k) -> std::optional<std::int64_t> {
    const RunFigures& r = by_seed[i][k];
    if (!r.deadlines) return std::nullopt;
    return r.deadlines->met;
  });
}

// The deadlines met by run `i`'s seed k's run, less those met by run `j`'s (nullopt: either has
// no deadlines): what run j costs against run i, seed by seed.
std::optional<Spread> DeadlinesLost(const std::vector<std::vector<RunFigures>>& by_seed, size_t i,
                                    size_t j, int seeds) {
  return SpreadOver(seeds, [&](size_t k) -> std::optional<std::int64_t> {
    const RunFigures& a = by_seed[i][k];
    const RunFigures& b = by_seed[j][k];
    if (!a.deadlines || !b.deadlines) return std::nullopt;
    return a.deadlines->met - b.deadlines->met;
  });
}

std::string SpreadText(const std::optional<Spread>& s) {
  return s ? Grouped(s->low) + " to " + Grouped(s->high) : "-";
}

// The mean and the spread: "1,234 (1,100 to 1,300)".
std::string MeanAndSpreadText(const std::optional<Spread>& s) {
  return s ? Grouped(std::llround(s->mean)) + " (" + SpreadText(s) + ")" : "-";
}

nlohmann::ordered_json DeadlinesJson(const std::optional<DeadlineMetrics>& d) {
  if (!d) return nullptr;
  return {{"jobs", d->jobs}, {"met", d->met}, {"missed", d->missed}, {"open", d->open}};
}

std::string Share(const std::optional<double>& x) {
  if (!x) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * *x);
  return buf;
}

std::string DeadlinesText(const std::optional<DeadlineMetrics>& d) {
  return d ? Grouped(d->met) + " of " + Grouped(d->jobs) : "-";
}

// Every run of a plan, each with every seed: the figures by run and seed, and their means.
struct PlanOutcome {
  std::vector<PlannedRun> runs;  // the options first, then the risk and --serving-cost runs
  std::vector<std::vector<RunFigures>> by_seed;
  std::vector<RunFigures> mean;
  double wall_s = 0;
};

Result<PlanOutcome> RunPlan(const CapacityArgs& a, const CapacityPlanSpec& p,
                            const std::vector<Fleet>& fleets,
                            const std::vector<WorkloadSpec>& demands, const WorkloadSpec& demand,
                            Dispatch dispatch, SimTime until) {
  const auto start = std::chrono::steady_clock::now();
  const size_t seeds = static_cast<size_t>(a.seeds);
  auto seed_of = [&](size_t k) { return a.seed + k; };
  const int threads = a.threads > 0
                          ? a.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // The services' autoscaling depends on the demand and the seed alone: once a seed for every run.
  std::vector<std::optional<std::vector<AutoscaledService>>> autoscaled(seeds);
  std::vector<std::string> autoscale_errors(seeds);
  ParallelFor(seeds, threads, [&](size_t k) {
    Result<std::vector<AutoscaledService>> r = AutoscaleServices(demand, seed_of(k), until);
    if (r.ok()) {
      autoscaled[k] = std::move(r).value();
    } else {
      autoscale_errors[k] = r.message();
    }
  });
  for (const std::string& e : autoscale_errors) {
    if (!e.empty()) return Error{e};
  }
  PlanOutcome out;
  for (size_t k = 0; k < p.options.size(); ++k) out.runs.push_back({k, "", false});
  if (p.risk) {
    for (size_t k = 0; k < p.options.size(); ++k) {
      for (const std::string& provider : p.options[k].providers)
        out.runs.push_back({k, provider, false});
    }
  }
  if (a.serving_cost) {
    for (size_t k = 0; k < p.options.size(); ++k) out.runs.push_back({k, "", true});
  }
  SimOptions options;
  options.scheduler.policy = a.policy;
  options.scheduler.dispatch = dispatch;
  options.until = until;
  const size_t n = out.runs.size() * seeds;
  std::vector<std::optional<RunFigures>> figures(n);
  std::vector<std::string> errors(n);
  ParallelFor(n, threads, [&](size_t i) {
    const PlannedRun& run = out.runs[i / seeds];
    const size_t k = i % seeds;
    WorkloadSpec spec = demands[run.option];
    const size_t added_outage = spec.outages.size();
    if (run.without_services) spec.services.clear();
    if (!run.provider_down.empty()) {
      OutageSpec outage;
      outage.provider = run.provider_down;
      outage.at = p.risk->at;
      outage.duration = p.risk->duration;
      spec.outages.push_back(outage);
    }
    RunInfo info;
    info.fleet_file = p.fleet;
    info.workload_file = a.demand;
    info.policy = a.policy;
    info.seed = seed_of(k);
    info.until = until;
    static const std::vector<AutoscaledService> kNoServices;
    const std::vector<AutoscaledService>& services =
        run.without_services ? kNoServices : *autoscaled[k];
    Result<Metrics> m =
        SimulateSpec(fleets[run.option], spec, seed_of(k), options, std::move(info), services);
    if (!m.ok()) {
      errors[i] = m.message();
      return;
    }
    figures[i] = FiguresOf(m.value(),
                           run.provider_down.empty() ? std::nullopt : std::optional(added_outage));
  });
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string failed;
  for (size_t i = 0; i < n; ++i) {
    if (errors[i].empty()) continue;
    const PlannedRun& run = out.runs[i / seeds];
    failed += std::string(failed.empty() ? "" : "\n") + kMe + "option '" +
              p.options[run.option].name + "'" +
              (run.provider_down.empty() ? "" : " with " + run.provider_down + " down") +
              (run.without_services ? " without services" : "") +
              (seeds > 1 ? ", seed " + std::to_string(seed_of(i % seeds)) : "") + ": " + errors[i];
  }
  if (!failed.empty()) return Error{failed};
  for (size_t r = 0; r < out.runs.size(); ++r) {
    std::vector<RunFigures>& by_seed = out.by_seed.emplace_back();
    for (size_t k = 0; k < seeds; ++k) by_seed.push_back(std::move(*figures[r * seeds + k]));
    out.mean.push_back(MeanFigures(by_seed));
  }
  return out;
}

// --json: each option's figures (means over the seeds), its risk runs and its run without
// services; with several seeds, each seed's deadlines met and what each seed's risk or services
// cost (docs/MODELS.md, "Capacity plans"). The --html page's record.
nlohmann::ordered_json PlanJson(const CapacityArgs& a, const CapacityPlanSpec& p,
                                const PlanOutcome& out, SimTime until) {
  const size_t options = p.options.size();
  const bool several = a.seeds > 1;
  auto values = [](const std::optional<Spread>& s) {
    return s ? nlohmann::ordered_json(s->values) : nlohmann::ordered_json(nullptr);
  };
  auto rounded_mean = [](const std::optional<Spread>& s) {
    return s ? nlohmann::ordered_json(std::llround(s->mean)) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json j;
  j["demand"] = a.demand;
  j["options_file"] = a.options;
  j["fleet"] = p.fleet;
  j["policy"] = a.policy;
  j["dispatch"] = a.dispatch;
  j["seed"] = a.seed;
  j["seeds"] = a.seeds;
  j["until_s"] =
      until == kNever ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(ToSeconds(until));
  j["risk"] = p.risk ? nlohmann::ordered_json{{"at_s", ToSeconds(p.risk->at)},
                                              {"for_s", ToSeconds(p.risk->duration)}}
                     : nlohmann::ordered_json(nullptr);
  j["runs"] = out.runs.size() * static_cast<size_t>(a.seeds);
  j["wall_s"] = out.wall_s;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (size_t k = 0; k < options; ++k) {
    const RunFigures& f = out.mean[k];
    nlohmann::ordered_json o = {{"name", p.options[k].name},
                                {"sites", p.options[k].sites},
                                {"providers", p.options[k].providers},
                                {"gpus", f.gpus},
                                {"cost_usd", f.cost_usd},
                                {"rent_usd", f.rent_usd},
                                {"electricity_usd", f.electricity_usd},
                                {"egress_usd", f.egress_usd},
                                {"capex_usd", f.capex_usd},
                                {"utilization", f.utilization},
                                {"jobs", {{"submitted", f.submitted}, {"completed", f.completed}}},
                                {"deadlines", DeadlinesJson(f.deadlines)},
                                {"queue_p99_s", f.queue_p99_s},
                                {"requests", f.requests},
                                {"slo_attainment", NumberOrNull(f.slo_attainment)},
                                {"energy_mwh", f.energy_mwh},
                                {"carbon_t", f.carbon_t}};
    if (several) {
      o["deadlines_met_by_seed"] = values(DeadlinesMet(out.by_seed, k, a.seeds));
    }
    nlohmann::ordered_json risk = nlohmann::ordered_json::array();
    for (size_t i = options; i < out.runs.size(); ++i) {
      if (out.runs[i].option != k) continue;
      const RunFigures& r = out.mean[i];
      if (out.runs[i].without_services) {
        // What training loses to serving: the same option without the services.
        const std::optional<Spread> lost = DeadlinesLost(out.by_seed, i, k, a.seeds);
        o["training_gpu_hours"] = f.training_gpu_hours;
        o["without_services"] = {{"cost_usd", r.cost_usd},
                                 {"completed", r.completed},
                                 {"deadlines", DeadlinesJson(r.deadlines)},
                                 {"queue_p99_s", r.queue_p99_s},
                                 {"training_gpu_hours", r.training_gpu_hours},
                                 {"deadlines_lost_to_serving", rounded_mean(lost)}};
        if (several) o["without_services"]["deadlines_lost_to_serving_by_seed"] = values(lost);
        continue;
      }
      const std::optional<Spread> lost = DeadlinesLost(out.by_seed, k, i, a.seeds);
      nlohmann::ordered_json entry = {
          {"provider_down", out.runs[i].provider_down},
          {"cost_usd", r.cost_usd},
          {"extra_cost_usd", r.cost_usd - f.cost_usd},
          {"completed", r.completed},
          {"deadlines", DeadlinesJson(r.deadlines)},
          {"deadlines_lost", rounded_mean(lost)},
          {"slo_attainment", NumberOrNull(r.slo_attainment)},
          {"slo_attainment_during", NumberOrNull(r.slo_attainment_during)},
          {"lost_gpu_hours", r.lost_gpu_hours},
          {"training_gpu_hours_lost", r.training_gpu_hours_lost},
          {"jobs_interrupted", r.jobs_interrupted},
          {"not_restarted", r.not_restarted}};
      if (several) entry["deadlines_lost_by_seed"] = values(lost);
      risk.push_back(std::move(entry));
    }
    o["risk"] = risk;
    list.push_back(o);
  }
  j["options"] = list;
  return j;
}

// The command line that made the page, as the user would type it again.
std::string CommandLine(const CapacityArgs& a) {
  std::string c = "gpufleet plan capacity --demand " + a.demand + " --options " + a.options +
                  " --policy " + a.policy + " --dispatch " + a.dispatch;
  if (!a.until.empty()) c += " --until " + a.until;
  c += " --seed " + std::to_string(a.seed);
  if (a.seeds > 1) c += " --seeds " + std::to_string(a.seeds);
  if (a.serving_cost) c += " --serving-cost";
  return c;
}

// The tables: the options, the risk runs, what training loses to serving; with several seeds, the
// means and the lowest to highest of the seeds' deadline figures.
void PrintTables(const CapacityArgs& a, const CapacityPlanSpec& p, const PlanOutcome& out,
                 SimTime until) {
  const size_t options = p.options.size();
  const bool several = a.seeds > 1;
  std::string seeds = "seed " + std::to_string(a.seed);
  if (several) {
    seeds = "seeds " + std::to_string(a.seed) + "-" + std::to_string(a.seed + a.seeds - 1) +
            ": means, and the seeds' lowest to highest";
  }
  std::printf(
      "capacity options for %s: %zu options, %zu runs in %.1f s (policy %s, dispatch %s, %s, "
      "%s)\n",
      a.demand.c_str(), options, out.runs.size() * static_cast<size_t>(a.seeds), out.wall_s,
      a.policy.c_str(), a.dispatch.c_str(), seeds.c_str(),
      until == kNever ? "until the demand is done"
                      : ("until " + HumanSeconds(ToSeconds(until))).c_str());
  std::printf("  %-28s %9s %16s %16s %19s", "option", "GPUs", "cost", "rent", "deadlines met");
  if (several) std::printf(" %19s", "spread");
  std::printf(" %10s %9s %8s %15s %12s\n", "jobs done", "wait p99", "SLO met", "energy", "carbon");
  for (size_t k = 0; k < options; ++k) {
    const RunFigures& f = out.mean[k];
    std::printf("  %-28s %9s %16s %16s %19s", p.options[k].name.c_str(), Grouped(f.gpus).c_str(),
                Dollars(f.cost_usd).c_str(), Dollars(f.rent_usd).c_str(),
                DeadlinesText(f.deadlines).c_str());
    if (several) {
      std::printf(" %19s", SpreadText(DeadlinesMet(out.by_seed, k, a.seeds)).c_str());
    }
    std::printf(" %10s %9s %8s %15s %12s\n", Grouped(f.completed).c_str(),
                HumanSeconds(f.queue_p99_s).c_str(), Share(f.slo_attainment).c_str(),
                HumanEnergy(f.energy_mwh).c_str(),
                (Grouped(std::llround(f.carbon_t)) + " t").c_str());
  }
  if (p.risk) {
    std::printf("risk: each provider of each option down for %s from %s\n",
                HumanSeconds(ToSeconds(p.risk->duration)).c_str(),
                HumanSeconds(ToSeconds(p.risk->at)).c_str());
    std::printf("  %-28s %-12s %16s %19s", "option", "down", "extra cost", "deadlines met");
    if (several) std::printf(" %27s", "deadlines lost");
    std::printf(" %10s %14s %19s %12s\n", "jobs done", "SLO met during", "training GPU-h lost",
                "interrupted");
    for (size_t i = options; i < out.runs.size(); ++i) {
      if (out.runs[i].without_services) continue;
      const RunFigures& r = out.mean[i];
      const size_t k = out.runs[i].option;
      const RunFigures& f = out.mean[k];
      std::printf("  %-28s %-12s %16s %19s", p.options[k].name.c_str(),
                  out.runs[i].provider_down.c_str(),
                  (r.cost_usd >= f.cost_usd ? "+" + Dollars(r.cost_usd - f.cost_usd)
                                            : "-" + Dollars(f.cost_usd - r.cost_usd))
                      .c_str(),
                  DeadlinesText(r.deadlines).c_str());
      if (several)
        std::printf(" %27s", MeanAndSpreadText(DeadlinesLost(out.by_seed, k, i, a.seeds)).c_str());
      std::printf(" %10s %14s %19s %12s\n", Grouped(r.completed).c_str(),
                  Share(r.slo_attainment_during).c_str(),
                  HumanAmount(r.training_gpu_hours_lost).c_str(),
                  Grouped(r.jobs_interrupted).c_str());
    }
  }
  if (a.serving_cost) {
    std::printf("what training loses to serving: each option again without the services\n");
    std::printf("  %-28s %19s %19s %16s", "option", "deadlines met", "without", "lost to serving");
    if (several) std::printf(" %21s", "spread");
    std::printf(" %10s %10s %16s %16s\n", "jobs done", "without", "training GPU-h", "without");
    for (size_t i = options; i < out.runs.size(); ++i) {
      if (!out.runs[i].without_services) continue;
      const RunFigures& r = out.mean[i];
      const size_t k = out.runs[i].option;
      const RunFigures& f = out.mean[k];
      const std::optional<Spread> lost = DeadlinesLost(out.by_seed, i, k, a.seeds);
      std::printf("  %-28s %19s %19s %16s", p.options[k].name.c_str(),
                  DeadlinesText(f.deadlines).c_str(), DeadlinesText(r.deadlines).c_str(),
                  lost ? Grouped(std::llround(lost->mean)).c_str() : "-");
      if (several) std::printf(" %21s", SpreadText(lost).c_str());
      std::printf(" %10s %10s %16s %16s\n", Grouped(f.completed).c_str(),
                  Grouped(r.completed).c_str(), Grouped(std::llround(f.training_gpu_hours)).c_str(),
                  Grouped(std::llround(r.training_gpu_hours)).c_str());
    }
  }
}

int RunCapacity(const CapacityArgs& a) {
  auto bad = [](const std::string& message) {
    std::cerr << kMe << message << "\n";
    return kExitBadInput;
  };
  // Asked before the runs, not after them.
  if (!a.html.empty() && !HtmlPagesPossible(kMe)) return kExitFailure;
  if (a.html == "-" && a.json)
    return bad("--html - and --json would both write to standard output");
  if (!IsPolicy(a.policy))
    return bad("--policy: unknown policy '" + a.policy + "'; expected one of: " + PolicyNames());
  const std::optional<Dispatch> dispatch = ParseDispatch(a.dispatch);
  if (!dispatch) {
    std::string names;
    for (const std::string& n : DispatchNames()) names += (names.empty() ? "" : ",") + n;
    return bad("--dispatch: unknown dispatch '" + a.dispatch + "'; expected one of: " + names);
  }
  SimTime until = kNever;
  if (!a.until.empty()) {
    Result<SimTime> u = ParseDuration(a.until);
    if (!u.ok() || u.value() <= 0) return bad("--until: expected a positive duration such as 365d");
    until = u.value();
  }
  Result<CapacityPlanSpec> plan = LoadCapacityPlan(a.options);
  if (!plan.ok()) {
    std::cerr << plan.message() << "\n";
    return kExitBadInput;
  }
  Result<WorkloadSpec> demand = LoadWorkload(a.demand);
  if (!demand.ok()) {
    std::cerr << demand.message() << "\n";
    return kExitBadInput;
  }
  if (a.serving_cost && demand.value().services.empty())
    return bad("--serving-cost: the demand " + a.demand + " has no services to leave out");
  const CapacityPlanSpec& p = plan.value();
  if (p.risk && until != kNever && p.risk->at >= until) {
    return bad(p.risk->at_loc.Prefix() + "the risk's outage starts at or after --until (" +
               a.until + "): it would strike nothing; expected a time before the runs' end");
  }
  // A demand's outage must name a provider or site of the fleet file (a misspelt name would be
  // left out of every option below, silently).
  bool targets_known = true;
  for (const OutageSpec& outage : demand.value().outages) {
    const bool by_provider = outage.site.empty();
    const std::vector<std::string>& names = by_provider ? p.fleet_providers : p.fleet_sites;
    const std::vector<std::string>& others = by_provider ? p.fleet_sites : p.fleet_providers;
    const std::string& name = by_provider ? outage.provider : outage.site;
    if (std::count(names.begin(), names.end(), name) > 0) continue;
    std::cerr << kMe << outage.target_loc.Prefix() << "the outage names "
              << (by_provider ? "provider '" : "site '") << name << "', which the fleet " << p.fleet
              << " has not; expected one of: " << ListNames(names)
              << (std::count(others.begin(), others.end(), name) > 0
                      ? std::string(" ('") + name + "' is a " +
                            (by_provider ? "site" : "provider") + ": give '" +
                            (by_provider ? "site" : "provider") + ": " + name + "'?)"
                      : "")
              << "\n";
    targets_known = false;
  }
  if (!targets_known) return kExitBadInput;
  // Each option's fleet, and the demand checked against it: every problem of every option at once.
  // An outage of the demand that strikes nothing of an option (a provider or site it does not use)
  // does not apply to it, and a note says so.
  std::vector<Fleet> fleets;
  std::vector<WorkloadSpec> demands;
  bool ok = true;
  for (const CapacityOption& o : p.options) {
    WorkloadSpec& d = demands.emplace_back(demand.value());
    std::erase_if(d.outages, [&](const OutageSpec& outage) {
      const bool strikes =
          outage.site.empty()
              ? std::count(o.providers.begin(), o.providers.end(), outage.provider) > 0
              : std::count(o.sites.begin(), o.sites.end(), outage.site) > 0;
      if (!strikes) {
        std::cerr << "note: option '" << o.name << "': " << outage.target_loc.Prefix()
                  << "the outage of " << (outage.site.empty() ? "provider " : "site ")
                  << (outage.site.empty() ? outage.provider : outage.site)
                  << " strikes none of its sites: not applied to it\n";
      }
      return !strikes;
    });
    Result<Fleet> fleet = LoadFleetSites(p.fleet, o.sites);
    if (!fleet.ok()) {
      std::cerr << kMe << "option '" << o.name << "': " << fleet.message() << "\n";
      return kExitBadInput;
    }
    const FleetCheck check = CheckAgainstFleet(d, fleet.value(), a.demand);
    for (const std::string& e : check.errors)
      std::cerr << kMe << "option '" << o.name << "': " << e << "\n";
    for (const std::string& w : check.warnings)
      std::cerr << "warning: option '" << o.name << "': " << w << "\n";
    ok = ok && check.errors.empty();
    if (until == kNever) {
      if (const Site* spot = SpotSiteNeedingHorizon(fleet.value())) {
        std::cerr << kMe << "option '" << o.name << "': site '" << spot->name
                  << "' is spot, its nodes taken back at random for as long as a run goes: "
                     "give --until (the demand's horizon, e.g. 365d)\n";
        ok = false;
      }
    }
    fleets.push_back(std::move(fleet).value());
  }
  if (!ok) return kExitBadInput;

  Result<PlanOutcome> outcome = RunPlan(a, p, fleets, demands, demand.value(), *dispatch, until);
  if (!outcome.ok()) {
    std::cerr << outcome.message() << "\n";
    return kExitBadInput;
  }
  const nlohmann::ordered_json j = PlanJson(a, p, outcome.value(), until);
  // The results first: a page that cannot be written loses none of a long plan's figures.
  if (a.html != "-") {
    if (a.json) {
      std::cout << j.dump(2) << "\n";
    } else {
      PrintTables(a, p, outcome.value(), until);
    }
    std::cout.flush();
  }
  if (!a.html.empty() && !WriteFiguresPage(a.html, CapacityPlanPage(CommandLine(a), j), kMe))
    return kExitFailure;
  return kExitOk;
}

}  // namespace

Runner AddPlanCapacityCommand(CLI::App* plan) {
  auto args = std::make_shared<CapacityArgs>();
  CLI::App* c = plan->add_subcommand(
      "capacity",
      "Capacity options compared on one demand: each option (a selection of a fleet's sites) is\n"
      "simulated with the same demand and seed - cost, deadlines met, SLO attainment, energy,\n"
      "carbon - and, with a risk in the options file, once more with each of its providers down\n"
      "(docs/MODELS.md, \"Capacity plans\"; the options file: docs/SPEC.md).");
  c->add_option("--demand", args->demand,
                "The demand: a workload spec (training runs with deadlines, services with SLOs).")
      ->required();
  c->add_option("--options", args->options,
                "The capacity options: a fleet file and the sites each option uses (docs/SPEC.md, "
                "\"Capacity options\").")
      ->required();
  c->add_option("--policy", args->policy, "The scheduling policy of every run.")
      ->capture_default_str();
  c->add_option("--dispatch", args->dispatch, "Which site a job goes to (as gpufleet sim's).")
      ->capture_default_str();
  c->add_option("--until", args->until,
                "Stop each run at this simulated time (needed with spot sites), e.g. 365d.");
  c->add_option("--seed", args->seed, "The seed of every run (the first, with --seeds).")
      ->capture_default_str();
  c->add_option("--seeds", args->seeds,
                "Run everything with this many seeds (--seed, --seed + 1, ...): the figures are "
                "their means, and the deadline figures give the seeds' lowest to highest - one "
                "seed's run is one schedule.")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  c->add_option("--threads", args->threads, "Runs at once (default: one per core).")
      ->check(CLI::Range(0, 1024));
  c->add_flag("--json", args->json,
              "JSON: each option's figures, its risk runs and, with --serving-cost, its run "
              "without services.");
  c->add_option("--html", args->html,
                "Also write one self-contained HTML page: the options, each seed's deadlines met "
                "(with --seeds), the risk and the serving cost, with the JSON as its record. '-': "
                "standard output.");
  c->add_flag("--serving-cost", args->serving_cost,
              "Also run each option without the demand's services: the deadlines met, jobs done "
              "and GPU-hours training held with and without them.");
  c->footer(
      "Example:\n  gpufleet plan capacity --demand examples/workloads/lab-year.yaml --options "
      "examples/plans/lab-capacity.yaml --until 365d");
  return [args] { return RunCapacity(*args); };
}

}  // namespace gpufleet::cli
