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
  EXPECT_TRUE((*page)["ready"].get<bool>());
  EXPECT_TRUE((*page)["console"].empty()) << "the page logged: " << (*page)["console"].dump(1);
  // Every plot the data calls for, each with one canvas that drew in a series' colour.
  ASSERT_EQ((*page)["plots"].size(), ExpectedPlots(report)) << (*page)["plots"].dump(1);
  for (const nlohmann::json& plot : (*page)["plots"]) {
    EXPECT_EQ(plot["canvases"], 1) << plot["id"];
    EXPECT_GT(plot["colored"].get<long>(), 0) << plot["id"] << " drew nothing";
  }
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
  EXPECT_TRUE((*page)["ready"].get<bool>());
  EXPECT_TRUE((*page)["console"].empty()) << "the page logged: " << (*page)["console"].dump(1);
  std::vector<std::string> plots;
  for (const nlohmann::json& plot : (*page)["plots"]) {
    plots.push_back(plot["id"]);
    EXPECT_GT(plot["colored"].get<long>(), 0) << plot["id"] << " drew nothing";
  }
  EXPECT_EQ(plots, (std::vector<std::string>{"gpus-busy", "power", "jct_s-cdf", "queue_s-cdf"}));
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

}  // namespace
}  // namespace gpufleet
