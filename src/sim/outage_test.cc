// Outages (a whole site or provider down for a period) and checkpoints copied between sites: the
// spec, the binding, and hand-checked runs with exact restart times.
#include <gtest/gtest.h>

#include "report/metrics.h"
#include "sim/simulator.h"
#include "spec/spec_test_support.h"
#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

using spec_test::IsError;

// Two sites of one DGX H100 each: `oci` (rented, egress at $0.02/GB) first, `campus` (owned)
// second, joined by a 10 GB/s link with 100 ms latency. Storage at 1 GB/s so that a 300 GB
// checkpoint takes 5 minutes to write.
const char* kTwoSites =
    "providers:\n"
    "  - {name: lab, kind: owned}\n"
    "  - {name: oci, kind: cloud, egress_usd_per_gb: 0.02}\n"
    "sites:\n"
    "  - {name: oci, provider: oci, power_budget_mw: 1, storage_gb_s: 1,\n"
    "     domains: [{name: dgx, node_type: dgx-h100}]}\n"
    "  - {name: campus, provider: lab, power_budget_mw: 1, storage_gb_s: 1,\n"
    "     domains: [{name: dgx, node_type: dgx-h100}]}\n"
    "links:\n"
    "  - {between: [campus, oci], gb_s: 10, latency: 100ms}\n";

const Fleet& TwoSites() {
  static const Fleet fleet = testing::MustParseFleet(kTwoSites);
  return fleet;
}

// 8 GPUs, 10 h of work, a 300 GB checkpoint every 35 min of work: 5 min to write it, so a run
// works at 35/40 = 0.875 of its wall time (exact in binary). 10 min to restart.
const char* kJob =
    "jobs:\n"
    "  - {name: train, gpus: 8, duration: 10h, checkpoint_interval: 35m,\n"
    "     checkpoint_size_gb: 300, restart_overhead: 10m}\n";

struct OutageRun {
  SimResult result;
  std::vector<BoundOutage> outages;
};

OutageRun RunOn(const std::string& workload) {
  BoundWorkload bound = BindWorkload(testing::MustParseWorkload(workload), TwoSites(), 1).value();
  std::vector<BoundOutage> outages = bound.outages;
  Simulator sim(TwoSites(), std::move(bound), SimOptions{});
  return {sim.Run(), std::move(outages)};
}

TEST(Links, TheDeclaredLinkAndTheDefault) {
  const SiteLink declared = TwoSites().LinkBetween(1, 0);
  EXPECT_EQ(declared.a, 0);
  EXPECT_EQ(declared.b, 1);
  EXPECT_EQ(declared.gb_s, 10);
  EXPECT_DOUBLE_EQ(declared.latency_s, 0.1);
  const Fleet plain = testing::MustParseFleet(
      "sites:\n"
      "  - {name: a, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"
      "  - {name: b, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n");
  EXPECT_EQ(plain.LinkBetween(0, 1).gb_s, kDefaultSiteLinkGbS);
  EXPECT_EQ(plain.LinkBetween(0, 1).latency_s, kDefaultSiteLinkLatencyS);
}

TEST(Links, BadLinksNameTheirField) {
  const std::string sites =
      "sites:\n"                                                               // 1
      "  - {name: a, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"  // 2
      "  - {name: b, power_budget_mw: 1, domains: [{node_type: dgx-h100}]}\n"  // 3
      "links:\n";                                                              // 4
  EXPECT_TRUE(IsError(spec_test::F(sites + "  - {between: [a, c], gb_s: 1}\n"), "f.yaml:5:19:",
                      "links[0].between[1]", "unknown site 'c'; the fleet's sites: a, b"));
  EXPECT_TRUE(IsError(spec_test::F(sites + "  - {between: [a, a], gb_s: 1}\n"),
                      "f.yaml:5:15:", "links[0].between", "expected two different sites"));
  EXPECT_TRUE(IsError(spec_test::F(sites + "  - {between: [a], gb_s: 1}\n"),
                      "f.yaml:5:15:", "links[0].between", "expected two site names"));
  EXPECT_TRUE(IsError(spec_test::F(sites + "  - {between: [a, b], gb_s: 0}\n"),
                      "f.yaml:5:29:", "links[0].gb_s", "positive"));
  EXPECT_TRUE(IsError(spec_test::F(sites + "  - {between: [a, b]}\n"),
                      "f.yaml:5:5:", "links[0].gb_s", "missing"));
  EXPECT_TRUE(IsError(spec_test::F(sites + "  - {between: [a, b], gb_s: 1, latency: 5}\n"),
                      "f.yaml:5:41:", "links[0].latency", "duration"));
  EXPECT_TRUE(IsError(
      spec_test::F(sites + "  - {between: [a, b], gb_s: 1}\n  - {between: [b, a], gb_s: 2}\n"),
      "f.yaml:6:15:", "links[1].between", "declared twice"));
  EXPECT_TRUE(IsError(spec_test::F(sites + "  - {between: [a, b], gb_s: 1, mtu: 9000}\n"),
                      "f.yaml:5:", "mtu", "unknown"));
}

TEST(Outages, BadOutagesNameTheirField) {
  const std::string jobs = "jobs: [{gpus: 8, duration: 1h}]\noutages:\n";  // lines 1-2
  EXPECT_TRUE(IsError(spec_test::W(jobs + "  - {provider: oci, site: oci, at: 1h, for: 1h}\n"),
                      "w.yaml:3:5:", "outages[0]", "exactly one of 'provider' or 'site'"));
  EXPECT_TRUE(IsError(spec_test::W(jobs + "  - {at: 1h, for: 1h}\n"), "w.yaml:3:5:", "outages[0]",
                      "exactly one of"));
  EXPECT_TRUE(IsError(spec_test::W(jobs + "  - {site: oci, at: 1h}\n"),
                      "w.yaml:3:5:", "outages[0].for", "missing"));
  EXPECT_TRUE(IsError(spec_test::W(jobs + "  - {site: oci, at: 1h, for: 0}\n"),
                      "w.yaml:3:30:", "outages[0].for", "positive duration"));
  EXPECT_TRUE(IsError(spec_test::W(jobs + "  - {site: oci, at: 1h, for: 1h, why: storm}\n"),
                      "w.yaml:3:", "why", "unknown"));
  // Names the fleet does not have fail at binding, with the place they were written.
  const Result<WorkloadSpec> azure =
      ParseWorkload(jobs + "  - {provider: azure, at: 1h, for: 1h}\n", "w.yaml");
  ASSERT_TRUE(azure.ok()) << azure.message();
  const Result<BoundWorkload> bound = BindWorkload(azure.value(), TwoSites(), 1);
  ASSERT_FALSE(bound.ok());
  EXPECT_NE(
      bound.message().find("w.yaml:3:16: field 'outages[0].provider': 'azure' names no provider of "
                           "the fleet; its providers: lab, oci"),
      std::string::npos)
      << bound.message();
  const Result<WorkloadSpec> site =
      ParseWorkload(jobs + "  - {site: moon, at: 1h, for: 1h}\n", "w.yaml");
  const Result<BoundWorkload> bound_site = BindWorkload(site.value(), TwoSites(), 1);
  ASSERT_FALSE(bound_site.ok());
  EXPECT_NE(bound_site.message().find("'moon' names no site of the fleet; its sites: oci, campus"),
            std::string::npos)
      << bound_site.message();
}

TEST(Outages, AProviderOutageTakesDownEachOfItsSites) {
  const BoundWorkload bound =
      BindWorkload(testing::MustParseWorkload(std::string(kJob) +
                                              "outages: [{provider: lab, at: 1h, for: 2h}]\n"),
                   TwoSites(), 1)
          .value();
  ASSERT_EQ(bound.outages.size(), 1u);
  EXPECT_EQ(bound.outages[0].target, "provider lab");
  EXPECT_EQ(bound.outages[0].sites, std::vector<int>{1});
  ASSERT_EQ(bound.failures.size(), 1u);
  EXPECT_EQ(bound.failures[0].category, FailureCategory::kOutage);
  EXPECT_EQ(bound.failures[0].target, TwoSites().sites()[1].topo);
  EXPECT_EQ(bound.failures[0].repair_after, 2 * kHour);
  EXPECT_EQ(bound.failures[0].outage, 0);
}

// The job starts at 0 on the first site, oci, which goes down at 3 h for a day. By then it has
// worked floor(3 h x 0.875) = 2 h 37.5 min and checkpointed 4 times (every 35 min of work): it
// keeps 2 h 20 min and loses 17.5 min. It restarts at once on campus, where it pays its 10 min
// restart and the checkpoint's copy from oci: 100 ms + 300 GB / 10 GB/s = 30.1 s. Then it works
// the remaining 7 h 40 min = 27,600,000 ms at 0.875: ceil(31,542,857.1) = 31,542,858 ms. It ends
// at 10,800,000 + 600,000 + 30,100 + 31,542,858 = 42,972,958 ms.
TEST(Outages, AJobRestartsOnAnotherSiteAfterItsCheckpointIsCopied) {
  const OutageRun run = RunOn(std::string(kJob) + "outages: [{site: oci, at: 3h, for: 1d}]\n");
  const SimResult& r = run.result;
  ASSERT_EQ(r.jobs.size(), 1u);
  const JobRecord& j = r.jobs[0];
  EXPECT_EQ(j.interruptions, 1);
  EXPECT_EQ(j.lost_ms, 1'050'000);
  EXPECT_EQ(j.copies, 1);
  EXPECT_EQ(j.copy_ms, 30'100);
  EXPECT_EQ(j.checkpoint_site, 1);
  EXPECT_EQ(j.end, 42'972'958);
  EXPECT_EQ(j.restart_ms, 600'000 + 30'100);
  ASSERT_EQ(r.outages.size(), 1u);
  EXPECT_EQ(r.outages[0].jobs_interrupted, 1);
  EXPECT_EQ(r.outages[0].restart_delays, std::vector<SimTime>{630'100});
  EXPECT_EQ(r.outages[0].checkpoint_copies, 1);
  EXPECT_DOUBLE_EQ(static_cast<double>(r.outages[0].lost_gpu_ms), 8.0 * 1'050'000);
  // Training's goodput lost to it: the 17.5 min of work and the 630.1 s restarting, on 8 GPUs.
  EXPECT_DOUBLE_EQ(static_cast<double>(r.outages[0].jobs_lost_gpu_ms), 8.0 * 1'050'000);
  EXPECT_DOUBLE_EQ(static_cast<double>(r.outages[0].jobs_restart_gpu_ms), 8.0 * 630'100);
  const auto& outage = r.failures[static_cast<size_t>(FailureCategory::kOutage)];
  EXPECT_EQ(outage.events, 1);
  EXPECT_EQ(outage.interruptions, 1);
  EXPECT_EQ(r.checkpoint_copies, 1);
  EXPECT_DOUBLE_EQ(static_cast<double>(r.copy_gpu_ms), 8.0 * 30'100);
  EXPECT_EQ(r.checkpoint_egress_gb, (std::vector<double>{300, 0}));

  // The report: the egress billed to oci's site (300 GB x $0.02), the outage's figures.
  Metrics m = ComputeMetrics(r, RunInfo{});
  AddPowerMetrics(m, r, TwoSites());
  AddOutageMetrics(m, r, TwoSites(), run.outages);
  ASSERT_EQ(m.power_sites.size(), 2u);
  EXPECT_DOUBLE_EQ(m.power_sites[0].egress_gb, 300);
  EXPECT_DOUBLE_EQ(*m.power_sites[0].egress_usd, 6);
  EXPECT_DOUBLE_EQ(*m.power_sites[0].cost_usd, 6);
  EXPECT_FALSE(m.power_sites[1].egress_usd);
  ASSERT_EQ(m.outages.size(), 1u);
  const OutageMetrics& o = m.outages[0];
  EXPECT_EQ(o.target, "site oci");
  EXPECT_EQ(o.gpus, 8);
  // The run ends at 42,972,958 ms, inside the day: oci's 8 GPUs were down from 3 h to then.
  EXPECT_DOUBLE_EQ(o.down_gpu_hours, 8.0 * (42'972'958 - 10'800'000) / kHour);
  EXPECT_DOUBLE_EQ(o.lost_gpu_hours, 8.0 * 1'050'000 / kHour);
  EXPECT_DOUBLE_EQ(o.training_gpu_hours_lost(), 8.0 * (1'050'000 + 630'100) / kHour);
  EXPECT_EQ(o.restart_delay_s.count, 1);
  EXPECT_DOUBLE_EQ(o.restart_delay_s.max, 630.1);
  EXPECT_EQ(o.not_restarted, 0);
  EXPECT_EQ(m.checkpoint_copies, 1);
  EXPECT_DOUBLE_EQ(m.checkpoint_copy_gb, 300);
}

// Two of the jobs, each on its own node of oci, both interrupted at 3 h; they restart together on
// campus's two nodes, pay their 10 min restart and copy their checkpoints over the one link at
// once: 100 ms of latency, then 600 GB at 10 GB/s shared, 5 GB/s each: 60 s. Both work again at
// 10,800,000 + 600,000 + 60,100 = 11,460,100 ms (a delay of 660,100 ms, against 630,100 alone)
// and end at 11,460,100 + 31,542,858 = 43,002,958 ms.
TEST(Outages, CopiesAtOnceShareTheLink) {
  static const Fleet fleet = testing::MustParseFleet(
      "providers:\n"
      "  - {name: lab, kind: owned}\n"
      "  - {name: oci, kind: cloud}\n"
      "sites:\n"
      "  - {name: oci, provider: oci, power_budget_mw: 1, storage_gb_s: 1,\n"
      "     domains: [{name: dgx, node_type: dgx-h100, count: 2}]}\n"
      "  - {name: campus, provider: lab, power_budget_mw: 1, storage_gb_s: 1,\n"
      "     domains: [{name: dgx, node_type: dgx-h100, count: 2}]}\n"
      "links:\n"
      "  - {between: [campus, oci], gb_s: 10, latency: 100ms}\n");
  const std::string job =
      "{gpus: 8, duration: 10h, checkpoint_interval: 35m, checkpoint_size_gb: 300, "
      "restart_overhead: 10m}";
  BoundWorkload bound =
      BindWorkload(testing::MustParseWorkload("jobs:\n  - " + job + "\n  - " + job +
                                              "\noutages: [{site: oci, at: 3h, for: 1d}]\n"),
                   fleet, 1)
          .value();
  Simulator sim(fleet, std::move(bound), SimOptions{});
  const SimResult r = sim.Run();
  ASSERT_EQ(r.jobs.size(), 2u);
  for (const JobRecord& j : r.jobs) {
    EXPECT_EQ(j.interruptions, 1);
    EXPECT_EQ(j.copies, 1);
    EXPECT_EQ(j.copy_ms, 60'100);
    EXPECT_EQ(j.checkpoint_site, 1);
    EXPECT_EQ(j.end, 43'002'958);
  }
  EXPECT_EQ(r.outages[0].restart_delays, (std::vector<SimTime>{660'100, 660'100}));
  EXPECT_EQ(r.checkpoint_egress_gb, (std::vector<double>{600, 0}));
  EXPECT_DOUBLE_EQ(static_cast<double>(r.copy_gpu_ms), 2 * 8.0 * 60'100);

  // The same stopped by --until at 11,430,000 ms, mid-copy: each copy took 30 s of which 29.9 s
  // flowed at 5 GB/s - 149.5 GB each - and none completed. (Taking the first off the link at the
  // end must not queue the second's earlier completion: the run is over.)
  BoundWorkload again =
      BindWorkload(testing::MustParseWorkload("jobs:\n  - " + job + "\n  - " + job +
                                              "\noutages: [{site: oci, at: 3h, for: 1d}]\n"),
                   fleet, 1)
          .value();
  SimOptions until;
  until.until = 11'430'000;
  Simulator cut(fleet, std::move(again), until);
  const SimResult c = cut.Run();
  for (const JobRecord& j : c.jobs) {
    EXPECT_EQ(j.copies, 0);
    EXPECT_EQ(j.copy_ms, 30'000);
  }
  EXPECT_NEAR(c.checkpoint_egress_gb[0], 2 * 149.5, 1e-6);
  EXPECT_EQ(c.checkpoint_copies, 0);
}

// Campus goes down at the very millisecond the job's copy completes there (3 h + 630.1 s =
// 11,430,100 ms, as in the first test): the failure comes first at that instant, and the copy
// counts as done - the checkpoint is on campus, the first outage's restart delay is 630,100 ms.
// Campus is back at 15,030,100 ms; the job restarts there without a copy (10 min), works again at
// 15,630,100 ms, 4,200,000 ms after the second outage, and ends at 15,630,100 + 31,542,858 =
// 47,172,958 ms.
TEST(Outages, AStopAsTheCopyCompletesKeepsTheCopy) {
  const OutageRun run = RunOn(std::string(kJob) +
                              "outages:\n"
                              "  - {site: oci, at: 3h, for: 1d}\n"
                              "  - {site: campus, at: 11430100ms, for: 1h}\n");
  const SimResult& r = run.result;
  const JobRecord& j = r.jobs[0];
  EXPECT_EQ(j.copies, 1);
  EXPECT_EQ(j.copy_ms, 30'100);
  EXPECT_EQ(j.checkpoint_site, 1);
  EXPECT_EQ(j.end, 47'172'958);
  EXPECT_EQ(r.outages[0].restart_delays, std::vector<SimTime>{630'100});
  EXPECT_EQ(r.outages[1].restart_delays, std::vector<SimTime>{4'200'000});
  EXPECT_EQ(r.checkpoint_egress_gb, (std::vector<double>{300, 0}));
}

// With campus busy for 20 h, the job waits for oci to come back at 5 h and restarts there: no
// copy. Back to work at 5 h + 10 min: a delay of 2 h 10 min. It ends at 5 h + 10 min +
// 31,542,858 ms = 50,142,858 ms.
TEST(Outages, AJobThatWaitsForItsSiteCopiesNothing) {
  const OutageRun run = RunOn(std::string(kJob) +
                              "  - {name: hold, gpus: 8, duration: 20h}\n"
                              "outages: [{site: oci, at: 3h, for: 2h}]\n");
  const SimResult& r = run.result;
  ASSERT_EQ(r.jobs.size(), 2u);
  const JobRecord& j = r.jobs[0];
  EXPECT_EQ(j.interruptions, 1);
  EXPECT_EQ(j.copies, 0);
  EXPECT_EQ(j.checkpoint_site, 0);
  EXPECT_EQ(j.end, 50'142'858);
  EXPECT_EQ(r.outages[0].restart_delays, std::vector<SimTime>{2 * kHour + 10 * kMinute});
  EXPECT_EQ(r.checkpoint_copies, 0);
  // The wait holds no GPU: only the 10 min restart counts against training's goodput.
  EXPECT_DOUBLE_EQ(static_cast<double>(r.outages[0].jobs_restart_gpu_ms), 8.0 * 600'000);
}

// A second outage cuts the copy short. The job restarts on campus at 3 h: 10 min to restart, then
// the 30.1 s copy (the copy is paid last), working again at 3 h + 630.1 s = 11,430,100 ms. Campus
// goes down at 3 h 10 min 10 s = 11,410,000 ms: 10 s of the copy done, 20.1 s left; it loses no
// work (it had not worked yet). Its checkpoint is still on oci (down for a day), so when campus is
// back at 15,010,000 ms it restarts there and copies it again in full: working again at
// 15,010,000 + 630,100 = 15,640,100 ms, 4,230,100 ms after the second outage hit it; it never
// worked between the two, so the first counts it as not restarted. It ends at 15,640,100 +
// 31,542,858 = 47,182,958 ms. The copies took 10,000 + 30,100 ms; one completed; the one cut
// short moved (10,000 - 100 ms of latency) x 10 GB/s = 99 GB: oci sent 99 + 300 GB.
TEST(Outages, ACopyCutShortIsStartedOver) {
  const OutageRun run = RunOn(std::string(kJob) +
                              "outages:\n"
                              "  - {site: oci, at: 3h, for: 1d}\n"
                              "  - {site: campus, at: 3h10m10s, for: 1h}\n");
  const SimResult& r = run.result;
  const JobRecord& j = r.jobs[0];
  EXPECT_EQ(j.interruptions, 2);
  EXPECT_EQ(j.lost_ms, 1'050'000);
  EXPECT_EQ(j.copy_ms, 40'100);
  EXPECT_EQ(j.copies, 1);
  EXPECT_EQ(j.restart_ms, 610'000 + 630'100);
  EXPECT_EQ(j.end, 47'182'958);
  ASSERT_EQ(r.outages.size(), 2u);
  EXPECT_TRUE(r.outages[0].restart_delays.empty());
  EXPECT_EQ(r.outages[1].restart_delays, std::vector<SimTime>{4'230'100});
  EXPECT_EQ(r.outages[0].checkpoint_copies, 0);
  EXPECT_EQ(r.outages[1].checkpoint_copies, 1);
  EXPECT_EQ(r.checkpoint_copies, 1);
  EXPECT_DOUBLE_EQ(static_cast<double>(r.copy_gpu_ms), 8.0 * 40'100);
  EXPECT_NEAR(r.checkpoint_egress_gb[0], 99 + 300, 1e-9);
  // The first outage's restart ran from 3 h until the second outage (610 s, never working); the
  // second's from 15,010,000 to 15,640,100 ms.
  EXPECT_DOUBLE_EQ(static_cast<double>(r.outages[0].jobs_restart_gpu_ms), 8.0 * 610'000);
  EXPECT_DOUBLE_EQ(static_cast<double>(r.outages[1].jobs_restart_gpu_ms), 8.0 * 630'100);
  EXPECT_DOUBLE_EQ(static_cast<double>(r.outages[1].jobs_lost_gpu_ms), 0);
  Metrics m = ComputeMetrics(r, RunInfo{});
  AddOutageMetrics(m, r, TwoSites(), run.outages);
  EXPECT_EQ(m.outages[0].not_restarted, 1);
  EXPECT_EQ(m.outages[1].not_restarted, 0);
}

// A run that ends while the restarted job still pays its overhead: it has not worked again, so
// the outage counts it as not restarted, and the copy it has not begun took nothing.
TEST(Outages, ARunEndingInTheOverheadLeavesTheJobNotRestarted) {
  BoundWorkload bound =
      BindWorkload(testing::MustParseWorkload(std::string(kJob) +
                                              "outages: [{site: oci, at: 3h, for: 1d}]\n"),
                   TwoSites(), 1)
          .value();
  std::vector<BoundOutage> outages = bound.outages;
  SimOptions options;
  options.until = 3 * kHour + 5 * kMinute;
  Simulator sim(TwoSites(), std::move(bound), options);
  const SimResult r = sim.Run();
  EXPECT_TRUE(r.outages[0].restart_delays.empty());
  EXPECT_EQ(r.jobs[0].copy_ms, 0);
  EXPECT_EQ(r.checkpoint_copies, 0);
  // Its 5 min restarting on campus count against training's goodput all the same.
  EXPECT_DOUBLE_EQ(static_cast<double>(r.outages[0].jobs_restart_gpu_ms), 8.0 * 300'000);
  Metrics m = ComputeMetrics(r, RunInfo{});
  AddOutageMetrics(m, r, TwoSites(), outages);
  EXPECT_EQ(m.outages[0].jobs_interrupted, 1);
  EXPECT_EQ(m.outages[0].not_restarted, 1);
  EXPECT_EQ(m.outages[0].restart_delay_s.count, 0);
}

// A preemption during the copy: the job restarts on campus at 3 h (10 min to restart, then the
// 30.1 s copy); at 3 h 5 min a job of priority 10 takes campus for an hour. The first 5 min of
// the restart are paid; 5 min of it are still owed, and the copy, not begun, starts over at the
// next run: at 4 h 5 min (14,700,000 ms) without a grace period it owes 300,000 + 30,100 ms and
// works again at 15,030,100 ms, 4,230,100 ms after the outage; it ends at 15,030,100 +
// 31,542,858 = 46,572,958 ms. With a 1 s grace period everything is 1 s later.
TEST(Outages, APreemptionDuringTheCopyStartsItOver) {
  for (const SimTime grace : {SimTime{0}, kSecond}) {
    BoundWorkload bound =
        BindWorkload(testing::MustParseWorkload(
                         std::string(kJob) + "  - {name: hog, gpus: 8, duration: 1h, submit: 3h5m, "
                                             "priority: 10}\n"
                                             "outages: [{site: oci, at: 3h, for: 1d}]\n"),
                     TwoSites(), 1)
            .value();
    SimOptions options;
    options.scheduler.policy = "priority";
    options.preemption_grace = grace;
    Simulator sim(TwoSites(), std::move(bound), options);
    const SimResult r = sim.Run();
    const JobRecord& j = r.jobs[0];
    EXPECT_EQ(j.preemptions, 1) << grace;
    EXPECT_EQ(j.copy_ms, 30'100) << grace;
    EXPECT_EQ(j.copies, 1) << grace;
    EXPECT_EQ(j.restart_ms, 630'100) << grace;
    EXPECT_EQ(j.end, 46'572'958 + grace) << grace;
    EXPECT_EQ(r.outages[0].restart_delays, std::vector<SimTime>{4'230'100 + grace}) << grace;
    // Restarting on GPUs: 5 min before the preemption (the grace period is not), 330.1 s after.
    EXPECT_DOUBLE_EQ(static_cast<double>(r.outages[0].jobs_restart_gpu_ms), 8.0 * 630'100) << grace;
  }
}

// Without the twin's physics nothing is copied: checkpoints take no time there. The job keeps
// 2 h 55 min (5 checkpoints at full speed) and is back to work after its 10 min restart.
TEST(Outages, WithoutPhysicsNothingIsCopied) {
  BoundWorkload bound =
      BindWorkload(testing::MustParseWorkload(std::string(kJob) +
                                              "outages: [{site: oci, at: 3h, for: 1d}]\n"),
                   TwoSites(), 1)
          .value();
  SimOptions options;
  options.physics = false;
  Simulator sim(TwoSites(), std::move(bound), options);
  const SimResult r = sim.Run();
  EXPECT_EQ(r.jobs[0].interruptions, 1);
  EXPECT_EQ(r.jobs[0].copies, 0);
  EXPECT_EQ(r.outages[0].restart_delays, std::vector<SimTime>{10 * kMinute});
}

}  // namespace
}  // namespace gpufleet
