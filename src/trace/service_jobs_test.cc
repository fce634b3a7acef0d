#include "trace/service_jobs.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

TEST(GpuHoursBySite, SplitsInProportionToTheRunsAtEachSite) {
  // Replica 0 ran 1 h at site 0, then 2 h at site 2; replica 1 ran 1 h at site 0 and 1 h nowhere
  // known (counted for none). Known run time: 2 h at site 0, 2 h at site 2, of 4 h: the 40
  // GPU-hours held split 20 / 0 / 20.
  const std::vector<std::vector<ReplicaRunSpan>> runs = {
      {{0, 3600, 0}, {3600, 10800, 2}},
      {{0, 3600, 0}, {3600, 7200, -1}},
  };
  const std::vector<double> hours = GpuHoursBySite(runs, 40, 3);
  ASSERT_EQ(hours.size(), 3u);
  EXPECT_DOUBLE_EQ(hours[0], 20);
  EXPECT_DOUBLE_EQ(hours[1], 0);
  EXPECT_DOUBLE_EQ(hours[2], 20);
}

TEST(GpuHoursBySite, NoKnownRunsHoldNothing) {
  EXPECT_EQ(GpuHoursBySite({}, 40, 2), (std::vector<double>{0, 0}));
  EXPECT_EQ(GpuHoursBySite({{{0, 3600, 5}}}, 40, 2), (std::vector<double>{0, 0}));
}

}  // namespace
}  // namespace gpufleet
