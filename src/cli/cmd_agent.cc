// gpufleet agent: the node agent (agent/agent.h). One per machine, bound to a node of the fleet
// spec; runs what the server starts there, until SIGTERM or Ctrl-C, which stop its jobs first.
// With --hollow N, N emulated nodes of the fleet spec in one process (agent/hollow.h).
#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "agent/hollow.h"
#include "agent/job_runner.h"
#include "agent/nvml.h"
#include "cli/client_options.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/validators.h"
#include "client/client_config.h"
#include "client/http_client.h"
#include "util/wall_time.h"

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
  int hollow = 0;  // 0: a real agent
  std::string fleet;
  std::string nodes_glob;
  int hollow_threads = 4;
  double time_scale = 1;
  std::vector<std::string> given;  // the long names of the options on the command line
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
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::cerr << UtcText(now, UtcStyle::kIso) << " agent: " << line << std::endl;
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

// "gpufleet agent: MESSAGE" on stderr; the exit code of bad input.
int BadInput(const std::string& message) {
  std::cerr << "gpufleet agent: " << message << "\n";
  return kExitBadInput;
}

// The first of `names` given on the command line, or null.
const char* FirstGiven(const AgentArgs& args, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (std::find(args.given.begin(), args.given.end(), name) != args.given.end()) return name;
  return nullptr;
}

// The exit code of a loop that returned `status` (an error: one no retry fixes).
int Finish(const Status& status) {
  if (!status.ok()) {
    Log("giving up: " + status.message());
    return kExitFailure;
  }
  if (StopSignal() != 0) Log(std::string("stopped by ") + SignalName(StopSignal()));
  return kExitOk;
}

// The first `count` nodes of the fleet whose path matches `glob` (fnmatch; empty: all), in the
// fleet's order, as each registers: its path as /v1/nodes prints it, its GPUs and model.
Result<std::vector<agent::HollowNodeSpec>> HollowNodes(const Fleet& fleet, const std::string& glob,
                                                       int count) {
  std::vector<agent::HollowNodeSpec> nodes;
  for (NodeId n = 0; n < fleet.num_nodes() && static_cast<int>(nodes.size()) < count; ++n) {
    std::string path = fleet.Path(fleet.NodeTopo(n));
    if (!glob.empty() && ::fnmatch(glob.c_str(), path.c_str(), 0) != 0) continue;
    nodes.push_back({std::move(path), fleet.NodeGpus(n),
                     fleet.gpu_models()[static_cast<size_t>(fleet.NodeModel(n))].name});
  }
  if (static_cast<int>(nodes.size()) < count) {
    return Error{"--hollow " + std::to_string(count) + ": the fleet has only " +
                 std::to_string(nodes.size()) + " node(s)" +
                 (glob.empty() ? std::string() : " matching --nodes '" + glob + "'")};
  }
  return nodes;
}

int RunHollow(const AgentArgs& args) {
  if (const char* real_only = FirstGiven(args, {"--node", "--gpus", "--gpu-model", "--work-dir",
                                                "--address", "--heartbeat", "--inventory"})) {
    return BadInput(std::string(real_only) +
                    " is for a real agent; --hollow takes its nodes, their GPUs and models from "
                    "--fleet (and --nodes)");
  }
  if (args.fleet.empty())
    return BadInput("--hollow needs --fleet (the fleet spec the server runs)");
  Result<Fleet> fleet = LoadAnyFleet(args.fleet);
  if (!fleet.ok()) return BadInput(fleet.message());
  Result<std::vector<agent::HollowNodeSpec>> nodes =
      HollowNodes(fleet.value(), args.nodes_glob, args.hollow);
  if (!nodes.ok()) return BadInput(nodes.message());
  Result<client::ClientConfig> config = client::ResolveClientConfig(args.client);
  if (!config.ok()) return BadInput(config.message());
  agent::HollowOptions options;
  options.threads = args.hollow_threads;
  options.time_scale = args.time_scale;
  options.ca_file = config.value().ca_file;
  // The first signal stops the nodes' loops; a second one ends the process at once.
  CooperativeStop cooperative;
  const std::string first = nodes.value().front().path, last = nodes.value().back().path;
  agent::HollowFleet hollow(std::move(nodes).value(), options, config.value().server,
                            config.value().token, StopFlag(), Log);
  char scale[32];
  std::snprintf(scale, sizeof scale, "%g", options.time_scale);
  Log("hollow: " + std::to_string(args.hollow) + " nodes (" + first + " ... " + last +
      "), server " + config.value().server + ", " + std::to_string(options.threads) + " threads" +
      (options.time_scale == 1 ? "" : std::string(", durations pass ") + scale + "x as fast"));
  return Finish(hollow.Run());
}

int RunAgent(const AgentArgs& args) {
  if (args.hollow > 0) return RunHollow(args);
  if (const char* hollow_only =
          FirstGiven(args, {"--fleet", "--nodes", "--hollow-threads", "--time-scale"}))
    return BadInput(std::string(hollow_only) + " is for --hollow only");
  const agent::GpuInventory inventory = agent::ReadGpuInventory();
  if (args.inventory) return PrintInventory(inventory);
  if (args.node.empty())
    return BadInput("--node is required (the fleet spec's path of this machine)");
  Result<agent::NodeGpus> gpus = agent::ReconcileGpus(inventory, args.gpus, args.gpu_model);
  if (!gpus.ok()) return BadInput(gpus.message());
  Result<client::ClientConfig> config = client::ResolveClientConfig(args.client);
  if (!config.ok()) return BadInput(config.message());

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
  client::HttpClient http(config.value().server, config.value().token, config.value().ca_file);
  agent::JobRunner runner(work_dir);
  agent::Agent node_agent(options, http, runner, StopFlag(), Log);
  Log("node " + options.node + ", server " + config.value().server + ", work dir " + work_dir +
      (inventory.gpus.empty() ? " (GPUs as declared: " + inventory.unavailable_reason + ")"
                              : " (GPUs from NVML)"));
  return Finish(node_agent.Run());
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
  cmd->add_option("--hollow", args->hollow,
                  "Emulate N nodes of --fleet in this process (hollow nodes, for load tests): each "
                  "registers and syncs at the server's heartbeat, and pretends to run each job "
                  "for its duration (a stop ends it at once, as by SIGTERM); no process is "
                  "started. A few threads sync the nodes round robin without long polls, so "
                  "100,000 nodes fit in one process. Totals are logged every 10 s.")
      ->check(WholeNumber(1, 10'000'000));
  cmd->add_option("--fleet", args->fleet,
                  "With --hollow: the fleet spec the server runs (its nodes' paths, GPUs and "
                  "models).");
  cmd->add_option("--nodes", args->nodes_glob,
                  "With --hollow: only the nodes whose path matches this glob (fnmatch, e.g. "
                  "'abilene/b1/*'); the first N of them are emulated.");
  cmd->add_option("--hollow-threads", args->hollow_threads,
                  "With --hollow: threads syncing the nodes, one connection each (default 4).")
      ->check(WholeNumber(1, 256));
  cmd->add_option("--time-scale", args->time_scale,
                  "With --hollow, for tests and demos: the server runs --time-scale X, so a job's "
                  "duration (in the server's time) passes in duration / X here. Syncs keep the "
                  "server's heartbeat, in real time.")
      ->check(CLI::Range(1.0, 1e6))
      ->capture_default_str();
  AddClientOptions(cmd, args->client, "agent");
  cmd->footer(
      "Example:\n  gpufleet agent --server http://10.0.0.1:7070 --token-file "
      "/etc/gpufleet/agent.token "
      "\\\n      --node abilene/b1/pod0/n0 --gpus 8 --gpu-model GB200\n"
      "  gpufleet agent --server https://fleet.example:7070 --cacert /etc/gpufleet/ca.pem "
      "--token-file /etc/gpufleet/agent.token \\\n      --node abilene/b1/pod0/n1\n"
      "  gpufleet agent --inventory\n"
      "  gpufleet agent --hollow 10000 --fleet fleet.yaml --server http://127.0.0.1:7070 "
      "--token-file agent.token");
  return [args, cmd] {
    args->given = GivenOptions(cmd);
    return RunAgent(*args);
  };
}

}  // namespace gpufleet::cli
