// Hostile numbers in specs (issue 11): each beyond its limit (docs/SPEC.md, "Limits") is an error
// with file:line:column, the field and what was expected - at read time, never undefined
// behaviour, a silently clamped value, or a run that ends by running out of memory.
#include <gtest/gtest.h>

#include "spec/spec_test_support.h"

namespace gpufleet::spec_test {
namespace {

std::string Job(const std::string& extra_line) {
  return "jobs:\n"
         "  - name: a\n"
         "    gpus: 1\n"
         "    duration: 1h\n" +
         extra_line + "\n";
}

std::string Generator(const std::string& lines) {
  return "generators:\n"
         "  - name: g\n"
         "    count: 10\n"
         "    arrivals: {mean_interarrival: 1m}\n"
         "    gpus: 1\n"
         "    duration: 1h\n" +
         lines + "\n";
}

// Item 4: `cpus: 1e300` overflowed llround (a negative request); validate said ok and the report
// showed a negative CPU utilization. The value is at column 11 of "    cpus: 1e300" (line 5).
TEST(SpecLimits, JobHostRequestsAreBounded) {
  EXPECT_SPEC_ERROR(W(Job("    cpus: 1e300")), "w.yaml:5:11:", "jobs[0].cpus",
                    "expected host CPU cores from 0 to 1000000000, got 1e+300");
  EXPECT_SPEC_ERROR(W(Job("    cpus: -1")), "w.yaml:5:11:", "jobs[0].cpus",
                    "expected host CPU cores from 0 to 1000000000, got -1");
  // "    memory_gb: 1e300": the value at column 16.
  EXPECT_SPEC_ERROR(W(Job("    memory_gb: 1e300")), "w.yaml:5:16:", "jobs[0].memory_gb",
                    "expected host memory in GB from 0 to 1000000000, got 1e+300");
  // The largest values convert exactly: 10^9 cores = 10^12 milli-cores, 10^9 GB = 1.024e12 MiB.
  Result<WorkloadSpec> max = W(Job("    cpus: 1000000000\n    memory_gb: 1000000000"));
  ASSERT_TRUE(max.ok()) << max.message();
  EXPECT_EQ(max.value().jobs[0].job.cpu_milli, 1'000'000'000'000);
  EXPECT_EQ(max.value().jobs[0].job.memory_mib, 1'024'000'000'000);
  // Fractions round to the nearest milli-core and MiB, as before.
  Result<WorkloadSpec> frac = W(Job("    cpus: 0.0015\n    memory_gb: 0.5"));
  ASSERT_TRUE(frac.ok()) << frac.message();
  EXPECT_EQ(frac.value().jobs[0].job.cpu_milli, 2);
  EXPECT_EQ(frac.value().jobs[0].job.memory_mib, 512);
}

// Item 6: a generator's `gpu_milli: 5000` was checked with the priority bounds and silently
// clamped to 1000, while the same value on a job is an error. It is one now, wherever it is
// written: "    gpu_milli: 5000" (value at column 16, line 7).
TEST(SpecLimits, GeneratorGpuMilliIsCheckedAsAJobs) {
  const std::string expected = "expected a share of each GPU in milli-GPU, from 1 to 1000";
  EXPECT_SPEC_ERROR(W(Generator("    gpu_milli: 5000")), "w.yaml:7:16:", "generators[0].gpu_milli",
                    expected);
  EXPECT_SPEC_ERROR(W(Job("    gpu_milli: 5000")), "w.yaml:5:16:", "jobs[0].gpu_milli", expected);
  // In a distribution: "    gpu_milli: {dist: choice, values: [500, 0]}" - 0 at column 45.
  EXPECT_SPEC_ERROR(W(Generator("    gpu_milli: {dist: choice, values: [500, 0]}")),
                    "w.yaml:7:45:", "generators[0].gpu_milli.values[1]", expected);
  // "    gpu_milli: {dist: lognormal, median: 300, sigma: 1, max: 5000}" - 5000 at column 62.
  EXPECT_SPEC_ERROR(
      W(Generator("    gpu_milli: {dist: lognormal, median: 300, sigma: 1, max: 5000}")),
      "w.yaml:7:62:", "generators[0].gpu_milli.max", expected);
  EXPECT_TRUE(W(Generator("    gpu_milli: {dist: choice, values: [250, 1000]}")).ok());
}

// Item 4 for generators: their cpus and memory_gb values are a job's.
TEST(SpecLimits, GeneratorHostRequestsAreBounded) {
  EXPECT_SPEC_ERROR(W(Generator("    cpus: 1e300")), "w.yaml:7:11:", "generators[0].cpus",
                    "expected host CPU cores from 0 to 1000000000, got 1e+300");
  // "    memory_gb: {dist: lognormal, median: 1e300, sigma: 1}": the median at column 42.
  EXPECT_SPEC_ERROR(W(Generator("    memory_gb: {dist: lognormal, median: 1e300, sigma: 1}")),
                    "w.yaml:7:42:", "generators[0].memory_gb.median",
                    "expected host memory in GB from 0 to 1000000000, got 1e+300");
  EXPECT_TRUE(W(Generator("    cpus: {dist: choice, values: [0, 8]}")).ok());
}

// Item 7: `count: 1000000000000` passed validate and a run without --until ended in bad_alloc.
// The generators of a workload make at most 10,000,000 jobs in all: "    count: 1000000000000"
// (value at column 12, line 3).
TEST(SpecLimits, GeneratedJobsAreBounded) {
  const std::string huge =
      "generators:\n"
      "  - name: g\n"
      "    count: 1000000000000\n"
      "    arrivals: {mean_interarrival: 1s}\n"
      "    gpus: 1\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(huge), "w.yaml:3:12:", "generators[0].count",
                    "expected at most 10000000 jobs from the workload's generators in all; this "
                    "generator brings them to 1000000000000");
  // In all: two generators of 6,000,000 each; the second is the one that passes the limit
  // (its count at line 9, column 12).
  const std::string two =
      "generators:\n"
      "  - name: a\n"
      "    count: 6000000\n"
      "    arrivals: {mean_interarrival: 1s}\n"
      "    gpus: 1\n"
      "    duration: 1h\n"
      "  - name: b\n"
      "    arrivals: {mean_interarrival: 1s}\n"
      "    count: 6000000\n"
      "    gpus: 1\n"
      "    duration: 1h\n";
  Result<WorkloadSpec> r = W(two);
  EXPECT_SPEC_ERROR(r, "w.yaml:9:12:", "generators[1].count", "brings them to 12000000");
  EXPECT_EQ(ErrorCount(r), 1u);
  // With `until` alone, the jobs expected by then: 30 days at 1e9 jobs per hour is about 7.2e11
  // jobs ("    until: 30d", value at column 12).
  const std::string until =
      "generators:\n"
      "  - name: g\n"
      "    until: 30d\n"
      "    arrivals: {rate_per_hour: 1e9}\n"
      "    gpus: 1\n"
      "    duration: 1h\n";
  EXPECT_SPEC_ERROR(W(until), "w.yaml:3:12:", "generators[0].until",
                    "(the jobs expected from start to until)");
  // The one-million-job benchmark's shape is well inside: 950,000 + 50,000.
  const std::string bench =
      "generators:\n"
      "  - {name: a, count: 950000, arrivals: {mean_interarrival: 2s}, gpus: 1, duration: 1h}\n"
      "  - {name: b, count: 50000, until: 30d, arrivals: {mean_interarrival: 1m}, gpus: 1, "
      "duration: 1h}\n";
  EXPECT_TRUE(W(bench).ok()) << W(bench).message();
}

// Failure rates are bounded so that the fleet's total stays finite ("{gpu: 1e300}": the value at
// column 37 of "failure_model: {per_node_day: {gpu: 1e300}}").
TEST(SpecLimits, FailureRatesAreBounded) {
  EXPECT_SPEC_ERROR(W(Job("failure_model: {per_node_day: {gpu: 1e300}}")),
                    "w.yaml:5:37:", "failure_model.per_node_day.gpu",
                    "expected failures per node and day from 0 to 1000000, got '1e300'");
  EXPECT_SPEC_ERROR(W(Job("failure_model: {scale: 1e300}")), "w.yaml:5:24:", "failure_model.scale",
                    "expected a factor from 0 to 1000000");
  // Tiny rates are fine (the simulator draws no failure beyond simulated time).
  EXPECT_TRUE(W(Job("failure_model: {per_node_day: {gpu: 1e-15}}")).ok());
}

// Node types: host capacities are bounded before they become milli-cores and MiB.
TEST(SpecLimits, NodeTypeHostCapacitiesAreBounded) {
  const std::string fleet =
      "node_types:\n"
      "  - name: big\n"
      "    gpu: h100\n"
      "    gpus_per_node: 8\n"
      "    max_power_kw: 10\n"
      "    cpu_cores: 1e300\n"
      "    memory_gb: 2000000\n"
      "sites:\n"
      "  - {name: s, power_budget_mw: 1, domains: [{node_type: big}]}\n";
  Result<Fleet> f = F(fleet);
  EXPECT_SPEC_ERROR(f, "f.yaml:6:16:", "node_types[0].cpu_cores",
                    "expected at most 1000000 cores per node");
  EXPECT_SPEC_ERROR(f, "f.yaml:7:16:", "node_types[0].memory_gb",
                    "expected at most 1000000 GB per node");
}

// Item 3: the capacity index keeps a count per topology node, level and GPU model. Seven DGX types
// of 1,000,000 domains each (14,000,001+ topology nodes, under the 20,000,000 limit) with 8 models
// would need ~2.7 GB: topology nodes x GPU models are at most 100,000,000. The site is at line 12,
// column 5.
TEST(SpecLimits, TopologyNodesTimesModelsAreBounded) {
  const std::string fleet =
      "sites:\n"
      "  - name: s\n"
      "    power_budget_mw: 1000000\n"
      "    domains:\n"
      "      - {name: a, count: 1000000, node_type: dgx-h100}\n"
      "      - {name: b, count: 1000000, node_type: dgx-h200}\n"
      "      - {name: c, count: 1000000, node_type: dgx-b200}\n"
      "      - {name: d, count: 1000000, node_type: dgx-a100}\n"
      "      - {name: e, count: 1000000, node_type: dgx-a100-320gb}\n"
      "      - {name: f, count: 1000000, node_type: dgx1-v100}\n"
      "      - {name: g, count: 1000000, node_type: dgx1-p100}\n"
      "  - {name: t, power_budget_mw: 1, domains: [{node_type: gb200-nvl72}]}\n";
  EXPECT_SPEC_ERROR(F(fleet), "f.yaml:12:5:", "sites[1]",
                    "topology nodes x GPU models may be at most 100,000,000");
}

}  // namespace
}  // namespace gpufleet::spec_test
