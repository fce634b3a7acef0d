// The HTML report in a real browser (docs/REPORT.md, "HTML report"): Debian's headless Chromium,
// driven by puppeteer-core, loads a page `gpufleet sim --html` wrote, from a file, with no
// network; its script must run without a console error, draw every plot the report's data calls
// for (pixels in a series' colour on each canvas) and show the report's own numbers. A
// screenshot is left in the build folder for a person to look at (html-report.png).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "browser_page.h"
#include "cli_run.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using testing::BrowserMissing;
using testing::DrawnPlots;
using testing::LoadPage;
using testing::Quote;
using testing::ReadFile;
using testing::RunGpufleet;
using testing::ScratchDir;
using testing::ScreenshotPath;
using testing::ShowsValue;

// The plots report.js draws for a report: five of its series always, three more with site
// power, one more when anything was interrupted or preempted, and four distributions (JCT and
// queue wait, by tenant and by size) when a job completed.
size_t ExpectedPlots(const nlohmann::json& report) {
  const nlohmann::json& series = report["series"];
  size_t plots = report["distributions"]["jct_s"]["all"]["count"].get<long>() > 0 ? 9 : 5;
  if (!series["sites"].empty()) plots += 3;
  bool events = false;
  for (const auto& [category, counts] : series["interruptions"].items())
    for (const auto& n : counts) events = events || n.get<long>() > 0;
  for (const auto& n : series["preemptions"]) events = events || n.get<long>() > 0;
  return plots + (events ? 1 : 0);
}

TEST(HtmlBrowser, ThePageDrawsEveryPlotAndShowsTheReportsNumbers) {
  if (const std::string missing = BrowserMissing(); !missing.empty())
    GTEST_SKIP() << missing << ": the HTML report is not checked in a browser here";
  ScratchDir dir;
  const std::string html = dir.Path("report.html"), json = dir.Path("report.json");
  const auto [rc, out] = RunGpufleet(
      "sim --fleet " + Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml") +
      " --workload " + Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/workloads/tiny.yaml") +
      " --failures llama3 --policy priority --html " + Quote(html) + " --report " + Quote(json));
  if (rc == 1 && out.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json report = nlohmann::json::parse(ReadFile(json));
  // For a person: what the page looks like, in the build folder.
  const std::optional<nlohmann::json> page =
      LoadPage("file://" + html, ScreenshotPath("html-report.png"));
  ASSERT_TRUE(page);
  // Every plot the data calls for, each with one canvas that drew in a series' colour.
  EXPECT_EQ(DrawnPlots(*page).size(), ExpectedPlots(report)) << (*page)["plots"].dump(1);
  // The summary shows the report's own numbers: each keyed cell against its JSON path.
  const nlohmann::json& values = (*page)["values"];
  EXPECT_GE(values.size(), 15u) << values.dump(1);
  for (const auto& [path, shown] : values.items()) {
    std::string pointer = "/" + path;  // jobs.completed -> /jobs/completed
    for (char& c : pointer)
      if (c == '.') c = '/';
    const nlohmann::json& value = report[nlohmann::json::json_pointer(pointer)];
    EXPECT_TRUE(ShowsValue(shown.get<std::string>(), value)) << path;
  }
  EXPECT_EQ((*page)["rows"]["tenants"], report["tenants"].size());
}

// A run with an inference service: the page has a Services table, one row per service, and its
// script runs without a console error (LoadPage fails the test on one).
TEST(HtmlBrowser, ThePageListsTheServices) {
  if (const std::string missing = BrowserMissing(); !missing.empty())
    GTEST_SKIP() << missing << ": the HTML report is not checked in a browser here";
  ScratchDir dir;
  const std::string html = dir.Path("services.html");
  const auto [rc, out] = RunGpufleet(
      "sim --fleet " + Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml") +
      " --workload " +
      Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/workloads/train-and-serve.yaml") +
      " --policy priority --until 12h --html " + Quote(html));
  if (rc == 1 && out.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(rc, 0) << out;
  const std::optional<nlohmann::json> page =
      LoadPage("file://" + html, ScreenshotPath("html-report-services.png"));
  ASSERT_TRUE(page);
  EXPECT_EQ((*page)["rows"]["services"], 1) << page->dump(1);
}

// A run with an outage on a fleet of two providers, one region elastic: a Providers table (one row
// each), an Elastic sites table and an Outages table (one row each), drawn without a console
// error.
TEST(HtmlBrowser, ThePageListsTheProvidersTheElasticSitesAndTheOutages) {
  if (const std::string missing = BrowserMissing(); !missing.empty())
    GTEST_SKIP() << missing << ": the HTML report is not checked in a browser here";
  ScratchDir dir;
  const std::string html = dir.Path("outage.html");
  const auto [rc, out] = RunGpufleet(
      "sim --fleet " +
      Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/two-regions-elastic.yaml") +
      " --workload " +
      Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/workloads/region-outage.yaml") +
      " --policy priority --until 2d --html " + Quote(html));
  if (rc == 1 && out.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(rc, 0) << out;
  const std::optional<nlohmann::json> page =
      LoadPage("file://" + html, ScreenshotPath("html-report-outage.png"));
  ASSERT_TRUE(page);
  EXPECT_EQ((*page)["rows"]["providers"], 2) << page->dump(1);
  EXPECT_EQ((*page)["rows"]["elastic"], 1) << page->dump(1);
  EXPECT_EQ((*page)["rows"]["outages"], 1) << page->dump(1);
}

// compare --html in the browser: two runs of other policies, their series and distributions
// overlaid (four plots, each with a line per run), the table's numbers those of `compare --json`.
TEST(HtmlBrowser, TheComparisonDrawsTheRunsOverlaidAndShowsItsNumbers) {
  if (const std::string missing = BrowserMissing(); !missing.empty())
    GTEST_SKIP() << missing << ": the comparison page is not checked in a browser here";
  ScratchDir dir;
  const std::string sim =
      "sim --fleet " + Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml") +
      " --workload " + Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/workloads/tiny.yaml") +
      " --failures llama3 --series 10m";
  for (const char* policy : {"fifo", "priority"}) {
    const auto [rc, out] = RunGpufleet(sim + " --policy " + policy + " --report " +
                                       Quote(dir.Path(std::string(policy) + ".json")));
    ASSERT_EQ(rc, 0) << out;
  }
  const std::string runs = Quote(dir.Path("fifo.json")) + " " + Quote(dir.Path("priority.json"));
  const std::string html = dir.Path("compare.html");
  const auto [rc, out] = RunGpufleet("compare " + runs + " --html " + Quote(html));
  if (rc == 1 && out.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(rc, 0) << out;
  const auto [json_rc, json_out] = RunGpufleet("compare --json " + runs + " 2>/dev/null");
  ASSERT_EQ(json_rc, 0) << json_out;
  const nlohmann::json comparison = nlohmann::json::parse(json_out);
  const std::optional<nlohmann::json> page =
      LoadPage("file://" + html, ScreenshotPath("html-compare.png"));
  ASSERT_TRUE(page);
  EXPECT_EQ(DrawnPlots(*page),
            (std::vector<std::string>{"gpus-busy", "power", "jct_s-cdf", "queue_s-cdf"}));
  // Every run's value of every row, as the page shows it.
  const nlohmann::json& values = (*page)["values"];
  ASSERT_EQ((*page)["rows"]["comparison"], comparison["rows"].size());
  for (const nlohmann::json& row : comparison["rows"]) {
    const std::string name = row["name"];
    for (const auto& [column, i] : {std::pair{"A", 0}, std::pair{"B", 1}}) {
      ASSERT_TRUE(values.contains(name + "|" + column)) << name;
      EXPECT_TRUE(ShowsValue(values[name + "|" + column].get<std::string>(), row["values"][i]))
          << name << " " << column;
    }
    EXPECT_TRUE(ShowsValue(values[name + "|B - A"].get<std::string>(), row["diff"][0])) << name;
  }
}

// A page of figures (plan train --html) in the browser: its three plots draw, and the figures
// shown are the plan's own (its --json output, the page's record).
TEST(HtmlBrowser, APlanPageDrawsItsPlotsAndShowsThePlansNumbers) {
  if (const std::string missing = BrowserMissing(); !missing.empty())
    GTEST_SKIP() << missing << ": the plan page is not checked in a browser here";
  ScratchDir dir;
  const std::string html = dir.Path("plan.html");
  const auto [rc, out] =
      RunGpufleet("plan train --model llama3-405b --gpus 16384 --html " + Quote(html));
  if (rc == 1 && out.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json record = testing::PageData(ReadFile(html))["record"];
  ASSERT_TRUE(record.is_object());
  const std::optional<nlohmann::json> page =
      LoadPage("file://" + html, ScreenshotPath("html-plan.png"));
  ASSERT_TRUE(page);
  EXPECT_EQ(DrawnPlots(*page), (std::vector<std::string>{"days-by-gpus", "mfu-by-gpus", "ettr"}));
  const nlohmann::json& values = (*page)["values"];
  for (const auto& [shown, key] :
       {std::pair{"inputs.GPUs", "gpus"}, std::pair{"inputs.nodes", "nodes"},
        std::pair{"plan.step time (s)", "step_time_s"}, std::pair{"plan.MFU", "mfu"},
        std::pair{"plan.tokens/s", "tokens_per_s"}, std::pair{"plan.days", "days"},
        std::pair{"plan.GPU-hours", "gpu_hours"}, std::pair{"plan.ETTR", "ettr"},
        std::pair{"plan.interruptions", "interruptions"}}) {
    ASSERT_TRUE(values.contains(shown)) << shown;
    EXPECT_TRUE(ShowsValue(values[shown].get<std::string>(), record[key])) << shown;
  }
}

}  // namespace
}  // namespace gpufleet
