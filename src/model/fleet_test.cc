#include "model/fleet.h"

#include <gtest/gtest.h>

#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

TEST(Fleet, ExpandsCountsBreadthFirstWithContiguousChildren) {
  // 2 pods x 3 leaves x 2 DGX = 12 nodes, 96 GPUs.
  const Fleet f = testing::MustParseFleet(testing::DgxFleetYaml(2, 3, 2));
  EXPECT_EQ(f.total_gpus(), 96);
  EXPECT_EQ(f.num_nodes(), 12);
  EXPECT_EQ(f.CountAt(Level::kSite), 1);
  EXPECT_EQ(f.CountAt(Level::kPod), 2);
  EXPECT_EQ(f.CountAt(Level::kLeaf), 6);
  EXPECT_EQ(f.CountAt(Level::kDomain), 12);
  for (TopoId t = 0; t < static_cast<TopoId>(f.topo().size()); ++t) {
    const TopoNode& n = f.topo(t);
    for (TopoId c = n.first_child; c < n.first_child + n.num_children; ++c)
      EXPECT_EQ(f.topo(c).parent, t);
  }
  // Leaves are numbered across pods (3 per pod, 2 nodes each): leaf index 3 is the first leaf of
  // the second pod and holds nodes 6 and 7.
  const TopoId leaf = f.LevelBegin(Level::kLeaf) + 3;
  EXPECT_EQ(f.NodeRange(leaf), std::make_pair(NodeId{6}, NodeId{8}));
  EXPECT_EQ(f.Path(leaf), "s/p-2/l-1");
  EXPECT_EQ(f.Ancestor(7, Level::kPod), f.LevelBegin(Level::kPod) + 1);
}

TEST(Fleet, PathsRoundTripAndSkipImplicitLevels) {
  const Fleet f = testing::MustParseFleet(
      "sites:\n"
      "  - name: cloud\n"
      "    power_budget_mw: 1\n"
      "    domains: [{name: rack, count: 2, node_type: gb200-nvl72}]\n");
  // No pods or leaves given: one implicit pod and leaf without names.
  EXPECT_EQ(f.CountAt(Level::kPod), 1);
  EXPECT_EQ(f.total_gpus(), 144);
  EXPECT_EQ(f.num_nodes(), 36);  // 2 racks x 18 trays
  EXPECT_EQ(f.Path(f.NodeTopo(20)), "cloud/rack-2/n3");
  EXPECT_EQ(f.FindPath("cloud/rack-2/n3"), f.NodeTopo(20));
  EXPECT_EQ(f.FindPath("cloud/rack-1"), f.LevelBegin(Level::kDomain));
  EXPECT_EQ(f.FindPath("cloud/rack-3"), std::nullopt);
  EXPECT_EQ(f.FindPath("nowhere"), std::nullopt);
  for (NodeId n = 0; n < f.num_nodes(); ++n)
    EXPECT_EQ(f.FindPath(f.Path(f.NodeTopo(n))), f.NodeTopo(n));
}

TEST(Fleet, StargateExampleIsAbout400kGpus) {
  Result<Fleet> f = LoadFleet(testing::SourcePath("examples/fleets/stargate-abilene.yaml"));
  ASSERT_TRUE(f.ok()) << f.message();
  // 8 buildings x 10 rows x 70 racks x 72 GPUs = 403,200.
  EXPECT_EQ(f.value().total_gpus(), 403'200);
  EXPECT_EQ(f.value().CountAt(Level::kDomain), 5'600);
}

}  // namespace
}  // namespace gpufleet
