// `gpufleet plan checkpoint` end to end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"

namespace {

constexpr auto& RunCli = gpufleet::testing::RunGpufleet;

TEST(PlanCli, CheckpointJson) {
  const auto [code, out] =
      RunCli("plan checkpoint --mtbf 3h --write-time 60s --restart 10m --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  // Derived in src/physics/checkpoint_test.cc: Young 1,138.42 s, Daly 1,098.77 s, ETTR 0.8497.
  EXPECT_NEAR(j["young_interval_s"].get<double>(), 1138.42, 0.01);
  EXPECT_NEAR(j["daly_interval_s"].get<double>(), 1098.77, 0.01);
  EXPECT_NEAR(j["ettr"].get<double>(), 0.8497, 5e-4);
}

TEST(PlanCli, CheckpointBadInput) {
  EXPECT_EQ(RunCli("plan checkpoint --mtbf 0 --write-time 60s").first, 2);
  EXPECT_EQ(RunCli("plan checkpoint --mtbf 3 --write-time 60s").first, 2);  // no unit
  EXPECT_EQ(RunCli("plan checkpoint --write-time 60s").first, 2);           // --mtbf is required
}

}  // namespace
