// The simulator over the two-phase scheduler: launches, grace periods, failures in both, restores.
#include <gtest/gtest.h>

#include "sim/simulator.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

SimResult RunSim(const std::string& workload, const std::string& policy, SimTime launch,
                 SimTime grace, std::uint64_t restore_after = 0) {
  static const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));  // 16 GPUs
  SimOptions options;
  options.scheduler.policy = policy;
  options.launch_delay = launch;
  options.preemption_grace = grace;
  Simulator sim(fleet, BindWorkload(testing::MustParseWorkload(workload), fleet, 1).value(),
                options);
  if (restore_after > 0) sim.RestoreSchedulerAfter(restore_after);
  return sim.Run();
}

// With --launch-delay, a higher-priority job that arrives while a lower-priority one launches
// preempts it as soon as it runs (regression: the pass after the launch was skipped, as nothing
// "changed", and b waited until a completed 10 hours later).
TEST(TwoPhaseSim, PriorityHeadArrivingDuringALaunchPreemptsItOnceItRuns) {
  const std::string w =
      "jobs:\n"
      "  - {name: a, gpus: 16, duration: 10h}\n"
      "  - {name: b, submit: 1m, priority: 5, gpus: 16, duration: 10m}\n";
  const SimResult no_delay = RunSim(w, "priority", 0, 0);
  EXPECT_EQ(no_delay.jobs[1].first_start, kMinute);  // preempts a at once
  const SimResult delayed = RunSim(w, "priority", 5 * kMinute, 0);
  EXPECT_LT(delayed.jobs[1].first_start, kHour)
      << "b (priority 5) started at " << delayed.jobs[1].first_start / kMinute
      << " min, after a (priority 0) completed";
  EXPECT_EQ(delayed.jobs[0].preemptions, 1);
}

// Accounting under failures during a launch and during a grace period (checked sound): run_ms =
// duration + lost + restart + grace, GPU time conserved, restore mid-run changes nothing.
TEST(TwoPhaseSim, FailuresDuringLaunchAndGraceKeepTheAccounts) {
  const std::string w =
      "jobs:\n"
      "  - {name: a, gpus: 8, duration: 60m}\n"
      "  - {name: c, gpus: 8, duration: 90m}\n"
      "  - {name: b, submit: 10m, priority: 5, gpus: 16, duration: 10m}\n"
      "failures:\n"
      "  - {at: 30s, target: s/p/l/d-1, repair_after: 1m}\n"
      "  - {at: 11m, target: s/p/l/d-2, repair_after: 1m}\n";
  for (const char* policy : {"priority", "las", "srtf", "fairshare", "backfill"}) {
    const SimResult r = RunSim(w, policy, kMinute, 3 * kMinute);
    long double held = 0;
    for (const JobRecord& j : r.jobs) {
      held += static_cast<long double>(j.gpu_milli_ms);
      if (j.state == JobRecord::State::kCompleted) {
        EXPECT_EQ(j.run_ms, j.spec.duration + j.lost_ms + j.restart_ms + j.grace_ms)
            << policy << " " << j.spec.name;
      }
    }
    EXPECT_EQ(held, r.allocated_gpu_milli_ms) << policy;
    for (std::uint64_t at = 1; at < r.events; ++at) {
      const SimResult q = RunSim(w, policy, kMinute, 3 * kMinute, at);
      for (size_t i = 0; i < r.jobs.size(); ++i) {
        EXPECT_EQ(q.jobs[i].end, r.jobs[i].end) << policy << " restore after " << at;
        EXPECT_EQ(q.jobs[i].first_start, r.jobs[i].first_start) << policy << " " << at;
      }
    }
  }
}

// Regression (UB, UBSan: "shift exponent -1 is negative"): the power ledger asks
// GangRequest::Allows about the model of every node type, and node types the fleet does not use
// have model kAnyModel (-1); a job allowing several models reached it at Submit.
TEST(TwoPhaseSim, MultiModelJobShiftsByMinusOneInThePowerLedger) {
  const Fleet fleet = testing::MustParseFleet(
      "sites:\n"
      "  - name: s\n"
      "    power_budget_mw: 10\n"
      "    pods:\n"
      "      - name: p\n"
      "        leaves:\n"
      "          - name: l\n"
      "            domains:\n"
      "              - {name: a, node_type: dgx-h100}\n"
      "              - {name: b, node_type: dgx-h200}\n");
  SimOptions options;
  options.scheduler.policy = "fifo";
  Simulator sim(fleet,
                BindWorkload(testing::MustParseWorkload(
                                 "jobs: [{gpus: 8, duration: 1h, gpu_model: [h100, h200]}]\n"),
                             fleet, 1)
                    .value(),
                options);
  const SimResult r = sim.Run();
  EXPECT_EQ(r.jobs[0].state, JobRecord::State::kCompleted);
}

}  // namespace
}  // namespace gpufleet
