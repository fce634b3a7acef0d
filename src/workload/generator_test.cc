#include <gtest/gtest.h>

#include "test_fleets.h"
#include "workload/workload.h"

namespace gpufleet {
namespace {

std::vector<JobSpec> Drain(JobSource& s) {
  std::vector<JobSpec> out;
  JobSpec j;
  while (s.Next(j)) out.push_back(j);
  return out;
}

const Fleet& TwoModelFleet() {
  static const Fleet f = testing::MustParseFleet(
      "sites:\n"
      "  - {name: a, power_budget_mw: 1, domains: [{name: d, count: 2, node_type: dgx-h100}]}\n"
      "  - {name: b, power_budget_mw: 1, domains: [{name: d, count: 2, node_type: "
      "gb200-nvl72}]}\n");
  return f;
}

TEST(Generator, UniformArrivalsCountAndUntil) {
  // Evenly spaced every 10 minutes from 1 h: 1h, 1h10m, ...; `until: 2h` admits 1h .. 2h = 7 jobs
  // although count allows 100.
  const WorkloadSpec spec = testing::MustParseWorkload(
      "generators:\n"
      "  - {name: g, count: 100, until: 2h, start: 1h, arrivals: {process: uniform, "
      "mean_interarrival: 10m},\n"
      "     gpus: 2, duration: 5m}\n");
  BoundWorkload w = BindWorkload(spec, TwoModelFleet(), 1).value();
  const std::vector<JobSpec> jobs = Drain(*w.source);
  ASSERT_EQ(jobs.size(), 7u);
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(jobs[i].submit, kHour + static_cast<SimTime>(i) * 10 * kMinute);
    EXPECT_EQ(jobs[i].gpus, 2);
    EXPECT_EQ(jobs[i].duration, 5 * kMinute);
    EXPECT_EQ(jobs[i].estimate, 5 * kMinute);  // estimate_factor defaults to 1
    EXPECT_EQ(jobs[i].name, "g-" + std::to_string(i + 1));
  }
}

TEST(Generator, PoissonArrivalsHaveTheirRate) {
  // 20,000 exponential gaps of mean 30 s: the last arrival is near 600,000 s, standard deviation
  // 30 x sqrt(20,000) = 4,243 s; 5 sigma = 21,213 s.
  const WorkloadSpec spec = testing::MustParseWorkload(
      "generators:\n"
      "  - {name: g, count: 20000, arrivals: {rate_per_hour: 120}, gpus: 1, duration: 1m}\n");
  BoundWorkload w = BindWorkload(spec, TwoModelFleet(), 5).value();
  const std::vector<JobSpec> jobs = Drain(*w.source);
  ASSERT_EQ(jobs.size(), 20'000u);
  EXPECT_NEAR(ToSeconds(jobs.back().submit), 600'000, 21'213);
  for (size_t i = 1; i < jobs.size(); ++i) EXPECT_LE(jobs[i - 1].submit, jobs[i].submit);
}

TEST(Generator, TopologyRulesModelsAndTenantsResolve) {
  const WorkloadSpec spec = testing::MustParseWorkload(
      "tenants: [{name: x}, {name: y}]\n"
      "generators:\n"
      "  - name: g\n"
      "    count: 500\n"
      "    arrivals: {mean_interarrival: 1m}\n"
      "    gpus: {dist: choice, values: [4, 72, 100]}\n"
      "    duration: 1h\n"
      "    tenant: {dist: choice, values: [y]}\n"
      "    gpu_model: {dist: choice, values: [gb200]}\n"
      "    topology: {by_gpus: [{up_to: 8, topology: nvlink}, {up_to: 72, topology: leaf}, "
      "{topology: site}]}\n");
  BoundWorkload w = BindWorkload(spec, TwoModelFleet(), 1).value();
  const ModelId gb200 = TwoModelFleet().FindModel("gb200");
  for (const JobSpec& j : Drain(*w.source)) {
    EXPECT_EQ(j.tenant, 1);
    EXPECT_EQ(j.gpu_model, gb200);
    const Topology expected = j.gpus <= 8    ? Topology::kNvlink
                              : j.gpus <= 72 ? Topology::kLeaf
                                             : Topology::kSite;
    EXPECT_EQ(j.topology, expected) << j.gpus;
  }
}

TEST(Generator, ExplicitJobsMergeWithGeneratorsInSubmissionOrder) {
  // Explicit jobs at 0 and 3m (given out of order) and a uniform generator at 0, 2m, 4m: merged
  // order 0 (explicit first on ties), 0 (generator), 2m, 3m, 4m.
  const WorkloadSpec spec = testing::MustParseWorkload(
      "jobs:\n"
      "  - {name: late, submit: 3m, gpus: 1, duration: 1m}\n"
      "  - {name: early, submit: 0s, gpus: 1, duration: 1m}\n"
      "generators:\n"
      "  - {name: g, count: 3, arrivals: {process: uniform, mean_interarrival: 2m}, gpus: 1, "
      "duration: 1m}\n");
  BoundWorkload w = BindWorkload(spec, TwoModelFleet(), 1).value();
  std::vector<std::string> names;
  for (const JobSpec& j : Drain(*w.source)) names.push_back(j.name);
  EXPECT_EQ(names, (std::vector<std::string>{"early", "g-1", "g-2", "late", "g-3"}));
}

TEST(Generator, UnboundedLognormalIsClampedToRepresentableValues) {
  // sigma 40 draws values like e^100; they must clamp, not overflow to nonsense.
  const WorkloadSpec spec = testing::MustParseWorkload(
      "generators:\n"
      "  - {name: g, count: 2000, arrivals: {mean_interarrival: 1s},\n"
      "     gpus: {dist: lognormal, median: 4, sigma: 40}, duration: {dist: lognormal, median: 1h, "
      "sigma: 40}}\n");
  BoundWorkload w = BindWorkload(spec, TwoModelFleet(), 1).value();
  for (const JobSpec& j : Drain(*w.source)) {
    EXPECT_GE(j.gpus, 1);
    EXPECT_LE(j.gpus, 10'000'000);
    EXPECT_GE(j.duration, 1);
    EXPECT_LE(j.duration, 100 * 365 * kDay);
    EXPECT_GE(j.estimate, 1);
  }
}

}  // namespace
}  // namespace gpufleet

namespace gpufleet {
namespace {

TEST(Generator, AbsurdGapsNeitherOverflowNorRunBackwards) {
  // A rate of 1e-300 per hour means gaps of ~1e306 ms: each is clamped to 100 years.
  // Evenly spaced 9e15 ms gaps are clamped too, and the generator stops at its 10,000-year
  // horizon: 100 jobs at 0, 100 y, ..., 9,900 y... and no more, instead of wrapping around.
  for (const char* arrivals :
       {"{rate_per_hour: 1e-300}", "{process: uniform, mean_interarrival: 9000000000000000ms}"}) {
    const WorkloadSpec spec = testing::MustParseWorkload(
        std::string("generators:\n  - {name: g, count: 2000, arrivals: ") + arrivals +
        ", gpus: 1, duration: 1m}\n");
    BoundWorkload w = BindWorkload(spec, TwoModelFleet(), 1).value();
    const std::vector<JobSpec> jobs = Drain(*w.source);
    ASSERT_FALSE(jobs.empty());
    EXPECT_LE(jobs.size(), 101u) << arrivals;
    EXPECT_GE(jobs.front().submit, 0);
    for (size_t i = 1; i < jobs.size(); ++i) EXPECT_LE(jobs[i - 1].submit, jobs[i].submit);
  }
}

}  // namespace
}  // namespace gpufleet
