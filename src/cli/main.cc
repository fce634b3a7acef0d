// gpufleet: the control plane and digital twin for gigawatt-scale AI compute.
#include <iostream>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/last_resort.h"
#include "cli/suggest.h"

#ifndef GPUFLEET_VERSION
#define GPUFLEET_VERSION "0.0.0"
#endif

namespace {

int Main(int argc, char** argv) {
  CLI::App app{
      "gpufleet " GPUFLEET_VERSION
      " - control plane and digital twin for gigawatt-scale AI compute.\n"
      "Simulates fleets of GPU sites (power budgets, network topology, failures) under real\n"
      "or generated workloads with the same scheduler core the control plane runs.\n"
      "Spec reference: docs/SPEC.md; report keys: docs/REPORT.md.",
      "gpufleet"};
  app.set_version_flag("--version", "gpufleet " GPUFLEET_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  gpufleet::cli::Runner sim = gpufleet::cli::AddSimCommand(app);
  gpufleet::cli::Runner validate = gpufleet::cli::AddValidateCommand(app);
  gpufleet::cli::Runner fleet = gpufleet::cli::AddFleetCommand(app);
  gpufleet::cli::Runner trace = gpufleet::cli::AddTraceCommand(app);
  gpufleet::cli::Runner experiment = gpufleet::cli::AddExperimentCommand(app);
  gpufleet::cli::Runner compare = gpufleet::cli::AddCompareCommand(app);
  gpufleet::cli::Runner plan = gpufleet::cli::AddPlanCommand(app);
  gpufleet::cli::Runner token = gpufleet::cli::AddTokenCommand(app);
  gpufleet::cli::Runner serve = gpufleet::cli::AddServeCommand(app);
  gpufleet::cli::Runner agent = gpufleet::cli::AddAgentCommand(app);
  const gpufleet::cli::ClientCommands client = gpufleet::cli::AddClientCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      // A mistyped name gets the nearest one the command accepts.
      const std::string hint = gpufleet::cli::UsageHint(app, {argv + 1, argv + argc});
      if (!hint.empty()) {
        std::cerr << "gpufleet: " << hint << "\nRun with --help for more information.\n";
        return gpufleet::cli::kExitBadInput;
      }
    }
    const int code = app.exit(e);
    // Usage mistakes are bad input (2); --help and --version succeed (0).
    return code == 0 ? 0 : gpufleet::cli::kExitBadInput;
  }
  if (app.got_subcommand("sim")) return sim();
  if (app.got_subcommand("compare")) return compare();
  if (app.got_subcommand("validate")) return validate();
  if (app.got_subcommand("fleet")) return fleet();
  if (app.got_subcommand("trace")) return trace();
  if (app.got_subcommand("experiment")) return experiment();
  if (app.got_subcommand("plan")) return plan();
  if (app.got_subcommand("token")) return token();
  if (app.got_subcommand("serve")) return serve();
  if (app.got_subcommand("agent")) return agent();
  if (gpufleet::cli::Runner chosen = client.Chosen()) return chosen();
  std::cerr << app.help();
  return gpufleet::cli::kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  gpufleet::cli::InstallTerminateHandler();
  gpufleet::cli::InstallInterruptHandler();
  try {
    return Main(argc, argv);
  } catch (...) {
    return gpufleet::cli::ReportEscapedException(std::current_exception(), std::cerr);
  }
}
