// Round policies on hand-made states: what each admits, preempts and where it places.
#include "sched/round_policy.h"

#include <gtest/gtest.h>

#include "synthetic_app.h"

namespace gpufleet {
namespace {

// Views of jobs (id = position) with the given requests and current allocations.
struct Jobs {
  const Application* app;
  std::vector<int> replicas;
  std::vector<GpuList> allocations;
  std::vector<RoundJobView> Views() const {
    std::vector<RoundJobView> v;
    for (size_t i = 0; i < replicas.size(); ++i) {
      v.push_back(RoundJobView{static_cast<int>(i), replicas[i], 64, app, 0, &allocations[i]});
    }
    return v;
  }
};

std::vector<GpuList> MustSchedule(RoundPolicy& p, SimTime now, const Jobs& jobs,
                                  const RoundCluster& cluster) {
  Result<std::vector<GpuList>> r = p.Schedule(now, jobs.Views(), cluster);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.ok() ? r.value() : std::vector<GpuList>(jobs.replicas.size());
}

TEST(RoundPlacement, MostFreeNodeFirstLowestIdOnTies) {
  std::vector<int> free = {2, 4, 4, 1};
  EXPECT_EQ(TakeMostFree(free, 6), (GpuList{1, 1, 1, 1, 2, 2}));
  EXPECT_EQ(free, (std::vector<int>{2, 0, 2, 1}));
  // Now nodes 0 and 2 tie at 2: node 0 first.
  EXPECT_EQ(TakeMostFree(free, 3), (GpuList{0, 0, 2}));
}

TEST(RoundPlacement, FreeGpusCountKeptAllocations) {
  const GpuList a = {0, 0, 1}, b = {1};
  EXPECT_EQ(FreeGpusPerNode(RoundCluster{3, 4}, {&a, &b}), (std::vector<int>{2, 2, 4}));
}

TEST(RoundFifo, StrictBlocksBehindTheHeadBackfillDoesNot) {
  const Application app = testing::SyntheticApplication();
  const RoundCluster cluster{2, 4};
  // Job 0 runs on 6 GPUs; job 1 wants 4 (does not fit in 2), job 2 wants 2.
  Jobs jobs{&app, {6, 4, 2}, {{0, 0, 0, 0, 1, 1}, {}, {}}};
  std::unique_ptr<RoundPolicy> strict = MakeFifo(false);
  std::vector<GpuList> s = MustSchedule(*strict, 60 * kSecond, jobs, cluster);
  EXPECT_EQ(s[0], jobs.allocations[0]);
  EXPECT_TRUE(s[1].empty());
  EXPECT_TRUE(s[2].empty());
  std::unique_ptr<RoundPolicy> backfill = MakeFifo(true);
  std::vector<GpuList> b = MustSchedule(*backfill, 60 * kSecond, jobs, cluster);
  EXPECT_TRUE(b[1].empty());
  EXPECT_EQ(b[2], (GpuList{1, 1}));
}

TEST(RoundTiresias, DemotedJobIsPreemptedByANewcomerThatFits) {
  const Application app = testing::SyntheticApplication();
  const RoundCluster cluster{2, 4};
  // Threshold 480 GPU-s: job 0 on 8 GPUs crosses it after one round (60 s × 8).
  std::unique_ptr<RoundPolicy> tiresias = MakeTiresias({480 * kSecond});
  Jobs one{&app, {8}, {{}}};
  std::vector<GpuList> first = MustSchedule(*tiresias, 60 * kSecond, one, cluster);
  ASSERT_EQ(first[0], (GpuList{0, 0, 0, 0, 1, 1, 1, 1}));
  // At t = 120 job 0 has executed 60 s × 8 GPUs = 480 and drops to the second queue; job 1
  // (4 GPUs) is admitted first from the first queue, and job 0 (8) no longer fits: preempted.
  Jobs two{&app, {8, 4}, {first[0], {}}};
  std::vector<GpuList> second = MustSchedule(*tiresias, 120 * kSecond, two, cluster);
  EXPECT_TRUE(second[0].empty());
  EXPECT_EQ(second[1], (GpuList{0, 0, 0, 0}));
  // At t = 180 job 0 is still in the second queue and still waits behind job 1: it gets back
  // only what is left, and it needs 8.
  Jobs three{&app, {8, 4}, {{}, second[1]}};
  std::vector<GpuList> third = MustSchedule(*tiresias, 180 * kSecond, three, cluster);
  EXPECT_TRUE(third[0].empty());
  EXPECT_EQ(third[1], second[1]);
}

TEST(RoundTiresias, SingleQueueNeverDemotes) {
  const Application app = testing::SyntheticApplication();
  const RoundCluster cluster{2, 4};
  std::unique_ptr<RoundPolicy> las = MakeTiresias({});
  Jobs one{&app, {8}, {{}}};
  std::vector<GpuList> first = MustSchedule(*las, 60 * kSecond, one, cluster);
  Jobs two{&app, {8, 4}, {first[0], {}}};
  std::vector<GpuList> second = MustSchedule(*las, 100000 * kSecond, two, cluster);
  EXPECT_EQ(second[0], first[0]);  // first come, still first
  EXPECT_TRUE(second[1].empty());
}

TEST(RoundOptimus, EveryJobGetsOneGpuThenTheRestByMarginalGain) {
  const Application app = testing::SyntheticApplication();
  const RoundCluster cluster{2, 4};
  std::unique_ptr<RoundPolicy> optimus = MakeOptimus(4);
  EXPECT_TRUE(optimus->SizesJobs());
  Jobs jobs{&app, {1, 1, 1}, {{}, {}, {}}};
  std::vector<GpuList> a = MustSchedule(*optimus, 60 * kSecond, jobs, cluster);
  size_t used = 0;
  for (const GpuList& g : a) {
    EXPECT_GE(g.size(), 1u);
    used += g.size();
  }
  EXPECT_EQ(used, 8u);  // synthetic jobs always gain from one more GPU up to 8
  // Same state again: same counts, so every allocation is kept as it is.
  Jobs again{&app, {1, 1, 1}, a};
  EXPECT_EQ(MustSchedule(*optimus, 120 * kSecond, again, cluster), a);
}

TEST(RoundOptimus, MoreJobsThanGpusLeavesTheLastWaiting) {
  const Application app = testing::SyntheticApplication();
  std::unique_ptr<RoundPolicy> optimus = MakeOptimus(4);
  Jobs jobs{&app, {1, 1, 1}, {{}, {}, {}}};
  std::vector<GpuList> a = MustSchedule(*optimus, 60 * kSecond, jobs, RoundCluster{1, 2});
  EXPECT_EQ(a[0].size(), 1u);
  EXPECT_EQ(a[1].size(), 1u);
  EXPECT_TRUE(a[2].empty());
}

TEST(RoundPolicies, Names) {
  for (auto kind : {RoundPolicyKind::kTiresias, RoundPolicyKind::kOptimus, RoundPolicyKind::kFifo,
                    RoundPolicyKind::kFifoBackfill, RoundPolicyKind::kLas}) {
    EXPECT_EQ(ParseRoundPolicy(RoundPolicyName(kind)), kind);
  }
  EXPECT_FALSE(ParseRoundPolicy("srtf").has_value());
}

}  // namespace
}  // namespace gpufleet
