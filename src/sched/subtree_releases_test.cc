#include "sched/subtree_releases.h"

#include <gtest/gtest.h>

#include "test_fleets.h"

namespace gpufleet {
namespace {

// Three NVLink domains of one 8-GPU node each (nodes 0, 1, 2), releases kept per domain.
class SubtreeReleasesTest : public ::testing::Test {
 protected:
  SubtreeReleasesTest()
      : fleet_(testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 3))),
        index_(fleet_),
        releases_(fleet_, Level::kDomain) {}
  // Job `id` holds `gpus` GPUs of node n (taken from the index) until `end`.
  SubtreeReleases::Release Run(NodeId n, JobId id, int gpus, SimTime end, std::uint64_t mask) {
    Allocation a;
    a.model = 0;
    a.nodes = {NodeGpus{n, mask}};
    index_.Take(a);
    const SubtreeReleases::Release r{end, id, static_cast<std::int32_t>(id), 0, gpus, 0};
    releases_.Add(Domain(n), r);
    return r;
  }
  TopoId Domain(NodeId n) const { return fleet_.Ancestor(n, Level::kDomain); }
  Fleet fleet_;
  CapacityIndex index_;
  SubtreeReleases releases_;
};

TEST_F(SubtreeReleasesTest, TheFirstDomainToHoldTheGangInReleaseOrderAndWhatItHasLeft) {
  // Node 0 full: A (4 GPUs, ends at 100) and B (4, 300); node 1: C (6, 200), 2 free; node 2
  // full: D (8, 50). Releases in order: D 50, A 100, C 200, B 300.
  Run(0, 1, 4, 100, 0x0F);  // A
  Run(0, 2, 4, 300, 0xF0);  // B
  Run(1, 3, 6, 200, 0x3F);  // C
  const SubtreeReleases::Release d = Run(2, 4, 8, 50, 0xFF);
  // 8 GPUs: node 2 holds them once D ends at 50 (node 1 at 200, node 0 at 300): shadow 50,
  // nothing left over.
  std::optional<SubtreeReleases::Crossing> c = releases_.Find(index_, 8, 0, 10);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->subtree, Domain(2));
  EXPECT_EQ(c->shadow, 50);
  EXPECT_EQ(c->blocker, 4);
  EXPECT_EQ(c->extra, 0);
  // 4 GPUs: node 2 again at 50 (node 0 would at 100), with 8 - 4 = 4 more.
  c = releases_.Find(index_, 4, 0, 10);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->subtree, Domain(2));
  EXPECT_EQ(c->extra, 4);
  // D ends: node 2 is free but no release adds to it, so, as in the replay, it never "becomes"
  // able (the gang would have been placed there). Node 1 holds 8 when C ends at 200: 2 + 6.
  releases_.Remove(Domain(2), d);
  Allocation freed;
  freed.model = 0;
  freed.nodes = {NodeGpus{2, 0xFF}};
  index_.Release(freed);
  c = releases_.Find(index_, 8, 0, 10);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->subtree, Domain(1));
  EXPECT_EQ(c->shadow, 200);
  EXPECT_EQ(c->blocker, 3);
  EXPECT_EQ(c->extra, 0);
  // Past its estimate C still runs: the shadow is now.
  c = releases_.Find(index_, 8, 0, 250);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->shadow, 250);
  // No domain holds 9 GPUs.
  EXPECT_FALSE(releases_.Find(index_, 9, 0, 10));
}

}  // namespace
}  // namespace gpufleet
