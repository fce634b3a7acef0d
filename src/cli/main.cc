// gpufleet: the control plane and digital twin for gigawatt-scale AI compute.
#include <iostream>

#include "cli/commands.h"

#ifndef GPUFLEET_VERSION
#define GPUFLEET_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
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
  gpufleet::cli::Runner plan = gpufleet::cli::AddPlanCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    // Usage mistakes are bad input (2); --help and --version succeed (0).
    return code == 0 ? 0 : gpufleet::cli::kExitBadInput;
  }
  if (app.got_subcommand("sim")) return sim();
  if (app.got_subcommand("validate")) return validate();
  if (app.got_subcommand("fleet")) return fleet();
  if (app.got_subcommand("trace")) return trace();
  if (app.got_subcommand("experiment")) return experiment();
  if (app.got_subcommand("plan")) return plan();
  std::cerr << app.help();
  return gpufleet::cli::kExitBadInput;
}
