// The round engine's time model (§1 of pollux-baselines.md) on the synthetic application.
#include "sim/round_engine.h"

#include <gtest/gtest.h>

#include "synthetic_app.h"

namespace gpufleet {
namespace {

TEST(RoundEngine, PlacementIsRunsOfNodesInOrder) {
  EXPECT_EQ(GpusPerNodeOf({3, 3, 3, 3, 7, 7}), (GpusPerNode{4, 2}));
  EXPECT_EQ(GpusPerNodeOf({5}), (GpusPerNode{1}));
  EXPECT_TRUE(GpusPerNodeOf({}).empty());
}

// A job submitted at 61 is first seen at the 120 s boundary, restarts for 30 s and then runs
// exactly as the progress model says, whole rounds at a time.
TEST(RoundEngine, FirstSeenAtTheNextBoundaryThenRestartDelay) {
  const Application app = testing::SyntheticApplication();
  std::unique_ptr<RoundPolicy> fifo = MakeFifo(false);
  const std::vector<RoundJob> jobs = {{"a", &app, 61 * kSecond, 4, 64}};
  Result<RoundResult> r = RunRounds(jobs, *fifo, RoundOptions{});
  ASSERT_TRUE(r.ok()) << r.message();

  JobProgress alone(&app, 64);
  ASSERT_TRUE(alone.Reallocate({4}, 30 * kSecond).ok());
  SimTime t = 120 * kSecond;
  for (; !alone.complete(); t += kMinute) ASSERT_TRUE(alone.Advance(t, kMinute).ok());
  EXPECT_EQ(r.value().completion_time[0], alone.completion_time());
  EXPECT_EQ(r.value().end_time, t);  // the run stops at the boundary after the last completion
  EXPECT_EQ(r.value().restarts, 1);
}

// A job that finishes mid-round holds its GPUs until the boundary: the next whole-cluster job
// starts there, not at the completion second.
TEST(RoundEngine, GpusAreReleasedAtTheBoundaryAfterCompletion) {
  const Application app = testing::SyntheticApplication();
  std::unique_ptr<RoundPolicy> fifo = MakeFifo(false);
  const std::vector<RoundJob> jobs = {{"a", &app, 0, 64, 64}, {"b", &app, 0, 64, 64}};
  SimTime b_start = -1;
  Result<RoundResult> r = RunRounds(jobs, *fifo, RoundOptions{}, [&](const RoundState& s) {
    if (b_start < 0 && !(*s.allocations)[1].empty()) b_start = s.now;
    EXPECT_TRUE((*s.allocations)[0].empty() || (*s.allocations)[1].empty());
  });
  ASSERT_TRUE(r.ok()) << r.message();
  const SimTime a_end = r.value().completion_time[0];
  EXPECT_NE(a_end % kMinute, 0);  // mid-round, so the test shows the wait
  EXPECT_EQ(b_start, (a_end / kMinute + 1) * kMinute);
}

TEST(RoundEngine, JobsLargerThanTheClusterAreAnError) {
  const Application app = testing::SyntheticApplication();
  std::unique_ptr<RoundPolicy> tiresias = MakeTiresias({16 * kHour});
  Result<RoundResult> r = RunRounds({{"big", &app, 0, 65, 64}}, *tiresias, RoundOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "job big asks for 65 GPUs; the cluster has 64");
  RoundOptions zero;
  zero.round = 0;
  EXPECT_FALSE(RunRounds({{"a", &app, 0, 1, 64}}, *tiresias, zero).ok());
}

TEST(RoundEngine, MissingProfilesAreErrorsNamingTheJob) {
  Application app = testing::SyntheticApplication();
  app.spread.clear();  // 24 GPUs need six nodes: not profiled
  std::unique_ptr<RoundPolicy> fifo = MakeFifo(false);
  Result<RoundResult> r = RunRounds({{"wide", &app, 0, 24, 64}}, *fifo, RoundOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message().rfind("job wide: synthetic: no step time for placement 444444", 0), 0u)
      << r.message();
}

}  // namespace
}  // namespace gpufleet
