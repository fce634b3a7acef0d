// gpufleet fleet show: the totals of a fleet spec.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/fleet_summary.h"
#include "report/report.h"
#include "spec/specs.h"

namespace gpufleet::cli {
namespace {

nlohmann::ordered_json ByModel(const std::vector<FleetSummary::ModelCount>& counts) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& c : counts) j[c.model] = c.gpus;
  return j;
}

nlohmann::ordered_json ElasticJson(const ElasticRent& e) {
  return {{"provisioning_s", static_cast<double>(e.provisioning) / kSecond},
          {"release_after_idle_s", static_cast<double>(e.release_after_idle) / kSecond},
          {"rent_when_wait_exceeds_s", static_cast<double>(e.rent_when_wait_exceeds) / kSecond}};
}

int RunShow(const std::string& file, bool json) {
  Result<Fleet> fleet = LoadAnyFleet(file);
  if (!fleet.ok()) {
    std::cerr << fleet.message() << "\n";
    return kExitBadInput;
  }
  const Fleet& f = fleet.value();
  const FleetSummary s = Summarize(f);
  if (json) {
    nlohmann::ordered_json j;
    j["gpus"] = {{"total", s.gpus}, {"by_model", ByModel(s.by_model)}};
    j["nodes"] = s.nodes;
    j["nvlink_domains"] = s.domains;
    j["leaves"] = s.leaves;
    j["pods"] = s.pods;
    j["it_power_mw"] = s.it_power_mw;
    j["power_budget_mw"] = s.power_budget_mw;
    nlohmann::ordered_json sites = nlohmann::ordered_json::array();
    for (const auto& st : s.sites) {
      sites.push_back({{"name", st.name},
                       {"provider", st.provider},
                       {"pricing", st.pricing},
                       {"gpu_hour_usd", st.gpu_hour_usd ? nlohmann::ordered_json(*st.gpu_hour_usd)
                                                        : nlohmann::ordered_json(nullptr)},
                       {"elastic", st.elastic ? ElasticJson(*st.elastic) : nullptr},
                       {"location", st.location},
                       {"gpus", st.gpus},
                       {"gpus_by_model", ByModel(st.by_model)},
                       {"nodes", st.nodes},
                       {"nvlink_domains", st.domains},
                       {"pods", st.pods},
                       {"it_power_mw", st.it_power_mw},
                       {"power_budget_mw", st.power_budget_mw}});
    }
    j["sites"] = sites;
    nlohmann::ordered_json links = nlohmann::ordered_json::array();
    for (const SiteLink& l : f.links()) {
      links.push_back(
          {{"between",
            {f.sites()[static_cast<size_t>(l.a)].name, f.sites()[static_cast<size_t>(l.b)].name}},
           {"gb_s", l.gb_s},
           {"latency_s", l.latency_s}});
    }
    j["links"] = links;
    j["default_link"] = {{"gb_s", kDefaultSiteLinkGbS}, {"latency_s", kDefaultSiteLinkLatencyS}};
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::string models;
  for (const auto& m : s.by_model)
    models += (models.empty() ? "" : ", ") + m.model + " " + Grouped(m.gpus);
  std::cout << "fleet " << file << "\n";
  std::cout << "  GPUs            " << Grouped(s.gpus) << " (" << models << ")\n";
  std::cout << "  nodes           " << Grouped(s.nodes) << "\n";
  std::cout << "  NVLink domains  " << Grouped(s.domains) << "\n";
  std::cout << "  leaves          " << Grouped(s.leaves) << "\n";
  std::cout << "  pods            " << Grouped(s.pods) << "\n";
  std::cout << "  IT power at TDP " << HumanPower(s.it_power_mw) << " of "
            << HumanPower(s.power_budget_mw) << " budget\n";
  std::cout << "  sites           " << s.sites.size() << "\n";
  std::printf("    %-18s %-12s %12s %10s %10s %12s %12s   %s\n", "site", "provider", "GPUs",
              "nodes", "pods", "IT at TDP", "budget", "paid");
  std::cout.flush();
  for (const auto& st : s.sites) {
    std::string paid = st.pricing;
    if (st.gpu_hour_usd) {
      char price[48];
      std::snprintf(price, sizeof price, " at $%.2f/GPU-hour", *st.gpu_hour_usd);
      paid += price;
    } else if (st.pricing != "owned") {
      paid += " (no price given)";
    }
    if (st.elastic) {
      // Its nodes are the most it may hold (docs/MODELS.md, "Elastic renting").
      paid += ", elastic: up to " + Counted(st.nodes, "node") + ", serving " +
              HumanSeconds(static_cast<double>(st.elastic->provisioning) / kSecond) +
              " after asked, rented past a " +
              HumanSeconds(static_cast<double>(st.elastic->rent_when_wait_exceeds) / kSecond) +
              " wait, given back after " +
              HumanSeconds(static_cast<double>(st.elastic->release_after_idle) / kSecond) + " idle";
    }
    std::printf("    %-18s %-12s %12s %10s %10s %12s %12s   %s\n", st.name.c_str(),
                st.provider.c_str(), Grouped(st.gpus).c_str(), Grouped(st.nodes).c_str(),
                Grouped(st.pods).c_str(), HumanPower(st.it_power_mw).c_str(),
                HumanPower(st.power_budget_mw).c_str(), paid.c_str());
  }
  if (s.sites.size() > 1) {
    // Checkpoints copied between sites go over these (docs/MODELS.md, "Checkpoints across sites").
    for (const SiteLink& l : f.links()) {
      std::printf("    link %s - %s: %g GB/s, %g ms\n",
                  f.sites()[static_cast<size_t>(l.a)].name.c_str(),
                  f.sites()[static_cast<size_t>(l.b)].name.c_str(), l.gb_s, l.latency_s * 1000);
    }
    const size_t pairs = s.sites.size() * (s.sites.size() - 1) / 2;
    if (f.links().size() < pairs) {
      std::printf("    %s: %g GB/s, %g ms (the default)\n",
                  f.links().empty() ? "links between sites (none declared)" : "other pairs",
                  kDefaultSiteLinkGbS, kDefaultSiteLinkLatencyS * 1000);
    }
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace

Runner AddFleetCommand(CLI::App& app) {
  CLI::App* fleet = app.add_subcommand("fleet", "Inspect a fleet spec.");
  fleet->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* show = fleet->add_subcommand(
      "show",
      "Totals of a fleet: GPUs by model, nodes, NVLink domains, leaves, pods, sites,\n"
      "IT power with every node at its maximum (TDP) draw, site power budgets (MW; kW below\n"
      "1 MW), how each site is paid for, and the links between sites.");
  show->add_option("file", *file, "Fleet spec (YAML), or openb-nodes:FILE / pai-machines:FILE.")
      ->required();
  show->add_flag(
      "--json", *json,
      "Print JSON instead of a table (keys: gpus.total, gpus.by_model, nodes, sites[]...).");
  show->footer("Example:\n  gpufleet fleet show examples/fleets/stargate-abilene.yaml");
  return [file, json] { return RunShow(*file, *json); };
}

}  // namespace gpufleet::cli
