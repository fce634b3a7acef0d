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

// Issue 11 item 3: a job's allowed models are a 64-bit mask, so a fleet has at most 64 GPU models.
// A spec with 65 (here: extra models, as trace machine lists add them) is refused by name, and
// 64 build.
FleetSpec ManyModels(int models) {
  FleetSpec spec;
  spec.providers.push_back(OwnedProvider("p"));
  SiteSpec site;
  site.site.name = "s";
  site.site.power_budget_mw = 100;
  LeafGroupSpec leaf;
  for (int i = 0; i < models; ++i) {
    const std::string name = "m" + std::to_string(i);
    spec.extra_gpu_models.push_back(GpuModel{name, name, 0, 0, 0, 0, 0, 0});
    spec.node_types.push_back(NodeType{"t" + std::to_string(i), name, 8, 1, 0});
    leaf.domains.push_back(DomainGroupSpec{"d" + std::to_string(i), 1, 1, i});
  }
  PodGroupSpec pod;
  pod.leaves.push_back(std::move(leaf));
  site.pods.push_back(std::move(pod));
  spec.sites.push_back(std::move(site));
  return spec;
}

TEST(Fleet, AtMost64GpuModels) {
  const Result<Fleet> ok = Fleet::Build(ManyModels(64));
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(ok.value().gpu_models().size(), 64u);
  const Result<Fleet> more = Fleet::Build(ManyModels(65));
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.message(),
            "node type 't64': GPU model 'm64' would be the 65th of the fleet; a fleet may have at "
            "most 64 GPU models");
  // The built-in catalogue fits, whatever a fleet takes from it.
  EXPECT_LE(BuiltinGpuModels().size(), static_cast<size_t>(kMaxGpuModels));
}

// Every shift by a model id is in range: ids a fleet cannot have give no bit.
TEST(Fleet, ModelBitIsDefinedForEveryId) {
  EXPECT_EQ(ModelBit(0), 1u);
  EXPECT_EQ(ModelBit(63), std::uint64_t{1} << 63);
  EXPECT_EQ(ModelBit(64), 0u);
  EXPECT_EQ(ModelBit(kAnyModel), 0u);
  EXPECT_EQ(ModelBit(30000), 0u);
}

}  // namespace
}  // namespace gpufleet
