// gpufleet plan capacity: capacity options compared by simulating the same demand on each - cost,
// deadlines met, SLO attainment, energy, carbon - and, with a risk, what an outage of each of an
// option's providers would cost (docs/MODELS.md, "Capacity plans").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
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
  int threads = 0;  // 0: one per core
  bool json = false;
  bool serving_cost = false;  // each option once more without the demand's services
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
  double cost_usd = 0, rent_usd = 0, electricity_usd = 0, egress_usd = 0;
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
    f.jobs_interrupted = o.jobs_interrupted;
    f.not_restarted = o.not_restarted;
  }
  return f;
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

int RunCapacity(const CapacityArgs& a) {
  auto bad = [](const std::string& message) {
    std::cerr << kMe << message << "\n";
    return kExitBadInput;
  };
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

  // The services' autoscaling depends on the demand alone: once for every run.
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<AutoscaledService>> autoscaled =
      AutoscaleServices(demand.value(), a.seed, until);
  if (!autoscaled.ok()) {
    std::cerr << autoscaled.message() << "\n";
    return kExitBadInput;
  }
  std::vector<PlannedRun> runs;
  for (size_t k = 0; k < p.options.size(); ++k) runs.push_back({k, "", false});
  if (p.risk) {
    for (size_t k = 0; k < p.options.size(); ++k) {
      for (const std::string& provider : p.options[k].providers)
        runs.push_back({k, provider, false});
    }
  }
  if (a.serving_cost) {
    for (size_t k = 0; k < p.options.size(); ++k) runs.push_back({k, "", true});
  }
  SimOptions options;
  options.scheduler.policy = a.policy;
  options.scheduler.dispatch = *dispatch;
  options.until = until;
  std::vector<std::optional<RunFigures>> figures(runs.size());
  std::vector<std::string> errors(runs.size());
  const int threads = a.threads > 0
                          ? a.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  ParallelFor(runs.size(), threads, [&](size_t i) {
    const PlannedRun& run = runs[i];
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
    info.seed = a.seed;
    info.until = until;
    static const std::vector<AutoscaledService> kNoServices;
    const std::vector<AutoscaledService>& services =
        run.without_services ? kNoServices : autoscaled.value();
    Result<Metrics> m =
        SimulateSpec(fleets[run.option], spec, a.seed, options, std::move(info), services);
    if (!m.ok()) {
      errors[i] = m.message();
      return;
    }
    figures[i] = FiguresOf(m.value(),
                           run.provider_down.empty() ? std::nullopt : std::optional(added_outage));
  });
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (size_t i = 0; i < runs.size(); ++i) {
    if (errors[i].empty()) continue;
    std::cerr << kMe << "option '" << p.options[runs[i].option].name << "'"
              << (runs[i].provider_down.empty() ? "" : " with " + runs[i].provider_down + " down")
              << (runs[i].without_services ? " without services" : "") << ": " << errors[i] << "\n";
    ok = false;
  }
  if (!ok) return kExitBadInput;

  if (a.json) {
    nlohmann::ordered_json j;
    j["demand"] = a.demand;
    j["options_file"] = a.options;
    j["fleet"] = p.fleet;
    j["policy"] = a.policy;
    j["dispatch"] = a.dispatch;
    j["seed"] = a.seed;
    j["until_s"] = until == kNever ? nlohmann::ordered_json(nullptr)
                                   : nlohmann::ordered_json(ToSeconds(until));
    j["risk"] = p.risk ? nlohmann::ordered_json{{"at_s", ToSeconds(p.risk->at)},
                                                {"for_s", ToSeconds(p.risk->duration)}}
                       : nlohmann::ordered_json(nullptr);
    j["runs"] = runs.size();
    j["wall_s"] = wall_s;
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (size_t k = 0; k < p.options.size(); ++k) {
      const RunFigures& f = *figures[k];
      nlohmann::ordered_json o = {
          {"name", p.options[k].name},
          {"sites", p.options[k].sites},
          {"providers", p.options[k].providers},
          {"gpus", f.gpus},
          {"cost_usd", f.cost_usd},
          {"rent_usd", f.rent_usd},
          {"electricity_usd", f.electricity_usd},
          {"egress_usd", f.egress_usd},
          {"utilization", f.utilization},
          {"jobs", {{"submitted", f.submitted}, {"completed", f.completed}}},
          {"deadlines", DeadlinesJson(f.deadlines)},
          {"queue_p99_s", f.queue_p99_s},
          {"requests", f.requests},
          {"slo_attainment", NumberOrNull(f.slo_attainment)},
          {"energy_mwh", f.energy_mwh},
          {"carbon_t", f.carbon_t}};
      nlohmann::ordered_json risk = nlohmann::ordered_json::array();
      for (size_t i = p.options.size(); i < runs.size(); ++i) {
        if (runs[i].option != k) continue;
        const RunFigures& r = *figures[i];
        if (runs[i].without_services) {
          // What training loses to serving: the same option without the services.
          o["training_gpu_hours"] = f.training_gpu_hours;
          o["without_services"] = {
              {"cost_usd", r.cost_usd},
              {"completed", r.completed},
              {"deadlines", DeadlinesJson(r.deadlines)},
              {"queue_p99_s", r.queue_p99_s},
              {"training_gpu_hours", r.training_gpu_hours},
              {"deadlines_lost_to_serving",
               r.deadlines && f.deadlines
                   ? nlohmann::ordered_json(r.deadlines->met - f.deadlines->met)
                   : nlohmann::ordered_json(nullptr)}};
          continue;
        }
        risk.push_back(
            {{"provider_down", runs[i].provider_down},
             {"cost_usd", r.cost_usd},
             {"extra_cost_usd", r.cost_usd - f.cost_usd},
             {"completed", r.completed},
             {"deadlines", DeadlinesJson(r.deadlines)},
             {"deadlines_lost", r.deadlines && f.deadlines
                                    ? nlohmann::ordered_json(f.deadlines->met - r.deadlines->met)
                                    : nlohmann::ordered_json(nullptr)},
             {"slo_attainment", NumberOrNull(r.slo_attainment)},
             {"slo_attainment_during", NumberOrNull(r.slo_attainment_during)},
             {"lost_gpu_hours", r.lost_gpu_hours},
             {"jobs_interrupted", r.jobs_interrupted},
             {"not_restarted", r.not_restarted}});
      }
      o["risk"] = risk;
      list.push_back(o);
    }
    j["options"] = list;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::printf(
      "capacity options for %s: %zu options, %zu runs in %.1f s (policy %s, dispatch %s, "
      "seed %llu, %s)\n",
      a.demand.c_str(), p.options.size(), runs.size(), wall_s, a.policy.c_str(), a.dispatch.c_str(),
      static_cast<unsigned long long>(a.seed),
      until == kNever ? "until the demand is done"
                      : ("until " + HumanSeconds(ToSeconds(until))).c_str());
  std::printf("  %-28s %9s %16s %16s %19s %10s %9s %8s %15s %12s\n", "option", "GPUs", "cost",
              "rent", "deadlines met", "jobs done", "wait p99", "SLO met", "energy", "carbon");
  for (size_t k = 0; k < p.options.size(); ++k) {
    const RunFigures& f = *figures[k];
    std::printf("  %-28s %9s %16s %16s %19s %10s %9s %8s %15s %12s\n", p.options[k].name.c_str(),
                Grouped(f.gpus).c_str(), Dollars(f.cost_usd).c_str(), Dollars(f.rent_usd).c_str(),
                DeadlinesText(f.deadlines).c_str(), Grouped(f.completed).c_str(),
                HumanSeconds(f.queue_p99_s).c_str(), Share(f.slo_attainment).c_str(),
                HumanEnergy(f.energy_mwh).c_str(),
                (Grouped(std::llround(f.carbon_t)) + " t").c_str());
  }
  if (p.risk) {
    std::printf("risk: each provider of each option down for %s from %s\n",
                HumanSeconds(ToSeconds(p.risk->duration)).c_str(),
                HumanSeconds(ToSeconds(p.risk->at)).c_str());
    std::printf("  %-28s %-12s %16s %19s %10s %14s %15s %12s\n", "option", "down", "extra cost",
                "deadlines met", "jobs done", "SLO met during", "GPU-hours lost", "interrupted");
    for (size_t i = p.options.size(); i < runs.size(); ++i) {
      if (runs[i].without_services) continue;
      const RunFigures& r = *figures[i];
      const RunFigures& f = *figures[runs[i].option];
      std::printf("  %-28s %-12s %16s %19s %10s %14s %15s %12s\n",
                  p.options[runs[i].option].name.c_str(), runs[i].provider_down.c_str(),
                  (r.cost_usd >= f.cost_usd ? "+" + Dollars(r.cost_usd - f.cost_usd)
                                            : "-" + Dollars(f.cost_usd - r.cost_usd))
                      .c_str(),
                  DeadlinesText(r.deadlines).c_str(), Grouped(r.completed).c_str(),
                  Share(r.slo_attainment_during).c_str(), HumanAmount(r.lost_gpu_hours).c_str(),
                  Grouped(r.jobs_interrupted).c_str());
    }
  }
  if (a.serving_cost) {
    std::printf("what training loses to serving: each option again without the services\n");
    std::printf("  %-28s %19s %19s %16s %10s %10s %16s %16s\n", "option", "deadlines met",
                "without", "lost to serving", "jobs done", "without", "training GPU-h", "without");
    for (size_t i = p.options.size(); i < runs.size(); ++i) {
      if (!runs[i].without_services) continue;
      const RunFigures& r = *figures[i];
      const RunFigures& f = *figures[runs[i].option];
      std::printf(
          "  %-28s %19s %19s %16s %10s %10s %16s %16s\n", p.options[runs[i].option].name.c_str(),
          DeadlinesText(f.deadlines).c_str(), DeadlinesText(r.deadlines).c_str(),
          r.deadlines && f.deadlines ? Grouped(r.deadlines->met - f.deadlines->met).c_str() : "-",
          Grouped(f.completed).c_str(), Grouped(r.completed).c_str(),
          Grouped(std::llround(f.training_gpu_hours)).c_str(),
          Grouped(std::llround(r.training_gpu_hours)).c_str());
    }
  }
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
  c->add_option("--seed", args->seed, "The seed of every run.")->capture_default_str();
  c->add_option("--threads", args->threads, "Runs at once (default: one per core).")
      ->check(CLI::Range(0, 1024));
  c->add_flag("--json", args->json,
              "JSON: each option's figures, its risk runs and, with --serving-cost, its run "
              "without services.");
  c->add_flag("--serving-cost", args->serving_cost,
              "Also run each option without the demand's services: the deadlines met, jobs done "
              "and GPU-hours training held with and without them.");
  c->footer(
      "Example:\n  gpufleet plan capacity --demand examples/workloads/lab-year.yaml --options "
      "examples/plans/lab-capacity.yaml --until 365d");
  return [args] { return RunCapacity(*args); };
}

}  // namespace gpufleet::cli
