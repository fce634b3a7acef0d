// `gpufleet experiment pollux` end to end (skipped without the study's data).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli_run.h"
#include "pollux_data.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using testing::RunGpufleet;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PolluxCli, WritesPerJobJctsAndTheSummary) {
  REQUIRE_POLLUX_DATA();
  (void)apps;
  testing::ScratchDir dir;
  const std::string data = testing::PolluxDataDir();
  const auto [code, out] =
      RunGpufleet("experiment pollux --workloads " + data + "/workloads --profiles " + data +
                  "/profiles --policy tiresias --out " + dir.Path("j.csv"));
  ASSERT_EQ(code, 0) << out;
  // The published mean of the 8 workload averages (tiresias-1.0/summary.json): 4038.18203125.
  EXPECT_NE(out.find("mean of 8"), std::string::npos) << out;
  EXPECT_NE(out.find("4038.1820"), std::string::npos) << out;
  const std::string csv = ReadAll(dir.Path("j.csv"));
  EXPECT_EQ(csv.rfind("workload,job,jct_s\nworkload-1,cifar10-0,", 0), 0u) << csv.substr(0, 80);
  // 8 workloads × 160 jobs, and the header.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1281);
}

TEST(PolluxCli, BadInputIsExitCode2WithTheLocation) {
  REQUIRE_POLLUX_DATA();
  (void)apps;
  testing::ScratchDir dir;
  const std::string data = testing::PolluxDataDir();
  const std::string bad = dir.Write("w/workload-1.csv",
                                    "name,time,application,num_replicas,batch_size\n"
                                    "gpt-0,10,gpt,8,512\n");
  const std::string common =
      " --profiles " + data + "/profiles --out " + dir.Path("j.csv") + " --workloads ";
  auto [code, out] = RunGpufleet("experiment pollux" + common + dir.Path("w"));
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find(bad + ":2:10: field 'application': expected one of bert, cifar10, "
                           "deepspeech2, imagenet, ncf, yolov3, got 'gpt'"),
            std::string::npos)
      << out;
  std::tie(code, out) =
      RunGpufleet("experiment pollux --policy srtf" + common + data + "/workloads");
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("--policy: expected one of tiresias, optimus, fifo, fifo-backfill, las"),
            std::string::npos)
      << out;
  std::tie(code, out) =
      RunGpufleet("experiment pollux --round 1.5s" + common + data + "/workloads");
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("--round: expected a positive whole number of seconds"), std::string::npos)
      << out;
  std::tie(code, out) = RunGpufleet("experiment pollux --nd-table " + dir.Path("none.csv") +
                                    common + data + "/workloads");
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find(dir.Path("none.csv") + ": no such file"), std::string::npos) << out;
}

}  // namespace
}  // namespace gpufleet
