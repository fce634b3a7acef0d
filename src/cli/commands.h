// The `gpufleet` subcommands. Each registers its options on the CLI11 app and returns the exit
// code when run: 0 success, 1 an operational failure (a file cannot be written), 2 bad input.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "trace/trace.h"

namespace gpufleet::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

using Runner = std::function<int()>;

Runner AddSimCommand(CLI::App& app);
Runner AddValidateCommand(CLI::App& app);
Runner AddFleetCommand(CLI::App& app);
Runner AddTraceCommand(CLI::App& app);
Runner AddExperimentCommand(CLI::App& app);
Runner AddPlanCommand(CLI::App& app);
Runner AddTokenCommand(CLI::App& app);
Runner AddServeCommand(CLI::App& app);
// Runs' reports side by side (`gpufleet compare`, cmd_compare.cc).
Runner AddCompareCommand(CLI::App& app);
// The node agent (`gpufleet agent`, cmd_agent.cc).
Runner AddAgentCommand(CLI::App& app);

// The control plane's client commands (cmd_client.cc): submit, jobs, job, cancel, nodes, drain,
// undrain, tenants, tenant.
struct ClientCommand {
  CLI::App* command = nullptr;
  Runner run;
};
struct ClientCommands {
  ClientCommand submit, jobs, job, cancel, nodes, drain, undrain, tenants, tenant;
  // The runner of the one that was given, if any.
  Runner Chosen() const {
    for (const ClientCommand* c :
         {&submit, &jobs, &job, &cancel, &nodes, &drain, &undrain, &tenants, &tenant})
      if (c->command != nullptr && c->command->parsed()) return c->run;
    return nullptr;
  }
};
ClientCommands AddClientCommands(CLI::App& app);
// `plan train`, registered by AddPlanCommand under `plan`.
Runner AddPlanTrainCommand(CLI::App* plan);
// `plan serve` (cmd_plan_serve.cc), registered by AddPlanCommand under `plan`.
Runner AddPlanServeCommand(CLI::App* plan);
// `plan capacity` (cmd_plan_capacity.cc), registered by AddPlanCommand under `plan`.
Runner AddPlanCapacityCommand(CLI::App* plan);

// `experiment pollux`, registered under `experiment` by AddExperimentCommand.
struct PolluxCommand {
  CLI::App* command;
  Runner run;
};
PolluxCommand AddPolluxExperimentCommand(CLI::App* experiment);

// Shared by `sim` and `trace inspect`.
void AddTraceOptions(CLI::App* cmd, TraceOptions& options);
// A trace's path is what its format reads: a file (a folder for pai), and it exists.
Status CheckTracePath(const TraceArg& arg);
// Trace options that do nothing without a trace of their kind, each with the reason; `given`:
// the long names of the options on the command line.
std::vector<std::string> IdleTraceOptions(const std::vector<std::string>& traces,
                                          const std::vector<std::string>& given);
// The long names ("--fleet") of the options given to `cmd`.
std::vector<std::string> GivenOptions(const CLI::App* cmd);
// A fleet spec (YAML), or a fleet from a trace as FORMAT:FILE (openb-nodes, pai-machines); what
// a trace fleet leaves out is said on stderr.
Result<Fleet> LoadAnyFleet(const std::string& arg);
std::string TraceFormatHelp();

}  // namespace gpufleet::cli
