// `gpufleet sim --share-policy`: the capacity index places a gang that fits one node by the openb
// study's share policies (issue 13, part 8). On the same node states the index must choose what
// the study's scheduler chooses: the highest Score, ties to the lowest of the seeded node ranks.
#include <gtest/gtest.h>

#include <bit>
#include <numeric>

#include "sched/capacity_index.h"
#include "sched/shared_gpu.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

// One job's GPUs on one node: `milli` of each GPU in `mask`.
Allocation On(NodeId node, std::uint64_t mask, int milli) {
  Allocation a;
  a.model = 0;
  a.milli = milli;
  a.nodes = {{node, mask}};
  return a;
}

// The study's choice, written out independently of PickNode: scores of the feasible nodes, the
// highest wins, ties to the lowest rank (a Fisher-Yates permutation drawn from Rng(seed)).
int StudysChoice(SharePolicy policy, const std::vector<SharedNode>& nodes, const PodRequest& pod,
                 const std::vector<TypicalPod>& typical, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<int> rank(nodes.size());
  std::iota(rank.begin(), rank.end(), 0);
  for (size_t i = rank.size(); i > 1; --i) std::swap(rank[i - 1], rank[rng.Below(i)]);
  int best = -1, best_score = 0;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (!Feasible(nodes[n], pod)) continue;
    const int s = Score(policy, nodes[n], pod, typical).score;
    if (best < 0 || s > best_score ||
        (s == best_score && rank[n] < rank[static_cast<size_t>(best)])) {
      best = static_cast<int>(n);
      best_score = s;
    }
  }
  return best;
}

TEST(SharePolicyIndex, ChoosesWhatTheStudyChoosesOnTheSameNodes) {
  // Four DGX H100 (8 GPUs, 112 cores, 2 TB): node 0 holds a 500-milli share on GPU 0, node 1 four
  // whole GPUs, node 2 two 300-milli shares on GPUs 0 and 1, node 3 nothing.
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 4));
  const std::vector<Allocation> running = {On(0, 0x1, 500), On(1, 0xf, 1000), On(2, 0x1, 300),
                                           On(2, 0x2, 300)};
  std::vector<SharedNode> nodes(4);
  for (SharedNode& n : nodes) {
    n.cpu_milli = n.cpu_capacity = 112000;
    n.memory_mib = n.memory_capacity = 2048 * 1024;
    n.model = 0;
    n.gpu_free.assign(8, 1000);
  }
  nodes[0].gpu_free[0] = 500;
  nodes[0].tag_counts[0] = 1;
  for (int g = 0; g < 4; ++g) nodes[1].gpu_free[static_cast<size_t>(g)] = 0;
  nodes[1].tag_counts[4] = 1;
  nodes[2].gpu_free[0] = nodes[2].gpu_free[1] = 700;
  nodes[2].tag_counts[0] = 2;
  const std::vector<TypicalPod> typical = {{PodRequest{0, 0, 1, 500, {}}, 0.5},
                                           {PodRequest{0, 0, 1, 1000, {}}, 0.5}};
  struct Ask {
    int gpus, milli;
  };
  for (SharePolicy policy : {SharePolicy::kDotProd, SharePolicy::kClustering, SharePolicy::kPacking,
                             SharePolicy::kBestFit, SharePolicy::kFgd}) {
    for (std::uint64_t seed : {1u, 7u, 42u}) {
      CapacityIndex index(fleet);
      index.UseSharePolicy(policy, typical, seed);
      for (const Allocation& a : running) {
        index.Take(a);
        index.CountTags(a, +1);  // as the scheduler counts a job that starts
      }
      for (const Ask& ask : {Ask{1, 250}, Ask{1, 700}, Ask{2, 1000}, Ask{4, 1000}, Ask{8, 1000}}) {
        GangRequest r;
        r.gpus = ask.gpus;
        r.milli = ask.milli;
        PodRequest pod;
        pod.gpus = ask.gpus;
        pod.milli = ask.milli;
        const int expected = StudysChoice(policy, nodes, pod, typical, seed);
        const std::optional<Allocation> got = index.Place(r);
        ASSERT_TRUE(got.has_value()) << SharePolicyName(policy) << " " << ask.gpus;
        ASSERT_EQ(got->nodes.size(), 1u);
        EXPECT_EQ(got->nodes.front().node, expected) << SharePolicyName(policy) << " seed " << seed
                                                     << ": " << ask.gpus << " x " << ask.milli;
        // The GPUs the policy's Score binds on that node.
        std::uint64_t mask = 0;
        for (int g : Score(policy, nodes[static_cast<size_t>(expected)], pod, typical).gpus)
          mask |= std::uint64_t{1} << g;
        EXPECT_EQ(got->nodes.front().mask, mask) << SharePolicyName(policy);
        index.Release(*got);
      }
    }
  }
}

// A gang larger than any node is placed as before; a share no node can hold is refused; random
// picks among the feasible nodes only.
TEST(SharePolicyIndex, LargerGangsAsBeforeAndRandomStaysFeasible) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 4));
  CapacityIndex index(fleet);
  index.UseSharePolicy(SharePolicy::kRandom, {}, 3);
  const std::optional<Allocation> big = index.Place(16, 0, Level::kFleet);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->Gpus(), 16);
  for (int i = 0; i < 16; ++i) {
    GangRequest r;
    r.milli = 600;
    const std::optional<Allocation> a = index.Place(r);
    ASSERT_TRUE(a.has_value()) << i;  // 16 free GPUs take 16 shares of 600, and no more
    EXPECT_EQ(index.GpuFreeMilli(a->nodes.front().node, std::countr_zero(a->nodes.front().mask)),
              400);
  }
  GangRequest r;
  r.milli = 600;
  EXPECT_FALSE(index.Place(r).has_value());
  EXPECT_FALSE(index.Verify().has_value());
}

}  // namespace
}  // namespace gpufleet
