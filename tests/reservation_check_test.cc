// The EASY reservation from the releases kept per subtree (sched/subtree_releases.h) is the
// replay's, in every pass of real runs: with SchedulerConfig::check_reservations the backfill
// policy computes both and aborts on any difference, so these runs fail by crashing if the two
// ever part. And the decisions are the same as without the check (the run is the same).
#include <gtest/gtest.h>

#include <sstream>

#include "report/report.h"
#include "sim/simulator.h"
#include "spec/specs.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

std::string JobsCsvOf(const std::string& fleet_file, const std::string& workload_file,
                      SimTime until, bool check, SimOptions options = {}) {
  Result<Fleet> fleet = LoadFleet(testing::SourcePath(fleet_file));
  EXPECT_TRUE(fleet.ok()) << fleet.message();
  Result<WorkloadSpec> spec = LoadWorkload(testing::SourcePath(workload_file));
  EXPECT_TRUE(spec.ok()) << spec.message();
  Result<BoundWorkload> bound = BindWorkload(spec.value(), fleet.value(), 1);
  EXPECT_TRUE(bound.ok()) << bound.message();
  options.scheduler.policy = "backfill";
  options.scheduler.check_reservations = check;
  options.until = until;
  Simulator sim(fleet.value(), std::move(bound).value(), options);
  const SimResult r = sim.Run();
  std::ostringstream csv;
  WriteJobsCsv(csv, r, fleet.value());
  return csv.str();
}

TEST(ReservationCheck, StargateRacksAndRowsGiveTheReplaysReservations) {
  // Two days of the million-job workload on Abilene: heads wait for one NVLink rack (22,400 of
  // them at the domain level), one row, or a pod, with reservations recomputed at nearly every
  // pass as jobs end before their estimates.
  const std::string checked = JobsCsvOf("examples/fleets/stargate-abilene.yaml",
                                        "examples/workloads/stargate-1m.yaml", 2 * kDay, true);
  EXPECT_GT(checked.size(), 1'000'000u);
}

TEST(ReservationCheck, MulticloudWithFailuresAndGracePeriods) {
  // Failures (free GPUs change without a start or stop), launch delays (estimated ends move at
  // confirmation) and grace periods, over 3 days.
  SimOptions options;
  options.launch_delay = 2 * kMinute;
  options.preemption_grace = 5 * kMinute;
  const std::string checked =
      JobsCsvOf("examples/fleets/multicloud.yaml", "examples/workloads/multicloud.yaml", 3 * kDay,
                true, options);
  EXPECT_EQ(checked, JobsCsvOf("examples/fleets/multicloud.yaml",
                               "examples/workloads/multicloud.yaml", 3 * kDay, false, options));
}

}  // namespace
}  // namespace gpufleet
