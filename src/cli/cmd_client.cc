// The control plane's client commands: submit, jobs, job, cancel, nodes (docs/API.md). Each
// finds the server and token as client/client_config.h says, prints the server's errors as the
// server wrote them, and exits 2 for a refusal (4xx), 1 when the server cannot be reached or
// fails (5xx).
#include <charconv>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/client_options.h"
#include "cli/commands.h"
#include "cli/job_script.h"
#include "cli/job_table.h"
#include "cli/validators.h"
#include "client/client_config.h"
#include "client/http_client.h"
#include "util/input_file.h"

namespace gpufleet::cli {
namespace {

using nlohmann::json;

// A failure's exit code: the server or the network failed (1), or the request was refused (2).
int ExitCodeOf(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kInternal ? kExitFailure
                                                                         : kExitBadInput;
}

int Fail(const std::string& command, const Error& error) {
  std::cerr << "gpufleet " << command << ": " << error.message << "\n";
  return ExitCodeOf(error.code);
}

constexpr const char* kConfigFooter =
    "Configuration: --server/--token flags, else GPUFLEET_SERVER/GPUFLEET_TOKEN, else\n"
    "$XDG_CONFIG_HOME/gpufleet/client.yaml (default ~/.config/gpufleet/client.yaml) with\n"
    "'server: URL' and 'token: TOKEN' or 'token_file: PATH'.\n"
    "Exit codes: 0 done; 2 refused by the server (4xx) or bad input; 1 server unreachable or\n"
    "failing (5xx).";

// One connection to the server, for one command.
class Session {
 public:
  static Result<std::unique_ptr<Session>> Open(const client::ClientFlags& flags) {
    Result<client::ClientConfig> config = client::ResolveClientConfig(flags);
    if (!config.ok()) return config.error();
    return std::make_unique<Session>(config.value());
  }
  explicit Session(const client::ClientConfig& config)
      : http_(config.server, config.token, config.ca_file) {}

  // The answer's JSON, or the server's error. `status` receives the reply's status.
  Result<json> Call(const std::string& method, const std::string& path,
                    const std::string& body = {}, const std::vector<std::string>& headers = {},
                    int* status = nullptr) {
    Result<client::HttpReply> reply = http_.Request(method, path, body, headers);
    if (!reply.ok()) return reply.error();
    if (status != nullptr) *status = reply.value().status;
    if (!client::IsSuccess(reply.value())) return client::ErrorFromReply(reply.value());
    json doc = json::parse(reply.value().body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded())
      return Error{method + " " + http_.base_url() + path + ": the answer is not JSON",
                   ErrorCode::kUnavailable};
    return doc;
  }

 private:
  client::HttpClient http_;
};

// A string field, or "" (absent, null or not a string).
std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::int64_t Number(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}
// A value as a person reads it: strings bare, null as "-".
std::string Shown(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    std::string out;
    for (const json& e : *it)
      out += (out.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
    return out.empty() ? "-" : out;
  }
  return it->dump();
}

JobRow RowOf(const json& job) {
  JobRow row;
  row.id = Number(job, "id");
  row.name = Text(job, "name");
  row.tenant = Text(job, "tenant");
  row.state = Text(job, "state");
  row.gpus = Number(job, "gpus");
  row.submitted_at = Text(job, "submitted_at");
  row.start = Text(job, "started_at");
  row.reason = Text(job, "reason");
  if (auto nodes = job.find("nodes"); nodes != job.end() && nodes->is_array())
    for (const json& n : *nodes)
      if (n.is_string()) row.nodes.push_back(n.get<std::string>());
  if (auto code = job.find("exit_code"); code != job.end() && code->is_number_integer())
    row.exit_code = code->get<int>();
  return row;
}

// ---- submit -------------------------------------------------------------------------------

// The job flags, as text: the same options read the command line and a script's directives, and
// the server checks every value (and says what is wrong with all of them at once).
struct JobFlags {
  std::string gpus, gpu_model, topology, priority, estimate, name;
};

void AddJobFlags(CLI::App* cmd, JobFlags& flags) {
  cmd->add_option("--gpus", flags.gpus, "GPUs of the job (gang: all at once).")
      ->check(WholeNumber(1, 10'000'000));
  cmd->add_option("--gpu-model", flags.gpu_model, "A GPU model of the fleet, or any.");
  cmd->add_option("--topology", flags.topology,
                  "Where the gang must fit whole: nvlink, leaf, pod, site or any.");
  cmd->add_option("--priority", flags.priority, "Higher runs first (policy priority).")
      ->check(WholeNumber(-1'000'000'000, 1'000'000'000));
  cmd->add_option("--estimate", flags.estimate,
                  "The expected run time, as 90s, 30m, 36h: what the scheduler plans "
                  "with (required by the server).");
  cmd->add_option("--name", flags.name, "A name for people (default: job).");
}

// `over` wins where it says something.
JobFlags Merge(const JobFlags& under, const JobFlags& over) {
  auto pick = [](const std::string& a, const std::string& b) { return b.empty() ? a : b; };
  return {pick(under.gpus, over.gpus),         pick(under.gpu_model, over.gpu_model),
          pick(under.topology, over.topology), pick(under.priority, over.priority),
          pick(under.estimate, over.estimate), pick(under.name, over.name)};
}

// The flags of a script's #GPUFLEET lines, read by the same options as the command line.
Result<JobFlags> ScriptFlags(const std::string& path, const std::string& text) {
  Result<std::vector<std::string>> args = ReadDirectives(path, text);
  if (!args.ok()) return args.error();
  JobFlags flags;
  CLI::App parser{"directives"};
  AddJobFlags(&parser, flags);
  std::vector<std::string> reversed(args.value().rbegin(), args.value().rend());
  try {
    parser.parse(reversed);  // CLI11 takes the arguments last first
  } catch (const CLI::ParseError& e) {
    return Error{path + ": #GPUFLEET: " + e.what()};
  }
  return flags;
}

void PutFlags(const JobFlags& flags, json& body) {
  if (!flags.gpus.empty()) body["gpus"] = std::stoll(flags.gpus);  // checked by WholeNumber
  if (!flags.priority.empty()) body["priority"] = std::stoll(flags.priority);
  if (!flags.gpu_model.empty()) body["gpu_model"] = flags.gpu_model;
  if (!flags.topology.empty()) body["topology"] = flags.topology;
  if (!flags.estimate.empty()) body["estimate"] = flags.estimate;
  if (!flags.name.empty()) body["name"] = flags.name;
}

struct SubmitArgs {
  client::ClientFlags client;
  JobFlags flags;
  std::string file;
  std::string idempotency_key;
  std::vector<std::string> command;
};

// The request's body: the file's (a JSON request, or a script's directives and path), then the
// flags and the command over it.
Result<json> SubmitBody(const SubmitArgs& args) {
  json body = json::object();
  JobFlags flags = args.flags;
  if (!args.file.empty()) {
    Result<std::ifstream> in = OpenInputFile(args.file);
    if (!in.ok()) return in.error();
    const std::string text{std::istreambuf_iterator<char>(in.value()), {}};
    if (std::filesystem::path(args.file).extension() == ".json") {
      body = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object()) return Error{args.file + ": expected a JSON object (a job request)"};
    } else {
      Result<JobFlags> script = ScriptFlags(args.file, text);
      if (!script.ok()) return script.error();
      flags = Merge(script.value(), flags);
      // The script's path, as the nodes will see it: they must share the file system (unlike
      // sbatch, nothing is copied). sh runs it, so it need not be executable.
      std::error_code ec;
      const std::filesystem::path absolute = std::filesystem::absolute(args.file, ec);
      body["command"] =
          "sh " + ShellQuote((ec ? std::filesystem::path(args.file) : absolute).string());
    }
  }
  PutFlags(flags, body);
  if (!args.command.empty()) body["command"] = CommandFromArgs(args.command);
  if (!body.contains("command"))
    return Error{"no command: give it after --, or --file SCRIPT (gpufleet submit --help)"};
  return body;
}

int RunSubmit(const SubmitArgs& args) {
  Result<json> body = SubmitBody(args);
  if (!body.ok()) return Fail("submit", body.error());
  Result<std::unique_ptr<Session>> session = Session::Open(args.client);
  if (!session.ok()) return Fail("submit", session.error());
  std::vector<std::string> headers;
  if (!args.idempotency_key.empty()) headers.push_back("Idempotency-Key: " + args.idempotency_key);
  int status = 0;
  Result<json> job =
      session.value()->Call("POST", "/v1/jobs", body.value().dump(), headers, &status);
  if (!job.ok()) return Fail("submit", job.error());
  std::cout << Number(job.value(), "id") << "\n";
  if (status == 200)
    std::cerr << "gpufleet submit: already submitted with this idempotency key: job "
              << Number(job.value(), "id") << " (nothing new queued)\n";
  return kExitOk;
}

// ---- jobs, job, cancel, nodes -------------------------------------------------------------

struct JobsArgs {
  client::ClientFlags client;
  std::vector<std::string> states;
  bool all = false;
  bool json_output = false;
};

int RunJobs(const JobsArgs& args) {
  Result<std::unique_ptr<Session>> session = Session::Open(args.client);
  if (!session.ok()) return Fail("jobs", session.error());
  std::string states;
  for (const std::string& s : args.states) states += (states.empty() ? "" : ",") + s;
  if (states.empty() && !args.all) states = "pending,starting,running,stopping";
  json jobs = json::array();
  std::int64_t after = 0;
  while (true) {
    std::string path = "/v1/jobs?limit=1000&after=" + std::to_string(after);
    if (!states.empty()) path += "&state=" + states;
    Result<json> page = session.value()->Call("GET", path);
    if (!page.ok()) return Fail("jobs", page.error());
    if (auto list = page.value().find("jobs"); list != page.value().end() && list->is_array())
      for (const json& job : *list) jobs.push_back(job);
    const auto next = page.value().find("next_after");
    if (next == page.value().end() || !next->is_number_integer()) break;
    // A server that does not move forward would loop forever.
    if (next->get<std::int64_t>() <= after) break;
    after = next->get<std::int64_t>();
  }
  if (args.json_output) {
    std::cout << json{{"jobs", jobs}}.dump(2) << "\n";
    return kExitOk;
  }
  // Waiting jobs' starts from the forecast; a server that cannot make one leaves them "-".
  std::map<std::int64_t, std::string> forecast;
  if (Result<json> f = session.value()->Call("GET", "/v1/forecast"); f.ok()) {
    if (auto list = f.value().find("jobs"); list != f.value().end() && list->is_array())
      for (const json& j : *list) forecast[Number(j, "id")] = Text(j, "start");
  }
  std::vector<JobRow> rows;
  for (const json& job : jobs) {
    rows.push_back(RowOf(job));
    JobRow& row = rows.back();
    if (row.state == "pending" && forecast.count(row.id) != 0) row.start = forecast[row.id];
  }
  std::cout << FormatJobTable(rows);
  return kExitOk;
}

int RunJob(const client::ClientFlags& flags, std::int64_t id, bool json_output) {
  Result<std::unique_ptr<Session>> session = Session::Open(flags);
  if (!session.ok()) return Fail("job", session.error());
  const std::string path = "/v1/jobs/" + std::to_string(id);
  Result<json> job = session.value()->Call("GET", path);
  if (!job.ok()) return Fail("job", job.error());
  Result<json> why = session.value()->Call("GET", path + "/why");
  if (!why.ok()) return Fail("job", why.error());
  if (json_output) {
    json out = job.value();
    out["why"] = why.value();
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  const json& j = job.value();
  std::vector<std::vector<std::string>> rows = {{"job", std::to_string(Number(j, "id"))}};
  for (const char* key : {"name", "tenant", "state", "gpus", "gpu_milli", "gpu_model", "topology",
                          "priority", "command", "estimate_s", "submitted_at", "started_at",
                          "ended_at", "exit_code", "epoch", "nodes"})
    rows.push_back({key, Shown(j, key)});
  const std::string reason = Text(why.value(), "reason");
  // The reason's words name its kind already ("reserved: starts by ..."); the code is for scripts.
  rows.push_back({"why", reason.empty() ? "-" : reason});
  std::cout << FormatTable(rows);
  return kExitOk;
}

int RunCancel(const client::ClientFlags& flags, const std::vector<std::int64_t>& ids) {
  Result<std::unique_ptr<Session>> session = Session::Open(flags);
  if (!session.ok()) return Fail("cancel", session.error());
  int exit_code = kExitOk;
  for (std::int64_t id : ids) {
    Result<json> job = session.value()->Call("POST", "/v1/jobs/" + std::to_string(id) + "/cancel");
    if (!job.ok()) {
      // Every id is tried; a refusal (2) outranks a failure (1) in the exit code.
      exit_code = std::max(exit_code, Fail("cancel", job.error()));
      continue;
    }
    std::cout << id << " " << Text(job.value(), "state") << "\n";
  }
  return exit_code;
}

int RunNodes(const client::ClientFlags& flags, bool json_output) {
  Result<std::unique_ptr<Session>> session = Session::Open(flags);
  if (!session.ok()) return Fail("nodes", session.error());
  Result<json> nodes = session.value()->Call("GET", "/v1/nodes");
  if (!nodes.ok()) return Fail("nodes", nodes.error());
  if (json_output) {
    std::cout << nodes.value().dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"PATH", "GPUS", "MODEL", "STATE", "JOBS", "DRAIN_REASON"}};
  if (auto list = nodes.value().find("nodes"); list != nodes.value().end() && list->is_array())
    for (const json& n : *list) {
      const auto drain = n.find("drain");
      const bool drained = drain != n.end() && drain->is_object();
      rows.push_back({Text(n, "path"), std::to_string(Number(n, "gpus")), Text(n, "gpu_model"),
                      Text(n, "state"), Shown(n, "jobs"),
                      !drained                         ? "-"
                      : Text(*drain, "reason").empty() ? "(none given)"
                                                       : Text(*drain, "reason")});
    }
  std::cout << FormatTable(rows);
  return kExitOk;
}

int RunDrain(const client::ClientFlags& flags, const std::vector<std::string>& nodes, bool drain,
             const std::string& reason) {
  const char* const name = drain ? "drain" : "undrain";
  Result<std::unique_ptr<Session>> session = Session::Open(flags);
  if (!session.ok()) return Fail(name, session.error());
  json body = {{"nodes", nodes}};
  if (drain && !reason.empty()) body["reason"] = reason;
  Result<json> answer =
      session.value()->Call("POST", drain ? "/v1/nodes/drain" : "/v1/nodes/undrain", body.dump());
  if (!answer.ok()) return Fail(name, answer.error());
  if (auto list = answer.value().find("nodes"); list != answer.value().end() && list->is_array())
    for (const json& n : *list) std::cout << Text(n, "path") << " " << Text(n, "state") << "\n";
  return kExitOk;
}

std::vector<std::string> TenantRow(const json& t) {
  const auto quota = t.find("quota_gpus");
  return {Text(t, "name"),
          Shown(t, "weight"),
          quota == t.end() || quota->is_null() ? "-" : quota->dump(),
          Shown(t, "gpus_held"),
          std::to_string(Number(t, "jobs_holding_gpus")),
          std::to_string(Number(t, "jobs_pending"))};
}
const std::vector<std::string> kTenantHeader = {"TENANT",    "WEIGHT",  "QUOTA",
                                                "GPUS_HELD", "HOLDING", "PENDING"};

int RunTenants(const client::ClientFlags& flags, bool json_output) {
  Result<std::unique_ptr<Session>> session = Session::Open(flags);
  if (!session.ok()) return Fail("tenants", session.error());
  Result<json> tenants = session.value()->Call("GET", "/v1/tenants");
  if (!tenants.ok()) return Fail("tenants", tenants.error());
  if (json_output) {
    std::cout << tenants.value().dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {kTenantHeader};
  if (auto list = tenants.value().find("tenants");
      list != tenants.value().end() && list->is_array())
    for (const json& t : *list) rows.push_back(TenantRow(t));
  std::cout << FormatTable(rows);
  if (!tenants.value()["tenants"].empty() &&
      !tenants.value()["tenants"][0].value("share_applies", true))
    std::cout << "(weights and quotas take effect under --policy fairshare; this server runs "
                 "another policy)\n";
  return kExitOk;
}

struct TenantArgs {
  client::ClientFlags client;
  std::string name;
  std::optional<double> weight;
  std::string quota;  // a number of GPUs, or "none"
};

// Shows a tenant; with --weight or --quota-gpus, sets its share first (the other value kept).
int RunTenant(const TenantArgs& a) {
  // The quota is read before the server is asked anything: a bad one is the user's error, whether
  // or not the server answers.
  json quota;  // null: --quota-gpus none (or not given)
  if (!a.quota.empty() && a.quota != "none") {
    std::int64_t gpus = -1;
    const char* const end = a.quota.data() + a.quota.size();
    const auto [last, ec] = std::from_chars(a.quota.data(), end, gpus);
    if (ec != std::errc{} || last != end || gpus < 0) {
      return Fail("tenant",
                  Error{"--quota-gpus '" + a.quota + "': expected a number of GPUs, or none",
                        ErrorCode::kInvalidArgument});
    }
    quota = gpus;
  }
  Result<std::unique_ptr<Session>> session = Session::Open(a.client);
  if (!session.ok()) return Fail("tenant", session.error());
  const std::string path = "/v1/tenants/" + a.name;
  Result<json> tenant = session.value()->Call("GET", path);
  if (!tenant.ok()) return Fail("tenant", tenant.error());
  if (a.weight || !a.quota.empty()) {
    const json share = {{"weight", a.weight ? json(*a.weight) : tenant.value()["weight"]},
                        {"quota_gpus", a.quota.empty() ? tenant.value()["quota_gpus"] : quota}};
    tenant = session.value()->Call("PUT", path, share.dump());
    if (!tenant.ok()) return Fail("tenant", tenant.error());
  }
  std::cout << FormatTable({kTenantHeader, TenantRow(tenant.value())});
  return kExitOk;
}

}  // namespace

ClientCommands AddClientCommands(CLI::App& app) {
  ClientCommands commands;

  auto submit = std::make_shared<SubmitArgs>();
  CLI::App* s = app.add_subcommand(
      "submit",
      "Submit a job to the control plane; prints its id. The command comes after --: one\n"
      "argument is a shell command line as written ('torchrun ... | tee log'); several are\n"
      "words, each quoted for sh. Or --file: a JSON job request (docs/SPEC.md, \"Job\n"
      "requests\"), or a script whose #GPUFLEET lines at the top give flags (as #SBATCH) and\n"
      "which the job runs as `sh SCRIPT` from the script's absolute path (the nodes must see\n"
      "it there). Flags on the command line win over the file's.");
  AddJobFlags(s, submit->flags);
  s->add_option("--file", submit->file, "A job request (.json) or a job script.");
  s->add_option("--idempotency-key", submit->idempotency_key,
                "Makes a retry safe: a second submission with this key answers the first job.");
  s->add_option("command", submit->command, "The command (after --).");
  AddClientOptions(s, submit->client);
  s->footer(std::string("Examples:\n"
                        "  gpufleet submit --gpus 8 --topology nvlink --estimate 2h -- "
                        "torchrun --nproc-per-node 8 train.py\n"
                        "  gpufleet submit --file train.sh      # #GPUFLEET --gpus 64 "
                        "--estimate 36h\n\n") +
            kConfigFooter);
  commands.submit = {s, [submit] { return RunSubmit(*submit); }};

  auto jobs = std::make_shared<JobsArgs>();
  CLI::App* j = app.add_subcommand(
      "jobs",
      "List jobs (squeue-like): ID NAME TENANT STATE GPUS SUBMITTED START REASON/NODES; START\n"
      "is when it started or, waiting, when the forecast says it will (- if never). Without\n"
      "--state or --all, the jobs not yet over (pending, starting, running, stopping).");
  j->add_option("--state", jobs->states,
                "Only jobs in these states (pending, starting, running, stopping, completed, "
                "failed, cancelled; repeat or comma-separate).")
      ->delimiter(',');
  j->add_flag("--all", jobs->all, "Every job, ended ones too.");
  j->add_flag("--json", jobs->json_output, "The jobs as JSON: {\"jobs\": [...]} (docs/API.md).");
  AddClientOptions(j, jobs->client);
  j->footer(kConfigFooter);
  commands.jobs = {j, [jobs] { return RunJobs(*jobs); }};

  auto job_flags = std::make_shared<client::ClientFlags>();
  auto job_id = std::make_shared<std::int64_t>(0);
  auto job_json = std::make_shared<bool>(false);
  CLI::App* one = app.add_subcommand("job", "One job's details, and why it waits.");
  one->add_option("id", *job_id, "The job's id.")->required()->check(WholeNumber(1, INT64_MAX));
  one->add_flag("--json", *job_json, "The job as JSON, with the answer of /why under \"why\".");
  AddClientOptions(one, *job_flags);
  one->footer(kConfigFooter);
  commands.job = {one,
                  [job_flags, job_id, job_json] { return RunJob(*job_flags, *job_id, *job_json); }};

  auto cancel_flags = std::make_shared<client::ClientFlags>();
  auto cancel_ids = std::make_shared<std::vector<std::int64_t>>();
  CLI::App* c = app.add_subcommand(
      "cancel",
      "Cancel jobs: a waiting job ends at once; a running one is stopping until its agent has\n"
      "stopped it. Prints each id and its state.");
  c->add_option("ids", *cancel_ids, "The jobs' ids.")->required()->check(WholeNumber(1, INT64_MAX));
  AddClientOptions(c, *cancel_flags);
  c->footer(kConfigFooter);
  commands.cancel = {c,
                     [cancel_flags, cancel_ids] { return RunCancel(*cancel_flags, *cancel_ids); }};

  auto nodes_flags = std::make_shared<client::ClientFlags>();
  auto nodes_json = std::make_shared<bool>(false);
  CLI::App* n = app.add_subcommand(
      "nodes",
      "The fleet's nodes: PATH GPUS MODEL STATE JOBS DRAIN_REASON (jobs for admins only). States:\n"
      "up, draining (no new jobs; its jobs run on), drained (none left), down, absent.");
  n->add_flag("--json", *nodes_json, "The answer as JSON (docs/API.md).");
  AddClientOptions(n, *nodes_flags);
  n->footer(kConfigFooter);
  commands.nodes = {n, [nodes_flags, nodes_json] { return RunNodes(*nodes_flags, *nodes_json); }};

  for (const bool drain : {true, false}) {
    auto flags = std::make_shared<client::ClientFlags>();
    auto paths = std::make_shared<std::vector<std::string>>();
    auto reason = std::make_shared<std::string>();
    CLI::App* d = app.add_subcommand(
        drain ? "drain" : "undrain",
        drain ? "Admin: drain nodes - no new job is placed there, their jobs run on (a node with\n"
                "none left is drained, ready for maintenance). Kept across server restarts.\n"
                "Prints each node and its state."
              : "Admin: give drained nodes back to placement. Prints each node and its state.");
    d->add_option("nodes", *paths, "Node paths, as `gpufleet nodes` lists them.")->required();
    if (drain)
      d->add_option("--reason", *reason, "Why, for whoever reads `gpufleet nodes --json`.");
    AddClientOptions(d, *flags);
    d->footer(kConfigFooter);
    ClientCommand& command = drain ? commands.drain : commands.undrain;
    command.command = d;
    command.run = [flags, paths, drain, reason] {
      return RunDrain(*flags, *paths, drain, *reason);
    };
  }

  auto tenants_flags = std::make_shared<client::ClientFlags>();
  auto tenants_json = std::make_shared<bool>(false);
  CLI::App* ts = app.add_subcommand(
      "tenants",
      "Tenants: TENANT WEIGHT QUOTA GPUS_HELD HOLDING PENDING (every tenant for admins, your own\n"
      "otherwise). Weights and quotas are fairshare's (--policy fairshare).");
  ts->add_flag("--json", *tenants_json, "The answer as JSON (docs/API.md).");
  AddClientOptions(ts, *tenants_flags);
  ts->footer(kConfigFooter);
  commands.tenants = {
      ts, [tenants_flags, tenants_json] { return RunTenants(*tenants_flags, *tenants_json); }};

  auto tenant = std::make_shared<TenantArgs>();
  CLI::App* t = app.add_subcommand(
      "tenant",
      "One tenant; with --weight or --quota-gpus (admin), sets its fairshare share first, keeping\n"
      "the value not given. Kept across server restarts.");
  t->add_option("name", tenant->name, "The tenant (a tenant:NAME role of the tokens file).")
      ->required();
  t->add_option("--weight", tenant->weight, "Its weight: a share of the fleet relative to others.")
      ->check(CLI::Range(1e-6, 1e6));
  t->add_option("--quota-gpus", tenant->quota,
                "GPUs guaranteed to it (it may borrow idle ones beyond), or none.");
  AddClientOptions(t, tenant->client);
  t->footer(kConfigFooter);
  commands.tenant = {t, [tenant] { return RunTenant(*tenant); }};
  return commands;
}

}  // namespace gpufleet::cli
