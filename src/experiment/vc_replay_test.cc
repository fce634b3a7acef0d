#include "experiment/vc_replay.h"

#include <gtest/gtest.h>

#include "trace/datetime.h"

namespace gpufleet {
namespace {

// Two virtual clusters of one 8-GPU node each, jobs given directly as a loaded trace.
TraceJobs SmallTrace() {
  TraceJobs t;
  t.name = "test";
  t.tenants = {"a", "b", "orphan"};
  t.origin_epoch_s = *ParseDateTime("2017-09-30 23:00:00");
  auto job = [&](const char* name, int tenant, SimTime submit, int gpus, SimTime duration) {
    JobSpec j;
    j.name = name;
    j.tenant = tenant;
    j.submit = submit;
    j.gpus = gpus;
    j.duration = duration;
    j.estimate = duration;
    t.jobs.push_back(j);
  };
  job("early", 0, 0, 8, kHour);             // 23:00, before --since 2017-10-01
  job("a1", 0, kHour, 8, 2 * kHour);        // 00:00
  job("a2", 0, kHour + kMinute, 8, kHour);  // waits for a1 in its own cluster
  job("b1", 1, kHour + kMinute, 8, kHour);  // cluster b is free: starts at once
  job("lost", 2, kHour, 1, kHour);          // a cluster the --vcs file does not list
  return t;
}

TEST(VcReplay, ClustersAreIsolatedQueues) {
  VcReplayOptions o;
  o.scheduler.policy = "fifo";
  o.since_epoch_s = *ParseDateTime("2017-10-01");
  const Result<VcReplay> r = RunVcReplay(SmallTrace(), {{"a", 8}, {"b", 8}}, o);
  ASSERT_TRUE(r.ok()) << r.message();
  const VcReplay& v = r.value();
  ASSERT_EQ(v.vcs.size(), 2u);
  // Time 0 is --since, 2017-10-01 00:00, one hour after the trace's first submission.
  // a: a1 runs 0-2h; a2 (submitted 1m) waits until 2h and ends at 3h: JCT 2h59m, wait 1h59m.
  ASSERT_EQ(v.vcs[0].result.jobs.size(), 2u);
  EXPECT_EQ(v.vcs[0].result.jobs[0].first_start, 0);
  EXPECT_EQ(v.vcs[0].result.jobs[1].first_start, 2 * kHour);
  EXPECT_EQ(v.vcs[0].result.jobs[1].end, 3 * kHour);
  // b: b1 starts when submitted (1m), although cluster a is busy then.
  ASSERT_EQ(v.vcs[1].result.jobs.size(), 1u);
  EXPECT_EQ(v.vcs[1].result.jobs[0].first_start, kMinute);
  EXPECT_EQ(v.excluded.at("submitted before --since"), 1);
  EXPECT_EQ(v.excluded.at("virtual cluster not in --vcs"), 1);
  // Merged, the clusters are the tenants. b ends at 1h01m but stays available until a ends at
  // 3h: 16 GPUs x 3h = 48 GPU-hours, of which a1 (2h), a2 (1h) and b1 (1h), 8 GPUs each, held 32.
  const SimResult all = MergeVcRuns(v);
  ASSERT_EQ(all.tenants.size(), 2u);
  EXPECT_EQ(all.tenants[1].name, "b");
  EXPECT_EQ(all.tenants[1].quota_gpus, 8);
  ASSERT_EQ(all.jobs.size(), 3u);
  EXPECT_EQ(all.jobs[2].spec.tenant, 1);
  EXPECT_EQ(all.end_time, 3 * kHour);
  EXPECT_EQ(all.total_gpus, 16);
  EXPECT_EQ(all.allocated_gpu_milli_ms, 32.0L * kMilliPerGpu * kHour);
  EXPECT_EQ(all.available_gpu_milli_ms, 48.0L * kMilliPerGpu * kHour);
}

TEST(VcReplay, SizesMustBeWholeNodes) {
  VcReplayOptions o;
  EXPECT_FALSE(RunVcReplay(SmallTrace(), {{"a", 12}}, o).ok());
  // A cluster of 0 nodes runs nothing: its jobs are excluded, counted under their reason.
  const Result<VcReplay> r = RunVcReplay(SmallTrace(), {{"a", 0}, {"b", 8}}, o);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.value().excluded.at("virtual cluster with 0 nodes"), 3);
}

// Issue 11 item 2: a cluster of 3,000,000,000 nodes went negative through an int
// (std::length_error, exit 134), and 4,294,967,297 nodes silently became one. Quotas from anywhere
// but LoadVcQuotas (which bounds them at the field) are checked here too.
TEST(VcReplay, ClusterSizesBeyondTheLimitAreErrors) {
  VcReplayOptions o;
  for (const std::int64_t nodes : {std::int64_t{3'000'000'000}, std::int64_t{4'294'967'297}}) {
    const Result<VcReplay> r = RunVcReplay(SmallTrace(), {{"a", nodes * 8}}, o);
    ASSERT_FALSE(r.ok()) << nodes;
    EXPECT_EQ(r.message(),
              "virtual cluster 'a': expected 1 to 1000000 nodes, got " + std::to_string(nodes));
  }
  // GPUs per node of 0 once divided by zero.
  o.gpus_per_node = 0;
  const Result<VcReplay> zero = RunVcReplay(SmallTrace(), {{"a", 8}}, o);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.message(), "GPUs per node of the virtual clusters: expected 1 to 64, got 0");
}

TEST(VcReplay, ThreadsDoNotChangeResults) {
  VcReplayOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const VcReplay a = RunVcReplay(SmallTrace(), {{"a", 8}, {"b", 8}}, one).value();
  const VcReplay b = RunVcReplay(SmallTrace(), {{"a", 8}, {"b", 8}}, two).value();
  for (size_t i = 0; i < a.vcs.size(); ++i) {
    ASSERT_EQ(a.vcs[i].result.jobs.size(), b.vcs[i].result.jobs.size());
    for (size_t j = 0; j < a.vcs[i].result.jobs.size(); ++j) {
      EXPECT_EQ(a.vcs[i].result.jobs[j].end, b.vcs[i].result.jobs[j].end);
    }
  }
}

}  // namespace
}  // namespace gpufleet
