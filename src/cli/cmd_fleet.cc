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
  std::printf("    %-18s %-12s %12s %10s %10s %12s %12s\n", "site", "provider", "GPUs", "nodes",
              "pods", "IT at TDP", "budget");
  std::cout.flush();
  for (const auto& st : s.sites) {
    std::printf("    %-18s %-12s %12s %10s %10s %12s %12s\n", st.name.c_str(), st.provider.c_str(),
                Grouped(st.gpus).c_str(), Grouped(st.nodes).c_str(), Grouped(st.pods).c_str(),
                HumanPower(st.it_power_mw).c_str(), HumanPower(st.power_budget_mw).c_str());
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
      "IT power with every node at its maximum (TDP) draw, and site power budgets (MW; kW below\n"
      "1 MW).");
  show->add_option("file", *file, "Fleet spec (YAML), or openb-nodes:FILE / pai-machines:FILE.")
      ->required();
  show->add_flag(
      "--json", *json,
      "Print JSON instead of a table (keys: gpus.total, gpus.by_model, nodes, sites[]...).");
  show->footer("Example:\n  gpufleet fleet show examples/fleets/stargate-abilene.yaml");
  return [file, json] { return RunShow(*file, *json); };
}

}  // namespace gpufleet::cli
