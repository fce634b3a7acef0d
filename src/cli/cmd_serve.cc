// gpufleet serve: the control plane's daemon (docs/API.md, docs/ARCHITECTURE.md "The server"):
// the HTTP API over the control plane's thread, which drives the same scheduler as `sim`, with
// its state in SQLite. Stops cleanly on SIGINT or SIGTERM: no new request is read, what was
// acknowledged is already on disk.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>
#include <tuple>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "report/html_report.h"
#include "sched/policy_config.h"
#include "server/api.h"
#include "server/control_plane.h"
#include "server/http_server.h"
#include "server/tls_context.h"
#include "server/tokens.h"
#include "util/duration.h"

namespace gpufleet::cli {
namespace {

struct ServeArgs {
  std::string fleet;
  std::string state = "sqlite:gpufleet-state.db";
  std::string listen = "127.0.0.1:7070";
  std::string tls_cert;  // both set: HTTPS only
  std::string tls_key;
  std::string tokens;
  std::string policy = "backfill";
  std::string dispatch = "best-fit";
  int http_threads = 2;
  std::string heartbeat_timeout = "30s";
  std::string heartbeat;  // empty: a third of the timeout
  std::string grace = "30s";
  double rate_limit = 5000;
  std::int64_t max_pending = 1'000'000;
  double time_scale = 1;
};

Result<HttpServerOptions> ListenOptions(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  HttpServerOptions o;
  if (colon == std::string::npos || colon == 0) {
    return Error{"--listen '" + listen + "': expected HOST:PORT, e.g. 127.0.0.1:7070"};
  }
  o.host = listen.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']')
    o.host = o.host.substr(1, o.host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  int value = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value < 0 || value > 65535) {
    return Error{"--listen '" + listen + "': expected a port from 0 to 65535 after the ':'"};
  }
  o.port = static_cast<std::uint16_t>(value);
  return o;
}

int RunServe(const ServeArgs& a) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (a.state.rfind(kSqlite, 0) != 0 || a.state.size() == kSqlite.size()) {
    std::cerr << "gpufleet serve: --state '" << a.state
              << "': expected sqlite:PATH (the only store so far)\n";
    return kExitBadInput;
  }
  Result<HttpServerOptions> http = ListenOptions(a.listen);
  if (!http.ok()) {
    std::cerr << "gpufleet serve: " << http.message() << "\n";
    return kExitBadInput;
  }
  http.value().threads = a.http_threads;
  if (a.tls_cert.empty() != a.tls_key.empty()) {
    std::cerr << "gpufleet serve: " << (a.tls_cert.empty() ? "--tls-key" : "--tls-cert")
              << " needs " << (a.tls_cert.empty() ? "--tls-cert" : "--tls-key")
              << ": HTTPS takes both the certificate and its private key\n";
    return kExitBadInput;
  }
  // Read before the state is opened: a server that cannot serve what it was given stops here.
  if (!a.tls_cert.empty()) {
    Result<std::shared_ptr<boost::asio::ssl::context>> tls =
        MakeTlsServerContext(a.tls_cert, a.tls_key);
    if (!tls.ok()) {
      std::cerr << "gpufleet serve: " << tls.message() << "\n";
      return kExitBadInput;
    }
    http.value().tls = std::move(tls).value();
  }
  Result<Fleet> fleet = LoadAnyFleet(a.fleet);
  if (!fleet.ok()) {
    std::cerr << "gpufleet serve: " << fleet.message() << "\n";
    return kExitBadInput;
  }
  // What the control plane refuses of a fleet (Start refuses it too), named by its file.
  if (Status s = ControlPlane::CheckFleet(fleet.value()); !s.ok()) {
    std::cerr << "gpufleet serve: " << a.fleet << ": " << s.message() << "\n";
    return kExitBadInput;
  }
  Result<TokenTable> tokens = TokenTable::Load(a.tokens);
  if (!tokens.ok()) {
    std::cerr << "gpufleet serve: " << tokens.message() << "\n";
    return kExitBadInput;
  }
  std::vector<std::string> tenants = tokens.value().Tenants();
  ControlPlaneOptions options;
  options.scheduler.policy = a.policy;
  options.scheduler.dispatch = ParseDispatch(a.dispatch).value_or(Dispatch::kBestFit);
  for (auto [name, text, out] :
       {std::tuple{"--heartbeat-timeout", &a.heartbeat_timeout, &options.heartbeat_timeout},
        std::tuple{"--grace", &a.grace, &options.grace}}) {
    Result<SimTime> d = ParseDuration(*text);
    if (!d.ok() || d.value() < kSecond / 10 || d.value() > kDay) {
      std::cerr << "gpufleet serve: " << name << " '" << *text
                << "': expected a duration from 100ms to 1d, e.g. 30s\n";
      return kExitBadInput;
    }
    *out = d.value();
  }
  options.max_pending_per_tenant = a.max_pending;
  // Agents heartbeat three times per timeout: one lost heartbeat marks no node down.
  options.heartbeat_interval = std::max<SimTime>(kSecond / 10, options.heartbeat_timeout / 3);
  if (!a.heartbeat.empty()) {
    Result<SimTime> d = ParseDuration(a.heartbeat);
    if (!d.ok() || d.value() < 10 || d.value() >= options.heartbeat_timeout) {
      std::cerr << "gpufleet serve: --heartbeat '" << a.heartbeat
                << "': expected a duration from 10ms to below --heartbeat-timeout, e.g. 10s\n";
      return kExitBadInput;
    }
    options.heartbeat_interval = d.value();
  }
  options.time_scale = a.time_scale;
  const WallClock clock =
      a.time_scale == 1 ? WallClock(SystemWallClock) : ScaledWallClock(a.time_scale);
  const std::string db_path = a.state.substr(kSqlite.size());
  Result<std::unique_ptr<ControlPlane>> plane =
      ControlPlane::Start(fleet.value(), tenants, db_path, options, clock);
  if (!plane.ok()) {
    std::cerr << "gpufleet serve: " << plane.message() << "\n";
    return plane.error().code == ErrorCode::kInvalidArgument ? kExitBadInput : kExitFailure;
  }
  CooperativeStop stop;
  ApiOptions api{a.rate_limit, "", ""};
  if (Result<std::string> page = DashboardPage("gpufleet " GPUFLEET_VERSION); page.ok()) {
    api.dashboard_page = std::move(page).value();
  } else {
    api.dashboard_missing = page.message();
  }
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(http.value(), MakeApi(*plane.value(), tokens.value(), std::move(api)));
  if (!server.ok()) {
    std::cerr << "gpufleet serve: " << server.message() << "\n";
    return kExitFailure;
  }
  std::cout << "gpufleet serve: listening on " << (a.tls_cert.empty() ? "http" : "https") << "://"
            << a.listen.substr(0, a.listen.rfind(':')) << ":" << server.value()->port()
            << " (fleet " << a.fleet << ", " << fleet.value().num_nodes() << " nodes; state "
            << db_path << "; " << tenants.size() << " tenants";
  if (a.time_scale != 1) std::cout << "; time runs " << a.time_scale << "x as fast";
  std::cout << ")" << std::endl;
  while (!StopFlag().load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // No handler runs after Stop; the control plane drops the answers it still holds; then the
  // connections close.
  server.value()->Stop();
  plane.value().reset();
  server.value().reset();
  std::cout << "gpufleet serve: stopped (" << SignalName(StopSignal()) << ")" << std::endl;
  return kExitOk;
}

}  // namespace

Runner AddServeCommand(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run the control plane: the HTTP API (docs/API.md) over the same scheduler as `sim`,\n"
      "with its state in SQLite. Agents register the fleet's nodes; clients submit jobs; a\n"
      "browser at / shows the live dashboard (a token is entered once per session).");
  cmd->add_option("--fleet", a->fleet, "The fleet spec (YAML): its nodes are what agents register.")
      ->required();
  cmd->add_option("--tokens", a->tokens,
                  "The tokens file (NAME ROLE SHA256 per line; `gpufleet token new`): who may "
                  "call the API. Its tenant:NAME roles are the tenants.")
      ->required();
  cmd->add_option("--state", a->state,
                  "Where the state is kept: sqlite:PATH (created when absent; WAL mode, every "
                  "acknowledged change fsync'ed).")
      ->capture_default_str();
  cmd->add_option("--listen", a->listen, "HOST:PORT to serve on (port 0: any free port).")
      ->capture_default_str();
  cmd->add_option("--tls-cert", a->tls_cert,
                  "With --tls-key: serve HTTPS only (TLS 1.2 or later) with this certificate "
                  "chain (PEM: the server's certificate first, then any intermediates). Clients "
                  "then use https:// and, for a private CA, --cacert.");
  cmd->add_option("--tls-key", a->tls_key,
                  "With --tls-cert: the certificate's private key (PEM, not encrypted). Keep it "
                  "readable by the server's user only.");
  cmd->add_option("--policy", a->policy,
                  "The scheduling policy: " + PolicyNames(/*without_oracles=*/true) +
                      " (sjf and srtf read true durations, which only `gpufleet sim` knows).")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](const std::string& name) -> std::string {
            if (IsPolicy(name) && !PolicyNeedsOracle(name)) return "";
            return "'" + name + "' is not a policy the server can run; expected one of " +
                   PolicyNames(/*without_oracles=*/true) +
                   (PolicyNeedsOracle(name) ? " (it reads true job durations, which only the "
                                              "simulator knows)"
                                            : "");
          },
          "POLICY"));
  cmd->add_option("--dispatch", a->dispatch,
                  "Which site takes a job when several have room: best-fit (any), cheapest or\n"
                  "lowest-carbon (each site's mean intensity), as `gpufleet sim --dispatch`\n"
                  "(docs/MODELS.md, \"Dispatch\").\n"
                  "earliest-start and power-aware are the simulator's: they need to know where\n"
                  "each checkpoint lies and each site's power account.")
      ->capture_default_str()
      ->check(CLI::IsMember({"best-fit", "cheapest", "lowest-carbon"}));
  cmd->add_option("--heartbeat-timeout", a->heartbeat_timeout,
                  "An agent silent this long has its node marked down and its jobs requeued; "
                  "agents are told to heartbeat three times as often.")
      ->capture_default_str();
  cmd->add_option("--heartbeat", a->heartbeat,
                  "How often agents are told to sync (default: a third of --heartbeat-timeout); "
                  "from 10ms, below the timeout. Short for tests and demos, where a start or an "
                  "end waits for a hollow node's next sync.");
  cmd->add_option("--time-scale", a->time_scale,
                  "For tests and demos: the scheduler's clock runs X times faster than real time "
                  "(from the wall clock at start), so that a hollow agent with the same "
                  "--time-scale runs a workload of hours in seconds. Job times (submitted, "
                  "started, ended, estimates, durations) are in scaled time; the heartbeat, its "
                  "timeout, --grace and the 10 ms between passes stay real time (they are about "
                  "processes, the network and the cost of a pass, which do not speed up).")
      ->check(CLI::Range(1.0, 1e6))
      ->capture_default_str();
  cmd->add_option("--grace", a->grace,
                  "A stopped job's time from SIGTERM to SIGKILL (to checkpoint).")
      ->capture_default_str();
  cmd->add_option("--rate-limit", a->rate_limit,
                  "Requests a second each tenant or admin token may make (two seconds' worth may "
                  "come at once); beyond it 429. Agents are not limited. 0: no limit.")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  cmd->add_option("--max-pending-per-tenant", a->max_pending,
                  "The most jobs one tenant may have waiting; beyond it a submission is refused "
                  "with 429. 0: no limit.")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40))
      ->capture_default_str();
  cmd->add_option("--http-threads", a->http_threads, "Threads that read and answer requests.")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  return [a] { return RunServe(*a); };
}

}  // namespace gpufleet::cli
