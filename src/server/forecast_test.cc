#include "server/forecast.h"

#include <gtest/gtest.h>

#include "test_fleets.h"

namespace gpufleet {
namespace {

using testing::DgxFleetYaml;
using testing::MustParseFleet;

JobRequest Gpus(int n, SimTime estimate) {
  JobRequest r;
  r.gpus = n;
  r.estimate = estimate;
  return r;
}

// Two DGX nodes (16 GPUs), fifo. At 0, A takes all 16 GPUs for an hour; at 10 minutes B (8 GPUs,
// 30 min), C (16, 2 h) and D (8, 1 h) wait, in that order. Derivation, from the estimates:
//   A ends at 60 min; B starts then (8 free of 16) and ends at 90; C needs all 16, so it starts
//   at 90 and ends at 210; D is behind C in fifo order: 210 to 270.
TEST(Forecast, RunsTheQueueForwardOnTheEstimates) {
  const Fleet fleet = MustParseFleet(DgxFleetYaml(1, 1, 2));
  SchedulerConfig config;
  config.policy = "fifo";
  config.confirm_stops = true;
  Scheduler s = Scheduler::Create(fleet, config).value();
  ASSERT_TRUE(s.Submit(1, Gpus(16, kHour), 0).ok());
  std::vector<Decision> d;
  ASSERT_TRUE(s.Schedule(0, d).ok());
  ASSERT_EQ(d.size(), 1U);
  ASSERT_TRUE(s.ConfirmStart(1, d[0].epoch, 0).ok());
  const SimTime now = 10 * kMinute;
  ASSERT_TRUE(s.Submit(2, Gpus(8, 30 * kMinute), now).ok());
  ASSERT_TRUE(s.Submit(3, Gpus(16, 2 * kHour), now).ok());
  ASSERT_TRUE(s.Submit(4, Gpus(8, kHour), now).ok());
  d.clear();
  ASSERT_TRUE(s.Schedule(now, d).ok());
  EXPECT_TRUE(d.empty());

  ForecastInput in;
  in.fleet = &fleet;
  in.config = config;
  in.tenants = {Tenant{"default", 1, std::nullopt}};
  in.snapshot = s.Snapshot();
  in.now = now;
  in.estimates = {{1, kHour}, {2, 30 * kMinute}, {3, 2 * kHour}, {4, kHour}};
  Result<Forecast> f = RunForecast(in);
  ASSERT_TRUE(f.ok()) << f.message();
  const auto& jobs = f.value().jobs;
  EXPECT_EQ(jobs.at(1).start, 0);
  EXPECT_EQ(jobs.at(1).end, 60 * kMinute);
  EXPECT_EQ(jobs.at(2).start, 60 * kMinute);
  EXPECT_EQ(jobs.at(2).end, 90 * kMinute);
  EXPECT_EQ(jobs.at(3).start, 90 * kMinute);
  EXPECT_EQ(jobs.at(3).end, 210 * kMinute);
  EXPECT_EQ(jobs.at(4).start, 210 * kMinute);
  EXPECT_EQ(jobs.at(4).end, 270 * kMinute);
  // The live scheduler is untouched: its jobs still wait.
  EXPECT_EQ(s.pending(), 3U);
}

// A job that can start on no node that is up (its nodes are absent) gets no forecast, and the
// forecast ends rather than waiting for ever.
TEST(Forecast, AJobThatCannotStartHasNoForecast) {
  const Fleet fleet = MustParseFleet(DgxFleetYaml(1, 1, 2));
  SchedulerConfig config;
  config.nodes_present = false;
  config.confirm_stops = true;
  Scheduler s = Scheduler::Create(fleet, config).value();
  ASSERT_TRUE(s.RegisterNode(0, 0).ok());
  ASSERT_TRUE(s.Submit(1, Gpus(16, kHour), 0).ok());
  ASSERT_TRUE(s.Submit(2, Gpus(4, kHour), 0).ok());
  ForecastInput in;
  in.fleet = &fleet;
  in.config = config;
  in.tenants = {Tenant{"default", 1, std::nullopt}};
  in.snapshot = s.Snapshot();
  in.estimates = {{1, kHour}, {2, kHour}};
  Result<Forecast> f = RunForecast(in);
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f.value().jobs.at(1).start, kNever);
  EXPECT_LT(f.value().passes, 10);
}

}  // namespace
}  // namespace gpufleet
