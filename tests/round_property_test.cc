// Properties of round-based scheduling (rapidcheck) on random workloads of the synthetic
// application under every round policy, checked after every round:
//   - never more GPUs in use than the 16 × 4 cluster has, none on a node beyond its 4;
//   - a job's progress and epoch never decrease;
//   - the restart delay is charged exactly on allocation changes: a job whose allocation changed
//     to a non-empty one starts the next round with 30 s of delay, spends exactly those 30 s in
//     it, and a job whose allocation did not change spends none;
// and at the end every job has completed, after its submission.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "sim/round_engine.h"
#include "synthetic_app.h"

namespace gpufleet {
namespace {

const Application& App() {
  static const Application app = testing::SyntheticApplication(1500);
  return app;
}

RC_GTEST_PROP(RoundProperties, CapacityMonotoneProgressAndExactRestarts, ()) {
  const auto kind = *rc::gen::element(RoundPolicyKind::kTiresias, RoundPolicyKind::kOptimus,
                                      RoundPolicyKind::kFifo, RoundPolicyKind::kFifoBackfill,
                                      RoundPolicyKind::kLas);
  const int count = *rc::gen::inRange(1, 30);
  std::vector<RoundJob> jobs;
  for (int i = 0; i < count; ++i) {
    jobs.push_back(RoundJob{"j" + std::to_string(i), &App(), *rc::gen::inRange(0, 7200) * kSecond,
                            *rc::gen::element(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64),
                            *rc::gen::element(16, 64, 128)});
  }
  const RoundOptions options;
  const RoundCluster& cluster = options.cluster;
  std::unique_ptr<RoundPolicy> policy = MakeRoundPolicy(kind, cluster);

  std::vector<double> last_progress(jobs.size(), 0.0);
  std::vector<int> last_epoch(jobs.size(), 0);
  std::vector<SimTime> last_restart(jobs.size(), 0);
  std::vector<char> restarting(jobs.size(), 0);  // allocation changed to non-empty last round
  bool ok = true;
  std::string failure;
  auto fail = [&](const std::string& what) {
    if (ok) failure = what;
    ok = false;
  };
  Result<RoundResult> r = RunRounds(jobs, *policy, options, [&](const RoundState& s) {
    std::vector<int> used(static_cast<size_t>(cluster.nodes), 0);
    int total = 0;
    for (size_t i = 0; i < jobs.size(); ++i) {
      const JobProgress& p = (*s.progress)[i];
      for (int node : (*s.allocations)[i]) {
        if (node < 0 || node >= cluster.nodes)
          fail("node id out of range");
        else
          ++used[static_cast<size_t>(node)];
        ++total;
      }
      if (p.progress() < last_progress[i] || p.epoch() < last_epoch[i])
        fail(jobs[i].name + ": progress went back at t=" + std::to_string(s.now) + " ms");
      last_progress[i] = p.progress();
      last_epoch[i] = p.epoch();
      // Restart time spent during the round that just ended.
      const SimTime spent = p.restart_time() - last_restart[i];
      if (spent != (restarting[i] ? options.restart_delay : 0))
        fail(jobs[i].name + ": " + std::to_string(spent) +
             " ms of restart in the round to t=" + std::to_string(s.now) + " ms");
      last_restart[i] = p.restart_time();
      restarting[i] = (*s.reallocated)[i] && !(*s.allocations)[i].empty();
      if (restarting[i] && p.restart_remaining() != options.restart_delay)
        fail(jobs[i].name + ": reallocated without a full restart delay");
    }
    if (total > cluster.total_gpus()) fail(std::to_string(total) + " GPUs in use");
    for (int u : used) {
      if (u > cluster.gpus_per_node) fail("a node over its GPUs");
    }
  });
  if (!r.ok()) RC_FAIL(r.message());
  if (!ok) RC_FAIL(failure);
  for (size_t i = 0; i < jobs.size(); ++i) {
    RC_ASSERT(r.value().completion_time[i] > jobs[i].submit);
  }
}

}  // namespace
}  // namespace gpufleet
