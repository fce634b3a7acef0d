// The dashboard of `gpufleet serve` (docs/API.md, "Dashboard") in a real browser: a server with a
// hollow agent, a few jobs of two tenants (one running, some waiting) and a drained node; Debian's
// headless chromium, driven by puppeteer-core, opens `/`, signs in through the page's token form,
// and the page must draw its plots without a console error and show what the API says - to an
// admin everything, to a tenant its own jobs only. Screenshots go to the build folder
// (dashboard-admin.png, dashboard-tenant.png).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>
#include <string>

#include "browser_page.h"
#include "cli_run.h"
#include "serve_process.h"
#include "server/tokens.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using json = nlohmann::json;
using testing::BrowserMissing;
using testing::Eventually;
using testing::HttpCall;
using testing::LoadPage;
using testing::ScratchDir;
using testing::ScreenshotPath;
using testing::ServerProcess;
using testing::ShowsValue;

const std::string kFleet = std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml";

struct Fleet {
  ScratchDir dir;
  testing::Tokens tokens = testing::MakeTokens(dir);
  std::unique_ptr<ServerProcess> server = std::make_unique<ServerProcess>(
      dir, kFleet, tokens.file, dir.Path("state.db"), std::vector<std::string>{"--grace", "1s"});
  pid_t hollow = -1;

  ~Fleet() {
    if (hollow > 0) {
      ::kill(hollow, SIGKILL);
      ::waitpid(hollow, nullptr, 0);
    }
  }
  json Get(const std::string& path, const std::string& token) const {
    return json::parse(HttpCall(server->port(), "GET", path, "", token).body, nullptr, false);
  }
  long Submit(const std::string& token, const json& job) const {
    const auto r = HttpCall(server->port(), "POST", "/v1/jobs", job.dump(), token);
    EXPECT_EQ(r.status, 201) << r.body;
    const json doc = json::parse(r.body, nullptr, false);
    return doc.is_object() && doc.contains("id") ? doc["id"].get<long>() : -1;
  }
};

// The values a page shows under `prefix` (its data-value keys), as key -> text.
std::map<std::string, std::string> Shown(const json& page, const std::string& prefix) {
  std::map<std::string, std::string> out;
  for (const auto& [key, text] : page["values"].items())
    if (key.rfind(prefix, 0) == 0) out[key.substr(prefix.size())] = text.get<std::string>();
  return out;
}

void ExpectDrawnWithoutErrors(const json& page) {
  EXPECT_EQ(testing::DrawnPlots(page),
            (std::vector<std::string>{"plot-gpus-by-site", "plot-power", "plot-queue"}));
}

TEST(DashboardBrowser, AnAdminSeesTheFleetAndATenantOnlyItsOwnJobs) {
  if (const std::string missing = BrowserMissing(); !missing.empty())
    GTEST_SKIP() << missing << ": the dashboard is not checked in a browser here";
  Fleet f;
  ASSERT_TRUE(f.server->running()) << f.server->Log();
  const int port = f.server->port();
  const auto page = HttpCall(port, "GET", "/");
  if (page.status == 503 && page.body.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << page.body;
  ASSERT_EQ(page.status, 200) << page.body;

  const std::string token_file = f.dir.Write("agent.token", f.tokens.agent + "\n");
  f.hollow = testing::Spawn(
      {GPUFLEET_BINARY, "agent", "--server", "http://127.0.0.1:" + std::to_string(port),
       "--token-file", token_file, "--fleet", kFleet, "--hollow", "2"},
      f.dir.Path("hollow.log"));
  ASSERT_TRUE(
      Eventually([&] { return f.Get("/v1/nodes?state=up", f.tokens.admin)["nodes"].size() == 2; },
                 std::chrono::seconds(30)))
      << testing::ReadFile(f.dir.Path("hollow.log"));
  // dgx-2 drained: research's 8-GPU job runs on dgx-1, vision's and research's 16-GPU one wait.
  ASSERT_EQ(HttpCall(port, "POST", "/v1/nodes/drain",
                     R"({"nodes": ["lab/rack/dgx-2"], "reason": "PSU swap"})", f.tokens.admin)
                .status,
            200);
  auto job = [](const std::string& name, int gpus) {
    return json{{"name", name},
                {"gpus", gpus},
                {"estimate", "1h"},
                {"duration", "1h"},
                {"command", "true"}};
  };
  const long running = f.Submit(f.tokens.research, job("pretrain", 8));
  ASSERT_TRUE(Eventually(
      [&] {
        return f.Get("/v1/jobs/" + std::to_string(running), f.tokens.admin)["state"] == "running";
      },
      std::chrono::seconds(30)));
  const long theirs = f.Submit(f.tokens.vision, job("vision-eval", 8));
  const long big = f.Submit(f.tokens.research, job("big", 16));

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  const std::optional<json> admin =
      LoadPage(url, ScreenshotPath("dashboard-admin.png"), f.tokens.admin);
  ASSERT_TRUE(admin);
  ExpectDrawnWithoutErrors(*admin);
  // The fleet: each site's figures as /v1/sites gives them.
  const json sites = f.Get("/v1/sites", f.tokens.admin)["sites"];
  ASSERT_EQ(sites.size(), 1U);
  const auto site = Shown(*admin, "sites.lab.");
  for (const char* field : {"nodes_up", "nodes", "gpus_up", "gpus_busy", "gpus_free", "it_power_mw",
                            "power_budget_mw"}) {
    ASSERT_EQ(site.count(field), 1U) << field;
    EXPECT_TRUE(ShowsValue(site.at(field), sites[0][field])) << field;
  }
  EXPECT_EQ(sites[0]["gpus_busy"], 8.0);
  // The nodes: the drained one, and the counts.
  const json down = f.Get("/v1/nodes?state=draining,drained,down,absent", f.tokens.admin)["nodes"];
  ASSERT_EQ(down.size(), 1U);
  EXPECT_EQ(Shown(*admin, "node.")["lab/rack/dgx-2.state"], down[0]["state"]);
  EXPECT_EQ(Shown(*admin, "nodes."),
            (std::map<std::string, std::string>{{"not_up", "1"}, {"total", "2"}, {"up", "2"}}));
  // The queue and the jobs: every tenant's.
  EXPECT_EQ((*admin)["rows"]["queue-jobs"], 2);
  EXPECT_EQ(Shown(*admin, "job."),
            (std::map<std::string, std::string>{{std::to_string(running) + ".state", "running"},
                                                {std::to_string(theirs) + ".state", "pending"},
                                                {std::to_string(big) + ".state", "pending"}}));
  EXPECT_GE((*admin)["rows"]["events-table"].get<int>(), 5)
      << "3 submitted, 1 started, 2 nodes up, 1 draining";

  // A tenant: its own two jobs, its own events, the same fleet.
  const std::optional<json> tenant =
      LoadPage(url, ScreenshotPath("dashboard-tenant.png"), f.tokens.research);
  ASSERT_TRUE(tenant);
  ExpectDrawnWithoutErrors(*tenant);
  EXPECT_EQ(Shown(*tenant, "job."),
            (std::map<std::string, std::string>{{std::to_string(running) + ".state", "running"},
                                                {std::to_string(big) + ".state", "pending"}}));
  EXPECT_EQ((*tenant)["rows"]["queue-jobs"], 1);
  const json events = f.Get("/v1/events", f.tokens.research)["events"];
  EXPECT_EQ((*tenant)["rows"]["events-table"], events.size()) << events.dump();
  EXPECT_TRUE(ShowsValue(Shown(*tenant, "sites.lab.")["gpus_busy"], 8.0));
}

}  // namespace
}  // namespace gpufleet
