#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "report/metrics.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

SimResult RunWorkload(const std::string& workload, SimTime until = kNever,
                      std::string policy = "fifo") {
  static const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));  // 16 GPUs
  SimOptions options;
  options.until = until;
  options.scheduler.policy = policy;
  Simulator sim(fleet, BindWorkload(testing::MustParseWorkload(workload), fleet, 1).value(),
                options);
  return sim.Run();
}

TEST(Simulator, StopsAtUntilAndCountsWhatIsLeft) {
  // a: 16 GPUs 0-2h; b: 8 GPUs waits for a; with --until 90m: a running, b pending, makespan 90m,
  // utilization 16 x 90m / (16 x 90m) = 1.
  const SimResult r = RunWorkload(
      "jobs:\n"
      "  - {name: a, gpus: 16, duration: 2h}\n"
      "  - {name: b, submit: 1m, gpus: 8, duration: 1h}\n",
      90 * kMinute);
  ASSERT_EQ(r.jobs.size(), 2u);
  EXPECT_EQ(r.jobs[0].state, JobRecord::State::kRunning);
  EXPECT_EQ(r.jobs[1].state, JobRecord::State::kPending);
  EXPECT_TRUE(r.stopped_at_until);
  EXPECT_EQ(r.end_time, 90 * kMinute);
  EXPECT_EQ(r.jobs[0].gpu_milli_ms, 16 * kMilliPerGpu * 90 * kMinute);
  EXPECT_EQ(r.allocated_gpu_milli_ms, r.available_gpu_milli_ms);
  // b waits for capacity: 8 GPUs wanted, none free; the report counts it so.
  ASSERT_EQ(r.waiting.size(), 1u);
  EXPECT_EQ(r.waiting[0].first, 1);
  EXPECT_EQ(r.waiting[0].second.code, WaitReason::kCapacity);
  EXPECT_EQ(r.waiting[0].second.wanted, 8);
  EXPECT_EQ(r.waiting[0].second.most_free, 0);
  const Metrics m = ComputeMetrics(r, RunInfo{});
  EXPECT_EQ(m.pending_reasons, (std::map<std::string, std::int64_t>{{"capacity", 1}}));
}

TEST(Simulator, RejectsWhatCanNeverFitAndFinishes) {
  // 17 GPUs on a 16-GPU fleet, and 9 GPUs inside one 8-GPU NVLink domain: both rejected; the
  // 8-GPU job runs 0-1h and the run ends at 1h.
  const SimResult r = RunWorkload(
      "jobs:\n"
      "  - {name: big, gpus: 17, duration: 1h}\n"
      "  - {name: wide, gpus: 9, duration: 1h, topology: nvlink}\n"
      "  - {name: ok, gpus: 8, duration: 1h, topology: nvlink}\n");
  ASSERT_EQ(r.rejections.size(), 2u);
  EXPECT_NE(r.rejections[0].second.find("largest such subtree of the fleet has 16"),
            std::string::npos)
      << r.rejections[0].second;
  EXPECT_NE(r.rejections[1].second.find("inside one nvlink"), std::string::npos)
      << r.rejections[1].second;
  EXPECT_EQ(r.jobs[2].state, JobRecord::State::kCompleted);
  EXPECT_EQ(r.end_time, kHour);
  EXPECT_FALSE(r.stopped_at_until);
}

TEST(Simulator, FailureOfAWholeLeafInterruptsEveryJobBelowIt) {
  // Two 8-GPU jobs on the two nodes; the leaf fails at 10m (both interrupted, no checkpoints,
  // 10m lost each) and is repaired at 40m; both restart at 40m and end at 1h40m.
  const SimResult r = RunWorkload(
      "jobs:\n"
      "  - {name: a, gpus: 8, duration: 1h}\n"
      "  - {name: b, gpus: 8, duration: 1h}\n"
      "failures:\n"
      "  - {at: 10m, target: s/p/l, repair_after: 30m}\n");
  for (const JobRecord& j : r.jobs) {
    EXPECT_EQ(j.interruptions, 1);
    EXPECT_EQ(j.lost_ms, 10 * kMinute);
    EXPECT_EQ(j.end, 100 * kMinute);
  }
  EXPECT_EQ(r.node_failures, 2);
  EXPECT_EQ(r.node_repairs, 2);
  // Available GPU-time: 16 x 10m + 0 x 30m + 16 x 60m = 16 x 70m.
  EXPECT_EQ(r.available_gpu_milli_ms, 16 * kMilliPerGpu * 70 * kMinute);
}

}  // namespace
}  // namespace gpufleet

namespace gpufleet {
namespace {

// Regressions found in review. Fleets: `four` is 4 DGX H100 in one leaf (32 GPUs, nodes
// s/p/l/d-1 .. d-4); `one` is a single DGX (8 GPUs).
SimResult RunOn(int domains, const std::string& workload, std::string policy) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, domains));
  SimOptions options;
  options.scheduler.policy = policy;
  Simulator sim(fleet, BindWorkload(testing::MustParseWorkload(workload), fleet, 1).value(),
                options);
  return sim.Run();
}

TEST(SimulatorRegression, ReservationIsRecomputedWhenAHigherPriorityJobStartsAhead) {
  // A (16 GPUs) runs 0-100m. H (24) arrives at 1m and is blocked: shadow 100m, when 16 + 16 = 32
  // are free, extra 8. N (priority 5, 4 GPUs, 1000m) arrives at 10m, outranks H and starts: now
  // only 28 will be free at 100m, extra 4. B (4 GPUs, 1000m) at 20m takes that extra. C (4, 1000m)
  // at 30m would fit now but would leave H 20 < 24 at 100m: it must wait. At 100m A ends, 24 are
  // free, H runs 100-110m; C then starts at 110m and ends 1110m.
  const SimResult r = RunOn(4,
                            "jobs:\n"
                            "  - {name: A, submit: 0s, gpus: 16, duration: 100m}\n"
                            "  - {name: H, submit: 1m, gpus: 24, duration: 10m}\n"
                            "  - {name: N, submit: 10m, gpus: 4, duration: 1000m, priority: 5}\n"
                            "  - {name: B, submit: 20m, gpus: 4, duration: 1000m}\n"
                            "  - {name: C, submit: 30m, gpus: 4, duration: 1000m}\n",
                            "backfill");
  EXPECT_EQ(r.jobs[1].first_start, 100 * kMinute);  // H, on time
  EXPECT_EQ(r.jobs[2].first_start, 10 * kMinute);   // N
  EXPECT_EQ(r.jobs[3].first_start, 20 * kMinute);   // B, on the extra
  EXPECT_EQ(r.jobs[4].first_start, 110 * kMinute);  // C, after H
}

TEST(SimulatorRegression, FailureAfterPreemptionKeepsTheProgressSavedAtPreemption) {
  // L (8 GPUs, 300m, checkpoints every 100m) runs from 0; H (priority 5, 10m) preempts it at
  // 150m, so L keeps 150m of progress; H runs 150-160m; L resumes at 160m; the node fails at 170m
  // (repaired 171m). L has done 160m; its last checkpoint is at 100m but the 150m saved at the
  // preemption is kept: 10m lost. It resumes at 171m with 150m to go and ends at 321m.
  const SimResult r = RunOn(1,
                            "jobs:\n"
                            "  - {name: L, gpus: 8, duration: 300m, checkpoint_interval: 100m}\n"
                            "  - {name: H, submit: 150m, gpus: 8, duration: 10m, priority: 5}\n"
                            "failures:\n"
                            "  - {at: 170m, target: s/p/l/d, repair_after: 1m}\n",
                            "priority");
  const JobRecord& l = r.jobs[0];
  EXPECT_EQ(l.preemptions, 1);
  EXPECT_EQ(l.interruptions, 1);
  EXPECT_EQ(l.lost_ms, 10 * kMinute);
  EXPECT_EQ(l.end, 321 * kMinute);
}

TEST(SimulatorRegression, StrandedJobEndsTheRunInsteadOfLaterFailures) {
  // A (8 GPUs, 30m) runs at 0; d-1 fails at 1h for good; B (32 GPUs) arrives at 2h and can never
  // start on the 24 healthy GPUs. Nothing runs and no repair is due: the run ends at 2h with B
  // pending; the failure scripted for day 100 does not stretch it.
  const SimResult r = RunOn(4,
                            "jobs:\n"
                            "  - {name: A, gpus: 8, duration: 30m}\n"
                            "  - {name: B, submit: 2h, gpus: 32, duration: 1h}\n"
                            "failures:\n"
                            "  - {at: 1h, target: s/p/l/d-1}\n"
                            "  - {at: 100d, target: s/p/l/d-2, repair_after: 1h}\n",
                            "fifo");
  EXPECT_EQ(r.end_time, 2 * kHour);
  EXPECT_EQ(r.jobs[1].state, JobRecord::State::kPending);
  EXPECT_FALSE(r.stopped_at_until);
}

TEST(SimulatorRegression, CompletionAtTheInstantOfAFailureCounts) {
  // The job ends at 60m exactly when its node fails: completions go first at one instant.
  const SimResult r = RunOn(1,
                            "jobs:\n"
                            "  - {name: J, gpus: 8, duration: 60m}\n"
                            "failures:\n"
                            "  - {at: 60m, target: s/p/l/d, repair_after: 1h}\n",
                            "fifo");
  EXPECT_EQ(r.jobs[0].interruptions, 0);
  EXPECT_EQ(r.jobs[0].end, 60 * kMinute);
}

}  // namespace
}  // namespace gpufleet

namespace gpufleet {
namespace {

TEST(SimulatorResources, HostCpuAndMemoryUtilization) {
  // One DGX H100 (112 cores, 2 TB): a job holding 56 cores and 512 GB runs 0-1h, then one with
  // neither runs 1h-2h. CPU held on average: 56 x 1h / (112 x 2h) = 25%; memory 512 / 2048 / 2 =
  // 12.5%. The first also shares its GPU (gpu_milli 250): 1 sharing job.
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 1));
  SimOptions options;
  Simulator sim(
      fleet,
      BindWorkload(testing::MustParseWorkload(
                       "jobs:\n"
                       "  - {gpus: 1, gpu_milli: 250, cpus: 56, memory_gb: 512, duration: 1h}\n"
                       "  - {submit: 1h, gpus: 8, duration: 1h}\n"),
                   fleet, 1)
          .value(),
      options);
  const SimResult r = sim.Run();
  const Metrics m = ComputeMetrics(r, RunInfo{});
  EXPECT_DOUBLE_EQ(m.cpu_utilization, 0.25);
  EXPECT_DOUBLE_EQ(m.memory_utilization, 0.125);
  EXPECT_EQ(m.sharing_jobs, 1);
  // GPU-time: 0.25 GPU x 1h + 8 GPUs x 1h over 8 GPUs x 2h = 8.25 / 16.
  EXPECT_DOUBLE_EQ(m.utilization, 8.25 / 16);
}

}  // namespace
}  // namespace gpufleet

namespace gpufleet {
namespace {

TEST(SimulatorPower, SiteEnergyFromTheNodeModel) {
  // One DGX H100 (site s, budget 10 MW, default design PUE 1.3). An 8-GPU job runs 0-1h; --until
  // is 2h, but the run ends at the last completion (1h). IT energy: busy 8,406 W for 1 h
  // (src/physics/power_test.cc) = 8,406 Wh = 0.008406 MWh; mean and peak 8,406 W; facility
  // 0.008406 x 1.3 MWh.
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 1));
  SimOptions options;
  options.until = 2 * kHour;
  Simulator sim(
      fleet,
      BindWorkload(testing::MustParseWorkload("jobs: [{gpus: 8, duration: 1h}]\n"), fleet, 1)
          .value(),
      options);
  const SimResult r = sim.Run();
  ASSERT_EQ(r.end_time, kHour);  // nothing left to run: the run ends at the last completion
  Metrics m = ComputeMetrics(r, RunInfo{});
  AddPowerMetrics(m, r, fleet);
  ASSERT_EQ(m.power_sites.size(), 1u);
  EXPECT_NEAR(m.power_sites[0].energy_mwh, 0.008406, 1e-9);
  EXPECT_NEAR(m.power_sites[0].peak_mw, 0.008406, 1e-9);
  EXPECT_NEAR(m.power_sites[0].mean_mw, 0.008406, 1e-9);
  EXPECT_NEAR(m.power_sites[0].facility_energy_mwh, 0.008406 * 1.3, 1e-9);
  EXPECT_EQ(m.power_sites[0].time_capped_s, 0);
}

TEST(SimulatorPower, IdleTimeAndFailedNodesCount) {
  // Two DGX H100. Job A (8 GPUs) runs 0-1h on one node; node 2 fails at 0 and is repaired at 30m.
  // IT energy over the 1 h run: node 1 busy 8,406 Wh; node 2 off for 30 min, then idle 2,243 W for
  // 30 min = 1,121.5 Wh. Total 9,527.5 Wh. Peak 8,406 + 2,243 = 10,649 W (after the repair).
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));
  SimOptions options;
  Simulator sim(fleet,
                BindWorkload(testing::MustParseWorkload(
                                 "jobs: [{gpus: 8, duration: 1h}]\n"
                                 "failures: [{at: 0s, target: s/p/l/d-2, repair_after: 30m}]\n"),
                             fleet, 1)
                    .value(),
                options);
  const SimResult r = sim.Run();
  Metrics m = ComputeMetrics(r, RunInfo{});
  AddPowerMetrics(m, r, fleet);
  EXPECT_NEAR(m.power_sites[0].energy_mwh, 0.0095275, 1e-9);
  EXPECT_NEAR(m.power_sites[0].peak_mw, 0.010649, 1e-9);
}

// One DGX H100 over a day whose site has an hourly series (`key: {file: ...}`): `first` in hours
// 0-11, `second` in hours 12-23. A job keeps the node busy (8,406 W) from 11:00 to 13:00; before,
// it idles at 2,243 W (src/physics/power_test.cc).
Metrics RunTwoHalfDays(const std::string& key, const std::string& first,
                       const std::string& second) {
  const std::string csv = ::testing::TempDir() + "/gpufleet_" + key + "_24h.csv";
  {
    std::ofstream out(csv);
    for (int h = 0; h < 24; ++h) out << (h < 12 ? first : second) << "\n";
  }
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(
      1, 1, 1, "    power_budget_mw: 10\n    " + key + ": {file: " + csv + "}\n"));
  Simulator sim(
      fleet,
      BindWorkload(testing::MustParseWorkload("jobs: [{gpus: 8, duration: 2h, submit: 11h}]\n"),
                   fleet, 1)
          .value(),
      SimOptions{});
  const SimResult r = sim.Run();
  Metrics m = ComputeMetrics(r, RunInfo{});
  AddPowerMetrics(m, r, fleet);
  return m;
}

TEST(SimulatorPower, FacilityEnergyFollowsTheHourlyWeather) {
  // Hours 0-11 at 10 C, hours 12-23 at 28 C; air cooling, design PUE 1.3, free cooling below 18
  // C. The plant's shape (src/physics/cooling.h) averages (0.05 + (0.05 + 10 x 0.01)) / 2 = 0.10,
  // so s = (1.3 - 1 - 0.03) / 0.10 = 2.7: PUE 1.03 + 2.7 x 0.05 = 1.165 in the cold hours and
  // 1.03 + 2.7 x 0.15 = 1.435 in the hot ones. Busy one hour of each: 8,406 x (1.165 + 1.435) Wh,
  // plus 11 idle cold hours: 11 x 2,243 x 1.165 Wh.
  const Metrics m = RunTwoHalfDays("climate", "10", "28");
  const double facility_wh = 8406 * (1.165 + 1.435) + 11 * 2243 * 1.165;
  EXPECT_NEAR(m.power_sites[0].facility_energy_mwh, facility_wh / 1e6, 1e-9);
  EXPECT_NEAR(m.power_sites[0].pue_mean, facility_wh / (8406 * 2 + 11 * 2243), 1e-9);
}

TEST(SimulatorPower, CarbonFollowsTheHourlyGrid) {
  // A grid at 100 gCO2/kWh in hours 0-11 and 500 in hours 12-23, the design PUE 1.3 throughout:
  // 11 h idle (2,243 W) and 1 h busy (8,406 W) at 100 g, 1 h busy at 500 g:
  // 1.3 x (11 x 2.243 + 8.406) kWh x 100 g + 1.3 x 8.406 kWh x 500 g = 4,300.19 + 5,463.9 g.
  const Metrics m = RunTwoHalfDays("carbon_g_per_kwh", "100", "500");
  const double grams = 1.3 * (11 * 2.243 + 8.406) * 100 + 1.3 * 8.406 * 500;
  EXPECT_NEAR(*m.power_sites[0].carbon_t, grams / 1e6, 1e-12);
}

SimResult RunOnTwoDgx(const std::string& site_lines, const std::string& workload, Metrics* m,
                      bool physics = true) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2, site_lines));
  SimOptions options;
  options.physics = physics;
  Simulator sim(fleet, BindWorkload(testing::MustParseWorkload(workload), fleet, 1).value(),
                options);
  SimResult r = sim.Run();
  *m = ComputeMetrics(r, RunInfo{});
  AddPowerMetrics(*m, r, fleet);
  return r;
}

TEST(SimulatorPower, AJobWaitsForPowerNotOnlyForGpus) {
  // Budget 12 kW, no capping: idle 4,486 W leaves room for 9.75 busy GPUs (src/sim/
  // site_power_test.cc). Two 8-GPU jobs fit the 16 GPUs but not the power: the second starts when
  // the first ends, at 1h. Peak: 4,486 + 8 x 770.375 = 10,649 W.
  Metrics m;
  const SimResult r = RunOnTwoDgx("    power_budget_mw: 0.012\n",
                                  "jobs: [{gpus: 8, duration: 1h}, {gpus: 8, duration: 1h}]\n", &m);
  EXPECT_EQ(r.jobs[0].first_start, 0);
  EXPECT_EQ(r.jobs[1].first_start, kHour);
  EXPECT_NEAR(m.power_sites[0].peak_mw, 0.010649, 1e-9);
  EXPECT_EQ(m.power_sites[0].time_capped_s, 0);
}

// EASY backfill holds power for a head that power, not GPUs, blocks (issue 13, part 8). Budget
// 12 kW on two DGX H100: room for 9.75 busy GPUs. 2-GPU jobs of 2 h arrive every hour from 0 to
// 9 h; an 8-GPU head arrives at 30m, when one of them runs: 2 + 8 busy GPUs > 9.75, so power, not
// the 14 free GPUs, blocks it. Its site is held until the latest estimated end of what runs
// there, 2h (the first small job's): the 2-GPU job of 1h would run to 3h and waits, while a
// 20-minute job arriving at 1h ends before 2h and backfills. The head starts at 2h, its bound.
// Before, every arrival took the power the head waited for, and it started at 11h, when the last
// small job ended.
TEST(SimulatorPower, APowerBlockedHeadStartsByItsBound) {
  std::string workload =
      "jobs:\n  - {name: head, gpus: 8, duration: 1h, submit: 30m}\n"
      "  - {name: short, gpus: 2, duration: 20m, submit: 1h}\n";
  for (int h = 0; h < 10; ++h) {
    workload += "  - {name: small-" + std::to_string(h) +
                ", gpus: 2, duration: 2h, submit: " + std::to_string(h) + "h}\n";
  }
  Metrics m;
  const SimResult r = RunOnTwoDgx("    power_budget_mw: 0.012\n", workload, &m);
  auto start_of = [&r](const std::string& name) {
    for (const JobRecord& j : r.jobs) {
      if (j.spec.name == name) return j.first_start;
    }
    return kNever;
  };
  EXPECT_EQ(start_of("small-0"), 0);
  EXPECT_EQ(start_of("head"), 2 * kHour);
  EXPECT_EQ(start_of("short"), kHour);
  EXPECT_EQ(start_of("small-1"), 3 * kHour);  // the head's 8 and its 2 GPUs exceed the budget
  EXPECT_LE(m.power_sites[0].peak_mw, 0.012);
  // The hold survives the scheduler's snapshot: restored after any of the first events, the
  // same starts.
  const Fleet fleet =
      testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2, "    power_budget_mw: 0.012\n"));
  for (std::uint64_t after = 1; after <= 8; ++after) {
    Simulator sim(fleet, BindWorkload(testing::MustParseWorkload(workload), fleet, 1).value(),
                  SimOptions{});
    sim.RestoreSchedulerAfter(after);
    const SimResult restored = sim.Run();
    ASSERT_EQ(restored.jobs.size(), r.jobs.size());
    for (size_t i = 0; i < r.jobs.size(); ++i) {
      EXPECT_EQ(restored.jobs[i].first_start, r.jobs[i].first_start) << after << " " << i;
    }
  }
}

// Preemption for power picks victims by the power they free (issue 13, part 8). Budget 13.8 kW
// on two DGX H100: idle 4,486 W leaves room for (13,800 - 4,486) / 770.375 = 12.09 busy GPUs.
// Low-priority jobs of 4 and 2 GPUs run; a high-priority 8-GPU job arrives at 1h: 6 + 8 = 14
// busy GPUs exceed the budget while 10 GPUs are free, so power, not GPUs, blocks it. Stopping the
// 4-GPU job (the most power) leaves 2 + 8 = 10: the head starts at 1h, the 2-GPU job runs on,
// and the 4-GPU job resumes when the head ends (2h) and finishes its remaining hour at 3h.
// Before, the victims were chosen for GPUs the head did not need: it stopped nobody and waited.
SimResult RunPowerPreemption(SimTime grace) {
  const Fleet fleet =
      testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2, "    power_budget_mw: 0.0138\n"));
  SimOptions options;
  options.scheduler.policy = "priority";
  options.preemption_grace = grace;
  Simulator sim(fleet,
                BindWorkload(testing::MustParseWorkload(
                                 "jobs:\n"
                                 "  - {name: four, gpus: 4, duration: 2h}\n"
                                 "  - {name: two, gpus: 2, duration: 4h}\n"
                                 "  - {name: urgent, gpus: 8, duration: 1h, submit: 1h, "
                                 "priority: 10}\n"),
                             fleet, 1)
                    .value(),
                options);
  return sim.Run();
}

TEST(SimulatorPower, PreemptionForPowerStopsTheJobsThatFreeTheMost) {
  const SimResult r = RunPowerPreemption(0);
  EXPECT_EQ(r.jobs[2].first_start, kHour);
  EXPECT_EQ(r.jobs[2].end, 2 * kHour);
  EXPECT_EQ(r.jobs[1].first_start, 0);
  EXPECT_EQ(r.jobs[1].end, 4 * kHour);  // never stopped
  EXPECT_EQ(r.jobs[0].end, 3 * kHour);  // 1h before, 1h after the head
  // With a 30 s grace period (two-phase stops) the head waits for its power victim to let go:
  // it starts at 1h + 30 s, and the 4-GPU job resumes when the head ends.
  const SimResult two_phase = RunPowerPreemption(30 * kSecond);
  EXPECT_EQ(two_phase.jobs[2].first_start, kHour + 30 * kSecond);
  EXPECT_EQ(two_phase.jobs[1].end, 4 * kHour);
  EXPECT_EQ(two_phase.jobs[0].end, 3 * kHour + 30 * kSecond);
}

TEST(SimulatorPower, ACappedSiteRunsItsJobsSlower) {
  // Budget 15 kW, floor 0.7: a 16-GPU job is admitted (13,452 W at the floor) and runs capped at
  // 0.83 (src/sim/site_power_test.cc), i.e. at speed 0.83^0.18 = 0.967017: one hour of work takes
  // ceil(3,600,000 / 0.967017) ms = 3,722,787 ms.
  Metrics m;
  const SimResult r = RunOnTwoDgx("    power_budget_mw: 0.015\n    gpu_power_cap_floor: 0.7\n",
                                  "jobs: [{gpus: 16, duration: 1h}]\n", &m);
  const double speed = std::pow(0.83, 0.18);
  const auto end = static_cast<SimTime>(std::ceil(3'600'000 / speed));
  EXPECT_EQ(r.jobs[0].end, end);
  EXPECT_NEAR(m.power_sites[0].peak_mw, 0.014908, 1e-9);
  EXPECT_NEAR(m.power_sites[0].time_capped_s, end / 1000.0, 1e-9);
  // Work lost to capping: 16 GPUs x (1 - speed) over the capped time.
  EXPECT_NEAR(m.power_sites[0].capped_gpu_hours_lost, 16 * (1 - speed) * end / 3.6e6, 1e-9);
}

TEST(SimulatorPower, WithoutPhysicsNothingWaitsOrSlowsForPower) {
  // The two cases above with physics off: both 8-GPU jobs start at once, the 16-GPU job runs its
  // hour exactly, and no energy is counted.
  Metrics m;
  SimResult r =
      RunOnTwoDgx("    power_budget_mw: 0.012\n",
                  "jobs: [{gpus: 8, duration: 1h}, {gpus: 8, duration: 1h}]\n", &m, false);
  EXPECT_EQ(r.jobs[1].first_start, 0);
  r = RunOnTwoDgx("    power_budget_mw: 0.015\n    gpu_power_cap_floor: 0.7\n",
                  "jobs: [{gpus: 16, duration: 1h}]\n", &m, false);
  EXPECT_EQ(r.jobs[0].end, kHour);
  EXPECT_EQ(r.sites[0].it_energy_wms, 0);
}

TEST(SimulatorRegression, APowerRefusalDoesNotHideSmallerDrawsOfTheSameSize) {
  // Budget 12 kW: C (8 GPUs) runs; A (8 GPUs at full power) cannot be powered, but B (8 GPUs at
  // utilization 0.1: 8 x 77 W) can - a power refusal of A's size must not be cached as "8 GPUs do
  // not fit", or B waits for C.
  Metrics m;
  const SimResult r = RunOnTwoDgx("    power_budget_mw: 0.012\n",
                                  "jobs:\n"
                                  "  - {name: C, gpus: 8, duration: 2h}\n"
                                  "  - {name: A, gpus: 8, duration: 1h}\n"
                                  "  - {name: B, gpus: 8, duration: 1h, power_utilization: 0.1}\n",
                                  &m);
  EXPECT_EQ(r.jobs[2].first_start, 0);
  EXPECT_EQ(r.jobs[1].first_start, 2 * kHour);
}

TEST(SimulatorRegression, AnAbsurdlySlowJobDoesNotOverflowTime) {
  // A checkpoint write of 100,000 days every millisecond: the job makes almost no progress; its
  // finish lies beyond any simulation, and the run stops at --until with it running.
  const SimResult r = RunWorkload(
      "jobs: [{gpus: 8, duration: 1d, checkpoint_interval: 1ms, checkpoint_write: 100000d}]\n",
      kDay);
  EXPECT_EQ(r.jobs[0].state, JobRecord::State::kRunning);
  EXPECT_TRUE(r.stopped_at_until);
}

TEST(Simulator, LaunchDelayAndPreemptionGraceAreTimeOnTheGpusWithoutProgress) {
  // 16 GPUs, priority, launch 1m, grace 2m. a (16 GPUs, 60m) starts at 0, runs from 1m. b
  // (priority 5, 16 GPUs, 10m) arrives at 10m and preempts a, which has done 9m of work and keeps
  // its GPUs until 12m; b starts at 12m, runs from 13m, ends at 23m; a starts again at 23m, runs
  // from 24m and ends after its remaining 51m at 75m. a's run time: 12m + 52m = 64m = 60m of work
  // + 2 launches (restart time) + 2m of grace.
  static const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));
  SimOptions options;
  options.scheduler.policy = "priority";
  options.launch_delay = kMinute;
  options.preemption_grace = 2 * kMinute;
  Simulator sim(
      fleet,
      BindWorkload(testing::MustParseWorkload(
                       "jobs:\n"
                       "  - {name: a, gpus: 16, duration: 60m}\n"
                       "  - {name: b, submit: 10m, priority: 5, gpus: 16, duration: 10m}\n"),
                   fleet, 1)
          .value(),
      options);
  const SimResult r = sim.Run();
  const JobRecord& a = r.jobs[0];
  const JobRecord& b = r.jobs[1];
  EXPECT_EQ(b.first_start, 12 * kMinute);
  EXPECT_EQ(b.end, 23 * kMinute);
  EXPECT_EQ(a.end, 75 * kMinute);
  EXPECT_EQ(a.preemptions, 1);
  EXPECT_EQ(a.grace_ms, 2 * kMinute);
  EXPECT_EQ(a.restart_ms, 2 * kMinute);
  EXPECT_EQ(a.run_ms, 64 * kMinute);
  // The GPUs were held throughout: a's 64m and b's 11m, of 75m.
  EXPECT_EQ(r.allocated_gpu_milli_ms, 16LL * kMilliPerGpu * 75 * kMinute);
  EXPECT_EQ(b.waited_for, WaitReason::kPreempting);
}

}  // namespace
}  // namespace gpufleet
