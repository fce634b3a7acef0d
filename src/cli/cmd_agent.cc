// gpufleet agent: the node agent (agent/agent.h). One per machine, bound to a node of the fleet
// spec; runs what the server starts there, until SIGTERM or Ctrl-C, which stop its jobs first.
#include <chrono>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "agent/job_runner.h"
#include "agent/nvml.h"
#include "cli/client_options.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/validators.h"
#include "client/client_config.h"
#include "client/http_client.h"

namespace gpufleet::cli {
namespace {

struct AgentArgs {
  client::ClientFlags client;
  std::string node;
  int gpus = 0;
  std::string gpu_model;
  std::string address;
  std::string work_dir;
  int heartbeat_s = 0;
  bool inventory = false;
};

// $XDG_STATE_HOME/gpufleet/agent, else ~/.local/state/gpufleet/agent, else ./gpufleet-agent.
std::string DefaultWorkDir() {
  if (auto state = client::ProcessEnv("XDG_STATE_HOME"); state && !state->empty())
    return *state + "/gpufleet/agent";
  if (auto home = client::ProcessEnv("HOME"); home && !home->empty())
    return *home + "/.local/state/gpufleet/agent";
  return "gpufleet-agent";
}

// "2026-12-05T16:00:00Z agent: ..." on stderr: an agent's log is read later, by time.
void Log(const std::string& line) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::cerr << stamp << " agent: " << line << std::endl;
}

int PrintInventory(const agent::GpuInventory& inventory) {
  nlohmann::json gpus = nlohmann::json::array();
  for (const agent::GpuInfo& gpu : inventory.gpus)
    gpus.push_back({{"index", gpu.index},
                    {"name", gpu.name},
                    {"model", agent::ModelFromDeviceName(gpu.name)},
                    {"uuid", gpu.uuid},
                    {"memory_total_bytes", gpu.memory_total_bytes},
                    {"memory_used_bytes", gpu.memory_used_bytes},
                    {"power_w", gpu.power_milliwatts / 1000.0},
                    {"temperature_c", gpu.temperature_c}});
  nlohmann::json out = {{"nvml", inventory.nvml_loaded}, {"gpus", gpus}};
  if (!inventory.unavailable_reason.empty()) out["unavailable"] = inventory.unavailable_reason;
  std::cout << out.dump(2) << "\n";
  return kExitOk;
}

int RunAgent(const AgentArgs& args) {
  const agent::GpuInventory inventory = agent::ReadGpuInventory();
  if (args.inventory) return PrintInventory(inventory);
  if (args.node.empty()) {
    std::cerr << "gpufleet agent: --node is required (the fleet spec's path of this machine)\n";
    return kExitBadInput;
  }
  Result<agent::NodeGpus> gpus = agent::ReconcileGpus(inventory, args.gpus, args.gpu_model);
  if (!gpus.ok()) {
    std::cerr << "gpufleet agent: " << gpus.message() << "\n";
    return kExitBadInput;
  }
  Result<client::ClientConfig> config = client::ResolveClientConfig(args.client);
  if (!config.ok()) {
    std::cerr << "gpufleet agent: " << config.message() << "\n";
    return kExitBadInput;
  }

  agent::AgentOptions options;
  options.node = args.node;
  options.gpus = gpus.value().gpus;
  options.gpu_model = gpus.value().model;
  options.address = args.address;
  options.heartbeat = std::chrono::seconds(args.heartbeat_s);
  const std::string work_dir = args.work_dir.empty() ? DefaultWorkDir() : args.work_dir;

  // The first signal stops the loop (and the jobs, within their grace); a second one ends the
  // process at once.
  CooperativeStop cooperative;
  client::HttpClient http(config.value().server, config.value().token);
  agent::JobRunner runner(work_dir);
  agent::Agent node_agent(options, http, runner, StopFlag(), Log);
  Log("node " + options.node + ", server " + config.value().server + ", work dir " + work_dir +
      (inventory.gpus.empty() ? " (GPUs as declared: " + inventory.unavailable_reason + ")"
                              : " (GPUs from NVML)"));
  Status status = node_agent.Run();
  if (!status.ok()) {
    Log("giving up: " + status.message());
    return kExitFailure;
  }
  if (StopSignal() != 0) Log(std::string("stopped by ") + SignalName(StopSignal()));
  return kExitOk;
}

}  // namespace

Runner AddAgentCommand(CLI::App& app) {
  auto args = std::make_shared<AgentArgs>();
  CLI::App* cmd = app.add_subcommand(
      "agent",
      "Run the node agent: register this machine as a node of the fleet with the server, then\n"
      "run the jobs the server starts here (each under `sh -c` in its own process group, in\n"
      "WORK/jobs/ID.EPOCH with its stdout and stderr), report their ends and stop what the\n"
      "server stops. While the server is away, jobs keep running and the agent retries.\n"
      "SIGTERM or Ctrl-C stops the jobs (SIGTERM, SIGKILL after 30 s), reports their ends\n"
      "and exits; a second signal exits at once. GPUs are read through NVML when the NVIDIA\n"
      "driver is installed; otherwise give --gpus and --gpu-model.");
  cmd->add_option("--node", args->node,
                  "This machine's node in the fleet spec (gpufleet fleet show --nodes), as "
                  "site/.../node.");
  cmd->add_option("--gpus", args->gpus,
                  "GPUs of this node; required without NVML, else must agree with it.")
      ->check(WholeNumber(1, 64));
  cmd->add_option("--gpu-model", args->gpu_model,
                  "The GPU model as the fleet spec names it; required without NVML, else must "
                  "agree with it (case aside).");
  cmd->add_option("--address", args->address,
                  "Where the other nodes of a job reach this one (MASTER_ADDR; default: the "
                  "address the server sees).");
  cmd->add_option("--work-dir", args->work_dir,
                  "The jobs' folders (default $XDG_STATE_HOME/gpufleet/agent, else "
                  "~/.local/state/gpufleet/agent).");
  cmd->add_option("--heartbeat", args->heartbeat_s,
                  "Seconds a sync waits for news (default: the server's heartbeat_s; at most "
                  "20 are used).")
      ->check(WholeNumber(1, 3600));
  cmd->add_flag("--inventory", args->inventory,
                "Print the GPUs NVML finds as JSON and exit (nothing is registered).");
  AddClientOptions(cmd, args->client, "agent");
  cmd->footer(
      "Example:\n  gpufleet agent --server http://10.0.0.1:7070 --token-file "
      "/etc/gpufleet/agent.token "
      "\\\n      --node abilene/b1/pod0/n0 --gpus 8 --gpu-model GB200\n"
      "  gpufleet agent --inventory");
  return [args] { return RunAgent(*args); };
}

}  // namespace gpufleet::cli
