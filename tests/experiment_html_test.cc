// The experiments' HTML pages (`gpufleet experiment ... --html`; docs/REPORT.md, "HTML pages of
// plan and experiment"): each page's numbers are the ones the command wrote elsewhere (its CSV or
// JSON report), and its plots hold what the study plots. openb runs on a hand-made cluster; the
// Philly and Pollux pages use the public traces and skip, saying so, without them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "browser_page.h"
#include "cli_run.h"
#include "pollux_data.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using json = nlohmann::json;
using testing::PageData;
using testing::Quote;
using testing::ReadFile;
using testing::RunGpufleet;
using testing::ScratchDir;

constexpr auto& Block = gpufleet::testing::PageBlock;

std::string TracesDir() {
  if (const char* env = std::getenv("GPUFLEET_TRACES"); env != nullptr && *env != '\0') return env;
  return std::string(GPUFLEET_SOURCE_DIR) + "/../shared/traces";
}

// Cells of a CSV line, empty ones included (a curve's bins without a value).
std::vector<std::string> Cells(const std::string& line) {
  std::vector<std::string> cells(1);
  for (char c : line) {
    if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

// 64 nodes of 8 GPUs and 400 pods of half, one and two GPUs: each percent of arrived demand
// holds a few arrivals, so that most bins have a value in every seed.
TEST(ExperimentHtml, OpenbCurvesAreTheMeansOfTheCsvsSeeds) {
  ScratchDir dir;
  std::string nodes = "sn,cpu_milli,memory_mib,gpu,model\n";
  for (int i = 0; i < 64; ++i) nodes += "n" + std::to_string(i) + ",64000,262144,8,V100M32\n";
  std::string pods = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n";
  for (int i = 0; i < 400; ++i) {
    pods += "p" + std::to_string(i) + ",4000,8192," +
            (i % 3 == 0   ? "2,1000"
             : i % 3 == 1 ? "1,500"
                          : "1,1000") +
            "\n";
  }
  const std::string nodes_file = dir.Write("nodes.csv", nodes);
  const std::string pods_file = dir.Write("pods.csv", pods);
  const std::string html = dir.Path("openb.html"), csv = dir.Path("allo.csv");
  const auto [rc, out] = RunGpufleet(
      "experiment openb --nodes " + Quote(nodes_file) + " --pods " + Quote(pods_file) +
      " --policy fgd,random --seeds 1-3 --alloc-csv " + Quote(csv) + " --html " + Quote(html));
  if (rc == 1 && out.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(rc, 0) << out;
  const json page = PageData(ReadFile(html));
  ASSERT_TRUE(page.is_object());
  // policy -> the seeds' rows of the CSV: workload,sc_policy,tune,seed,total_gpus,0,...,130.
  std::map<std::string, std::vector<std::vector<std::string>>> seeds;
  std::istringstream rows(ReadFile(csv));
  std::string line;
  std::getline(rows, line);  // the header
  while (std::getline(rows, line)) {
    std::vector<std::string> cells = Cells(line);
    ASSERT_EQ(cells.size(), 5U + 131U) << line;
    seeds[cells[1]].push_back(std::move(cells));
  }
  ASSERT_EQ(seeds.size(), 2U);
  const json plot = Block(page, "allocation-pods");
  ASSERT_TRUE(plot.is_object()) << page.dump();
  ASSERT_EQ(plot["lines"].size(), 2U);
  int bins_with_a_mean = 0;
  for (const json& l : plot["lines"]) {
    const auto& runs = seeds[l["label"].get<std::string>()];
    ASSERT_EQ(runs.size(), 3U);
    for (size_t x = 0; x <= 130; ++x) {
      double sum = 0;
      bool every = true;
      for (const auto& cells : runs) {
        every = every && !cells[5 + x].empty();
        if (every) sum += std::stod(cells[5 + x]);
      }
      const json& shown = l["values"][x];
      ASSERT_EQ(shown.is_null(), !every) << l["label"] << " at " << x << "%";
      // The CSV rounds to 0.01.
      if (every) {
        ++bins_with_a_mean;
        EXPECT_NEAR(shown.get<double>(), sum / 3, 0.01) << l["label"] << " at " << x << "%";
      }
    }
  }
  EXPECT_GT(bins_with_a_mean, 150) << "the test's cluster is too coarse to compare curves";
  EXPECT_TRUE(Block(page, "fragmentation-pods").is_object());
  EXPECT_EQ(page["record"]["policies"].size(), 2U);
  if (const std::string missing = testing::BrowserMissing(); missing.empty()) {
    const std::optional<json> shown =
        testing::LoadPage("file://" + html, testing::ScreenshotPath("html-openb.png"));
    ASSERT_TRUE(shown);
    EXPECT_EQ(testing::DrawnPlots(*shown),
              (std::vector<std::string>{"allocation-pods", "fragmentation-pods"}));
  }
}

// Philly: the page's record is the JSON report, and each virtual cluster's JCT curve passes
// through its own median and p99 in the report (both nearest-rank).
TEST(ExperimentHtml, VcReplayCurvesPassThroughEachClustersReportedPercentiles) {
  const std::string philly = TracesDir() + "/philly";
  if (!std::filesystem::exists(philly + "/philly_jobs.csv"))
    GTEST_SKIP() << "the Philly trace is not at " << philly << " (../shared/traces)";
  ScratchDir dir;
  const std::string html = dir.Path("vc.html"), report = dir.Path("vc.json");
  const auto [rc, out] = RunGpufleet(
      "experiment vc-replay --trace " + Quote("philly:" + philly + "/philly_jobs.csv") + " --vcs " +
      Quote(philly + "/philly_vc.csv") + " --policy sjf --since 2017-10-01" + " --report " +
      Quote(report) + " --html " + Quote(html));
  if (rc == 1 && out.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(rc, 0) << out;
  const json page = PageData(ReadFile(html));
  ASSERT_TRUE(page.is_object());
  const json written = json::parse(ReadFile(report));
  EXPECT_EQ(page["record"], written);
  const json curves = Block(page, "jct-by-vc");
  ASSERT_TRUE(curves.is_object());
  size_t line = 0;
  for (const json& vc : written["vcs"]) {
    if (vc["completed"].get<long>() == 0) continue;
    ASSERT_LT(line, curves["lines"].size());
    const json& l = curves["lines"][line++];
    EXPECT_EQ(l["label"].get<std::string>().rfind(vc["name"].get<std::string>() + " (", 0), 0U);
    EXPECT_EQ(l["values"][50].get<double>(), vc["jct_s"]["p50"].get<double>()) << vc["name"];
    EXPECT_EQ(l["values"][99].get<double>(), vc["jct_s"]["p99"].get<double>()) << vc["name"];
  }
  EXPECT_EQ(line, curves["lines"].size());
  EXPECT_EQ(Block(page, "vcs")["rows"].size(), written["vcs"].size());
}

// Pollux: the published mean of the averages, and each workload's slowest job at percentile 100
// of its curve, as in the jobs CSV.
TEST(ExperimentHtml, PolluxPageHasTheStudysMeanAndEachWorkloadsJcts) {
  if (!testing::HavePolluxData())
    GTEST_SKIP() << "the Pollux data is not at " << testing::PolluxDataDir();
  ScratchDir dir;
  const std::string data = testing::PolluxDataDir();
  const std::string html = dir.Path("pollux.html"), csv = dir.Path("j.csv");
  const auto [rc, out] =
      RunGpufleet("experiment pollux --workloads " + data + "/workloads" + " --profiles " + data +
                  "/profiles --jobs-csv " + Quote(csv) + " --html " + Quote(html));
  if (rc == 1 && out.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(rc, 0) << out;
  const json page = PageData(ReadFile(html));
  ASSERT_TRUE(page.is_object());
  // The published mean of the 8 workload averages (tiresias-1.0/summary.json): 4038.18203125.
  EXPECT_NEAR(page["record"]["mean_average_jct_s"].get<double>(), 4038.18203125, 1e-6);
  std::map<std::string, double> slowest;
  std::istringstream rows(ReadFile(csv));
  std::string line;
  std::getline(rows, line);
  while (std::getline(rows, line)) {
    const std::string workload = line.substr(0, line.find(','));
    const double jct = std::stod(line.substr(line.rfind(',') + 1));
    slowest[workload] = std::max(slowest[workload], jct);
  }
  const json curves = Block(page, "jct-by-workload");
  ASSERT_EQ(curves["lines"].size(), 8U);
  for (const json& l : curves["lines"]) {
    const std::string label = l["label"];
    const std::string workload = label.substr(0, label.find(' '));
    EXPECT_EQ(l["values"][100].get<double>(), slowest.at(workload)) << workload;
  }
}

}  // namespace
}  // namespace gpufleet
