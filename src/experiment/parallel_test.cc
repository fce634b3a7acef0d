#include "experiment/parallel.h"

#include <gtest/gtest.h>

#include <vector>

namespace gpufleet {
namespace {

TEST(ParallelFor, RunsEveryIndexOnceWhateverTheThreads) {
  for (int threads : {1, 2, 5, 64}) {
    std::vector<int> runs(37, 0);
    ParallelFor(runs.size(), threads, [&](size_t i) { ++runs[i]; });  // slot i: no race
    EXPECT_EQ(runs, std::vector<int>(37, 1)) << threads << " threads";
  }
  int calls = 0;
  ParallelFor(0, 4, [&](size_t) { ++calls; });
  EXPECT_EQ(calls, 0);
  ParallelFor(3, 0, [&](size_t) { ++calls; });  // fewer than one thread: the caller's
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace gpufleet
