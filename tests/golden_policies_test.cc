// Hand-checked schedules for srtf, las and fairshare on one DGX H100 (8 GPUs, path s/p/l/d).
// Every job takes the whole node, so each start and preemption follows from the rules alone.
#include <gtest/gtest.h>

#include "sim/simulator.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

SimResult RunPolicy(const std::string& workload, std::string policy, SchedulerConfig config = {},
                    std::optional<std::int64_t> quota_b = std::nullopt) {
  static const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 1));
  config.policy = policy;
  SimOptions options;
  options.scheduler = config;
  BoundWorkload w = BindWorkload(testing::MustParseWorkload(workload), fleet, 1).value();
  if (quota_b) w.tenants[1].quota_gpus = *quota_b;
  Simulator sim(fleet, std::move(w), options);
  return sim.Run();
}

constexpr SimTime kMin = kMinute;

TEST(GoldenPolicies, SrtfPreemptsTheLongerRemainingJob) {
  // A (100m) starts at 0. B (30m) arrives at 10m: A has 90m left > 30m, so B evicts A and runs
  // 10m-40m. C (95m) arrives at 20m: B has 20m left < 95m, C waits. At 40m A (90m left) goes
  // before C (95m): A runs 40m-130m, C 130m-225m.
  const SimResult r = RunPolicy(
      "jobs:\n"
      "  - {name: A, gpus: 8, duration: 100m}\n"
      "  - {name: B, submit: 10m, gpus: 8, duration: 30m}\n"
      "  - {name: C, submit: 20m, gpus: 8, duration: 95m}\n",
      "srtf");
  EXPECT_EQ(r.jobs[0].preemptions, 1);
  EXPECT_EQ(r.jobs[0].end, 130 * kMin);
  EXPECT_EQ(r.jobs[1].first_start, 10 * kMin);
  EXPECT_EQ(r.jobs[1].end, 40 * kMin);
  EXPECT_EQ(r.jobs[2].first_start, 130 * kMin);
  EXPECT_EQ(r.jobs[2].end, 225 * kMin);
}

TEST(GoldenPolicies, LasDemotesByAttainedGpuTimeAndKeepsFifoWithinAQueue) {
  // One boundary at 1 GPU-hour. A (8 GPUs, 60m) starts at 0 in queue 0 and crosses into queue 1
  // after 1 GPU-hour / 8 GPUs = 7.5m. B (8 GPUs, 20m) arrives at 10m in queue 0 and evicts A
  // (queue 1). B crosses into queue 1 at 10m + 7.5m = 17.5m; then A (queue 1, arrived at 0) ranks
  // above B (queue 1, arrived at 10m) and takes the node back: A ran 10m, needs 50m more, ends at
  // 67.5m. B, with 12.5m left, resumes at 67.5m and ends at 80m.
  SchedulerConfig c;
  c.las_thresholds = {kHour};  // GPU-milliseconds: 1 GPU-hour
  const SimResult r = RunPolicy(
      "jobs:\n"
      "  - {name: A, gpus: 8, duration: 60m}\n"
      "  - {name: B, submit: 10m, gpus: 8, duration: 20m}\n",
      "las", c);
  EXPECT_EQ(r.jobs[0].preemptions, 1);
  EXPECT_EQ(r.jobs[0].end, 67 * kMin + 30 * kSecond);
  EXPECT_EQ(r.jobs[1].first_start, 10 * kMin);
  EXPECT_EQ(r.jobs[1].preemptions, 1);
  EXPECT_EQ(r.jobs[1].end, 80 * kMin);
}

TEST(GoldenPolicies, LasStarvationGuardPromotes) {
  // One boundary at 1 GPU-hour. A (8 GPUs, 60m) runs from 0 and is in queue 1 from 7.5m. Short
  // jobs B1..B6 (8 GPUs, 5m, 40 GPU-minutes: always queue 0) arrive every 5m from 10m; B1 evicts A
  // at 10m, and without a guard they run back to back, B1 10m-15m ... B6 35m-40m, and A waits
  // until 40m (ends at 90m: 50m left).
  //
  // With a knob of 2: A has run 10m, so after waiting 2 x 10m, at 30m, it returns to queue 0
  // with its count restarted and ranks first there (it arrived first): it starts at 30m as B4
  // ends, ahead of B5 (arrived 30m). After 7.5m more, at 37.5m, it crosses into queue 1 again and
  // B5 evicts it: B5 runs 37.5m-42.5m, B6 42.5m-47.5m. A, with 42.5m left and nothing else
  // waiting, resumes at 47.5m and ends at 90m.
  const std::string w =
      "jobs:\n"
      "  - {name: A, gpus: 8, duration: 60m}\n"
      "  - {name: B1, submit: 10m, gpus: 8, duration: 5m}\n"
      "  - {name: B2, submit: 15m, gpus: 8, duration: 5m}\n"
      "  - {name: B3, submit: 20m, gpus: 8, duration: 5m}\n"
      "  - {name: B4, submit: 25m, gpus: 8, duration: 5m}\n"
      "  - {name: B5, submit: 30m, gpus: 8, duration: 5m}\n"
      "  - {name: B6, submit: 35m, gpus: 8, duration: 5m}\n";
  SchedulerConfig c;
  c.las_thresholds = {kHour};
  const SimResult without = RunPolicy(w, "las", c);
  EXPECT_EQ(without.jobs[0].preemptions, 1);
  EXPECT_EQ(without.jobs[5].first_start, 30 * kMin);  // B5
  EXPECT_EQ(without.jobs[6].end, 40 * kMin);          // B6
  EXPECT_EQ(without.jobs[0].end, 90 * kMin);
  c.las_promote_knob = 2;
  const SimResult with = RunPolicy(w, "las", c);
  EXPECT_EQ(with.jobs[0].preemptions, 2);
  EXPECT_EQ(with.jobs[5].first_start, 37 * kMin + 30 * kSecond);
  EXPECT_EQ(with.jobs[5].end, 42 * kMin + 30 * kSecond);
  EXPECT_EQ(with.jobs[6].end, 47 * kMin + 30 * kSecond);
  EXPECT_EQ(with.jobs[0].end, 90 * kMin);
}

TEST(GoldenPolicies, FairshareServesTheTenantWithLessUsage) {
  // Tenants a and b, equal weights. a submits A1 and A2 at 0, b submits B1 at 1m (all 8 GPUs,
  // 60m). A1 runs 0-60m; then a has used 8 GPU-hours (decayed a little) and b nothing, so B1 runs
  // 60m-120m before A2 (120m-180m). First come first served would run A2 before B1.
  const std::string w =
      "tenants: [{name: a}, {name: b}]\n"
      "jobs:\n"
      "  - {name: A1, tenant: a, gpus: 8, duration: 60m}\n"
      "  - {name: A2, tenant: a, gpus: 8, duration: 60m}\n"
      "  - {name: B1, tenant: b, submit: 1m, gpus: 8, duration: 60m}\n";
  const SimResult r = RunPolicy(w, "fairshare");
  EXPECT_EQ(r.jobs[0].end, 60 * kMin);
  EXPECT_EQ(r.jobs[2].first_start, 60 * kMin);   // B1
  EXPECT_EQ(r.jobs[1].first_start, 120 * kMin);  // A2
  const SimResult fifo = RunPolicy(w, "fifo");
  EXPECT_EQ(fifo.jobs[1].first_start, 60 * kMin);
}

TEST(GoldenPolicies, FairshareQuotaReclaimsBorrowedGpus) {
  // b has a quota of 8 GPUs, a none. A1 (100m) borrows b's idle quota from 0. B1 (30m) arrives at
  // 10m within b's quota, does not fit, and evicts A1 (a holds 8 > its quota 0): B1 runs
  // 10m-40m, A1 resumes at 40m with 90m left and ends at 130m.
  const SimResult r = RunPolicy(
      "tenants: [{name: a}, {name: b}]\n"
      "jobs:\n"
      "  - {name: A1, tenant: a, gpus: 8, duration: 100m}\n"
      "  - {name: B1, tenant: b, submit: 10m, gpus: 8, duration: 30m}\n",
      "fairshare", {}, 8);
  EXPECT_EQ(r.jobs[0].preemptions, 1);
  EXPECT_EQ(r.jobs[0].end, 130 * kMin);
  EXPECT_EQ(r.jobs[1].first_start, 10 * kMin);
  // Without the quota b borrows like a and waits its turn: B1 runs 100m-130m.
  const SimResult no_quota = RunPolicy(
      "tenants: [{name: a}, {name: b}]\n"
      "jobs:\n"
      "  - {name: A1, tenant: a, gpus: 8, duration: 100m}\n"
      "  - {name: B1, tenant: b, submit: 10m, gpus: 8, duration: 30m}\n",
      "fairshare");
  EXPECT_EQ(no_quota.jobs[1].first_start, 100 * kMin);
}

}  // namespace
}  // namespace gpufleet

namespace gpufleet {
namespace {

TEST(GoldenSharing, SharesAndHostCpuDecideWhoWaits) {
  // One DGX H100: 8 GPUs, 112 cores. fifo.
  //  A (1 GPU at 500 milli, 1h) and B (1 GPU at 500 milli, 1h) at 0 share GPU 0 (best fit packs B
  //  onto A's GPU): 7 GPUs stay whole. C (8 whole GPUs, 30m) at 1m waits for GPU 0 to empty: A and
  //  B end at 1h, C runs 1h-1h30m.
  //  D (1 GPU, 100 cores, 10m) at 2m waits behind C (fifo); at 1h30m D runs 1h30m-1h40m. E (1 GPU,
  //  20 cores) at 3m: after D starts only 12 cores are left, so E waits for D: 1h40m-1h50m.
  const SimResult r = RunPolicy(
      "jobs:\n"
      "  - {name: A, gpus: 1, gpu_milli: 500, duration: 1h}\n"
      "  - {name: B, gpus: 1, gpu_milli: 500, duration: 1h}\n"
      "  - {name: C, submit: 1m, gpus: 8, duration: 30m}\n"
      "  - {name: D, submit: 2m, gpus: 1, cpus: 100, duration: 10m}\n"
      "  - {name: E, submit: 3m, gpus: 1, cpus: 20, duration: 10m}\n",
      "fifo");
  EXPECT_EQ(r.jobs[0].first_start, 0);
  EXPECT_EQ(r.jobs[1].first_start, 0);
  EXPECT_EQ(r.jobs[2].first_start, kHour);
  EXPECT_EQ(r.jobs[3].first_start, 90 * kMin);
  EXPECT_EQ(r.jobs[4].first_start, 100 * kMin);
  // GPU-time: A and B hold half a GPU each for 1h: 1 GPU-hour between them.
  EXPECT_EQ(r.jobs[0].gpu_milli_ms + r.jobs[1].gpu_milli_ms, std::int64_t{kMilliPerGpu} * kHour);
}

}  // namespace
}  // namespace gpufleet
