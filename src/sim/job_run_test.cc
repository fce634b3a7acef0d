#include "sim/job_run.h"

#include <gtest/gtest.h>

#include <cmath>

#include "physics/checkpoint.h"
#include "physics/power.h"

namespace gpufleet {
namespace {

// A job of `duration` work on 8 GPUs, its run started at 0 at full speed.
JobRecord Running(SimTime duration) {
  JobRecord r;
  r.spec.gpus = 8;
  r.spec.duration = duration;
  BeginRun(r, 0);
  return r;
}

TEST(JobRun, CreditAtACappedRateRoundsDown) {
  // 10 ms at 0.75: 7.5 ms of work, credited as 7 (work is whole milliseconds, never ahead).
  EXPECT_EQ(Credit(10, 0.75), 7);
  // At full speed the integers pass through exactly, even for times a double cannot hold
  // (2^53 + 1 ms).
  EXPECT_EQ(Credit((SimTime{1} << 53) + 1, 1), (SimTime{1} << 53) + 1);
}

TEST(JobRun, RestartOverheadIsPaidBeforeWork) {
  // 10 min owed. At 4 min nothing is done yet; settling there pays 4 min. By 20 min the other
  // 6 min are paid and 10 min of work done.
  JobRecord r = Running(kHour);
  r.overhead_left = 10 * kMinute;
  EXPECT_EQ(WorkDone(r, 4 * kMinute), 0);
  Settle(r, 4 * kMinute);
  EXPECT_EQ(r.overhead_left, 6 * kMinute);
  EXPECT_EQ(r.restart_ms, 4 * kMinute);
  EXPECT_EQ(WorkDone(r, 20 * kMinute), 10 * kMinute);
  Settle(r, 20 * kMinute);
  EXPECT_EQ(r.overhead_left, 0);
  EXPECT_EQ(r.restart_ms, 10 * kMinute);
  EXPECT_EQ(r.progress, 10 * kMinute);
  EXPECT_EQ(r.segment_start, 20 * kMinute);
}

TEST(JobRun, FinishTimeCountsOverheadAndRoundsUpAtACappedRate) {
  // From a segment at 100 ms, 50 ms of overhead first, then 1,000 ms of work at 0.75: 1,000 /
  // 0.75 = 1,333.3, rounded up to 1,334 so the finish never comes before the work is done.
  JobRecord r = Running(1000);
  r.segment_start = 100;
  r.overhead_left = 50;
  EXPECT_EQ(FinishTime(r), 100 + 50 + 1000);
  r.rate = 0.75;
  EXPECT_EQ(FinishTime(r), 100 + 50 + 1334);
  EXPECT_GE(Credit(1334, 0.75), 1000);
}

TEST(JobRun, FinishTimeOfAnAbsurdlySlowJobDoesNotOverflow) {
  // A day of work at 1e-12 of full speed: 8.64e19 ms, beyond int64 (9.2e18) - the run never
  // finishes rather than finishing in the past.
  JobRecord r = Running(kDay);
  r.rate = 1e-12;
  EXPECT_EQ(FinishTime(r), kNever);
}

TEST(JobRun, ChangeOfRateCreditsTheOldRateAndMakesTheFinishStale) {
  JobRecord r = Running(kHour);
  EXPECT_FALSE(ChangeRate(r, 1, 10 * kMinute));  // the same pace: nothing to do
  EXPECT_EQ(r.epoch, 0);
  ASSERT_TRUE(ChangeRate(r, 0.5, 10 * kMinute));
  EXPECT_EQ(r.progress, 10 * kMinute);
  EXPECT_EQ(r.epoch, 1);
  // 50 min left at half speed: 100 min from 10 min.
  EXPECT_EQ(FinishTime(r), 110 * kMinute);
  EXPECT_DOUBLE_EQ(RunRate(r, 1), 1);  // checkpoint factor and placement rate are 1
  r.checkpoint_factor = 0.5;
  r.placement_rate = 0.5;
  EXPECT_DOUBLE_EQ(RunRate(r, 0.7), CappedSpeed(0.7) * 0.25);
}

TEST(JobRun, CheckpointWriteTimeFromTheSizeAndTheSiteStorage) {
  // 100 GB at 2,000 GB/s: 50 ms a write; every hour of work, so work takes 3,600,000 of every
  // 3,600,050 ms.
  JobRecord r = Running(kDay);
  r.spec.checkpoint_interval = kHour;
  r.spec.checkpoint_size_gb = 100;
  SetCheckpointing(r, 2000, 0);
  EXPECT_EQ(r.checkpoint_every, kHour);
  EXPECT_DOUBLE_EQ(r.checkpoint_factor, 3'600'000.0 / 3'600'050.0);
}

TEST(JobRun, AutoCheckpointIntervalIsDalysForTheJobsFailureRate) {
  // 8 failures a day: MTBF 3 h; a 60 s write: Daly's 1,098.77 s (src/physics/checkpoint_test.cc).
  JobRecord r = Running(kDay);
  r.spec.checkpoint_interval = kCheckpointAuto;
  r.spec.checkpoint_write = 60 * kSecond;
  SetCheckpointing(r, 2000, 8);
  EXPECT_NEAR(static_cast<double>(r.checkpoint_every), 1'098'770, 10);
  EXPECT_EQ(r.checkpoint_every, std::llround(DalyInterval(60'000, 3 * 3'600'000.0)));
  // Without failures there is nothing to checkpoint against: no checkpoints, no writes.
  SetCheckpointing(r, 2000, 0);
  EXPECT_EQ(r.checkpoint_every, 0);
  EXPECT_EQ(r.checkpoint_factor, 1);
  // Without physics the writes are free and `auto` takes none.
  SetFreeCheckpointing(r);
  EXPECT_EQ(r.checkpoint_every, 0);
}

// A checkpoint far too large for its store, or Daly's interval for a failure rate near zero,
// once overflowed a conversion to SimTime (undefined); both stop at kLatestTime.
TEST(JobRun, HugeCheckpointTimesStopAtTheLatestTime) {
  JobRecord r = Running(kDay);
  r.spec.checkpoint_interval = kHour;
  r.spec.checkpoint_size_gb = 1e30f;
  SetCheckpointing(r, 1e-10, 0);
  EXPECT_EQ(r.checkpoint_every, kHour);
  EXPECT_DOUBLE_EQ(r.checkpoint_factor,
                   static_cast<double>(kHour) / static_cast<double>(kHour + kLatestTime));
  JobRecord a = Running(kDay);
  a.spec.checkpoint_interval = kCheckpointAuto;
  a.spec.checkpoint_write = kDay;
  SetCheckpointing(a, 2000, 1e-300);
  EXPECT_EQ(a.checkpoint_every, kLatestTime);
}

TEST(JobRun, EndRunCountsTimeAndResetsThePace) {
  // 8 GPUs at 500 milli for 10 ms: 40,000 milli-GPU x ms.
  JobRecord r = Running(kHour);
  r.spec.gpu_milli = 500;
  r.rate = 0.5;
  r.checkpoint_factor = 0.9;
  r.placement_rate = 0.8;
  Settle(r, 10);
  EndRun(r, 10);
  EXPECT_EQ(r.run_ms, 10);
  EXPECT_EQ(r.gpu_milli_ms, 40'000);
  EXPECT_EQ(r.run_start, -1);
  EXPECT_EQ(r.rate, 1);
  EXPECT_EQ(r.checkpoint_factor, 1);
  EXPECT_EQ(r.placement_rate, 0.8);  // the last run's, for the report
  EXPECT_EQ(r.epoch, 1);
}

TEST(JobRun, ARunGoingAtTheEndCountsUpToTheEnd) {
  JobRecord r = Running(kHour);
  CountRunAtEnd(r, 20 * kMinute);
  EXPECT_EQ(r.progress, 20 * kMinute);
  EXPECT_EQ(r.run_ms, 20 * kMinute);
  EXPECT_EQ(r.gpu_milli_ms, 8 * 1000 * 20 * kMinute);
}

}  // namespace
}  // namespace gpufleet
