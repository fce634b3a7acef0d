// The dispatch policies (docs/MODELS.md, "Dispatch"): the sites' keys by hand, their order, and
// the scheduler placing jobs site after site in that order, a tier of equal sites by best fit,
// and never waiting for a preferred site that is full.
#include "sched/dispatch.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "sched/scheduler.h"
#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

// Three sites of one DGX H100 (8 GPUs) each: 0 rented on demand at $4/GPU-hour, 1 on spot at
// $1.50, 2 owned. Electricity: $80/MWh at the cloud sites, $50 at the campus; the design PUE is
// the default 1.3. Grid: 300 g/kWh at site 0, 400 at the campus, none given for spot.
std::string ThreeSites(const std::string& links = "") {
  auto site = [](const std::string& name, const std::string& rest) {
    return "  - {name: " + name + ", power_budget_mw: 1, " + rest +
           ", domains: [{name: d, node_type: dgx-h100}]}\n";
  };
  return "providers:\n"
         "  - {name: lab}\n"
         "  - {name: cloud, kind: cloud, gpu_hour_usd: 4, spot: {gpu_hour_usd: 1.5, "
         "reclaims_per_node_day: 0.1, notice: 30s, back_after: 1h}}\n"
         "sites:\n" +
         site("on-demand", "provider: cloud, tariff_usd_per_mwh: 80, carbon_g_per_kwh: 300") +
         site("spot", "provider: cloud, pricing: spot, tariff_usd_per_mwh: 80") +
         site("campus", "provider: lab, tariff_usd_per_mwh: 50, carbon_g_per_kwh: 400") + links;
}

JobRequest Gpus(int n) {
  JobRequest r;
  r.gpus = n;
  r.estimate = kHour;
  return r;
}

// Submits jobs 1..n of `gpus` GPUs at time `at`, one pass, and returns the site each started at.
std::map<JobId, int> PlaceJobs(Scheduler& s, const Fleet& fleet, const std::vector<int>& gpus,
                               SimTime at = 0) {
  JobId id = 1;
  for (int g : gpus) EXPECT_TRUE(s.Submit(id++, Gpus(g), at).ok());
  std::vector<Decision> out;
  EXPECT_TRUE(s.Schedule(at, out).ok());
  std::map<JobId, int> site;
  for (const Decision& d : out) {
    EXPECT_EQ(d.kind, Decision::Kind::kStart);
    site[d.job] = fleet.SiteOf(d.allocation.nodes.front().node);
    EXPECT_TRUE(s.ConfirmStart(d.job, d.epoch, at).ok());
  }
  return site;
}

Scheduler Make(const Fleet& fleet, Dispatch d, SchedulerHooks hooks = {}) {
  SchedulerConfig config;
  config.policy = "fifo";
  config.dispatch = d;
  return Scheduler::Create(fleet, config, {}, hooks).value();
}

TEST(Dispatch, NamesRoundTrip) {
  for (const std::string& name : DispatchNames()) {
    ASSERT_TRUE(ParseDispatch(name).has_value()) << name;
    EXPECT_EQ(DispatchName(*ParseDispatch(name)), name);
    EXPECT_FALSE(DispatchSummary(*ParseDispatch(name)).empty());
  }
  EXPECT_EQ(DispatchNames().size(), 5u);
  EXPECT_FALSE(ParseDispatch("fastest").has_value());
}

TEST(Dispatch, TheSitesKeysByHand) {
  const Fleet fleet = testing::MustParseFleet(ThreeSites());
  // An H100 at TDP (700 W) through PUE 1.3 draws 910 W at the meter: 0.00091 MWh an hour.
  //   on demand: 4 + 0.00091 x 80 = 4.0728; spot: 1.5 + 0.0728 = 1.5728; campus: 0.00091 x 50.
  EXPECT_NEAR(MarginalGpuHourUsd(fleet, 0, 700), 4.0728, 1e-12);
  EXPECT_NEAR(MarginalGpuHourUsd(fleet, 1, 700), 1.5728, 1e-12);
  EXPECT_NEAR(MarginalGpuHourUsd(fleet, 2, 700), 0.0455, 1e-12);
  EXPECT_DOUBLE_EQ(MeanGpuTdpW(fleet, 2), 700);
  // Carbon per IT kWh: the grid's through the PUE; none where the site gives no intensity.
  EXPECT_DOUBLE_EQ(*ItCarbonGPerKwh(fleet.sites()[0], 0), 300 * 1.3);
  EXPECT_FALSE(ItCarbonGPerKwh(fleet.sites()[1], 0).has_value());
  // Hourly: the hour's value, the series repeating.
  Site hourly = fleet.sites()[2];
  hourly.hourly_carbon_g_per_kwh = {100, 200};
  EXPECT_DOUBLE_EQ(*ItCarbonGPerKwh(hourly, 59 * kMinute), 130);
  EXPECT_DOUBLE_EQ(*ItCarbonGPerKwh(hourly, 90 * kMinute), 260);
  EXPECT_DOUBLE_EQ(*ItCarbonGPerKwh(hourly, 2 * kHour), 130);
}

TEST(Dispatch, TiersGroupEqualKeysAndPutTheUnknownLast) {
  const std::vector<std::vector<int>> tiers = TiersByKey({2.0, 1.0, std::nullopt, 1.0, 3.0});
  EXPECT_EQ(tiers, (std::vector<std::vector<int>>{{1, 3}, {0}, {4}, {2}}));
  EXPECT_EQ(TiersByKey({std::nullopt, std::nullopt}), (std::vector<std::vector<int>>{{0, 1}}));
}

TEST(Dispatch, CheapestFillsTheOwnedSiteThenSpotThenOnDemand) {
  const Fleet fleet = testing::MustParseFleet(ThreeSites());
  Scheduler s = Make(fleet, Dispatch::kCheapest);
  const std::map<JobId, int> site = PlaceJobs(s, fleet, {8, 8, 8});
  EXPECT_EQ(site, (std::map<JobId, int>{{1, 2}, {2, 1}, {3, 0}}));
  EXPECT_EQ(s.CheckInvariants(), std::nullopt);
}

TEST(Dispatch, LowestCarbonPutsTheSiteWithoutAnIntensityLast) {
  const Fleet fleet = testing::MustParseFleet(ThreeSites());
  Scheduler s = Make(fleet, Dispatch::kLowestCarbon);
  // 390 g/kWh at site 0, 520 at the campus, unknown at spot.
  EXPECT_EQ(PlaceJobs(s, fleet, {8, 8, 8}), (std::map<JobId, int>{{1, 0}, {2, 2}, {3, 1}}));
}

// An admission guard that reports fixed shares of power left and refuses the sites in `refuse`.
class Headroom : public AdmissionGuard {
 public:
  explicit Headroom(const Fleet& fleet) : fleet_(fleet) {}
  void Refusing(const Load& load, const std::vector<Load>&,
                std::vector<TopoId>& sites) const override {
    const int site = fleet_.SiteOf(load.allocation->nodes.front().node);
    if (refuse.count(site) > 0) sites.push_back(fleet_.sites()[static_cast<size_t>(site)].topo);
  }
  std::int64_t MostGpusEver(const GangRequest&) const override { return 1 << 30; }
  std::optional<double> HeadroomShare(int site) const override {
    return share[static_cast<size_t>(site)];
  }
  void Started(const Load&) override {}
  void Stopped(const Load&) override {}
  std::vector<double> share;
  std::set<int> refuse;

 private:
  const Fleet& fleet_;
};

TEST(Dispatch, PowerAwarePrefersTheLargestShareOfPowerLeft) {
  const Fleet fleet = testing::MustParseFleet(ThreeSites());
  Headroom guard(fleet);
  guard.share = {0.2, 0.9, 0.5};
  SchedulerHooks hooks;
  hooks.admission = &guard;
  Scheduler s = Make(fleet, Dispatch::kPowerAware, hooks);
  EXPECT_EQ(PlaceJobs(s, fleet, {8, 8, 8}), (std::map<JobId, int>{{1, 1}, {2, 2}, {3, 0}}));
}

TEST(Dispatch, ASiteThatRefusesForPowerPassesTheJobToTheNextTier) {
  const Fleet fleet = testing::MustParseFleet(ThreeSites());
  Headroom guard(fleet);
  guard.share = {0.2, 0.9, 0.5};
  guard.refuse = {1};
  SchedulerHooks hooks;
  hooks.admission = &guard;
  Scheduler s = Make(fleet, Dispatch::kPowerAware, hooks);
  // Site 1, preferred, refuses: the job goes to site 2, then site 0; the third finds no power.
  EXPECT_EQ(PlaceJobs(s, fleet, {8, 8, 8}), (std::map<JobId, int>{{1, 2}, {2, 0}}));
  ASSERT_TRUE(s.WhyPending(3).has_value());
  EXPECT_EQ(s.WhyPending(3)->code, WaitReason::kPower);
  EXPECT_EQ(s.WhyPending(3)->where, fleet.sites()[1].topo);
  EXPECT_EQ(s.CheckInvariants(), std::nullopt);
}

class Checkpoints : public CheckpointLocator {
 public:
  std::optional<Place> CheckpointOf(JobId id) const override {
    const auto it = at.find(id);
    if (it == at.end()) return std::nullopt;
    return Place{it->second, 1000};
  }
  int CopiesInFlight(int from, int to) const override {
    const auto it = in_flight.find({from, to});
    return it == in_flight.end() ? 0 : it->second;
  }
  std::map<JobId, int> at;
  std::map<std::pair<int, int>, int> in_flight;
};

// From the campus (site 2), 1 TB copies to spot (site 1) in 10 s (100 GB/s) and to site 0 in
// 100 s (10 GB/s).
const Fleet& LinkedThreeSites() {
  static const Fleet fleet = testing::MustParseFleet(
      ThreeSites("links:\n"
                 "  - {between: [campus, spot], gb_s: 100, latency: 1ms}\n"
                 "  - {between: [campus, on-demand], gb_s: 10, latency: 1ms}\n"));
  return fleet;
}

// Three 8-GPU jobs resuming from checkpoints on the campus under earliest start, with `in_flight`
// copies already on the links (by source and destination site): the site each job goes to.
std::map<JobId, int> PlaceResumingJobs(std::map<std::pair<int, int>, int> in_flight) {
  Checkpoints checkpoints;
  checkpoints.at = {{1, 2}, {2, 2}, {3, 2}};
  checkpoints.in_flight = std::move(in_flight);
  SchedulerHooks hooks;
  hooks.checkpoints = &checkpoints;
  Scheduler s = Make(LinkedThreeSites(), Dispatch::kEarliestStart, hooks);
  return PlaceJobs(s, LinkedThreeSites(), {8, 8, 8});
}

// Best fit over empty sites would take them in index order, 0 first.
TEST(Dispatch, EarliestStartGoesToTheCheckpointThenToTheQuickestCopy) {
  EXPECT_EQ(PlaceResumingJobs({}), (std::map<JobId, int>{{1, 2}, {2, 1}, {3, 0}}));
}

// The same links with 19 copies already in flight from the campus to spot: a 20th would get a
// twentieth of 100 GB/s, 1 TB in 200 s, slower than 100 s over the free 10 GB/s link - site 0
// comes second now, after the campus.
TEST(Dispatch, EarliestStartCountsTheCopiesAlreadyOnALink) {
  EXPECT_EQ(PlaceResumingJobs({{{2, 1}, 19}}), (std::map<JobId, int>{{1, 2}, {2, 0}, {3, 1}}));
  // The keys by hand: 1 ms + 1,000 GB x 20 / 100 GB/s = 200.001 s; 1 ms + 100 s.
  SiteRanker ranker(LinkedThreeSites());
  DispatchJob job;
  job.checkpoint_site = 2;
  job.checkpoint_gb = 1000;
  job.copies_in_flight = {0, 19, 0};
  const auto none = [](int) -> std::optional<double> { return std::nullopt; };
  EXPECT_EQ(ranker.Rank(Dispatch::kEarliestStart, job, 0, none),
            (SiteRanker::Tiers{{2}, {0}, {1}}));
}

TEST(Dispatch, EqualSitesShareATierPlacedByBestFit) {
  // A rented site first, then two owned campuses at one price.
  const Fleet fleet = testing::MustParseFleet(
      "providers:\n"
      "  - {name: lab}\n"
      "  - {name: cloud, kind: cloud, gpu_hour_usd: 4}\n"
      "sites:\n"
      "  - {name: c, provider: cloud, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
      "  - {name: a, provider: lab, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
      "  - {name: b, provider: lab, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n");
  Scheduler s = Make(fleet, Dispatch::kCheapest);
  // 8 GPUs fill a (best fit's tie between the campuses: the first), then 4 go to b, the only
  // owned room left.
  EXPECT_EQ(PlaceJobs(s, fleet, {8, 4}), (std::map<JobId, int>{{1, 1}, {2, 2}}));
  ASSERT_TRUE(s.Finish(1, 1, kHour).ok());
  // Site a is empty again: 4 more GPUs go to b's half-used node, the tightest fit of the tier
  // (an order of sites alone would have taken a).
  ASSERT_TRUE(s.Submit(3, Gpus(4), kHour).ok());
  std::vector<Decision> out;
  ASSERT_TRUE(s.Schedule(kHour, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(fleet.SiteOf(out[0].allocation.nodes.front().node), 2);
  // Nothing owned left for 8 after a: the rented site takes the next rather than letting it wait.
  ASSERT_TRUE(s.Submit(4, Gpus(8), kHour).ok());
  ASSERT_TRUE(s.Submit(5, Gpus(8), kHour).ok());
  out.clear();
  ASSERT_TRUE(s.Schedule(kHour, out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].job, 4);
  EXPECT_EQ(fleet.SiteOf(out[0].allocation.nodes.front().node), 1);
  EXPECT_EQ(out[1].job, 5);
  EXPECT_EQ(fleet.SiteOf(out[1].allocation.nodes.front().node), 0);
  // Full everywhere: the next one waits for capacity, as without dispatch.
  ASSERT_TRUE(s.Submit(6, Gpus(8), kHour).ok());
  out.clear();
  ASSERT_TRUE(s.Schedule(kHour, out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(s.WhyPending(6).has_value());
  EXPECT_EQ(s.WhyPending(6)->code, WaitReason::kCapacity);
  EXPECT_EQ(s.CheckInvariants(), std::nullopt);
}

TEST(Dispatch, AGangLargerThanAnySiteSpansThem) {
  const Fleet fleet = testing::MustParseFleet(ThreeSites());
  Scheduler s = Make(fleet, Dispatch::kCheapest);
  // 20 GPUs of any topology: no site of 8 holds them, every tier fails alone; the whole fleet
  // takes them (a site-bound gang of 20 could never run and is refused at submission).
  ASSERT_TRUE(s.Submit(1, Gpus(20), 0).ok());
  std::vector<Decision> out;
  ASSERT_TRUE(s.Schedule(0, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].allocation.Gpus(), 20);
  EXPECT_EQ(s.CheckInvariants(), std::nullopt);
}

TEST(Dispatch, WithoutAnHourlyClockLowestCarbonReadsTheMean) {
  const Fleet fleet = testing::MustParseFleet(ThreeSites());
  Site hourly = fleet.sites()[2];
  hourly.hourly_carbon_g_per_kwh = {100, 200};
  hourly.carbon_g_per_kwh = 150;
  EXPECT_DOUBLE_EQ(*ItCarbonGPerKwh(hourly, -1), 150 * 1.3);
}

TEST(Dispatch, BestFitIsTheWholeFleetAsOneTier) {
  const Fleet fleet = testing::MustParseFleet(ThreeSites());
  SiteRanker ranker(fleet);
  auto none = [](int) { return std::optional<double>(); };
  EXPECT_EQ(ranker.Rank(Dispatch::kBestFit, DispatchJob{}, 0, none),
            (std::vector<std::vector<int>>{{0, 1, 2}}));
  // Earliest start with nothing to resume, power-aware with no account: as best fit.
  EXPECT_EQ(ranker.Rank(Dispatch::kEarliestStart, DispatchJob{}, 0, none),
            (std::vector<std::vector<int>>{{0, 1, 2}}));
  EXPECT_EQ(ranker.Rank(Dispatch::kPowerAware, DispatchJob{}, 0, none),
            (std::vector<std::vector<int>>{{0, 1, 2}}));
}

TEST(Dispatch, LowestCarbonFollowsTheHour) {
  // Site a's grid alternates 100 and 500 g/kWh hour by hour; site b's is 300 all day. Hour 0
  // (and any time within it) ranks a first, hour 1 b, hour 2 a again; the mean (300 against
  // 300) makes them one tier. The ranking is kept within an hour: this checks it is not kept
  // past it.
  const std::string dir = ::testing::TempDir();
  {
    std::ofstream hours(dir + "/alternating.csv");
    for (int h = 0; h < 24; ++h) hours << (h % 2 == 0 ? 100 : 500) << "\n";
  }
  auto site = [](const std::string& name, const std::string& carbon) {
    return "  - {name: " + name + ", power_budget_mw: 1, carbon_g_per_kwh: " + carbon +
           ", domains: [{name: d, node_type: dgx-h100}]}\n";
  };
  const Result<Fleet> fleet = ParseFleet(
      "sites:\n" + site("a", "{file: alternating.csv}") + site("b", "300"), dir + "/f.yaml");
  ASSERT_TRUE(fleet.ok()) << fleet.message();
  SiteRanker ranker(fleet.value());
  auto none = [](int) { return std::optional<double>(); };
  using Tiers = SiteRanker::Tiers;
  EXPECT_EQ(ranker.Rank(Dispatch::kLowestCarbon, DispatchJob{}, 0, none), (Tiers{{0}, {1}}));
  EXPECT_EQ(ranker.Rank(Dispatch::kLowestCarbon, DispatchJob{}, 59 * kMinute, none),
            (Tiers{{0}, {1}}));
  EXPECT_EQ(ranker.Rank(Dispatch::kLowestCarbon, DispatchJob{}, kHour, none), (Tiers{{1}, {0}}));
  EXPECT_EQ(ranker.Rank(Dispatch::kLowestCarbon, DispatchJob{}, 2 * kHour, none),
            (Tiers{{0}, {1}}));
  EXPECT_EQ(ranker.Rank(Dispatch::kLowestCarbon, DispatchJob{}, -1, none), (Tiers{{0, 1}}));
  // Cheapest, per GPU model, is kept for the run: asked twice, the same order.
  EXPECT_EQ(ranker.Rank(Dispatch::kCheapest, DispatchJob{}, 0, none), (Tiers{{0, 1}}));
  EXPECT_EQ(ranker.Rank(Dispatch::kCheapest, DispatchJob{}, kHour, none), (Tiers{{0, 1}}));
}

}  // namespace
}  // namespace gpufleet
