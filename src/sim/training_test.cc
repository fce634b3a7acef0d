// Training jobs in the simulator: their progress follows their placement's network, and a job may
// refuse a placement too slow for it.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/simulator.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

// 4 pods x 4 racks x 2 DGX H100 (64 GPUs a pod), 1:7 above the pods. Four 40-GPU jobs, each held
// inside one pod (best fit puts them in different pods), leave 24 GPUs free per pod for an hour;
// a 64-GPU training job (llama3-70b, TP8 PP4, DP2) arriving at once can only start spread over
// three pods, its data-parallel traffic crossing the 1:7 uplinks.
const char* kFillers =
    "jobs:\n"
    "  - {name: f1, gpus: 40, duration: 1h, topology: pod}\n"
    "  - {name: f2, gpus: 40, duration: 1h, topology: pod}\n"
    "  - {name: f3, gpus: 40, duration: 1h, topology: pod}\n"
    "  - {name: f4, gpus: 40, duration: 1h, topology: pod}\n";

SimResult RunTraining(const std::string& extra) {
  const Fleet fleet = testing::MustParseFleet(testing::OversubscribedPodsYaml());
  const std::string w = std::string(kFillers) +
                        "  - {name: train, gpus: 64, duration: 40h, training: {model: llama3-70b" +
                        extra + "}}\n";
  Simulator sim(fleet, BindWorkload(testing::MustParseWorkload(w), fleet, 1).value(), SimOptions{});
  return sim.Run();
}

TEST(SimulatorTraining, AScatteredJobRunsSlowerByItsPlacementRate) {
  const SimResult r = RunTraining("");
  const JobRecord& t = r.jobs[4];
  EXPECT_EQ(t.first_start, 0);
  EXPECT_LT(t.placement_rate, 0.98);
  EXPECT_GT(t.placement_rate, 0.2);
  // 10 h of work at the placement's rate, nothing else slowing it.
  EXPECT_EQ(t.end, static_cast<SimTime>(std::ceil(40 * kHour / t.placement_rate)));
}

TEST(SimulatorTraining, AJobMayWaitForAPlacementFastEnough) {
  // Asking for 98% of the ideal speed, it waits for a pod to empty at 1 h, then runs packed.
  const SimResult r = RunTraining(", min_placement_rate: 0.98");
  const JobRecord& t = r.jobs[4];
  EXPECT_EQ(t.first_start, kHour);
  EXPECT_GE(t.placement_rate, 0.98);
  EXPECT_EQ(t.end, kHour + static_cast<SimTime>(std::ceil(40 * kHour / t.placement_rate)));
  // Over 40 h of work, the scattered run (~5% slower) would have ended later than waiting an hour
  // for the packed one.
  EXPECT_LT(t.end, RunTraining("").jobs[4].end);
}

TEST(SimulatorTraining, ARunEndsWhenNoPlacementWillEverSatisfyAJob) {
  // 256 GPUs over all four pods behind 1:7 uplinks can never run at the ideal speed: asking for
  // 1.0, the job waits for ever. With random failures some repair is nearly always pending; the run
  // must still end (the job reported pending) rather than simulate idle years.
  const Fleet fleet = testing::MustParseFleet(testing::OversubscribedPodsYaml());
  const std::string w =
      "jobs:\n"
      "  - {name: x, gpus: 8, duration: 1h}\n"
      "  - {name: t, gpus: 256, duration: 1h, training: {model: llama3-70b, min_placement_rate: "
      "1}}\n"
      "failure_model: {scale: 100}\n";
  Simulator sim(fleet, BindWorkload(testing::MustParseWorkload(w), fleet, 1).value(), SimOptions{});
  const SimResult r = sim.Run();
  EXPECT_EQ(r.jobs[1].state, JobRecord::State::kPending);
  EXPECT_LT(r.end_time, 2 * kDay);
}

}  // namespace
}  // namespace gpufleet
