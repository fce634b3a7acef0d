// The operator's kit under deploy/ (docs/DEPLOY.md) checked against the code it deploys: the
// Grafana dashboard's queries name only metrics (and labels) that a live `gpufleet serve`
// exports, the Prometheus example scrapes what the server serves, and the systemd units pass
// `systemd-analyze verify`, keep their hardening and pass only flags the binary has.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.h"
#include "serve_process.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using json = nlohmann::json;
using testing::HttpCall;
using testing::MakeTokens;
using testing::Quote;
using testing::ReadFile;
using testing::RunGpufleet;
using testing::RunShell;
using testing::ScratchDir;
using testing::ServerProcess;

const std::string kDeploy = std::string(GPUFLEET_SOURCE_DIR) + "/deploy";
const std::string kFleet = std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml";

// Sample names of a Prometheus text exposition and the label names each carries.
std::map<std::string, std::set<std::string>> ExportedSeries(const std::string& text) {
  std::map<std::string, std::set<std::string>> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t end = line.find_first_of("{ ");
    std::set<std::string>& labels = out[line.substr(0, end)];
    if (end == std::string::npos || line[end] != '{') continue;
    // name="value",name="value"} - values are quoted and never hold '"' in these metrics.
    size_t at = end + 1;
    while (at < line.size() && line[at] != '}') {
      const size_t eq = line.find('=', at);
      labels.insert(line.substr(at, eq - at));
      const size_t close = line.find('"', eq + 2);
      at = close + 1;
      if (at < line.size() && line[at] == ',') ++at;
    }
  }
  return out;
}

// What one PromQL expression names: metrics, label names (in matchers and by/without) and
// functions. Enough PromQL for a dashboard: strings, [ranges], {matchers}, numbers, operators.
struct PromQlNames {
  std::vector<std::string> metrics;
  std::vector<std::pair<std::string, std::string>> matched_labels;  // (metric, label)
  std::vector<std::string> grouping_labels;
  std::vector<std::string> functions;
};

PromQlNames ParsePromQl(const std::string& expr) {
  PromQlNames names;
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::string last_metric;
  bool grouping = false;  // inside by (...) or without (...)
  for (size_t i = 0; i < expr.size();) {
    const char c = expr[i];
    if (c == '[') {
      i = expr.find(']', i) + 1;
    } else if (c == '"') {
      i = expr.find('"', i + 1) + 1;
    } else if (c == '{') {
      const size_t close = expr.find('}', i);
      std::string inside = expr.substr(i + 1, close - i - 1);
      size_t at = 0;
      while (at < inside.size()) {
        while (at < inside.size() && !ident(inside[at])) ++at;
        const size_t start = at;
        while (at < inside.size() && ident(inside[at])) ++at;
        if (at > start)
          names.matched_labels.emplace_back(last_metric, inside.substr(start, at - start));
        const size_t quote = inside.find('"', at);
        at = quote == std::string::npos ? inside.size() : inside.find('"', quote + 1) + 1;
      }
      i = close + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < expr.size() && std::isdigit(expr[i + 1]))) {
      while (i < expr.size() &&
             (std::isdigit(static_cast<unsigned char>(expr[i])) || expr[i] == '.'))
        ++i;
    } else if (ident(c) || c == '$') {
      const size_t start = i;
      while (i < expr.size() && (ident(expr[i]) || expr[i] == '$')) ++i;
      const std::string word = expr.substr(start, i - start);
      size_t next = i;
      while (next < expr.size() && expr[next] == ' ') ++next;
      if (grouping) {
        names.grouping_labels.push_back(word);
      } else if (word == "by" || word == "without") {
        grouping = true;
      } else if ((next < expr.size() && expr[next] == '(') || expr.compare(next, 3, "by ") == 0 ||
                 expr.compare(next, 3, "by(") == 0 || expr.compare(next, 7, "without") == 0) {
        names.functions.push_back(word);  // a function, or an aggregation: sum by (x) (...)
      } else {
        names.metrics.push_back(word);
        last_metric = word;
      }
    } else {
      if (c == ')') grouping = false;
      ++i;
    }
  }
  return names;
}

TEST(DeployKit, PromQlNamesAreReadAsPrometheusReadsThem) {
  const PromQlNames n = ParsePromQl(
      "histogram_quantile(0.99, sum by (route, le) (rate(a_bucket{route=\"/v1/jobs\", "
      "code!~\"5..\"}[$__rate_interval]))) / b");
  EXPECT_EQ(n.metrics, (std::vector<std::string>{"a_bucket", "b"}));
  EXPECT_EQ(n.functions, (std::vector<std::string>{"histogram_quantile", "sum", "rate"}));
  EXPECT_EQ(n.grouping_labels, (std::vector<std::string>{"route", "le"}));
  ASSERT_EQ(n.matched_labels.size(), 2U);
  EXPECT_EQ(n.matched_labels[1], (std::pair<std::string, std::string>{"a_bucket", "code"}));
}

// Every panel of the dashboard, rows' collapsed panels included.
void CollectPanels(const json& panels, std::vector<json>& out) {
  for (const json& p : panels) {
    out.push_back(p);
    if (p.contains("panels")) CollectPanels(p["panels"], out);
  }
}

TEST(DeployKit, TheDashboardAsksOnlyForWhatTheServerExports) {
  ScratchDir dir;
  const testing::Tokens t = MakeTokens(dir);
  ServerProcess server(dir, kFleet, t.file, dir.Path("state.db"));
  ASSERT_TRUE(server.running()) << server.Log();
  // A node and a job, so that every labelled series has a sample (jobs and GPUs by tenant, an
  // API route with its status).
  ASSERT_EQ(HttpCall(server.port(), "POST", "/v1/agent/register",
                     json{{"node", "lab/rack/dgx-1"}, {"gpus", 8}}.dump(), t.agent)
                .status,
            200);
  ASSERT_EQ(HttpCall(server.port(), "POST", "/v1/jobs",
                     json{{"gpus", 2}, {"estimate", "1h"}, {"command", "true"}}.dump(), t.research)
                .status,
            201);
  const testing::HttpResult metrics = HttpCall(server.port(), "GET", "/metrics", "", t.admin);
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  const auto exported = ExportedSeries(metrics.body);
  ASSERT_TRUE(exported.count("gpufleet_tenant_gpus_busy")) << metrics.body;

  const json dashboard = json::parse(ReadFile(kDeploy + "/grafana/gpufleet-dashboard.json"));
  std::vector<json> panels;
  CollectPanels(dashboard.at("panels"), panels);
  const std::set<std::string> functions = {"sum", "rate", "histogram_quantile", "increase"};
  int queries = 0;
  for (const json& p : panels) {
    const std::string title = p.value("title", "");
    EXPECT_FALSE(title.empty()) << p.dump();
    if (p.at("type") == "row") continue;
    EXPECT_FALSE(p.value("description", "").empty()) << title << ": say what it shows";
    EXPECT_TRUE(p["fieldConfig"]["defaults"].contains("unit")) << title << ": no unit";
    ASSERT_FALSE(p.value("targets", json::array()).empty()) << title;
    for (const json& target : p["targets"]) {
      const std::string expr = target.at("expr");
      ++queries;
      const PromQlNames n = ParsePromQl(expr);
      EXPECT_FALSE(n.metrics.empty()) << title << ": " << expr;
      std::set<std::string> labels_here;
      for (const std::string& m : n.metrics) {
        const auto it = exported.find(m);
        ASSERT_NE(it, exported.end())
            << title << ": " << expr << " asks for " << m << ", which the server does not export";
        labels_here.insert(it->second.begin(), it->second.end());
      }
      for (const auto& [metric, label] : n.matched_labels)
        EXPECT_TRUE(exported.at(metric).count(label))
            << title << ": " << metric << " has no " << label << " label";
      for (const std::string& label : n.grouping_labels)
        EXPECT_TRUE(labels_here.count(label))
            << title << ": no metric of " << expr << " has the label " << label;
      for (const std::string& f : n.functions)
        EXPECT_TRUE(functions.count(f)) << title << ": unexpected function " << f;
    }
  }
  EXPECT_GE(queries, 10);
  EXPECT_EQ(dashboard["templating"]["list"][0]["type"], "datasource");
}

TEST(DeployKit, ThePrometheusExampleScrapesWhatTheServerServes) {
  const YAML::Node config = YAML::LoadFile(kDeploy + "/prometheus/prometheus.yml");
  const YAML::Node job = config["scrape_configs"][0];
  const std::string path = job["metrics_path"].as<std::string>();
  EXPECT_EQ(job["authorization"]["type"].as<std::string>(), "Bearer");
  // The target is the server's default --listen.
  const auto [rc, help] = RunGpufleet("serve --help");
  ASSERT_EQ(rc, 0);
  EXPECT_NE(help.find("--listen TEXT=" + job["static_configs"][0]["targets"][0].as<std::string>()),
            std::string::npos)
      << help;
  // Scraped as Prometheus does: that path, an admin bearer token, the text format's type.
  ScratchDir dir;
  const testing::Tokens t = MakeTokens(dir);
  ServerProcess server(dir, kFleet, t.file, dir.Path("state.db"));
  ASSERT_TRUE(server.running()) << server.Log();
  const testing::HttpResult scraped = HttpCall(server.port(), "GET", path, "", t.admin);
  EXPECT_EQ(scraped.status, 200);
  EXPECT_NE(scraped.headers.find("text/plain"), std::string::npos) << scraped.headers;
  EXPECT_NE(scraped.body.find("# TYPE gpufleet_jobs gauge"), std::string::npos);
}

// The unit with the binary at /usr/local/bin replaced by the one built here (verify checks that
// ExecStart's program exists), written to `dir`.
std::string UnitWithBuiltBinary(const ScratchDir& dir, const std::string& name) {
  std::string text = ReadFile(kDeploy + "/systemd/" + name);
  const std::string installed = "/usr/local/bin/gpufleet";
  for (size_t at = text.find(installed); at != std::string::npos; at = text.find(installed, at))
    text.replace(at, installed.size(), GPUFLEET_BINARY);
  return dir.Write(name, text);
}

// The --flags of a unit's ExecStart (continuation lines joined).
std::vector<std::string> ExecStartFlags(const std::string& unit) {
  std::string text = ReadFile(unit), exec;
  for (size_t at = text.find("\\\n"); at != std::string::npos; at = text.find("\\\n", at))
    text.erase(at, 2);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind("ExecStart=", 0) == 0) exec = line;
  std::vector<std::string> flags;
  std::istringstream words(exec);
  std::string w;
  while (words >> w)
    if (w.rfind("--", 0) == 0) flags.push_back(w);
  return flags;
}

bool HaveSystemdAnalyze() { return RunShell("command -v systemd-analyze").first == 0; }

TEST(DeployKit, TheSystemdUnitsVerifyAndStayHardened) {
  if (!HaveSystemdAnalyze())
    GTEST_SKIP() << "systemd-analyze is not installed (Debian's systemd package; "
                    "scripts/install-deps installs it): the units are not checked here";
  ScratchDir dir;
  // (unit, the gpufleet command it runs, the highest exposure `systemd-analyze security`
  // may give it, in its tenths: 20 is "2.0 OK". The server needs only its state and the
  // network; the agent runs jobs, which need the GPUs' devices, so it cannot be as closed.)
  const std::vector<std::tuple<std::string, std::string, int>> units = {
      {"gpufleet-serve.service", "serve", 20}, {"gpufleet-agent.service", "agent", 45}};
  for (const auto& [name, command, exposure] : units) {
    SCOPED_TRACE(name);
    const std::string unit = UnitWithBuiltBinary(dir, name);
    const auto [rc, out] = RunShell("systemd-analyze verify " + Quote(unit));
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(out, "") << "systemd-analyze verify warns";
    const auto [security_rc, security] =
        RunShell("systemd-analyze security --offline=yes --threshold=" + std::to_string(exposure) +
                 " " + Quote(unit));
    EXPECT_EQ(security_rc, 0) << "exposure above " << exposure / 10.0 << ":\n" << security;
    const auto [help_rc, help] = RunGpufleet(command + " --help");
    ASSERT_EQ(help_rc, 0);
    const std::vector<std::string> flags = ExecStartFlags(unit);
    EXPECT_GE(flags.size(), 2U);
    for (const std::string& flag : flags)
      EXPECT_NE(help.find(flag + " "), std::string::npos)
          << "gpufleet " << command << " has no " << flag;
  }
  const auto [rc, out] = RunShell("systemd-sysusers --dry-run --root=" + Quote(dir.Path("")) + " " +
                                  Quote(kDeploy + "/systemd/gpufleet.sysusers.conf"));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Creating user 'gpufleet'"), std::string::npos) << out;
  EXPECT_NE(out.find("Creating user 'gpufleet-agent'"), std::string::npos) << out;
}

}  // namespace
}  // namespace gpufleet
