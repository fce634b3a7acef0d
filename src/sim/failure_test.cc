// The failure model in the simulator: what an interruption costs (work since the last checkpoint,
// the restart overhead), planned and software stops, automatic checkpoint intervals, and failure
// counts against the configured rates.
#include <gtest/gtest.h>

#include <cmath>

#include "physics/checkpoint.h"
#include "physics/failure_rates.h"
#include "report/metrics.h"
#include "sim/simulator.h"
#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

const Fleet& OneDgx() {
  static const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 1));
  return fleet;
}

// One job of 10 h of work on the fleet's only node, checkpointing every hour, 10 min to restart.
const char* kJob =
    "jobs: [{gpus: 8, duration: 10h, checkpoint_interval: 1h, restart_overhead: 10m}]\n";

// Issue 11 item 5: at 1e-15 failures per node-day the gap to the first failure is ~1e22 ms; its
// conversion to SimTime was undefined and struck every millisecond, so the job never finished. No
// failure falls inside simulated time: the job runs its 10 hours undisturbed.
TEST(SimulatorFailures, ATinyFailureRateDrawsNoFailure) {
  const SimResult r = testing::RunUntil(
      OneDgx(), std::string(kJob) + "failure_model: {rates: none, per_node_day: {gpu: 1e-15}}\n");
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].state, JobRecord::State::kCompleted);
  EXPECT_EQ(r.jobs[0].end, 10 * kHour);
  EXPECT_EQ(r.jobs[0].interruptions, 0);
  EXPECT_EQ(r.failures[static_cast<size_t>(FailureCategory::kGpu)].events, 0);
}

TEST(SimulatorFailures, AnInterruptionLosesWorkSinceTheCheckpointAndPaysTheRestart) {
  // A GPU failure at 2h30m: 2h30m of work done, 2h kept (last checkpoint), 30m lost. The node is
  // back at 3h; the job restarts then, pays 10m, and does the remaining 8h: it ends at 11h10m.
  // Run time 2h30m + 8h10m = 10h40m = work 10h + lost 30m + restart 10m. ETTR 10h / 11h10m.
  const SimResult r = testing::RunUntil(
      OneDgx(), std::string(kJob) +
                    "failures: [{at: 2h30m, target: s/p/l/d, repair_after: 30m, category: gpu}]\n");
  const JobRecord& j = r.jobs[0];
  EXPECT_EQ(j.end, 11 * kHour + 10 * kMinute);
  EXPECT_EQ(j.lost_ms, 30 * kMinute);
  EXPECT_EQ(j.restart_ms, 10 * kMinute);
  EXPECT_EQ(j.run_ms, j.spec.duration + j.lost_ms + j.restart_ms);
  const auto& gpu = r.failures[static_cast<size_t>(FailureCategory::kGpu)];
  EXPECT_EQ(gpu.events, 1);
  EXPECT_EQ(gpu.interruptions, 1);
  EXPECT_DOUBLE_EQ(static_cast<double>(gpu.lost_gpu_ms), 8.0 * 30 * kMinute);
  const Metrics m = ComputeMetrics(r, RunInfo{});
  EXPECT_NEAR(*m.ettr_mean, 10.0 / (11 + 10.0 / 60), 1e-12);
  // Goodput: 8 GPUs x 10h useful of 8 x 10h40m held.
  EXPECT_NEAR(m.goodput, 10.0 / (10 + 40.0 / 60), 1e-12);
}

TEST(SimulatorFailures, PlannedMaintenanceLosesNothing) {
  // Maintenance 2h30m-3h: the job checkpoints first, so it keeps 2h30m; it restarts at 3h, pays
  // 10m and runs the remaining 7h30m: end 10h40m.
  const SimResult r = testing::RunUntil(
      OneDgx(), std::string(kJob) + "maintenance: [{at: 2h30m, target: s, duration: 30m}]\n");
  EXPECT_EQ(r.jobs[0].end, 10 * kHour + 40 * kMinute);
  EXPECT_EQ(r.jobs[0].lost_ms, 0);
  EXPECT_EQ(r.failures[static_cast<size_t>(FailureCategory::kMaintenance)].interruptions, 1);
}

TEST(SimulatorFailures, ASoftwareFailureTakesNoHardwareDown) {
  // At 2h30m the job crashes; its node stays up, so it restarts at once from its 2h checkpoint:
  // 2h30m + 10m + 8h = 10h40m. No node failed.
  const SimResult r = testing::RunUntil(
      OneDgx(),
      std::string(kJob) + "failures: [{at: 2h30m, target: s/p/l/d, category: software}]\n");
  EXPECT_EQ(r.jobs[0].end, 10 * kHour + 40 * kMinute);
  EXPECT_EQ(r.jobs[0].lost_ms, 30 * kMinute);
  EXPECT_EQ(r.node_failures, 0);
}

TEST(SimulatorFailures, AutoCheckpointIntervalIsDalysForTheJobsSize) {
  // Failure model: only GPU failures, 8 per node-day, so a one-node job's MTBF is 3 h. Writing a
  // checkpoint takes 60 s: Daly's interval is 1,098.77 s (src/physics/checkpoint_test.cc). The
  // job then spends 60 s writing per 1,098.77 s of work: 10 min of work take 600 s x (1,098.77 +
  // 60) / 1,098.77 = 632.77 s, if no failure strikes in between (this seed's first comes later).
  const SimResult r =
      testing::RunUntil(OneDgx(),
                        "jobs: [{gpus: 8, duration: 10m, checkpoint_interval: auto, "
                        "checkpoint_write: 60s}]\n"
                        "failure_model: {rates: none, per_node_day: {gpu: 8}, seed: 3}\n");
  const JobRecord& j = r.jobs[0];
  ASSERT_EQ(j.interruptions, 0);
  const double tau = std::llround(DalyInterval(60'000, 3 * 3'600'000.0));
  EXPECT_NEAR(tau, 1'098'770, 10);
  EXPECT_EQ(j.checkpoint_every, static_cast<SimTime>(tau));
  EXPECT_EQ(j.end, static_cast<SimTime>(std::ceil(600'000 / (tau / (tau + 60'000)))));
}

TEST(SimulatorFailures, CountsFollowTheConfiguredRates) {
  // 2,048 DGX nodes for 54 days at Llama 3's rates: 419 failures expected in all, each category
  // at its paper count (e.g. GPU 196). Poisson counts: within 4 standard deviations (sqrt of the
  // mean) of the expectation for every category - a deterministic seed, so this either holds or
  // the model is wrong. Network failures take down a whole leaf: more nodes fail than events.
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(2, 8, 128));
  ASSERT_EQ(fleet.num_nodes(), 2048);
  const SimResult r = testing::RunUntil(fleet,
                                        "jobs: [{gpus: 8, duration: 1000d}]\n"
                                        "failure_model: {rates: llama3}\n",
                                        54 * kDay);
  std::int64_t all = 0;
  for (int c = 0; c < kRandomFailureCategories; ++c) {
    const double expected = Llama3Calibration::kCounts[static_cast<size_t>(c)];
    const auto got = static_cast<double>(r.failures[static_cast<size_t>(c)].events);
    EXPECT_LE(std::abs(got - expected), 4 * std::sqrt(expected))
        << FailureCategoryName(static_cast<FailureCategory>(c)) << ": " << got;
    RecordProperty(FailureCategoryName(static_cast<FailureCategory>(c)), static_cast<int>(got));
    all += r.failures[static_cast<size_t>(c)].events;
  }
  EXPECT_LE(std::abs(static_cast<double>(all) - 419), 4 * std::sqrt(419.0)) << all;
  EXPECT_GT(r.node_failures,
            all - r.failures[static_cast<size_t>(FailureCategory::kSoftware)].events);
}

TEST(SimulatorFailures, GpuFailuresComeWithGpusHostFailuresWithNodes) {
  // 64 nodes of 4 GPUs for 100 days; 1 GPU failure per 8 GPUs and day, 1 host failure per node and
  // day. GPU failures: 256 GPUs / 8 x 100 = 3,200 expected; host failures 64 x 100 = 6,400;
  // Poisson, within 4 standard deviations.
  const Fleet fleet = testing::MustParseFleet(
      "node_types: [{name: quad, gpu: h100, gpus_per_node: 4, max_power_kw: 5}]\n"
      "sites:\n  - name: s\n    power_budget_mw: 1\n"
      "    domains: [{name: d, count: 64, node_type: quad}]\n");
  const SimResult r =
      testing::RunUntil(fleet,
                        "jobs: [{gpus: 4, duration: 1000d}]\n"
                        "failure_model: {rates: none, per_node_day: {gpu: 1, host: 1}, "
                        "repair: {gpu: 1m, host: 1m}}\n",
                        100 * kDay);
  const auto gpu =
      static_cast<double>(r.failures[static_cast<size_t>(FailureCategory::kGpu)].events);
  const auto host =
      static_cast<double>(r.failures[static_cast<size_t>(FailureCategory::kHost)].events);
  EXPECT_LE(std::abs(gpu - 3200), 4 * std::sqrt(3200.0)) << gpu;
  EXPECT_LE(std::abs(host - 6400), 4 * std::sqrt(6400.0)) << host;
}

TEST(SimulatorFailures, SameSeedSameFailures) {
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 4, 16));
  const std::string w =
      "jobs: [{gpus: 64, duration: 30d, checkpoint_interval: auto, checkpoint_size_gb: 500}]\n"
      "failure_model: {scale: 20}\n";
  const SimResult a = testing::RunUntil(fleet, w), b = testing::RunUntil(fleet, w);
  EXPECT_EQ(a.jobs[0].end, b.jobs[0].end);
  EXPECT_EQ(a.node_failures, b.node_failures);
  EXPECT_GT(a.jobs[0].interruptions, 0);
}

TEST(SimulatorFailures, Llama3405BOnThe24kClusterMatchesThePaperAndDaly) {
  // examples/: 16,384 GPUs (2,048 servers) with 54 days of work under Llama 3's failure rates.
  // Expected interruptions: 2,048 x 0.0037887 = 7.76 a day over the job's wall time (the paper:
  // 419 in its 54-day window); Poisson, so within 4 standard deviations. ETTR: the paper reports
  // "> 90%"; Daly's closed form for the job's M = 1 / 7.76 per day = 3.09 h, delta = 5,670 GB / 2
  // TB/s = 2.835 s, R = 10 min, at the auto interval, should agree with the simulated ETTR to
  // within a point (the simulation has no waits: the cluster keeps 1,024 spare servers).
  const Fleet fleet = LoadFleet(testing::SourcePath("examples/fleets/meta-24k.yaml")).value();
  Simulator sim(
      fleet,
      BindWorkload(LoadWorkload(testing::SourcePath("examples/workloads/llama3-405b.yaml")).value(),
                   fleet, 1)
          .value(),
      SimOptions{});
  const SimResult r = sim.Run();
  const JobRecord& j = r.jobs[0];
  ASSERT_EQ(j.state, JobRecord::State::kCompleted);
  const double wall_days = static_cast<double>(j.end - j.first_start) / kDay;
  const double expected = 2048 * Llama3NodeFailureRatePerDay() * wall_days;
  EXPECT_LE(std::abs(j.interruptions - expected), 4 * std::sqrt(expected)) << j.interruptions;
  const double ettr =
      static_cast<double>(j.spec.duration) / static_cast<double>(j.end - j.first_start);
  EXPECT_GT(ettr, 0.90);
  const double mtbf_s = 86400 / (2048 * Llama3NodeFailureRatePerDay());
  const double daly = ExpectedEttr(ToSeconds(j.checkpoint_every), 2.835, 600, mtbf_s);
  EXPECT_NEAR(ettr, daly, 0.01);
}

}  // namespace
}  // namespace gpufleet
