#include "sched/gpu_fit.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

TEST(TightestGpus, LeastRoomThatFitsLowestIndexOnTies) {
  const std::vector<int> room = {1000, 300, 600, 300, 250, 1000};
  // 300 milli: GPUs 1 and 3 (300 each, index order), then 2 (600); 4 (250) is too small.
  EXPECT_EQ(TightestGpus(room, 300, 1), (std::vector<int>{1}));
  EXPECT_EQ(TightestGpus(room, 300, 3), (std::vector<int>{1, 3, 2}));
  // Whole GPUs fit only empty ones: lowest index first.
  EXPECT_EQ(TightestGpus(room, 1000, 2), (std::vector<int>{0, 5}));
  // Fewer than asked when fewer fit; none when none fit.
  EXPECT_EQ(TightestGpus(room, 700, 4), (std::vector<int>{0, 5}));
  EXPECT_TRUE(TightestGpus(room, 1001, 1).empty());
  EXPECT_TRUE(TightestGpus(room, 100, 0).empty());
}

}  // namespace
}  // namespace gpufleet
