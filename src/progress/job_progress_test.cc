// Advancing a job (§3.5 of pollux-baselines.md): restart delay, exact integration, rounding at
// epoch boundaries; and the standalone completion times the study lists, on its real profiles.
#include "progress/job_progress.h"

#include <gtest/gtest.h>

#include "pollux_data.h"

namespace gpufleet {
namespace {

// One GPU, one second per step, gain 1 (a single validated batch = the initial one): progress
// grows by exactly 1 per second of training. Epochs end at 45.5 and 100.
Application OneStepPerSecond() {
  Application a;
  a.name = "toy";
  a.init_batch_size = a.max_batch_size = 10;
  a.min_local_bsz = 1;
  a.max_local_bsz = 10;
  a.max_epochs = 2;
  a.validation.push_back({10, {45.5, 100}, {45, 100}, {1, 1}, {1, 1}});
  a.placements[1] = {{1, ProfileStepTime{1.0, 0.0}}, {10, ProfileStepTime{1.0, 0.0}}};
  a.ComputeEpochBoundaries();
  return a;
}

TEST(JobProgress, RestartDelayThenExactProgressWithRoundingAtEpochs) {
  const Application app = OneStepPerSecond();
  JobProgress job(&app, 10);
  ASSERT_TRUE(job.Reallocate({1}, 30 * kSecond).ok());
  // 30 s of restart, then 30 s of training.
  ASSERT_TRUE(job.Advance(0, 60 * kSecond).ok());
  EXPECT_EQ(job.progress(), 30);
  EXPECT_EQ(job.restart_time(), 30 * kSecond);
  // 15.5 s to the boundary at 45.5 rounds half to even: 16 s; then 44 s more: 89.5.
  ASSERT_TRUE(job.Advance(60 * kSecond, 60 * kSecond).ok());
  EXPECT_EQ(job.epoch(), 1);
  EXPECT_EQ(job.progress(), 89.5);
  // 10.5 s to the end rounds to 10: complete at 120 + 10.
  ASSERT_TRUE(job.Advance(120 * kSecond, 60 * kSecond).ok());
  EXPECT_TRUE(job.complete());
  EXPECT_EQ(job.completion_time(), 130 * kSecond);
  EXPECT_EQ(job.training_time(), (30 + 60 + 10) * kSecond);
}

TEST(JobProgress, PreemptionKeepsProgressAndEveryNewAllocationRestarts) {
  const Application app = OneStepPerSecond();
  JobProgress job(&app, 10);
  ASSERT_TRUE(job.Reallocate({1}, 30 * kSecond).ok());
  ASSERT_TRUE(job.Advance(0, 60 * kSecond).ok());
  ASSERT_TRUE(job.Reallocate({}, 30 * kSecond).ok());
  ASSERT_TRUE(job.Advance(60 * kSecond, 60 * kSecond).ok());  // no GPUs: only time passes
  EXPECT_EQ(job.progress(), 30);
  ASSERT_TRUE(job.Reallocate({1}, 30 * kSecond).ok());
  EXPECT_EQ(job.restart_remaining(), 30 * kSecond);
  ASSERT_TRUE(job.Advance(120 * kSecond, 20 * kSecond).ok());  // a delay may span intervals
  EXPECT_EQ(job.progress(), 30);
  EXPECT_EQ(job.restart_remaining(), 10 * kSecond);
  ASSERT_TRUE(job.Advance(140 * kSecond, 20 * kSecond).ok());
  EXPECT_EQ(job.progress(), 40);
  EXPECT_EQ(job.restart_time(), 60 * kSecond);
}

TEST(JobProgress, ProfilesThatCannotGiveARateAreErrors) {
  Application zero_stats = OneStepPerSecond();
  zero_stats.validation[0].grad_sqr = {0, 0};
  zero_stats.validation[0].grad_var = {0, 0};
  JobProgress a(&zero_stats, 10);
  Status s = a.Reallocate({1}, 30 * kSecond);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("toy: the statistical efficiency of batch 10 in epoch 0 is", 0), 0u)
      << s.message();
  Application instant = OneStepPerSecond();
  instant.placements[1] = {{1, ProfileStepTime{0.0, 0.0}}, {10, ProfileStepTime{0.0, 0.0}}};
  JobProgress b(&instant, 10);
  EXPECT_FALSE(b.Reallocate({1}, 30 * kSecond).ok());
}

// A job alone on the empty 16 × 4 cluster, submitted at 0: first seen at the t = 60 boundary,
// packed onto the fewest nodes, 30 s of restart, then run to completion in 60 s rounds.
SimTime StandaloneJct(const Application& app, int replicas, int batch) {
  JobProgress job(&app, batch);
  Status s = job.Reallocate(PackedPlacement(replicas, 4), 30 * kSecond);
  EXPECT_TRUE(s.ok()) << s.message();
  if (!s.ok()) return -1;
  for (SimTime t = kMinute; !job.complete() && t < 1'000'000 * kSecond; t += kMinute) {
    s = job.Advance(t, kMinute);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) return -1;
  }
  return job.completion_time();
}

TEST(PolluxProfiles, StandaloneCompletionTimesOfTheStudy) {
  REQUIRE_POLLUX_DATA();
  struct Case {
    const char* app;
    int replicas, batch;
    std::int64_t jct;  // seconds
  };
  // §3.5: "Running alone from t=0 (JCT = 90 s of wait and restart + run)".
  const Case cases[] = {
      {"bert", 6, 384, 3182},        {"bert", 8, 384, 2549},         {"bert", 12, 384, 1684},
      {"bert", 16, 384, 1414},       {"cifar10", 6, 2048, 1000},     {"cifar10", 8, 2048, 955},
      {"cifar10", 12, 4096, 714},    {"cifar10", 16, 4096, 572},     {"deepspeech2", 6, 320, 4232},
      {"deepspeech2", 8, 320, 3620}, {"deepspeech2", 12, 640, 2567}, {"imagenet", 24, 3200, 31895},
      {"imagenet", 32, 6400, 27521}, {"imagenet", 48, 6400, 19779},  {"ncf", 1, 32768, 137},
      {"yolov3", 4, 64, 14192},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(StandaloneJct(apps.at(c.app), c.replicas, c.batch), c.jct * kSecond)
        << c.app << " on " << c.replicas << " GPUs, batch " << c.batch;
  }
}

TEST(PolluxProfiles, ConstantsAndTheSpreadTable) {
  REQUIRE_POLLUX_DATA();
  // §3.1's table.
  const Application& yolo = apps.at("yolov3");
  EXPECT_EQ(yolo.max_local_bsz, 8);
  EXPECT_EQ(yolo.min_local_bsz, 4);
  EXPECT_EQ(yolo.init_batch_size, 8);
  EXPECT_EQ(yolo.max_batch_size, 512);
  EXPECT_NEAR(yolo.total_work(), 103443.978, 1e-3);
  EXPECT_EQ(apps.at("bert").total_work(), 14774.0);
  EXPECT_NEAR(apps.at("imagenet").total_work(), 576525.595, 1e-3);
  EXPECT_EQ(apps.at("ncf").max_local_bsz, 32768);
  EXPECT_EQ(apps.at("cifar10").placements.size(), 108u);
  // §3.4: imagenet on 24 GPUs (444444, atomic batch 134) iterates in 0.74533 s.
  const Application& imagenet = apps.at("imagenet");
  Result<ProfileStepTime> t = LookupStepTime(imagenet, {4, 4, 4, 4, 4, 4}, 134);
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_NEAR(IterationSeconds(t.value(), 0), 0.74533, 5e-6);
}

}  // namespace
}  // namespace gpufleet
