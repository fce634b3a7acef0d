// Scheduler::Adopt: a daemon that restarted takes back a run its agents report.
#include <gtest/gtest.h>

#include "sched/scheduler.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

JobRequest Gpus(int n) {
  JobRequest r;
  r.gpus = n;
  r.estimate = kHour;
  return r;
}

Allocation On(NodeId node, std::uint64_t mask) {
  Allocation a;
  a.model = 0;
  a.nodes = {{node, mask}};
  return a;
}

TEST(Adopt, TakesTheRunsGpusAndRunsItAtEpochOne) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));
  SchedulerConfig config;
  config.nodes_present = false;
  config.confirm_stops = true;
  Scheduler s = Scheduler::Create(fleet, config).value();
  ASSERT_TRUE(s.RegisterNode(0, 0).ok());
  ASSERT_TRUE(s.RegisterNode(1, 0).ok());
  ASSERT_TRUE(s.Adopt(7, Gpus(8), On(1, 0xff), 10 * kMinute, 1000).ok());
  EXPECT_EQ(s.CheckInvariants(), std::nullopt);
  const std::optional<JobView> v = s.Find(7);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->state, JobState::kRunning);
  EXPECT_EQ(v->epoch, 1U);
  EXPECT_EQ(v->allocation.nodes[0].node, 1);
  // Its GPUs are taken: a new 8-GPU job goes to node 0, a second one waits.
  ASSERT_TRUE(s.Submit(8, Gpus(8), 1000).ok());
  ASSERT_TRUE(s.Submit(9, Gpus(8), 1000).ok());
  std::vector<Decision> d;
  ASSERT_TRUE(s.Schedule(1000, d).ok());
  ASSERT_EQ(d.size(), 1U);
  EXPECT_EQ(d[0].job, 8);
  EXPECT_EQ(d[0].allocation.nodes[0].node, 0);
  // It ends as any run does.
  ASSERT_TRUE(s.Finish(7, 1, 2000).ok());
  EXPECT_EQ(s.CheckInvariants(), std::nullopt);
}

TEST(Adopt, RefusesWhatDoesNotMatchAndChangesNothing) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));
  SchedulerConfig config;
  config.nodes_present = false;
  Scheduler s = Scheduler::Create(fleet, config).value();
  ASSERT_TRUE(s.RegisterNode(0, 0).ok());
  ASSERT_TRUE(s.Adopt(1, Gpus(4), On(0, 0x0f), 0, 0).ok());
  EXPECT_FALSE(s.Adopt(1, Gpus(4), On(0, 0xf0), 0, 0).ok()) << "the id is taken";
  EXPECT_FALSE(s.Adopt(2, Gpus(4), On(0, 0x0f), 0, 0).ok()) << "its GPUs are taken";
  EXPECT_FALSE(s.Adopt(3, Gpus(4), On(1, 0x0f), 0, 0).ok()) << "node 1 is not up";
  EXPECT_FALSE(s.Adopt(4, Gpus(2), On(0, 0xf0), 0, 0).ok()) << "4 GPUs for a 2-GPU request";
  EXPECT_FALSE(s.Adopt(5, Gpus(1), On(0, 0x100), 0, 0).ok()) << "GPU 8 of an 8-GPU node";
  EXPECT_FALSE(s.Adopt(6, Gpus(4), On(0, 0xf0), -1, 0).ok()) << "negative attained";
  EXPECT_EQ(s.running(), 1U);
  EXPECT_EQ(s.pending(), 0U);
  EXPECT_EQ(s.CheckInvariants(), std::nullopt);
}

}  // namespace
}  // namespace gpufleet
