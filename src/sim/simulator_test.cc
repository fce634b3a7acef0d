#include "sim/simulator.h"

#include <gtest/gtest.h>

#include "test_fleets.h"

namespace gpufleet {
namespace {

SimResult RunWorkload(const std::string& workload, SimTime until = kNever,
                      Policy policy = Policy::kFifo) {
  static const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));  // 16 GPUs
  SimOptions options;
  options.until = until;
  options.scheduler.policy = policy;
  Simulator sim(fleet, BindWorkload(testing::MustParseWorkload(workload), fleet, 1).value(),
                options);
  return sim.Run();
}

TEST(Simulator, StopsAtUntilAndCountsWhatIsLeft) {
  // a: 16 GPUs 0-2h; b: 8 GPUs waits for a; with --until 90m: a running, b pending, makespan 90m,
  // utilization 16 x 90m / (16 x 90m) = 1.
  const SimResult r = RunWorkload(
      "jobs:\n"
      "  - {name: a, gpus: 16, duration: 2h}\n"
      "  - {name: b, submit: 1m, gpus: 8, duration: 1h}\n",
      90 * kMinute);
  ASSERT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.jobs[0].state, JobRecord::State::kRunning);
  EXPECT_EQ(r.jobs[1].state, JobRecord::State::kPending);
  EXPECT_TRUE(r.stopped_at_until);
  EXPECT_EQ(r.end_time, 90 * kMinute);
  EXPECT_EQ(r.jobs[0].gpu_ms, 16 * 90 * kMinute);
  EXPECT_EQ(r.allocated_gpu_ms, r.available_gpu_ms);
}

TEST(Simulator, RejectsWhatCanNeverFitAndFinishes) {
  // 17 GPUs on a 16-GPU fleet, and 9 GPUs inside one 8-GPU NVLink domain: both rejected; the
  // 8-GPU job runs 0-1h and the run ends at 1h.
  const SimResult r = RunWorkload(
      "jobs:\n"
      "  - {name: big, gpus: 17, duration: 1h}\n"
      "  - {name: wide, gpus: 9, duration: 1h, topology: nvlink}\n"
      "  - {name: ok, gpus: 8, duration: 1h, topology: nvlink}\n");
  ASSERT_EQ(r.rejections.size(), 2u);
  EXPECT_NE(r.rejections[0].second.find("largest such subtree of the fleet has 16"),
            std::string::npos)
      << r.rejections[0].second;
  EXPECT_NE(r.rejections[1].second.find("inside one nvlink"), std::string::npos)
      << r.rejections[1].second;
  EXPECT_EQ(r.jobs[2].state, JobRecord::State::kCompleted);
  EXPECT_EQ(r.end_time, kHour);
  EXPECT_FALSE(r.stopped_at_until);
}

TEST(Simulator, FailureOfAWholeLeafInterruptsEveryJobBelowIt) {
  // Two 8-GPU jobs on the two nodes; the leaf fails at 10m (both interrupted, no checkpoints,
  // 10m lost each) and is repaired at 40m; both restart at 40m and end at 1h40m.
  const SimResult r = RunWorkload(
      "jobs:\n"
      "  - {name: a, gpus: 8, duration: 1h}\n"
      "  - {name: b, gpus: 8, duration: 1h}\n"
      "failures:\n"
      "  - {at: 10m, target: s/p/l, repair_after: 30m}\n");
  for (const JobRecord& j : r.jobs) {
    EXPECT_EQ(j.interruptions, 1);
    EXPECT_EQ(j.lost_ms, 10 * kMinute);
    EXPECT_EQ(j.end, 100 * kMinute);
  }
  EXPECT_EQ(r.node_failures, 2);
  EXPECT_EQ(r.node_repairs, 2);
  // Available GPU-time: 16 x 10m + 0 x 30m + 16 x 60m = 16 x 70m.
  EXPECT_EQ(r.available_gpu_ms, 16 * 70 * kMinute);
}

}  // namespace
}  // namespace gpufleet
