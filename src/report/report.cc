#include "report/report.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "report/series_json.h"
#include "report/service_cost.h"
#include "util/duration.h"

namespace gpufleet {
namespace {

nlohmann::ordered_json Stats(const Distribution4& d) {
  return {{"mean", d.mean}, {"p50", d.p50}, {"p95", d.p95}, {"p99", d.p99}, {"max", d.max}};
}

void AppendInt(std::string& out, std::int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// Milliseconds as seconds with exactly three decimals, identical on every run; nothing for a
// negative time (what has not happened yet).
void AppendSeconds(std::string& out, SimTime ms) {
  if (ms < 0) return;
  AppendInt(out, ms / 1000);
  const auto frac = static_cast<int>(ms % 1000);
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
}

std::string Seconds(SimTime ms) {
  std::string s;
  AppendSeconds(s, ms);
  return s;
}

std::string Percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * x);
  return buf;
}

const char* StateName(JobRecord::State s) {
  switch (s) {
    case JobRecord::State::kPending:
      return "pending";
    case JobRecord::State::kRunning:
      return "running";
    case JobRecord::State::kCompleted:
      return "completed";
    case JobRecord::State::kRejected:
      return "rejected";
  }
  return "?";
}

// CSV fields are quoted when they hold a separator or a quote.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string HumanSeconds(double s) {
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%.1fm", s / 60);
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%.1fh", s / 3600);
  } else {
    std::snprintf(buf, sizeof buf, "%.1fd", s / 86400);
  }
  return buf;
}

std::string Counted(std::int64_t n, const std::string& noun) {
  return Grouped(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string HumanAmount(double x) {
  if (x >= 100) return Grouped(static_cast<std::int64_t>(x + 0.5));
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

namespace {

// A quantity in mega-units (MW, MWh) for the terminal: in kilo-units below 1, in units below 1e-3.
std::string Scaled(double mega, const char* unit) {
  if (mega == 0) return std::string("0 ") + unit;  // not "0 MW": nothing is nothing in any unit
  if (mega >= 1) return HumanAmount(mega) + " M" + unit;
  char buf[48];
  if (mega >= 1e-3) {
    std::snprintf(buf, sizeof buf, "%.3g k%s", mega * 1e3, unit);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g %s", mega * 1e6, unit);
  }
  return buf;
}

}  // namespace

// Dollars: whole and grouped from $100 on, with cents below, so that a small cost does not show
// as "$0".
std::string Dollars(double usd) {
  if (usd >= 100) return "$" + Grouped(static_cast<std::int64_t>(usd + 0.5));
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.2f", usd);
  return buf;
}

std::string HumanPower(double mw) { return Scaled(mw, "W"); }

std::string HumanEnergy(double mwh) { return Scaled(mwh, "Wh"); }

// JSON has no infinity: null stands for a value never reached (a latency of a request never
// served).
static nlohmann::ordered_json FiniteOrNull(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json NumberOrNull(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

// A service's cost: null where no site it ran on gives a price or a tariff (unknown, not free),
// and where a finite price still overflowed.
static nlohmann::ordered_json PricedOrNull(const ServiceMetrics::Requests& q, double usd) {
  return q.priced ? FiniteOrNull(usd) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json ReportJson(const Metrics& m) {
  nlohmann::ordered_json j;
  j["run"] = {{"fleet", m.run.fleet_file},
              {"workload", m.run.workload_file},
              {"policy", m.run.policy},
              {"seed", m.run.seed},
              {"until_s", m.run.until == kNever ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(ToSeconds(m.run.until))}};
  if (!m.run.share_policy.empty()) j["run"]["share_policy"] = m.run.share_policy;
  if (!m.run.dispatch.empty()) j["run"]["dispatch"] = m.run.dispatch;
  if (!m.run.fleet_fingerprint.empty()) j["run"]["fleet_fingerprint"] = m.run.fleet_fingerprint;
  if (!m.run.workload_fingerprint.empty())
    j["run"]["workload_fingerprint"] = m.run.workload_fingerprint;
  if (!m.run.traces.empty()) {
    nlohmann::ordered_json traces = nlohmann::ordered_json::array();
    for (const TraceSummary& t : m.run.traces) {
      traces.push_back({{"name", t.name},
                        {"rows", t.rows},
                        {"jobs", t.jobs},
                        {"skipped", t.skipped},
                        {"excluded", t.excluded}});
    }
    j["run"]["traces"] = traces;
  }
  j["jobs"] = {{"submitted", m.submitted},
               {"completed", m.completed},
               {"rejected", m.rejected},
               {"pending_at_end", m.pending_at_end},
               {"running_at_end", m.running_at_end},
               {"preemptions", m.preemptions},
               {"interruptions", m.interruptions},
               {"lost_gpu_hours", m.lost_gpu_hours},
               {"jct_s", Stats(m.jct_s)},
               {"queue_s", Stats(m.queue_s)},
               {"pending_reasons", m.pending_reasons},
               {"wait_reasons", m.wait_reasons}};
  j["jobs"]["ettr"] = {{"mean", m.ettr_mean ? nlohmann::ordered_json(*m.ettr_mean) : nullptr},
                       {"min", m.ettr_min ? nlohmann::ordered_json(*m.ettr_min) : nullptr}};
  j["jobs"]["goodput"] = m.goodput;
  if (m.deadlines) {
    j["jobs"]["deadlines"] = {{"jobs", m.deadlines->jobs},
                              {"met", m.deadlines->met},
                              {"missed", m.deadlines->missed},
                              {"open", m.deadlines->open}};
  }
  j["jobs"]["placement_rate"] = {
      {"mean", m.placement_rate_mean ? nlohmann::ordered_json(*m.placement_rate_mean) : nullptr},
      {"min", m.placement_rate_min ? nlohmann::ordered_json(*m.placement_rate_min) : nullptr}};
  j["gpus"] = {{"total", m.total_gpus},
               {"utilization", m.utilization},
               {"allocated_gpu_hours", m.allocated_gpu_hours},
               {"available_gpu_hours", m.available_gpu_hours}};
  nlohmann::ordered_json power = nlohmann::ordered_json::array();
  for (const SitePowerMetrics& p : m.power_sites) {
    nlohmann::ordered_json site = {{"name", p.name},
                                   {"peak_mw", p.peak_mw},
                                   {"mean_mw", p.mean_mw},
                                   {"budget_mw", p.budget_mw},
                                   {"energy_mwh", p.energy_mwh},
                                   {"facility_energy_mwh", p.facility_energy_mwh},
                                   {"pue_mean", p.pue_mean},
                                   {"time_capped_s", p.time_capped_s},
                                   {"capped_gpu_hours_lost", p.capped_gpu_hours_lost}};
    site["cost_usd"] = NumberOrNull(p.cost_usd);
    site["carbon_t"] = NumberOrNull(p.carbon_t);
    site["egress_gb"] = p.egress_gb;
    site["pricing"] =
        p.pricing.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.pricing);
    power.push_back(site);
  }
  j["power"] = {{"sites", power}};
  nlohmann::ordered_json providers = nlohmann::ordered_json::array();
  for (const ProviderMetrics& p : m.providers) {
    providers.push_back(
        {{"name", p.name},
         {"kind", p.kind},
         {"sites", p.sites},
         {"gpu_hours", p.gpu_hours},
         {"electricity_usd", p.electricity_usd},
         {"rent_usd", p.rent_usd},
         {"rent_usd_by_pricing",
          {{"on_demand", p.on_demand_usd}, {"reserved", p.reserved_usd}, {"spot", p.spot_usd}}},
         {"reserved_commitment_usd", p.reserved_commitment_usd},
         {"capex_usd", p.capex_usd},
         {"egress_gb", p.egress_gb},
         {"egress_usd", p.egress_usd},
         {"cost_usd", p.cost_usd}});
  }
  j["providers"] = providers;
  j["energy"] = {{"it_mwh", m.it_energy_mwh}, {"total_mwh", m.facility_energy_mwh}};
  j["cost"] = {{"total_usd", m.cost_usd}};
  j["carbon"] = {{"total_t", m.carbon_t}};
  j["resources"] = {{"cpu_utilization", m.cpu_utilization},
                    {"memory_utilization", m.memory_utilization},
                    {"sharing_jobs", m.sharing_jobs}};
  j["nodes"] = {{"failures", m.node_failures}, {"repairs", m.node_repairs}};
  nlohmann::ordered_json by_category = nlohmann::ordered_json::object();
  for (const Metrics::FailureCategoryMetrics& f : m.failures_by_category) {
    by_category[f.name] = {{"failures", f.failures},
                           {"interruptions", f.interruptions},
                           {"lost_gpu_hours", f.lost_gpu_hours}};
  }
  j["failures"] = {{"interruptions", m.interruptions},
                   {"lost_gpu_hours", m.lost_gpu_hours},
                   {"restart_gpu_hours", m.restart_gpu_hours},
                   {"by_category", by_category}};
  nlohmann::ordered_json tenants = nlohmann::ordered_json::array();
  for (const TenantMetrics& t : m.tenants) {
    tenants.push_back({{"name", t.name},
                       {"submitted", t.submitted},
                       {"completed", t.completed},
                       {"gpu_hours", t.gpu_hours},
                       {"jct_s", Stats(t.jct_s)},
                       {"queue_s", Stats(t.queue_s)}});
  }
  j["tenants"] = tenants;
  if (!m.services.empty()) {
    nlohmann::ordered_json services = nlohmann::ordered_json::array();
    for (const ServiceMetrics& s : m.services) {
      nlohmann::ordered_json one{{"name", s.name},
                                 {"gpus_per_replica", s.tp},
                                 {"replicas", s.replicas},
                                 {"placed", s.placed},
                                 {"never_placed", s.never_placed},
                                 {"placement_wait_s", Stats(s.placement_wait_s)},
                                 {"gpu_hours", s.gpu_hours},
                                 {"preemptions", s.preemptions},
                                 {"interruptions", s.interruptions}};
      if (s.served) {
        const ServiceMetrics::Requests& q = *s.served;
        one["requests"] = {
            {"level", q.fluid_window_s > 0 ? "fluid" : "request"},
            {"fluid_window_s", q.fluid_window_s > 0 ? nlohmann::ordered_json(q.fluid_window_s)
                                                    : nlohmann::ordered_json(nullptr)},
            {"requests", q.requests},
            {"unserved", q.unserved},
            {"held_at_router", q.held_at_router},
            // The fluid level keeps no requests in flight to lose: not modelled there.
            {"retried", q.fluid_window_s > 0 ? nlohmann::ordered_json(nullptr)
                                             : nlohmann::ordered_json(q.retried)},
            {"ttft_at_slo_percentile_s", FiniteOrNull(q.ttft_at_slo_percentile_s)},
            {"tpot_at_slo_percentile_s", FiniteOrNull(q.tpot_at_slo_percentile_s)},
            {"attainment", q.attainment},
            {"slo_met", q.slo_met},
            {"attainment_if_placed_when_asked", q.attainment_if_placed_when_asked},
            {"slo_met_if_placed_when_asked", q.slo_met_if_placed_when_asked},
            {"peak_replicas", q.peak_replicas},
            {"replica_hours", q.replica_hours},
            {"output_tokens", q.output_tokens},
            {"it_energy_kwh", q.it_energy_kwh},
            {"it_joules_per_output_token",
             q.output_tokens > 0 && q.it_energy_kwh > 0
                 ? nlohmann::ordered_json(q.it_energy_kwh * 3.6e6 / double(q.output_tokens))
                 : nlohmann::ordered_json(nullptr)},
            {"scale_ups", q.scale_ups},
            {"scale_downs", q.scale_downs},
            {"rent_usd", PricedOrNull(q, q.rent_usd)},
            {"electricity_usd", PricedOrNull(q, q.electricity_usd)},
            {"capex_usd", PricedOrNull(q, q.capex_usd)},
            {"cost_usd", PricedOrNull(q, q.cost_usd())},
            {"usd_per_million_output_tokens",
             q.priced ? NumberOrNull(UsdPerMillionTokens(q.cost_usd(), q.output_tokens))
                      : nlohmann::ordered_json(nullptr)}};
      }
      services.push_back(std::move(one));
    }
    j["services"] = services;
  }
  j["checkpoint_copies"] = {{"copies", m.checkpoint_copies},
                            {"gpu_hours", m.checkpoint_copy_gpu_hours},
                            {"gb", m.checkpoint_copy_gb}};
  if (!m.elastic.empty()) {
    nlohmann::ordered_json elastic = nlohmann::ordered_json::array();
    for (const ElasticMetrics& e : m.elastic) {
      elastic.push_back({{"site", e.site},
                         {"nodes_asked", e.nodes_asked},
                         {"nodes_acquired", e.nodes_acquired},
                         {"nodes_released", e.nodes_released},
                         {"peak_nodes", e.peak_nodes},
                         {"node_hours", e.node_hours},
                         {"gpu_hours", e.gpu_hours},
                         {"busy", e.busy}});
    }
    j["elastic"] = elastic;
  }
  if (!m.outages.empty()) {
    nlohmann::ordered_json outages = nlohmann::ordered_json::array();
    for (size_t k = 0; k < m.outages.size(); ++k) {
      const OutageMetrics& o = m.outages[k];
      nlohmann::ordered_json services = nlohmann::ordered_json::array();
      for (const ServiceMetrics& s : m.services) {
        if (!s.served || k >= s.served->during_outages.size()) continue;
        const PeriodAttainment& during = s.served->during_outages[k];
        services.push_back(
            {{"name", s.name},
             {"requests", during.requests},
             {"attainment", during.requests > 0 ? nlohmann::ordered_json(double(during.met) /
                                                                         double(during.requests))
                                                : nlohmann::ordered_json(nullptr)}});
      }
      outages.push_back(
          {{"target", o.target},
           {"sites", o.sites},
           {"at_s", o.at_s},
           {"for_s", o.for_s},
           {"gpus", o.gpus},
           {"down_gpu_hours", o.down_gpu_hours},
           {"jobs_interrupted", o.jobs_interrupted},
           {"replicas_interrupted", o.replicas_interrupted},
           {"lost_gpu_hours", o.lost_gpu_hours},
           {"jobs_restarted", o.restart_delay_s.count},
           {"not_restarted", o.not_restarted},
           {"restart_delay_s", o.restart_delay_s.count > 0 ? Stats(o.restart_delay_s)
                                                           : nlohmann::ordered_json(nullptr)},
           {"checkpoint_copies", o.checkpoint_copies},
           {"jobs_lost_gpu_hours", o.jobs_lost_gpu_hours},
           {"jobs_restart_gpu_hours", o.jobs_restart_gpu_hours},
           {"training_gpu_hours_lost", o.training_gpu_hours_lost()},
           {"services", services}});
    }
    j["outages"] = outages;
    // Training's goodput lost to all the outages together, as one number and its two parts.
    double work = 0, restarting = 0;
    for (const OutageMetrics& o : m.outages) {
      work += o.jobs_lost_gpu_hours;
      restarting += o.jobs_restart_gpu_hours;
    }
    j["outages_total"] = {{"training_gpu_hours_lost", work + restarting},
                          {"jobs_lost_gpu_hours", work},
                          {"jobs_restart_gpu_hours", restarting}};
  }
  j["makespan_s"] = m.makespan_s;
  j["stopped_at_until"] = m.stopped_at_until;
  j["sim"] = {{"events", m.events}, {"passes", m.passes}, {"wall_s", m.run.wall_s}};
  if (!m.services.empty()) j["sim"]["services_wall_s"] = m.run.services_wall_s;
  if (m.series) j["series"] = SeriesJson(*m.series);
  if (m.distributions) j["distributions"] = DistributionsJson(*m.distributions);
  return j;
}

void PrintSummary(std::ostream& out, const Metrics& m, const Fleet& fleet) {
  auto row = [&out](const std::string& label, const std::string& value) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "  %-13s", label.c_str());
    out << buf << value << '\n';
  };
  auto stats = [](const Distribution4& d) {
    return "mean " + HumanSeconds(d.mean) + "   p50 " + HumanSeconds(d.p50) + "   p95 " +
           HumanSeconds(d.p95) + "   p99 " + HumanSeconds(d.p99) + "   max " + HumanSeconds(d.max);
  };
  out << "gpufleet sim: policy " << m.run.policy
      << (m.run.share_policy.empty() ? "" : " (shares placed by " + m.run.share_policy + ")")
      << (m.run.dispatch.empty() ? "" : ", dispatch " + m.run.dispatch) << ", seed " << m.run.seed
      << "\n";
  std::string models;
  for (const auto& g : fleet.gpu_models()) models += (models.empty() ? "" : ", ") + g.name;
  row("fleet", Grouped(fleet.total_gpus()) + " GPUs (" + models + ") on " +
                   Counted(fleet.num_nodes(), "node") + ", " +
                   Counted(static_cast<std::int64_t>(fleet.sites().size()), "site"));
  // What each trace gave, and what it left out: rows skipped by --skip-bad-rows are data a user
  // must not lose sight of (the JSON report has them under run.traces as well).
  for (const TraceSummary& t : m.run.traces) {
    std::int64_t skipped = 0, excluded = 0;
    for (const auto& [reason, n] : t.skipped) skipped += n;
    for (const auto& [reason, n] : t.excluded) excluded += n;
    std::string text = t.name + ": " + Counted(t.rows, "row") + ", " + Counted(t.jobs, "job");
    if (skipped > 0) text += ", " + Grouped(skipped) + " malformed skipped";
    if (excluded > 0) text += ", " + Grouped(excluded) + " excluded";
    row("trace", text);
  }
  row("jobs", Grouped(m.submitted) + " submitted, " + Grouped(m.completed) + " completed, " +
                  Grouped(m.rejected) + " rejected, " + Grouped(m.pending_at_end) +
                  " pending and " + Grouped(m.running_at_end) + " running at the end");
  if (!m.pending_reasons.empty()) {
    std::string why;
    for (const auto& [name, n] : m.pending_reasons)
      why += (why.empty() ? "" : ", ") + Grouped(n) + " " + name;
    row("waiting", "at the end: " + why);
  }
  if (m.deadlines) {
    const DeadlineMetrics& d = *m.deadlines;
    row("deadlines", Grouped(d.met) + " of " + Counted(d.jobs, "job") + " with one met, " +
                         Grouped(d.missed) + " missed" +
                         (d.open > 0 ? ", " + Grouped(d.open) + " open at the end" : ""));
  }
  for (const ServiceMetrics& s : m.services) {
    std::string text = s.name + ": " + Grouped(s.placed) + " of " + Counted(s.replicas, "replica") +
                       " placed (wait p99 " + HumanSeconds(s.placement_wait_s.p99) + ", max " +
                       HumanSeconds(s.placement_wait_s.max) + "), " + HumanAmount(s.gpu_hours) +
                       (s.served ? " of " + HumanAmount(s.served->replica_hours * s.tp) + " asked"
                                 : std::string()) +
                       " GPU-hours";
    if (s.never_placed > 0) text += ", " + Grouped(s.never_placed) + " never placed";
    if (s.served) {
      const ServiceMetrics::Requests& q = *s.served;
      char slo[192];
      std::snprintf(slo, sizeof slo,
                    "; %s requests, %.1f%% within the SLO (%s; %.1f%% if placed when asked)",
                    Grouped(q.requests).c_str(), 100 * q.attainment, q.slo_met ? "met" : "MISSED",
                    100 * q.attainment_if_placed_when_asked);
      text += slo;
      if (q.fluid_window_s > 0) text += ", fluid by " + HumanSeconds(q.fluid_window_s) + " windows";
      if (q.unserved > 0) text += ", " + Grouped(q.unserved) + " never served";
      if (q.retried > 0) text += ", " + Grouped(q.retried) + " retried after a replica was lost";
      if (q.output_tokens > 0 && q.it_energy_kwh > 0) {
        char energy[64];
        std::snprintf(energy, sizeof energy, "; %.2f J IT per output token",
                      q.it_energy_kwh * 3.6e6 / double(q.output_tokens));
        text += energy;
      }
      if (const std::optional<double> per_million =
              UsdPerMillionTokens(q.cost_usd(), q.output_tokens);
          q.priced && per_million && std::isfinite(*per_million)) {
        char cost[96];
        std::snprintf(cost, sizeof cost, "; $%s, $%.2f per million output tokens",
                      Grouped(static_cast<std::int64_t>(std::llround(q.cost_usd()))).c_str(),
                      *per_million);
        text += cost;
      }
    }
    row("service", text);
  }
  row("JCT", stats(m.jct_s));
  row("queue wait", stats(m.queue_s));
  if (m.cpu_utilization > 0 || m.memory_utilization > 0 || m.sharing_jobs > 0) {
    row("host", "CPU " + Percent(m.cpu_utilization) + " and memory " +
                    Percent(m.memory_utilization) + " held on average; " +
                    Counted(m.sharing_jobs, "job") + " shared GPUs");
  }
  for (const SitePowerMetrics& p : m.power_sites) {
    row("power", p.name + ": peak " + HumanPower(p.peak_mw) + ", mean " + HumanPower(p.mean_mw) +
                     " of " + HumanPower(p.budget_mw) + " budget; " + HumanEnergy(p.energy_mwh) +
                     " IT, " + HumanEnergy(p.facility_energy_mwh) + " facility");
    if (p.time_capped_s > 0) {
      row("capping", p.name + ": GPUs power-capped for " + HumanSeconds(p.time_capped_s) + ", " +
                         HumanAmount(p.capped_gpu_hours_lost) + " GPU-hours of work lost");
    }
  }
  if (!m.power_sites.empty()) {
    double rent = 0, rented_hours = 0, egress = 0, capex = 0, electricity = 0;
    bool any_cost = false, any_rent = false, any_tariff = false;
    for (const SitePowerMetrics& p : m.power_sites) {
      any_cost = any_cost || p.cost_usd.has_value();
      egress += p.egress_usd.value_or(0);
      capex += p.capex_usd.value_or(0);
      electricity += p.electricity_usd.value_or(0);
      any_tariff = any_tariff || p.electricity_usd.has_value();
      if (p.rent_usd) {
        any_rent = true;
        rent += *p.rent_usd;
        rented_hours += p.rented_gpu_hours;
      }
    }
    if (!any_cost) {
      row("cost", "no tariff given (tariff_usd_per_mwh) and no rented provider with a price");
    } else {
      // Its parts where there is more than electricity (none billed without a tariff).
      std::vector<std::string> parts;
      if (capex > 0) parts.push_back(Dollars(capex) + " owned capacity's purchase over its life");
      if (any_tariff) parts.push_back(Dollars(electricity) + " electricity");
      if (any_rent) {
        parts.push_back(Dollars(rent) + " rent for " +
                        Grouped(static_cast<std::int64_t>(rented_hours + 0.5)) +
                        " rented GPU-hours");
      }
      if (egress > 0) parts.push_back(Dollars(egress) + " egress");
      std::string text = Dollars(m.cost_usd);
      if (any_rent || egress > 0 || capex > 0) {
        for (size_t k = 0; k < parts.size(); ++k) text += (k == 0 ? ": " : ", ") + parts[k];
      }
      row("cost", text);
    }
  }
  for (const ElasticMetrics& e : m.elastic) {
    row("elastic", e.site + ": " + Counted(e.nodes_acquired, "node") + " rented (of " +
                       std::to_string(e.nodes_asked) + " asked for; peak " +
                       std::to_string(e.peak_nodes) + "), " + Grouped(e.nodes_released) +
                       " given back; " + HumanAmount(e.node_hours) + " node-hours held, " +
                       Percent(e.busy) + " of their GPU-time busy");
  }
  row("utilization", Percent(m.utilization) + " of available GPU-time over " +
                         HumanSeconds(m.makespan_s) +
                         (m.stopped_at_until ? " (stopped at --until)" : ""));
  if (m.preemptions + m.interruptions + m.node_failures > 0) {
    row("disruption", Counted(m.preemptions, "preemption") + ", " +
                          Counted(m.interruptions, "interruption") + " from " +
                          Counted(m.node_failures, "node failure") + ", " +
                          HumanAmount(m.lost_gpu_hours) + " GPU-hours lost");
  }
  if (!m.failures_by_category.empty()) {
    std::string text;
    for (const Metrics::FailureCategoryMetrics& f : m.failures_by_category) {
      text += (text.empty() ? "" : ", ") + f.name + " " + Grouped(f.failures) + " (" +
              Grouped(f.interruptions) + " interrupted)";
    }
    row("failures", text);
  }
  for (size_t k = 0; k < m.outages.size(); ++k) {
    const OutageMetrics& o = m.outages[k];
    if (o.at_s >= m.makespan_s) {
      row("outage", o.target + " at " + HumanSeconds(o.at_s) + ": after the run's end");
      continue;
    }
    std::string text =
        o.target + " at " + HumanSeconds(o.at_s) + " for " + HumanSeconds(o.for_s) + ": " +
        Grouped(o.gpus) + " GPUs down, " + Counted(o.jobs_interrupted, "job") +
        (o.replicas_interrupted > 0 ? " and " + Counted(o.replicas_interrupted, "replica")
                                    : std::string()) +
        " interrupted (" + HumanAmount(o.lost_gpu_hours) + " GPU-hours of work lost)";
    if (o.restart_delay_s.count > 0) {
      text += ", back to work after p50 " + HumanSeconds(o.restart_delay_s.p50) + ", max " +
              HumanSeconds(o.restart_delay_s.max);
    }
    if (o.not_restarted > 0) text += ", " + Grouped(o.not_restarted) + " not restarted by the end";
    if (o.checkpoint_copies > 0)
      text += ", " + Counted(o.checkpoint_copies, "checkpoint") + " copied";
    if (o.jobs_interrupted > 0) {
      text += "; training lost " + HumanAmount(o.training_gpu_hours_lost()) + " GPU-hours (" +
              HumanAmount(o.jobs_lost_gpu_hours) + " of work, " +
              HumanAmount(o.jobs_restart_gpu_hours) + " restarting)";
    }
    for (const ServiceMetrics& s : m.services) {
      if (!s.served || k >= s.served->during_outages.size()) continue;
      const PeriodAttainment& during = s.served->during_outages[k];
      if (during.requests == 0) continue;
      char slo[96];
      std::snprintf(slo, sizeof slo, "; %s: %.1f%% within the SLO during it", s.name.c_str(),
                    100.0 * double(during.met) / double(during.requests));
      text += slo;
    }
    row("outage", text);
  }
  if (m.checkpoint_copies > 0) {
    row("copies", Counted(m.checkpoint_copies, "checkpoint") + " copied between sites (" +
                      HumanAmount(m.checkpoint_copy_gb) + " GB), " +
                      HumanAmount(m.checkpoint_copy_gpu_hours) + " GPU-hours waiting for them");
  }
  if (m.ettr_mean) {
    char ettr[96];
    std::snprintf(ettr, sizeof ettr, "mean %.3f, min %.3f; goodput %.3f of GPU-time held",
                  *m.ettr_mean, *m.ettr_min, m.goodput);
    row("ETTR", ettr);
  }

  char sim[96];
  std::snprintf(sim, sizeof sim, "%s events in %.2f s wall (%.2f M events/s)",
                Grouped(static_cast<std::int64_t>(m.events)).c_str(), m.run.wall_s,
                m.run.wall_s > 0 ? static_cast<double>(m.events) / m.run.wall_s / 1e6 : 0.0);
  std::string simulation = sim;
  if (!m.services.empty()) {
    char services[64];
    std::snprintf(services, sizeof services, "; the services' requests %.2f s",
                  m.run.services_wall_s);
    simulation += services;
  }
  row("simulation", simulation);
}

static std::string Fixed6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

// Work over time from first start to completion, as text.
static std::string Ettr(const JobRecord& r) {
  return Fixed6(static_cast<double>(r.spec.duration) / static_cast<double>(r.end - r.first_start));
}

JobsCsvWriter::JobsCsvWriter(std::ostream& out, const Fleet& fleet,
                             const std::vector<Tenant>& tenants)
    : out_(out), fleet_(fleet), tenants_(tenants) {
  out_ << "id,name,tenant,gpus,gpu_model,topology,priority,submit_s,first_start_s,end_s,"
          "duration_s,jct_s,queue_s,state,preemptions,interruptions,lost_s,restart_s,ettr,"
          "placement_rate,wait_reason,wait_detail\n";
}

// A row is built in one buffer and written at once: a 4M-job run writes 4M of them while it
// simulates, and one ostream insertion per field cost more than the row's simulation.
void JobsCsvWriter::Take(JobId id, const JobRecord& r, const PendingReason* waiting) {
  std::string& row = row_;
  row.clear();
  const bool done = r.state == JobRecord::State::kCompleted;
  AppendInt(row, id);
  row += ',';
  row += CsvField(r.spec.name);
  row += ',';
  row += CsvField(tenants_[static_cast<size_t>(r.spec.tenant)].name);
  row += ',';
  AppendInt(row, r.spec.gpus);
  row += ',';
  row += r.spec.gpu_model == kAnyModel
             ? std::string_view("any")
             : std::string_view(fleet_.gpu_models()[static_cast<size_t>(r.spec.gpu_model)].name);
  row += ',';
  row += TopologyName(r.spec.topology);
  row += ',';
  AppendInt(row, r.spec.priority);
  row += ',';
  AppendSeconds(row, r.spec.submit);
  row += ',';
  AppendSeconds(row, r.first_start);
  row += ',';
  AppendSeconds(row, r.end);
  row += ',';
  AppendSeconds(row, r.spec.duration);
  row += ',';
  if (done) AppendSeconds(row, r.end - r.spec.submit);
  row += ',';
  if (done) AppendSeconds(row, r.end - r.spec.submit - r.run_ms);
  row += ',';
  // A service's replica that its autoscaler let go has `left`; one let go before it was ever
  // placed was `withdrawn`.
  if (r.spec.service >= 0 && done) {
    row += r.first_start >= 0 ? "left" : "withdrawn";
  } else {
    row += StateName(r.state);
  }
  row += ',';
  AppendInt(row, r.preemptions);
  row += ',';
  AppendInt(row, r.interruptions);
  row += ',';
  AppendSeconds(row, r.lost_ms);
  row += ',';
  AppendSeconds(row, r.restart_ms);
  row += ',';
  if (done && r.spec.service < 0) row += Ettr(r);  // a replica has no work to measure it by
  row += ',';
  if (r.spec.training >= 0 && r.first_start >= 0) row += Fixed6(r.placement_rate);
  row += ',';
  // Jobs still waiting: the reason the scheduler gives now, in words; others: what they last
  // waited for before their first start.
  if (waiting != nullptr) {
    row += WaitReasonName(waiting->code);
    row += ',';
    row += CsvField(DescribeReason(*waiting, fleet_));
  } else if (r.first_start >= 0 && r.waited_for != WaitReason::kNone) {
    row += WaitReasonName(r.waited_for);
    row += ',';
  } else {
    row += ',';
  }
  row += '\n';
  out_.write(row.data(), static_cast<std::streamsize>(row.size()));
}

void WriteJobsCsv(std::ostream& out, const SimResult& result, const Fleet& fleet) {
  JobsCsvWriter csv(out, fleet, result.tenants);
  std::vector<const PendingReason*> waiting(result.jobs.size(), nullptr);
  for (const auto& [id, why] : result.waiting) waiting[static_cast<size_t>(id)] = &why;
  for (size_t i = 0; i < result.jobs.size(); ++i) {
    csv.Take(static_cast<JobId>(i), result.jobs[i], waiting[i]);
  }
}

CsvEventLog::CsvEventLog(std::ostream& out) : out_(out) { out_ << "time_s,event,job,detail\n"; }

void CsvEventLog::Record(SimTime t, const char* event, JobId job, const std::string& detail) {
  out_ << Seconds(t) << ',' << event << ',';
  if (job >= 0) out_ << job;
  out_ << ',' << CsvField(detail) << '\n';
}

}  // namespace gpufleet
