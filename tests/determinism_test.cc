// Determinism: the same inputs and seed give byte-identical reports (apart from sim.wall_s) and
// event logs; a different seed changes generated workloads.
#include <gtest/gtest.h>

#include <sstream>

#include "report/report.h"
#include "sim/simulator.h"
#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

struct RunOutput {
  std::string report;  // JSON without sim.wall_s
  std::string events;
  std::string jobs_csv;
};

RunOutput RunExample(const std::string& fleet_file, const std::string& workload_file,
                     std::string policy, std::uint64_t seed) {
  Result<Fleet> fleet = LoadFleet(testing::SourcePath(fleet_file));
  EXPECT_TRUE(fleet.ok()) << fleet.message();
  Result<WorkloadSpec> spec = LoadWorkload(testing::SourcePath(workload_file));
  EXPECT_TRUE(spec.ok()) << spec.message();
  Result<BoundWorkload> bound = BindWorkload(spec.value(), fleet.value(), seed);
  EXPECT_TRUE(bound.ok()) << bound.message();
  SimOptions options;
  options.scheduler.policy = policy;
  Simulator sim(fleet.value(), std::move(bound).value(), options);
  std::ostringstream events;
  CsvEventLog log(events);
  sim.set_event_sink(&log);
  const SimResult result = sim.Run();
  // wall_s is the one figure that depends on the machine: leave it at its default.
  const Metrics m = ComputeMetrics(
      result, RunInfo{fleet_file, workload_file, policy, seed, kNever, 0, {}, "", "", ""});
  std::ostringstream jobs;
  WriteJobsCsv(jobs, result, fleet.value());
  return {ReportJson(m).dump(), events.str(), jobs.str()};
}

TEST(Determinism, SameSeedGivesIdenticalReportAndEventLog) {
  for (const char* p : {"fifo", "priority", "backfill", "sjf"}) {
    const RunOutput a =
        RunExample("examples/fleets/tiny.yaml", "examples/workloads/tiny.yaml", p, 7);
    const RunOutput b =
        RunExample("examples/fleets/tiny.yaml", "examples/workloads/tiny.yaml", p, 7);
    EXPECT_EQ(a.report, b.report) << p;
    EXPECT_EQ(a.events, b.events) << p;
    EXPECT_EQ(a.jobs_csv, b.jobs_csv) << p;
    EXPECT_GT(a.events.size(), 1000u);
  }
}

TEST(Determinism, MulticloudRunIsReproducible) {
  // 110,001 jobs on three sites with failures: big enough for ties at equal times to matter.
  const RunOutput a = RunExample("examples/fleets/multicloud.yaml",
                                 "examples/workloads/multicloud.yaml", "backfill", 3);
  const RunOutput b = RunExample("examples/fleets/multicloud.yaml",
                                 "examples/workloads/multicloud.yaml", "backfill", 3);
  EXPECT_EQ(a.report, b.report);
  EXPECT_TRUE(a.events == b.events) << "event logs differ";
}

TEST(Determinism, DifferentSeedChangesGeneratedWorkload) {
  const RunOutput a =
      RunExample("examples/fleets/tiny.yaml", "examples/workloads/tiny.yaml", "fifo", 1);
  const RunOutput b =
      RunExample("examples/fleets/tiny.yaml", "examples/workloads/tiny.yaml", "fifo", 2);
  EXPECT_NE(a.jobs_csv, b.jobs_csv);
  EXPECT_NE(a.events, b.events);
}

TEST(Determinism, GeneratorWithOwnSeedIgnoresRunSeed) {
  const std::string yaml =
      "generators:\n"
      "  - {name: g, seed: 42, count: 50, arrivals: {mean_interarrival: 1m}, gpus: {dist: choice, "
      "values: [1, 2, 4]},\n"
      "     duration: {dist: lognormal, median: 10m, sigma: 1}}\n";
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));
  const WorkloadSpec spec = testing::MustParseWorkload(yaml);
  auto jobs_of = [&](std::uint64_t seed) {
    BoundWorkload w = BindWorkload(spec, fleet, seed).value();
    std::vector<std::tuple<SimTime, int, SimTime>> out;
    JobSpec j;
    while (w.source->Next(j)) out.emplace_back(j.submit, j.gpus, j.duration);
    return out;
  };
  EXPECT_EQ(jobs_of(1), jobs_of(99));
  EXPECT_EQ(jobs_of(1).size(), 50u);
}

}  // namespace
}  // namespace gpufleet
