#include "sched/capacity_index.h"

#include <gtest/gtest.h>

#include "test_fleets.h"

namespace gpufleet {
namespace {

// 2 pods x 2 leaves x 2 DGX H100: 8 nodes, 64 GPUs. Nodes 0-1 in leaf 0 (pod 0), 2-3 in leaf 1
// (pod 0), 4-5 in leaf 2 (pod 1), 6-7 in leaf 3 (pod 1).
class CapacityIndexTest : public ::testing::Test {
 protected:
  CapacityIndexTest()
      : fleet_(testing::MustParseFleet(testing::DgxFleetYaml(2, 2, 2))), index_(fleet_) {}
  Allocation TakeOn(NodeId n, std::uint64_t mask) {
    Allocation a;
    a.model = 0;
    a.nodes.push_back({n, mask});
    index_.Take(a);
    return a;
  }
  Fleet fleet_;
  CapacityIndex index_;
};

TEST_F(CapacityIndexTest, EmptyFleetTable) {
  EXPECT_EQ(index_.Free(0, 0), 64);
  EXPECT_EQ(index_.MostFree(0, Level::kPod, 0), 32);
  EXPECT_EQ(index_.MostFree(0, Level::kLeaf, 0), 16);
  EXPECT_EQ(index_.MostFree(0, Level::kDomain, 0), 8);
  EXPECT_EQ(index_.Capacity(Level::kLeaf, 0), 16);
}

TEST_F(CapacityIndexTest, SmallJobGoesToTheMostOccupiedNodeThatFits) {
  // Node 5 has 3 free GPUs, node 2 has 6 free: a 3-GPU job fits node 5 exactly. Descent: pod 1
  // (29 free) is more occupied than pod 0 (30 free); in pod 1, leaf 2 (11 free) over leaf 3
  // (16); in leaf 2, node 5 (3 free) over node 4 (8).
  TakeOn(5, 0b00011111);
  TakeOn(2, 0b00000011);
  std::optional<Allocation> a = index_.Place(3, 0, Level::kDomain);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->nodes.size(), 1u);
  EXPECT_EQ(a->nodes[0].node, 5);
  EXPECT_EQ(a->nodes[0].mask, 0b11100000u);
  EXPECT_FALSE(index_.Verify());
}

TEST_F(CapacityIndexTest, GangSpansFewestChildrenLargestFirst) {
  // 20 GPUs with `pod`: no leaf has 20 free (16 each), each pod has 32. Pod 0 is chosen (tie,
  // lowest id); inside it leaf 0 is taken whole (16), the remaining 4 go to the tightest child
  // that holds them: leaf 1, and inside it node 2 (first of two 8-free nodes).
  std::optional<Allocation> a = index_.Place(20, 0, Level::kPod);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->Gpus(), 20);
  ASSERT_EQ(a->nodes.size(), 3u);
  EXPECT_EQ(a->nodes[0].node, 0);
  EXPECT_EQ(a->nodes[1].node, 1);
  EXPECT_EQ(a->nodes[2].node, 2);
  EXPECT_EQ(a->nodes[2].mask, 0b1111u);
  EXPECT_EQ(index_.Free(0, 0), 44);
  index_.Release(*a);
  EXPECT_EQ(index_.Free(0, 0), 64);
  EXPECT_FALSE(index_.Verify());
}

TEST_F(CapacityIndexTest, ConstraintRefusesWhatOnlyFitsAcrossSubtrees) {
  // One GPU busy in each leaf: 60 free in all, 15 per leaf: 16 GPUs fit `pod` but not `leaf`.
  for (NodeId n : {0, 2, 4, 6}) TakeOn(n, 1);
  EXPECT_FALSE(index_.Place(16, 0, Level::kLeaf));
  EXPECT_FALSE(index_.Verify());  // a failed placement changes nothing
  std::optional<Allocation> a = index_.Place(16, 0, Level::kPod);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->Gpus(), 16);
}

TEST_F(CapacityIndexTest, FailedNodesOfferNothingUntilRepaired) {
  index_.SetNodeUp(0, false);
  EXPECT_EQ(index_.Free(0, 0), 56);
  EXPECT_EQ(index_.MostFree(0, Level::kLeaf, 0), 16);  // leaf 1 is still whole
  index_.SetNodeUp(2, false);
  index_.SetNodeUp(4, false);
  index_.SetNodeUp(6, false);
  EXPECT_FALSE(index_.Place(9, 0, Level::kDomain));
  EXPECT_FALSE(index_.Place(9, 0, Level::kLeaf));
  index_.SetNodeUp(6, true);
  EXPECT_TRUE(index_.Place(16, 0, Level::kLeaf));
  EXPECT_FALSE(index_.Verify());
}

TEST_F(CapacityIndexTest, BlockedSubtreeIsInvisible) {
  const TopoId pod0 = fleet_.LevelBegin(Level::kPod);
  index_.Block(pod0);
  EXPECT_EQ(index_.Free(0, 0), 32);
  std::optional<Allocation> a = index_.Place(32, 0, Level::kFleet);
  ASSERT_TRUE(a);
  for (const NodeGpus& ng : a->nodes) EXPECT_GE(ng.node, 4);
  EXPECT_FALSE(index_.Place(1, 0, Level::kFleet));
  index_.Unblock(pod0);
  EXPECT_EQ(index_.Free(0, 0), 32);
  EXPECT_FALSE(index_.Verify());
}

TEST_F(CapacityIndexTest, NothingIsPlacedInsideAHiddenSubtree) {
  // Pod 0 hidden: placing inside it, or inside one of its leaves, finds nothing, though all 32 of
  // its GPUs are free; a shared GPU (the scan's path) neither.
  const TopoId pod0 = fleet_.LevelBegin(Level::kPod);
  const TopoId leaf0 = fleet_.topo(pod0).first_child;
  index_.Block(pod0);
  EXPECT_TRUE(index_.Hidden(leaf0));
  EXPECT_FALSE(index_.Place(1, 0, Level::kFleet, pod0));
  EXPECT_FALSE(index_.Place(1, 0, Level::kFleet, leaf0));
  GangRequest share;
  share.gpus = 1;
  share.milli = 500;
  share.model = 0;
  share.constraint = Level::kDomain;
  EXPECT_FALSE(index_.Place(share, leaf0));
  index_.Unblock(pod0);
  EXPECT_TRUE(index_.Place(1, 0, Level::kFleet, leaf0));
  EXPECT_TRUE(index_.Place(share, leaf0));
  EXPECT_FALSE(index_.Verify());
}

TEST(CapacityIndex, AnyModelPicksTheTightestFit) {
  // Site a: 1 DGX H100 (8 GPUs); site b: 2 DGX H200. A 16-GPU `leaf` job fits only the H200s.
  const Fleet f = testing::MustParseFleet(
      "sites:\n"
      "  - {name: a, power_budget_mw: 1, domains: [{name: d, count: 1, node_type: dgx-h100}]}\n"
      "  - {name: b, power_budget_mw: 1, domains: [{name: d, count: 2, node_type: dgx-h200}]}\n");
  CapacityIndex index(f);
  std::optional<Allocation> a = index.Place(16, kAnyModel, Level::kLeaf);
  ASSERT_TRUE(a);
  EXPECT_EQ(f.gpu_models()[static_cast<size_t>(a->model)].name, "h200");
  // A 4-GPU job could go to either; a node-level fit exists for both, the first model wins.
  std::optional<Allocation> b = index.Place(4, kAnyModel, Level::kDomain);
  ASSERT_TRUE(b);
  EXPECT_EQ(f.gpu_models()[static_cast<size_t>(b->model)].name, "h100");
}

}  // namespace
}  // namespace gpufleet

namespace gpufleet {
namespace {

// One DGX H100 with its host: 8 GPUs, 112 cores (112,000 milli-CPU), 2 TB.
class SharedIndexTest : public ::testing::Test {
 protected:
  SharedIndexTest()
      : fleet_(testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2))), index_(fleet_) {}
  GangRequest Share(int milli) {
    GangRequest r;
    r.gpus = 1;
    r.model = 0;
    r.milli = milli;
    return r;
  }
  Fleet fleet_;
  CapacityIndex index_;
};

TEST_F(SharedIndexTest, SharesPackOntoPartlyUsedGpus) {
  // 600 milli on an empty fleet: node 0, GPU 0. Then 300: the tightest GPU that fits is GPU 0 of
  // node 0 (400 left) rather than any entirely free GPU. Then 500: GPU 0 has 100 left, too
  // little: GPU 1 of node 0 (node 0 is tighter than node 1: its leftover 500 ties with node 1's,
  // and the lower id wins).
  const std::optional<Allocation> a = index_.Place(Share(600));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->nodes[0].node, 0);
  EXPECT_EQ(a->nodes[0].mask, 1u);
  EXPECT_EQ(index_.GpuFreeMilli(0, 0), 400);
  const std::optional<Allocation> b = index_.Place(Share(300));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->nodes[0].mask, 1u);
  EXPECT_EQ(index_.GpuFreeMilli(0, 0), 100);
  const std::optional<Allocation> c = index_.Place(Share(500));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->nodes[0].node, 0);
  EXPECT_EQ(c->nodes[0].mask, 2u);
  // Whole-GPU gangs see only entirely free GPUs: 16 - 2 = 14.
  EXPECT_EQ(index_.Free(0, 0), 14);
  EXPECT_FALSE(index_.Place(16, 0, Level::kFleet));
  // Releasing the shares gives whole GPUs back once a GPU is empty again.
  index_.Release(*a);
  EXPECT_EQ(index_.GpuFreeMilli(0, 0), 700);
  index_.Release(*b);
  EXPECT_EQ(index_.GpuFreeMilli(0, 0), 1000);
  EXPECT_EQ(index_.Free(0, 0), 15);
  index_.Release(*c);
  EXPECT_EQ(index_.Free(0, 0), 16);
  EXPECT_FALSE(index_.Verify());
}

TEST_F(SharedIndexTest, CpuLimitsHowManyGpusANodeCanServe) {
  // Each GPU needs 40 cores beside it: a node (112 cores) serves 2 GPUs. A 4-GPU gang inside one
  // leaf therefore takes 2 GPUs on each node; a 5th GPU cannot be served anywhere.
  GangRequest r;
  r.gpus = 4;
  r.model = 0;
  r.constraint = Level::kLeaf;
  r.cpu_per_gpu = 40'000;
  const std::optional<Allocation> a = index_.Place(r);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->nodes.size(), 2u);
  EXPECT_EQ(std::popcount(a->nodes[0].mask), 2);
  EXPECT_EQ(index_.CpuFree(0), 112'000 - 80'000);
  r.gpus = 1;
  EXPECT_FALSE(index_.Place(r));  // 32 cores left on each node
  r.cpu_per_gpu = 32'000;
  EXPECT_TRUE(index_.Place(r));
  index_.Release(*a);
  EXPECT_FALSE(index_.Verify());
}

}  // namespace
}  // namespace gpufleet
