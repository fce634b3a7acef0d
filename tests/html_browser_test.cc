// The HTML report in a real browser (docs/REPORT.md, "HTML report"): Debian's headless Chromium
// loads a page `gpufleet sim --html` wrote, from a file, with no network; its script must run
// without a console error and draw every plot the report's data calls for. A screenshot is left
// in the build folder for a person to look at (html-report.png).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using testing::Quote;
using testing::ReadFile;
using testing::RunGpufleet;
using testing::RunShell;
using testing::ScratchDir;

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

TEST(HtmlBrowser, ThePageDrawsEveryPlotWithoutAConsoleError) {
  if (RunShell("command -v chromium").first != 0)
    GTEST_SKIP() << "chromium is not installed (Debian's chromium package; scripts/install-deps "
                    "installs it): the HTML report is not checked in a browser here";
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
  const size_t plots = ExpectedPlots(report);
  const std::string shot =
      (std::filesystem::path(GPUFLEET_BINARY).parent_path() / "html-report.png").string();
  // --virtual-time-budget: the page's script runs to its end before the DOM is read. Chromium
  // refuses to run as root with its sandbox; this is a local file of our own.
  const std::string chromium =
      "timeout 120 chromium --headless=new --no-sandbox --disable-gpu "
      "--virtual-time-budget=5000 --enable-logging=stderr --v=0 "
      "--user-data-dir=" +
      Quote(dir.Path("profile")) + " ";
  const auto [dom_rc, dom] = RunShell(chromium + "--dump-dom " + Quote("file://" + html) + " 2>" +
                                      Quote(dir.Path("console.log")));
  ASSERT_EQ(dom_rc, 0) << dom;
  const std::string console = ReadFile(dir.Path("console.log"));
  EXPECT_EQ(console.find(":CONSOLE"), std::string::npos) << "the page logged:\n" << console;
  EXPECT_NE(dom.find("data-plots=\"" + std::to_string(plots) + "\""), std::string::npos)
      << "expected " << plots << " plots drawn";
  EXPECT_NE(dom.find("GPUs busy by tenant"), std::string::npos);
  EXPECT_NE(dom.find("Queue wait by percentile, by tenant"), std::string::npos);
  EXPECT_NE(dom.find(report["run"]["workload_fingerprint"].get<std::string>()), std::string::npos)
      << "the inputs table shows the report's own values";
  // For a person: what the page looks like.
  RunShell(chromium + "--window-size=1200,3000 --screenshot=" + Quote(shot) + " " +
           Quote("file://" + html) + " 2>/dev/null");
}

}  // namespace
}  // namespace gpufleet
