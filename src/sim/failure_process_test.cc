#include "sim/failure_process.h"

#include <gtest/gtest.h>

#include "test_fleets.h"

namespace gpufleet {
namespace {

const Fleet& TwoDgx() {
  static const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));
  return fleet;
}

// A model with `per_node_day` failures of one category a node-day (GPU-borne categories count
// per 8 GPUs), each repaired after a minute, and 10 min to restart.
FailureModelSpec OnlyCategory(FailureCategory c, double per_node_day) {
  FailureModelSpec model;
  model.per_node_day.assign(kRandomFailureCategories, 0);
  model.per_node_day[static_cast<size_t>(c)] = per_node_day;
  model.repair_ms.assign(kRandomFailureCategories, Distribution::Fixed(kMinute));
  model.restart_overhead = 10 * kMinute;
  return model;
}

// A job on 8 GPUs that resumed from `resumed` at 0 and has run since, checkpointing every
// `every` of work.
JobRecord RunningJob(SimTime resumed, SimTime every) {
  JobRecord r;
  r.spec.gpus = 8;
  r.spec.duration = kDay;
  r.state = JobRecord::State::kRunning;
  r.progress = r.run_progress = resumed;
  r.run_start = r.segment_start = 0;
  r.checkpoint_every = every;
  return r;
}

// A rate so low that the next failure lies beyond simulated time draws none (the gap of ~1e22 ms
// once wrapped to a failure every millisecond); a repair drawn beyond it ends at kLatestTime.
TEST(FailureProcess, FailuresBeyondSimulatedTimeAreNotDrawn) {
  FailureProcess tiny(TwoDgx(), {}, OnlyCategory(FailureCategory::kGpu, 1e-15), 0, true);
  EXPECT_EQ(tiny.Draw(0), std::nullopt);
  EXPECT_EQ(tiny.Draw(kLatestTime - 1), std::nullopt);
  FailureModelSpec endless = OnlyCategory(FailureCategory::kHost, 1);
  endless.repair_ms.assign(kRandomFailureCategories, Distribution::Fixed(1e300));
  FailureProcess p(TwoDgx(), {}, endless, 0, true);
  const std::optional<std::int32_t> f = p.Draw(0);
  ASSERT_TRUE(f.has_value());
  EXPECT_GT(p.failure(*f).at, 0);
  EXPECT_EQ(p.failure(*f).at + *p.failure(*f).repair_after, kLatestTime);
}

TEST(FailureProcess, OverlappingFailuresHoldANodeUntilTheLastRepair) {
  FailureProcess p(TwoDgx(), {}, std::nullopt, 0, true);
  EXPECT_TRUE(p.TakeDown(1));   // goes down
  EXPECT_FALSE(p.TakeDown(1));  // down already
  EXPECT_FALSE(p.BringUp(1));   // one failure still holds it
  EXPECT_TRUE(p.IsDown(1));
  EXPECT_FALSE(p.IsDown(0));
  EXPECT_TRUE(p.BringUp(1));
  EXPECT_FALSE(p.IsDown(1));
  SimResult r;
  p.WriteTo(r);
  EXPECT_EQ(r.node_failures, 1);
  EXPECT_EQ(r.node_repairs, 1);
}

TEST(FailureProcess, AFailureLosesTheWorkSinceTheLastCheckpoint) {
  // Checkpoints every hour; the failure at 2h30m of work keeps 2h and loses 30 min, 8 GPU-hours
  // x 1/2 = 4 GPU-hours. The job owes the model's 10 min restart.
  FailureProcess p(TwoDgx(), {}, OnlyCategory(FailureCategory::kGpu, 1), 0, true);
  JobRecord r = RunningJob(0, kHour);
  EXPECT_EQ(p.Interrupt(r, FailureCategory::kGpu, false, 2 * kHour + 30 * kMinute), 30 * kMinute);
  EXPECT_EQ(r.progress, 2 * kHour);
  EXPECT_EQ(r.lost_ms, 30 * kMinute);
  EXPECT_EQ(r.interruptions, 1);
  EXPECT_EQ(r.overhead_left, 10 * kMinute);
  SimResult result;
  p.WriteTo(result);
  const SimResult::FailureStats& gpu = result.failures[static_cast<size_t>(FailureCategory::kGpu)];
  EXPECT_EQ(gpu.interruptions, 1);
  EXPECT_EQ(gpu.lost_gpu_ms, 8.0L * 30 * kMinute);
}

TEST(FailureProcess, WhatARunResumedFromIsNeverLost) {
  // Resumed from 1h30m (saved at a preemption), no checkpoints since: a failure 20 min later
  // loses the 20 min only. A planned stop checkpoints first and loses nothing.
  FailureProcess p(TwoDgx(), {}, std::nullopt, 0, false);
  JobRecord r = RunningJob(90 * kMinute, 0);
  r.spec.restart_overhead = kMinute;  // the job's own
  EXPECT_EQ(p.Interrupt(r, FailureCategory::kHost, false, 20 * kMinute), 20 * kMinute);
  EXPECT_EQ(r.progress, 90 * kMinute);
  EXPECT_EQ(r.overhead_left, kMinute);
  JobRecord planned = RunningJob(90 * kMinute, 0);
  EXPECT_EQ(p.Interrupt(planned, FailureCategory::kMaintenance, true, 20 * kMinute), 0);
  EXPECT_EQ(planned.progress, 110 * kMinute);
  EXPECT_EQ(planned.overhead_left, 0);  // no model, no overhead of its own
}

TEST(FailureProcess, DrawnFailuresReuseTheirSlotsOnceOver) {
  // One scripted failure at index 0; drawn ones come after it. A software failure has nothing to
  // repair: its slot is free once it strikes. A GPU failure's slot is held until its repair.
  BoundFailure scripted;
  scripted.at = kHour;
  FailureProcess software(TwoDgx(), {scripted}, OnlyCategory(FailureCategory::kSoftware, 1), 1,
                          true);
  const std::optional<std::int32_t> first = software.Draw(0);
  ASSERT_EQ(first, 1);
  EXPECT_TRUE(software.failure(1).drawn);
  EXPECT_FALSE(software.failure(1).repair_after);
  const BoundFailure struck = software.Strike(1);
  EXPECT_EQ(software.Draw(struck.at), 1);
  EXPECT_GT(software.failure(1).at, struck.at);
  EXPECT_EQ(software.size(), 2);

  FailureProcess gpu(TwoDgx(), {scripted}, OnlyCategory(FailureCategory::kGpu, 1), 1, true);
  ASSERT_EQ(gpu.Draw(0), 1);
  EXPECT_EQ(gpu.failure(1).repair_after, kMinute);
  gpu.Strike(1);
  EXPECT_EQ(gpu.Draw(gpu.failure(1).at), 2);  // 1 awaits its repair
  gpu.Repaired(1);
  EXPECT_EQ(gpu.Draw(gpu.failure(2).at), 1);
  SimResult r;
  gpu.WriteTo(r);
  EXPECT_EQ(r.failures[static_cast<size_t>(FailureCategory::kGpu)].events, 1);
}

TEST(FailureProcess, NothingDrawnWithoutPhysicsButTheRestartOverheadHolds) {
  FailureProcess p(TwoDgx(), {}, OnlyCategory(FailureCategory::kGpu, 8), 1, false);
  EXPECT_FALSE(p.Draw(0));
  EXPECT_EQ(p.JobFailuresPerDay(2, 16, 0), 0);
  EXPECT_EQ(p.RestartOverhead(JobSpec{}), 10 * kMinute);
}

TEST(FailureProcess, JobFailuresCountGpuBorneOnesPerGpuAndHostOnesPerNode) {
  // 8 GPU failures per node-day are 1 per GPU-day; 2 host failures per node-day. A job on 2
  // nodes and 12 GPUs expects 12 + 4 = 16 a day.
  FailureModelSpec model = OnlyCategory(FailureCategory::kGpu, 8);
  model.per_node_day[static_cast<size_t>(FailureCategory::kHost)] = 2;
  FailureProcess p(TwoDgx(), {}, model, 1, true);
  EXPECT_DOUBLE_EQ(p.JobFailuresPerDay(2, 12, 0), 16);
}

}  // namespace
}  // namespace gpufleet
