// `gpufleet plan capacity` end to end: options compared on a demand small enough to check by hand,
// with a risk run per provider; bad options files and demands that an option cannot hold.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "browser_page.h"
#include "cli_run.h"

namespace {

using gpufleet::testing::Quote;
using gpufleet::testing::RunGpufleet;

class PlanCapacityCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("plan_capacity_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
    // An owned DGX H100 (8 GPUs, no tariff: its electricity costs nothing here) and one rented on
    // demand at $4 a GPU-hour.
    Write("fleet.yaml",
          "providers:\n"
          "  - {name: lab}\n"
          "  - {name: cloud, kind: cloud, gpu_hour_usd: 4}\n"
          "sites:\n"
          "  - {name: campus, provider: lab, power_budget_mw: 1, domains: [{node_type: "
          "dgx-h100}]}\n"
          "  - {name: rented, provider: cloud, power_budget_mw: 1, domains: [{node_type: "
          "dgx-h100}]}\n");
    Write("demand.yaml",
          "jobs:\n"
          "  - {name: a, gpus: 8, duration: 2h, deadline_after: 3h}\n"
          "  - {name: b, gpus: 8, duration: 2h, deadline_after: 3h}\n");
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  // A day of 8-GPU jobs every 20 minutes, due 2 hours after they come: seeds schedule it apart.
  void WriteStreamDemand() {
    Write("demand.yaml",
          "generators:\n"
          "  - name: stream\n"
          "    until: 1d\n"
          "    arrivals: {process: poisson, mean_interarrival: 20m}\n"
          "    gpus: {dist: choice, values: [8]}\n"
          "    duration: {dist: lognormal, median: 1h, sigma: 1, min: 10m, max: 5h}\n"
          "    deadline_after: 2h\n");
  }
  std::pair<int, std::string> Plan(const std::string& options, const std::string& more = "") {
    return RunGpufleet("plan capacity --demand " + Quote(Path("demand.yaml")) + " --options " +
                       Quote(Write("options.yaml", options)) + " " + more);
  }
  std::filesystem::path dir_;
};

constexpr const char* kTwoOptions =
    "fleet: fleet.yaml\n"
    "options:\n"
    "  - {name: owned, providers: [lab]}\n"
    "  - {name: owned + cloud, providers: [lab, cloud]}\n"
    "risk: {at: 1h, for: 1h}\n";

TEST_F(PlanCapacityCli, ComparesTheOptionsAndWhatEachProvidersOutageCosts) {
  const auto [code, out] = Plan(kTwoOptions, "--json --policy fifo");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out.substr(out.find('{')));
  ASSERT_EQ(j["options"].size(), 2u) << out;
  EXPECT_EQ(j["runs"], 5);  // two options, one run with lab down, two with lab or cloud down
  const nlohmann::json& owned = j["options"][0];
  const nlohmann::json& both = j["options"][1];
  // Owned: a runs 0-2h (met), b 2h-4h (due at 3h: missed). Nothing is rented.
  EXPECT_EQ(owned["gpus"], 8);
  EXPECT_EQ(owned["deadlines"]["met"], 1);
  EXPECT_EQ(owned["deadlines"]["missed"], 1);
  EXPECT_DOUBLE_EQ(owned["cost_usd"].get<double>(), 0);
  // With the cloud: cheapest first - a on the campus (free), b rented - both 0-2h, both met;
  // b's 2 hours x 8 GPUs x $4 = $64.
  EXPECT_EQ(both["gpus"], 16);
  EXPECT_EQ(both["sites"], nlohmann::json({"campus", "rented"}));
  EXPECT_EQ(both["deadlines"]["met"], 2);
  EXPECT_DOUBLE_EQ(both["cost_usd"].get<double>(), 64);
  EXPECT_DOUBLE_EQ(both["rent_usd"].get<double>(), 64);
  // The cloud down from 1h to 2h: b loses its hour (no checkpoints: it starts over), 8 GPU-hours,
  // and runs again from 2h on the campus, free by then: done at 4h, past its deadline. Rent: its
  // first hour, $32 - $32 less than without the outage.
  ASSERT_EQ(both["risk"].size(), 2u);
  const nlohmann::json& cloud_down = both["risk"][1];
  EXPECT_EQ(cloud_down["provider_down"], "cloud");
  EXPECT_EQ(cloud_down["jobs_interrupted"], 1);
  EXPECT_DOUBLE_EQ(cloud_down["lost_gpu_hours"].get<double>(), 8);
  EXPECT_EQ(cloud_down["deadlines"]["met"], 1);
  EXPECT_EQ(cloud_down["deadlines_lost"], 1);
  EXPECT_DOUBLE_EQ(cloud_down["extra_cost_usd"].get<double>(), -32);
  // Owned with its only provider down: a loses its first hour too.
  ASSERT_EQ(owned["risk"].size(), 1u);
  EXPECT_EQ(owned["risk"][0]["provider_down"], "lab");
  EXPECT_EQ(owned["risk"][0]["jobs_interrupted"], 1);
  // The table says the same.
  const auto [text_code, text] = Plan(kTwoOptions, "--policy fifo");
  ASSERT_EQ(text_code, 0) << text;
  EXPECT_NE(text.find("2 options, 5 runs"), std::string::npos) << text;
  EXPECT_NE(text.find("1 of 2"), std::string::npos) << text;
  EXPECT_NE(text.find("-$32"), std::string::npos) << text;
}

TEST_F(PlanCapacityCli, BadOptionsNameTheFileLineAndField) {
  const auto [code, out] = Plan(
      "fleet: fleet.yaml\n"
      "options:\n"
      "  - {name: owned, providers: [lab, oracle]}\n"
      "  - {name: owned, sites: [campus], spot: maybe}\n"
      "  - {name: none}\n"
      "risk: {at: 1h}\n"
      "extra: 1\n");
  EXPECT_EQ(code, 2) << out;
  for (const char* expected :
       {"options.yaml:3:", "field 'options[0].providers[1]': the fleet has no provider 'oracle'",
        "expected one of: lab, cloud", "field 'options[1].name': duplicate option 'owned'",
        "field 'options[1].spot': expected true or false", "field 'options[2].providers'",
        "field 'risk.for': missing required field", "field 'extra': unknown key"}) {
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n" << out;
  }
}

TEST_F(PlanCapacityCli, ADemandAnOptionCannotHoldIsRefusedNamingTheOption) {
  Write("demand.yaml", "jobs: [{name: big, gpus: 16, duration: 1h}]\n");
  const auto [code, out] = Plan(
      "fleet: fleet.yaml\n"
      "options:\n"
      "  - {name: owned, providers: [lab]}\n"
      "  - {name: owned + cloud, providers: [lab, cloud]}\n");
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("option 'owned': "), std::string::npos) << out;
  EXPECT_EQ(out.find("option 'owned + cloud': "), std::string::npos) << out;
}

TEST_F(PlanCapacityCli, AnOutageOfWhatAnOptionDoesNotUseIsNotAppliedToIt) {
  // The demand's own outage of the cloud, 1h-2h: the owned option does not use it (a note says
  // so); with the cloud, b loses its first hour there and is done at 4h, past its deadline.
  Write("demand.yaml",
        "jobs:\n"
        "  - {name: a, gpus: 8, duration: 2h, deadline_after: 3h}\n"
        "  - {name: b, gpus: 8, duration: 2h, deadline_after: 3h}\n"
        "outages:\n"
        "  - {provider: cloud, at: 1h, for: 1h}\n");
  const auto [code, out] = Plan(
      "fleet: fleet.yaml\n"
      "options:\n"
      "  - {name: owned, providers: [lab]}\n"
      "  - {name: owned + cloud, providers: [lab, cloud]}\n",
      "--json --policy fifo");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("note: option 'owned': "), std::string::npos) << out;
  EXPECT_NE(out.find("the outage of provider cloud strikes none of its sites"), std::string::npos)
      << out;
  const nlohmann::json j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["options"][0]["deadlines"]["met"], 1);
  EXPECT_EQ(j["options"][1]["deadlines"]["met"], 1);
  EXPECT_DOUBLE_EQ(j["options"][1]["cost_usd"].get<double>(), 32);
}

TEST_F(PlanCapacityCli, AMisspeltOutageTargetOrARiskAfterTheHorizonIsAnError) {
  Write("demand.yaml",
        "jobs: [{name: a, gpus: 8, duration: 2h}]\n"
        "outages: [{provider: clound, at: 1h, for: 1h}]\n");
  const auto [code, out] = Plan(kTwoOptions);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("demand.yaml:2:"), std::string::npos) << out;
  EXPECT_NE(out.find("the outage names provider 'clound'"), std::string::npos) << out;
  EXPECT_NE(out.find("expected one of: lab, cloud"), std::string::npos) << out;
  // Every misspelt target at once; a site's name given as a provider gets a hint.
  Write("demand.yaml",
        "jobs: [{name: a, gpus: 8, duration: 2h}]\n"
        "outages: [{provider: clound, at: 1h, for: 1h}, {provider: rented, at: 2h, for: 1h}]\n");
  const auto [both_code, both] = Plan(kTwoOptions);
  EXPECT_EQ(both_code, 2) << both;
  EXPECT_NE(both.find("the outage names provider 'clound'"), std::string::npos) << both;
  EXPECT_NE(both.find("'rented' is a site: give 'site: rented'?"), std::string::npos) << both;
  Write("demand.yaml", "jobs: [{name: a, gpus: 8, duration: 2h}]\n");
  const auto [late_code, late] = Plan(kTwoOptions, "--until 1h");
  EXPECT_EQ(late_code, 2) << late;
  EXPECT_NE(late.find("options.yaml:5:"), std::string::npos) << late;
  EXPECT_NE(late.find("field 'risk.at'"), std::string::npos) << late;
  EXPECT_NE(late.find("at or after --until (1h)"), std::string::npos) << late;
}

TEST_F(PlanCapacityCli, ServingCostIsWhatTrainingLosesToTheServices) {
  // A one-GPU replica of a chat service at priority 100 holds a GPU of the campus all day: the
  // 8-GPU training job cannot run on the campus alone (it misses its deadline), and runs on the
  // cloud with it ($64). Without the service it runs on the campus at 0, free, in time.
  Write("demand.yaml",
        "services:\n"
        "  - {name: chat, model: llama3-8b, gpu_model: H100, gpus_per_replica: 1, replicas: 1,\n"
        "     slo: {ttft: 2s, tpot: 50ms}, priority: 100,\n"
        "     demand: {rate: 0.1, prompt_tokens: 500, output_tokens: 100}}\n"
        "jobs:\n"
        "  - {name: train, gpus: 8, duration: 2h, deadline_after: 3h}\n");
  const std::string options =
      "fleet: fleet.yaml\n"
      "options:\n"
      "  - {name: owned, providers: [lab]}\n"
      "  - {name: owned + cloud, providers: [lab, cloud]}\n";
  const auto [code, out] = Plan(options, "--until 1d --serving-cost --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["runs"], 4);
  const nlohmann::json& owned = j["options"][0];
  EXPECT_EQ(owned["deadlines"]["met"], 0);
  EXPECT_EQ(owned["without_services"]["deadlines"]["met"], 1);
  EXPECT_EQ(owned["without_services"]["deadlines_lost_to_serving"], 1);
  EXPECT_DOUBLE_EQ(owned["without_services"]["training_gpu_hours"].get<double>(), 16);
  const nlohmann::json& both = j["options"][1];
  EXPECT_EQ(both["without_services"]["deadlines_lost_to_serving"], 0);
  EXPECT_DOUBLE_EQ(both["cost_usd"].get<double>(), 64);
  EXPECT_DOUBLE_EQ(both["without_services"]["cost_usd"].get<double>(), 0);
  const auto [text_code, text] = Plan(options, "--until 1d --serving-cost");
  ASSERT_EQ(text_code, 0) << text;
  EXPECT_NE(text.find("what training loses to serving"), std::string::npos) << text;
  // With a risk too: two base runs, three with a provider down, two without the services; each
  // option's risk runs and its run without services where they belong.
  const auto [risk_code, risk_out] =
      Plan(options + "risk: {at: 1h, for: 1h}\n", "--until 1d --serving-cost --json");
  ASSERT_EQ(risk_code, 0) << risk_out;
  const nlohmann::json r = nlohmann::json::parse(risk_out.substr(risk_out.find('{')));
  EXPECT_EQ(r["runs"], 7);
  EXPECT_EQ(r["options"][0]["risk"].size(), 1u);
  EXPECT_EQ(r["options"][1]["risk"].size(), 2u);
  EXPECT_EQ(r["options"][0]["without_services"]["deadlines_lost_to_serving"], 1);
  EXPECT_EQ(r["options"][1]["without_services"]["deadlines_lost_to_serving"], 0);
  // A demand without services has nothing to leave out.
  Write("demand.yaml", "jobs: [{name: a, gpus: 8, duration: 2h}]\n");
  const auto [none_code, none] = Plan(options, "--serving-cost");
  EXPECT_EQ(none_code, 2) << none;
  EXPECT_NE(none.find("--serving-cost: the demand"), std::string::npos) << none;
}

// --seeds 3: every run with seeds 1, 2 and 3. Each seed's figures are those of a plan run with
// that seed alone, the figures shown are their means, and what the risk costs is taken seed by
// seed. The demand is a random stream (a job of 8 GPUs every 20 min on average, due 2 h after
// submission) that overloads both options, so that the seeds' schedules differ.
TEST_F(PlanCapacityCli, SeveralSeedsGiveTheMeansAndEachSeedsFigures) {
  WriteStreamDemand();
  const auto [code, out] = Plan(kTwoOptions, "--seeds 3 --until 2d --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["seeds"], 3);
  EXPECT_EQ(j["runs"], 15);  // the 5 runs of two options and their risk, 3 seeds each
  std::vector<nlohmann::json> alone;
  for (int seed = 1; seed <= 3; ++seed) {
    const auto [c, o] = Plan(kTwoOptions, "--seed " + std::to_string(seed) + " --until 2d --json");
    ASSERT_EQ(c, 0) << o;
    alone.push_back(nlohmann::json::parse(o.substr(o.find('{'))));
    EXPECT_EQ(alone.back()["options"][0].count("deadlines_met_by_seed"), 0u);
  }
  for (size_t k = 0; k < 2; ++k) {
    const nlohmann::json& option = j["options"][k];
    ASSERT_EQ(option["deadlines_met_by_seed"].size(), 3u) << option;
    double sum = 0;
    for (size_t s = 0; s < 3; ++s) {
      const nlohmann::json& one = alone[s]["options"][k];
      EXPECT_EQ(option["deadlines_met_by_seed"][s], one["deadlines"]["met"]) << k << " " << s;
      sum += one["deadlines"]["met"].get<double>();
      for (size_t r = 0; r < option["risk"].size(); ++r) {
        EXPECT_EQ(option["risk"][r]["deadlines_lost_by_seed"][s], one["risk"][r]["deadlines_lost"])
            << k << " " << s << " " << r;
      }
    }
    EXPECT_EQ(option["deadlines"]["met"], std::llround(sum / 3)) << option;
  }
  // The seeds' schedules differ: one seed's run is one schedule among others.
  const nlohmann::json& met = j["options"][0]["deadlines_met_by_seed"];
  EXPECT_FALSE(met[0] == met[1] && met[1] == met[2]) << met;
  const auto [text_code, text] = Plan(kTwoOptions, "--seeds 3 --until 2d");
  ASSERT_EQ(text_code, 0) << text;
  EXPECT_NE(text.find("15 runs"), std::string::npos) << text;
  EXPECT_NE(text.find("seeds 1-3: means, and the seeds' lowest to highest"), std::string::npos)
      << text;
  EXPECT_NE(text.find("spread"), std::string::npos) << text;
  EXPECT_NE(text.find("deadlines lost"), std::string::npos) << text;
  const auto [bad_code, bad] = Plan(kTwoOptions, "--seeds 0");
  EXPECT_EQ(bad_code, 2) << bad;
  EXPECT_NE(bad.find("--seeds"), std::string::npos) << bad;
}

// --html: one page whose record is the --json output, whose tables show the options' and the
// risk runs' figures, and whose plot draws each seed's deadlines met, an option a line.
TEST_F(PlanCapacityCli, TheHtmlPageDrawsEachSeedsDeadlinesAndHoldsThePlan) {
  WriteStreamDemand();
  const std::string html = Path("plan.html");
  const auto [code, out] = Plan(kTwoOptions, "--seeds 3 --until 2d --html " + Quote(html));
  if (code == 1 && out.find("uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("15 runs"), std::string::npos) << out;  // the tables still print
  const auto [json_code, json_out] = Plan(kTwoOptions, "--seeds 3 --until 2d --json");
  ASSERT_EQ(json_code, 0) << json_out;
  nlohmann::json j = nlohmann::json::parse(json_out.substr(json_out.find('{')));
  const nlohmann::json page = gpufleet::testing::PageData(gpufleet::testing::ReadFile(html));
  ASSERT_TRUE(page.is_object());
  nlohmann::json record = page["record"];
  record.erase("wall_s");
  j.erase("wall_s");
  EXPECT_EQ(record, j);
  EXPECT_NE(page["command"].get<std::string>().find("--seeds 3"), std::string::npos);
  // The options: name, GPUs, cost in $M, ..., deadlines met (the mean), lowest, highest.
  const nlohmann::json options = gpufleet::testing::PageBlock(page, "options");
  ASSERT_EQ(options["rows"].size(), 2u) << options;
  for (size_t k = 0; k < 2; ++k) {
    const nlohmann::json& row = options["rows"][k];
    const nlohmann::json& o = j["options"][k];
    EXPECT_EQ(row[0], o["name"]);
    EXPECT_EQ(row[1], o["gpus"]);
    EXPECT_NEAR(row[2].get<double>(), o["cost_usd"].get<double>() / 1e6, 1e-3);
    EXPECT_EQ(row[7], o["deadlines"]["met"]);
    std::vector<int> by_seed = o["deadlines_met_by_seed"].get<std::vector<int>>();
    EXPECT_EQ(row[8], *std::min_element(by_seed.begin(), by_seed.end()));
    EXPECT_EQ(row[9], *std::max_element(by_seed.begin(), by_seed.end()));
  }
  const nlohmann::json plot = gpufleet::testing::PageBlock(page, "deadlines-by-seed");
  ASSERT_TRUE(plot.is_object()) << page.dump();
  EXPECT_EQ(plot["x"], nlohmann::json({1, 2, 3}));
  ASSERT_EQ(plot["lines"].size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(plot["lines"][k]["label"], j["options"][k]["name"]);
    EXPECT_EQ(plot["lines"][k]["values"], j["options"][k]["deadlines_met_by_seed"]);
  }
  // The risk: owned with lab down, both with lab or cloud down.
  const nlohmann::json risk = gpufleet::testing::PageBlock(page, "risk");
  ASSERT_EQ(risk["rows"].size(), 3u) << risk;
  EXPECT_EQ(risk["rows"][2][1], "cloud");
  EXPECT_EQ(risk["rows"][2][4], j["options"][1]["risk"][1]["deadlines_lost"]);
  if (const std::string missing = gpufleet::testing::BrowserMissing(); missing.empty()) {
    const std::optional<nlohmann::json> shown = gpufleet::testing::LoadPage(
        "file://" + html, gpufleet::testing::ScreenshotPath("html-plan-capacity.png"));
    ASSERT_TRUE(shown);
    EXPECT_EQ(gpufleet::testing::DrawnPlots(*shown),
              (std::vector<std::string>{"deadlines-by-seed"}));
  }
  const auto [both_code, both] = Plan(kTwoOptions, "--html - --json");
  EXPECT_EQ(both_code, 2) << both;
  EXPECT_NE(both.find("both write to standard output"), std::string::npos) << both;
}

TEST_F(PlanCapacityCli, ASpotOptionNeedsAHorizon) {
  Write("fleet.yaml",
        "providers:\n"
        "  - {name: lab}\n"
        "  - {name: cloud, kind: cloud, gpu_hour_usd: 4, spot: {gpu_hour_usd: 1, "
        "reclaims_per_node_day: 1, notice: 30s, back_after: 1h}}\n"
        "sites:\n"
        "  - {name: campus, provider: lab, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
        "  - {name: spare, provider: cloud, pricing: spot, power_budget_mw: 1, domains: "
        "[{node_type: dgx-h100}]}\n");
  const std::string options =
      "fleet: fleet.yaml\n"
      "options:\n"
      "  - {name: owned, providers: [lab]}\n"
      "  - {name: no spot, providers: [lab, cloud], spot: false}\n"
      "  - {name: spot, providers: [lab, cloud]}\n"
      "  - {name: named spot, providers: [lab], sites: [spare], spot: false}\n";
  const auto [code, out] = Plan(options);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("option 'spot': site 'spare' is spot"), std::string::npos) << out;
  EXPECT_EQ(out.find("option 'no spot': site"), std::string::npos) << out;
  const auto [ok_code, json] = Plan(options, "--until 1d --json");
  ASSERT_EQ(ok_code, 0) << json;
  const nlohmann::json j = nlohmann::json::parse(json.substr(json.find('{')));
  EXPECT_EQ(j["options"][1]["sites"], nlohmann::json({"campus"}));
  EXPECT_EQ(j["options"][2]["sites"], nlohmann::json({"campus", "spare"}));
  // `spot: false` leaves out the spot sites providers bring, not one named.
  EXPECT_EQ(j["options"][3]["sites"], nlohmann::json({"campus", "spare"}));
}

}  // namespace
