// `gpufleet sim --share-policy`: the openb study's GPU-sharing policies place the jobs that fit
// one node (issue 13, part 8). Which node each policy picks on given node states is tested in
// src/sched/share_policy_index_test.cc; here the command end to end.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"
#include "test_fleets.h"

namespace {

constexpr auto& RunCli = gpufleet::testing::RunGpufleet;

// Shares and whole GPUs, arriving over an hour on the 16-GPU tiny fleet.
std::string WriteWorkload() {
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "share_policy_w.yaml").string();
  std::ofstream(path)
      << "generators:\n"
         "  - {name: shares, count: 120, arrivals: {mean_interarrival: 30s}, gpus: 1,\n"
         "     gpu_milli: {dist: choice, values: [250, 500, 750]},\n"
         "     duration: {dist: lognormal, median: 20m, sigma: 1}}\n"
         "  - {name: whole, count: 80, arrivals: {mean_interarrival: 45s},\n"
         "     gpus: {dist: choice, values: [1, 2, 4]},\n"
         "     duration: {dist: lognormal, median: 20m, sigma: 1}}\n";
  return path;
}

TEST(SimSharePolicy, EveryPolicyRunsDeterministicallyAndIsReported) {
  const std::string fleet = gpufleet::testing::SourcePath("examples/fleets/tiny.yaml");
  const std::string workload = WriteWorkload();
  for (const char* policy : {"random", "dotprod", "clustering", "packing", "bestfit", "fgd"}) {
    const std::string args = "sim --fleet " + fleet + " --workload " + workload +
                             " --share-policy " + policy + " --json --no-progress";
    const auto [code, out] = RunCli(args);
    ASSERT_EQ(code, 0) << policy << "\n" << out;
    const nlohmann::json r = nlohmann::json::parse(out);
    EXPECT_EQ(r["run"]["share_policy"], policy);
    EXPECT_EQ(r["jobs"]["completed"], 200) << policy;
    // The same seed, the same run.
    const auto [again_code, again] = RunCli(args);
    ASSERT_EQ(again_code, 0);
    nlohmann::json a = nlohmann::json::parse(again), b = r;
    a["run"].erase("wall_s");
    b["run"].erase("wall_s");
    EXPECT_EQ(a["jobs"], b["jobs"]) << policy;
  }
  // Without it the key is absent; a policy that does not exist is refused.
  const auto [plain_code, plain] =
      RunCli("sim --fleet " + fleet + " --workload " + workload + " --json --no-progress");
  ASSERT_EQ(plain_code, 0) << plain;
  EXPECT_FALSE(nlohmann::json::parse(plain)["run"].contains("share_policy"));
  const auto [bad_code, bad] =
      RunCli("sim --fleet " + fleet + " --workload " + workload + " --share-policy best");
  EXPECT_NE(bad_code, 0);
  EXPECT_NE(bad.find("--share-policy"), std::string::npos) << bad;
}

}  // namespace
