// The elastic pool by hand: the queue's forecast, which site is asked for how many nodes, when
// they serve and when they go back.
#include "sim/elastic_pool.h"

#include <gtest/gtest.h>

#include "test_fleets.h"

namespace gpufleet {
namespace {

bool kUp(NodeId) { return false; }  // no node down

TEST(ForecastStarts, ListSchedulesTheQueueOnTheGpusAsTheyComeFree) {
  // 4 GPUs free; running: 4 back at 2h, 8 back at 5h (16 in all). Queue: 8 GPUs for 1h, 4 for
  // 1h, 16 for 1h, 17.
  //   8 GPUs: 4 free, +4 at 2h = 8: starts at 2h, gives them back at 3h.
  //   4 GPUs: 0 free; the 8 back at 3h: starts at 3h (4 left), gives them back at 4h.
  //   16 GPUs: 4 free, +4 at 4h, +8 at 5h = 16: starts at 5h.
  //   17 GPUs: more than the 16 there are: never (and blocks no one).
  const QueueForecast forecast = ForecastStarts(4, {{2 * kHour, 4}, {5 * kHour, 8}},
                                                {{8, kAnyModel, kHour},
                                                 {4, kAnyModel, kHour},
                                                 {16, kAnyModel, kHour},
                                                 {17, kAnyModel, kHour}},
                                                0);
  EXPECT_EQ(forecast.starts, (std::vector<SimTime>{2 * kHour, 3 * kHour, 5 * kHour, kNever}));
  EXPECT_EQ(forecast.spare_now, 4);  // no job starts at 0: the 4 free stay spare
  // Free GPUs enough: now; 2 of the 10 left spare.
  const QueueForecast now = ForecastStarts(10, {}, {{8, kAnyModel, kHour}}, 7);
  EXPECT_EQ(now.starts, (std::vector<SimTime>{7}));
  EXPECT_EQ(now.spare_now, 2);
}

// Site 0 owned (one DGX); sites 1 and 2 elastic, two DGX each, rented at $4 and $3 a GPU-hour:
// site 2 is the cheaper one, asked first. Provisioning 10 min, release after 30 min idle, renting
// when a queued job's forecast wait exceeds 1 h.
std::string TwoElasticSites(const std::string& outage_free = "") {
  auto elastic = [](const std::string& name, const std::string& provider) {
    return "  - {name: " + name + ", provider: " + provider +
           ", power_budget_mw: 1, elastic: {provisioning: 10m, release_after_idle: 30m, "
           "rent_when_wait_exceeds: 1h}, domains: [{name: d, count: 2, node_type: dgx-h100}]}\n";
  };
  return "providers:\n"
         "  - {name: lab}\n"
         "  - {name: dear, kind: cloud, gpu_hour_usd: 4}\n"
         "  - {name: cheap, kind: cloud, gpu_hour_usd: 3}\n"
         "sites:\n"
         "  - {name: campus, provider: lab, power_budget_mw: 1, domains: [{name: d, node_type: "
         "dgx-h100}]}\n" +
         elastic("dear-site", "dear") + elastic("cheap-site", "cheap") + outage_free;
}

// An owned DGX H100; elastic a100s (two DGX A100 at $4 a GPU-hour) and h100s (`h100_nodes` DGX
// H100 at $3: the cheaper, asked first).
std::string CampusA100sAndH100s(int h100_nodes) {
  return "providers: [{name: lab}, {name: dear, kind: cloud, gpu_hour_usd: 4}, "
         "{name: cheap, kind: cloud, gpu_hour_usd: 3}]\n"
         "sites:\n"
         "  - {name: campus, provider: lab, power_budget_mw: 1, domains: [{name: d, node_type: "
         "dgx-h100}]}\n"
         "  - {name: a100s, provider: dear, power_budget_mw: 1, elastic: {}, domains: [{name: d, "
         "count: 2, node_type: dgx-a100}]}\n"
         "  - {name: h100s, provider: cheap, power_budget_mw: 1, elastic: {}, domains: [{name: d, "
         "count: " +
         std::to_string(h100_nodes) + ", node_type: dgx-h100}]}\n";
}

TEST(ElasticPool, AsksTheCheapestSiteForWhatTheQueueLacks) {
  const Fleet fleet = testing::MustParseFleet(TwoElasticSites());
  ElasticPool pool(fleet, {});
  ASSERT_TRUE(pool.any());
  // Nodes 1-2 are dear-site's, 3-4 cheap-site's; all absent at first, the campus's node 0 not.
  EXPECT_EQ(pool.nodes(), (std::vector<NodeId>{1, 2, 3, 4}));
  EXPECT_FALSE(pool.Absent(0));
  EXPECT_TRUE(pool.Absent(3));
  // The campus's 8 GPUs run a job until 10h; queued: 8 GPUs (forecast wait 10h), 16 GPUs (more
  // than the 8 GPUs there are: never). 24 GPUs wait more than 1h: cheap-site's two nodes (16
  // GPUs), then one of dear-site's.
  pool.Plan(0, 0, {0}, {{10 * kHour, 8}}, {{8, kAnyModel, kHour}, {16, kAnyModel, kHour}}, false,
            kUp);
  EXPECT_EQ(pool.provisioning(), 3);
  EXPECT_EQ(pool.next_wake(), 10 * kMinute);
  // Asked again at once: the nodes on their way are capacity from 10 min, within the 1 h.
  pool.Plan(kMinute, 0, {0}, {{10 * kHour, 8}}, {{8, kAnyModel, kHour}, {16, kAnyModel, kHour}},
            false, kUp);
  EXPECT_EQ(pool.provisioning(), 3);
  EXPECT_EQ(pool.Arrivals(10 * kMinute), (std::vector<NodeId>{1, 3, 4}));
  EXPECT_TRUE(pool.ReleaseIdle(10 * kMinute, 0).empty());
  EXPECT_EQ(pool.provisioning(), 0);
  EXPECT_FALSE(pool.Absent(3));
  // Node 3 busy from 10 min to 2h 10min; nodes 1 and 4 never: released at 40 min.
  pool.CountHeld(3, 8, 10 * kMinute);
  EXPECT_EQ(pool.next_wake(), 40 * kMinute);
  EXPECT_EQ(pool.ReleaseIdle(40 * kMinute, 0), (std::vector<NodeId>{1, 4}));
  EXPECT_TRUE(pool.Absent(4));
  pool.CountHeld(3, -8, 130 * kMinute);
  EXPECT_EQ(pool.next_wake(), 160 * kMinute);
  // Idle for 30 min again: given back at 2h 40min.
  EXPECT_TRUE(pool.ReleaseIdle(159 * kMinute, 0).empty());
  EXPECT_EQ(pool.ReleaseIdle(160 * kMinute, 0), (std::vector<NodeId>{3}));
  EXPECT_EQ(pool.next_wake(), kNever);
  // Billed from arrival to release: cheap-site node 3 for 150 min, node 4 for 30 min; dear-site
  // node 1 for 30 min.
  const std::vector<SimResult::ElasticSite> stats = pool.Finish(5 * kHour);
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].site, 1);
  EXPECT_EQ(stats[0].held_node_ms, 30 * kMinute);
  EXPECT_EQ(stats[0].asked, 1);
  EXPECT_EQ(stats[1].site, 2);
  EXPECT_EQ(stats[1].held_node_ms, 180 * kMinute);
  EXPECT_EQ(stats[1].held_gpu_ms, 8.0L * 180 * kMinute);
  EXPECT_EQ(stats[1].acquired, 2);
  EXPECT_EQ(stats[1].released, 2);
  EXPECT_EQ(stats[1].peak_nodes, 2);
}

TEST(ElasticPool, WaitsAtTheThresholdAndBillsHeldNodesToTheEnd) {
  const Fleet fleet = testing::MustParseFleet(TwoElasticSites());
  ElasticPool pool(fleet, {});
  // Forecast wait exactly 1h: not more than the threshold, nothing asked.
  pool.Plan(0, 0, {0}, {{kHour, 8}}, {{8, kAnyModel, kHour}}, false, kUp);
  EXPECT_EQ(pool.provisioning(), 0);
  // A job larger than the whole fleet (48 GPUs > 40) is not asked for; 8 GPUs are, at
  // cheap-site.
  pool.Plan(0, 0, {0}, {{2 * kHour, 8}}, {{48, kAnyModel, kHour}, {8, kAnyModel, kHour}}, false,
            kUp);
  EXPECT_EQ(pool.provisioning(), 1);
  pool.Arrivals(10 * kMinute);
  pool.CountHeld(3, 8, 10 * kMinute);
  // Still held at the end (4h): billed until then.
  const std::vector<SimResult::ElasticSite> stats = pool.Finish(4 * kHour);
  EXPECT_EQ(stats[1].held_node_ms, 4 * kHour - 10 * kMinute);
  EXPECT_EQ(stats[1].released, 0);
}

TEST(ElasticPool, NothingIsProvisionedDuringAnOutage) {
  const Fleet fleet = testing::MustParseFleet(TwoElasticSites());
  // cheap-site (site 2) is out from 5 min to 1h.
  BoundOutage out;
  out.target = "site cheap-site";
  out.at = 5 * kMinute;
  out.duration = 55 * kMinute;
  out.sites = {2};
  ElasticPool pool(fleet, {out});
  // Asked at 0, before the outage: node 3 would serve at 10 min, in it: at 1h instead.
  pool.Plan(0, 0, {0}, {{10 * kHour, 8}}, {{8, kAnyModel, kHour}}, false, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
  EXPECT_TRUE(pool.Arrivals(10 * kMinute).empty());
  EXPECT_EQ(pool.next_wake(), kHour);
  // At 20 min a second job waits: the first is forecast on node 3 at 1h (within the threshold),
  // the second at 2h, when the first's estimate is over. cheap-site is out: dear-site's node 1 is
  // asked for, serving at 30 min.
  pool.Plan(20 * kMinute, 0, {0}, {{10 * kHour, 8}}, {{8, kAnyModel, kHour}, {8, kAnyModel, kHour}},
            false, kUp);
  EXPECT_EQ(pool.provisioning(), 2);
  EXPECT_EQ(pool.Arrivals(30 * kMinute), (std::vector<NodeId>{1}));
  EXPECT_EQ(pool.Arrivals(kHour), (std::vector<NodeId>{3}));
  EXPECT_EQ(pool.provisioning(), 0);
}

TEST(ElasticPool, ASiteThatGaveNodesBackIdleIsNotAskedAgainUntilTheQueueChanges) {
  const Fleet fleet = testing::MustParseFleet(TwoElasticSites());
  ElasticPool pool(fleet, {});
  // Stalled (nothing runs, nothing on its way, nothing free: the campus is down, say): the queued
  // 8-GPU job is asked for. One node at cheap-site.
  pool.Plan(0, 1, {0}, {}, {{8, kAnyModel, kHour}}, true, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
  EXPECT_EQ(pool.Arrivals(10 * kMinute), (std::vector<NodeId>{3}));
  // It did not help (the job fits only the campus, say): idle, given back at 40 min, with the
  // queue unchanged (stamp 1).
  EXPECT_EQ(pool.ReleaseIdle(40 * kMinute, 1), (std::vector<NodeId>{3}));
  // Asked again with the same stamp: cheap-site is skipped, dear-site asked instead.
  pool.Plan(41 * kMinute, 1, {0}, {}, {{8, kAnyModel, kHour}}, true, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
  EXPECT_EQ(pool.Arrivals(51 * kMinute), (std::vector<NodeId>{1}));
  EXPECT_EQ(pool.ReleaseIdle(81 * kMinute, 1), (std::vector<NodeId>{1}));
  // Both gave back idle: nothing is asked until the queue changes; then cheap-site again.
  pool.Plan(82 * kMinute, 1, {0}, {}, {{8, kAnyModel, kHour}}, true, kUp);
  EXPECT_EQ(pool.provisioning(), 0);
  pool.Plan(83 * kMinute, 2, {0}, {}, {{8, kAnyModel, kHour}}, true, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
  EXPECT_EQ(pool.Arrivals(93 * kMinute), (std::vector<NodeId>{3}));
}

TEST(ElasticPool, AsksOnceForWhatAJobLacks) {
  const Fleet fleet = testing::MustParseFleet(TwoElasticSites());
  ElasticPool pool(fleet, {});
  // 8 GPUs of the campus free; a 16-GPU job waits for ever (16 > the 8 there are): it lacks 8,
  // one node. Asked again every minute, nothing more: with the node on its way it is forecast to
  // start at 10 min, within the 1h threshold.
  for (SimTime t = 0; t < 10 * kMinute; t += kMinute) {
    pool.Plan(t, 1, {8}, {}, {{16, kAnyModel, kHour}}, false, kUp);
    EXPECT_EQ(pool.provisioning(), 1) << t;
  }
  EXPECT_EQ(pool.Arrivals(10 * kMinute), (std::vector<NodeId>{3}));
}

TEST(ElasticPool, NoPlanAsksForMoreThanTheQueueBeyondWhatIsOnItsWay) {
  const Fleet fleet = testing::MustParseFleet(TwoElasticSites());
  ElasticPool pool(fleet, {});
  // Stalled, 8 GPUs free, a 16-GPU job: one cheap-site node (node 3). A minute later the 8 free
  // GPUs are gone (a failure) and nothing runs: the job lacks 16, but the queue's 16 GPUs less
  // the 8 on their way leave 8 to ask for - one node more (node 4), not two (which would take
  // dear-site's node 1 too).
  pool.Plan(0, 1, {8}, {}, {{16, kAnyModel, kHour}}, true, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
  pool.Plan(kMinute, 2, {0}, {}, {{16, kAnyModel, kHour}}, false, kUp);
  EXPECT_EQ(pool.provisioning(), 2);
  EXPECT_EQ(pool.Arrivals(11 * kMinute), (std::vector<NodeId>{3, 4}));
}

TEST(ElasticPool, NodesOnTheirWayOfAnyModelCountForAJobOfAnyModel) {
  // h100s (cheaper, one node) and a100s (two). Stalled with the campus's 8 H100s free, a 16-GPU
  // job of any model lacks 8: h100s's node. A minute later the campus's GPUs are gone: the job
  // lacks 16 and h100s has no node left; a100s's ceiling is the job's 16 less the 8 H100s on
  // their way - one A100 node, not two.
  const Fleet fleet = testing::MustParseFleet(CampusA100sAndH100s(1));
  const ModelId h100 = fleet.NodeModel(0);
  std::vector<std::int64_t> free(fleet.gpu_models().size(), 0);
  free[static_cast<size_t>(h100)] = 8;
  ElasticPool pool(fleet, {});
  pool.Plan(0, 1, free, {}, {{16, kAnyModel, kHour}}, true, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
  free[static_cast<size_t>(h100)] = 0;
  pool.Plan(kMinute, 2, free, {}, {{16, kAnyModel, kHour}}, false, kUp);
  EXPECT_EQ(pool.provisioning(), 2);
  EXPECT_EQ(pool.Arrivals(kHour), (std::vector<NodeId>{3, 1}));  // by arrival
}

TEST(ElasticPool, NodesOnTheirWayForAJobOfOneModelAreNotSpareForOthers) {
  // An H100 job and a job of any model, 16 GPUs each, both larger than the campus's 8 (busy for
  // 10h). h100s gives its two nodes to the H100 job (first in the queue); a100s is asked for the
  // other's 16: the H100s on their way are all the H100 job's, none spare for it.
  const Fleet fleet = testing::MustParseFleet(CampusA100sAndH100s(2));
  const ModelId h100 = fleet.NodeModel(0);
  ElasticPool pool(fleet, {});
  pool.Plan(0, 1, std::vector<std::int64_t>(fleet.gpu_models().size(), 0), {{10 * kHour, 8}},
            {{16, h100, kHour}, {16, kAnyModel, kHour}}, false, kUp);
  EXPECT_EQ(pool.provisioning(), 4);
}

TEST(ElasticPool, ProvisioningSlowerThanTheThresholdAsksOnce) {
  // Threshold 5 min, provisioning 30 min: a job waiting for the node on its way (forecast at
  // 30 min) is not asked for again: a node asked for later would serve later still.
  const Fleet fleet = testing::MustParseFleet(
      "providers: [{name: lab}, {name: c, kind: cloud, gpu_hour_usd: 3}]\n"
      "sites:\n"
      "  - {name: campus, provider: lab, power_budget_mw: 1, domains: [{name: d, node_type: "
      "dgx-h100}]}\n"
      "  - {name: burst, provider: c, power_budget_mw: 1, elastic: {provisioning: 30m, "
      "rent_when_wait_exceeds: 5m}, domains: [{name: d, count: 8, node_type: dgx-h100}]}\n");
  ElasticPool pool(fleet, {});
  for (SimTime t = 0; t < 30 * kMinute; t += kMinute) {
    pool.Plan(t, 1, {0}, {{10 * kHour, 8}}, {{8, kAnyModel, kHour}}, false, kUp);
  }
  EXPECT_EQ(pool.provisioning(), 1);
}

TEST(ElasticPool, StalledIdleGpusCoverTheQueue) {
  const Fleet fleet = testing::MustParseFleet(TwoElasticSites());
  ElasticPool pool(fleet, {});
  // Stalled with 8 GPUs free (a rented node idle, say): an 8-GPU job that does not start on them
  // lacks nothing those GPUs would not give; a 16-GPU one lacks 8.
  pool.Plan(0, 1, {8}, {}, {{8, kAnyModel, kHour}}, true, kUp);
  EXPECT_EQ(pool.provisioning(), 0);
  pool.Plan(0, 1, {8}, {}, {{16, kAnyModel, kHour}}, true, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
}

TEST(ElasticPool, EachSiteCoversTheJobsOfItsModel) {
  // h100s (cheaper) has H100s, a100s A100s. A 16-GPU H100 job waits for ever (16 > the 8 GPUs
  // there are), an A100 job is forecast at 10h: two H100 nodes and one A100 node, in the same plan
  // (the H100 nodes asked for cover nothing of the A100 job).
  const Fleet fleet = testing::MustParseFleet(CampusA100sAndH100s(2));
  const ModelId h100 = fleet.NodeModel(0), a100 = fleet.NodeModel(1);
  ASSERT_NE(h100, a100);
  ElasticPool pool(fleet, {});
  pool.Plan(0, 1, {0}, {{10 * kHour, 8}}, {{16, h100, kHour}, {8, a100, kHour}}, false, kUp);
  EXPECT_EQ(pool.provisioning(), 3);
  EXPECT_EQ(pool.Arrivals(10 * kMinute), (std::vector<NodeId>{1, 3, 4}));
}

TEST(ElasticPool, AFailedNodeIsGivenBackAndNotAskedForWhileDown) {
  const Fleet fleet = testing::MustParseFleet(TwoElasticSites());
  ElasticPool pool(fleet, {});
  pool.Plan(0, 1, {0}, {{10 * kHour, 8}}, {{8, kAnyModel, kHour}}, false, kUp);
  EXPECT_EQ(pool.Arrivals(10 * kMinute), (std::vector<NodeId>{3}));
  EXPECT_TRUE(pool.Lose(3, kHour));
  EXPECT_TRUE(pool.Absent(3));
  EXPECT_FALSE(pool.Lose(0, kHour));  // the campus's: not elastic
  // Node 3 down: the next ask goes to node 4.
  pool.Plan(kHour, 2, {0}, {{10 * kHour, 8}}, {{8, kAnyModel, kHour}}, false,
            [](NodeId n) { return n == 3; });
  EXPECT_EQ(pool.Arrivals(kHour + 10 * kMinute), (std::vector<NodeId>{4}));
  const std::vector<SimResult::ElasticSite> stats = pool.Finish(2 * kHour);
  EXPECT_EQ(stats[1].held_node_ms, 50 * kMinute + 50 * kMinute);  // node 3 to 1h, node 4 from 1h10
  EXPECT_EQ(stats[1].released, 1);
}

TEST(ElasticPool, IdleGpusOfAnotherModelCoverNothing) {
  // The campus's 8 H100s idle; an 8-GPU A100 job waits, nothing runs (stalled): the idle H100s
  // are no use to it, one A100 node is asked for.
  const Fleet fleet = testing::MustParseFleet(
      "providers: [{name: lab}, {name: c, kind: cloud, gpu_hour_usd: 4}]\n"
      "sites:\n"
      "  - {name: campus, provider: lab, power_budget_mw: 1, domains: [{name: d, node_type: "
      "dgx-h100}]}\n"
      "  - {name: a100s, provider: c, power_budget_mw: 1, elastic: {}, domains: [{name: d, "
      "count: 2, node_type: dgx-a100}]}\n");
  const ModelId h100 = fleet.NodeModel(0), a100 = fleet.NodeModel(1);
  std::vector<std::int64_t> free(fleet.gpu_models().size(), 0);
  free[static_cast<size_t>(h100)] = 8;
  ElasticPool pool(fleet, {});
  pool.Plan(0, 1, free, {}, {{8, a100, kHour}}, true, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
  // An H100 job in its place is covered by them: nothing asked.
  ElasticPool other(fleet, {});
  other.Plan(0, 1, free, {}, {{8, h100, kHour}}, true, kUp);
  EXPECT_EQ(other.provisioning(), 0);
}

TEST(ElasticPool, ARunPastItsEstimateFreesNothingSpare) {
  // A 16-GPU run is past its estimate (the forecast frees it now); nothing is free in truth. A
  // 4-GPU job waiting since 0 (past the 1h threshold at 2h) lacks all 4: one node.
  const Fleet fleet = testing::MustParseFleet(TwoElasticSites());
  ElasticPool pool(fleet, {});
  pool.Plan(2 * kHour, 1, {0}, {{2 * kHour, 16}}, {{4, kAnyModel, kHour, 0}}, false, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
}

TEST(ElasticPool, AJobWaitingForWhatTheForecastMissesIsAskedForAtOneSiteOnce) {
  // At 2h an 8-GPU job waiting since 0 is forecast to start now on 8 free GPUs, yet waits
  // (topology, power): past its 1h threshold, one cheap-site node is asked for. A minute later
  // nothing more, at neither site: what is on its way is for it.
  const Fleet fleet = testing::MustParseFleet(TwoElasticSites());
  ElasticPool pool(fleet, {});
  pool.Plan(2 * kHour, 1, {8}, {}, {{8, kAnyModel, kHour, 0}}, false, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
  pool.Plan(2 * kHour + kMinute, 2, {8}, {}, {{8, kAnyModel, kHour, 0}}, false, kUp);
  EXPECT_EQ(pool.provisioning(), 1);
  EXPECT_EQ(pool.Arrivals(2 * kHour + 10 * kMinute), (std::vector<NodeId>{3}));
}

}  // namespace
}  // namespace gpufleet
