// Regressions found in review of srtf, las and fairshare. Fleet: two nodes of 4 GPUs in one leaf
// (s/p/l/d-1, s/p/l/d-2), unless stated otherwise.
#include <gtest/gtest.h>

#include "sim/simulator.h"
#include "test_fleets.h"

namespace gpufleet {
namespace {

const char* kTwoQuads =
    "node_types: [{name: quad, gpu: h100, gpus_per_node: 4, max_power_kw: 5}]\n"
    "sites:\n"
    "  - {name: s, power_budget_mw: 1, pods: [{name: p, leaves: [{name: l, domains: [{name: d, "
    "count: 2, "
    "node_type: quad}]}]}]}\n";

SimResult RunCase(const char* fleet_yaml, const std::string& workload, std::string policy,
                  std::vector<std::optional<std::int64_t>> quotas = {}) {
  static std::vector<std::unique_ptr<Fleet>> fleets;  // outlive the simulator
  fleets.push_back(std::make_unique<Fleet>(testing::MustParseFleet(fleet_yaml)));
  BoundWorkload w = BindWorkload(testing::MustParseWorkload(workload), *fleets.back(), 1).value();
  for (size_t i = 0; i < quotas.size(); ++i) w.tenants[i].quota_gpus = quotas[i];
  SimOptions options;
  options.scheduler.policy = policy;
  Simulator sim(*fleets.back(), std::move(w), options);
  return sim.Run();
}

TEST(PolicyRegression, SrtfRestartsAnEvictedJobAtOnceWhereItFits) {
  // At 0: Q (2 GPUs, 5m) and Y (2, 1h) fill d-1 (best fit), V (1, 100h) goes to d-2. Q ends at 5m.
  // At 6m H (4 GPUs in one node, 10h) outranks only V (100h left > 10h; Y has 54m left): it evicts
  // V and takes d-2. V fits in d-1's 2 free GPUs and must restart at 6m in the same pass - so it
  // ends at 100h exactly - not wait for Y to end at 1h.
  const SimResult r =
      RunCase(kTwoQuads,
              "jobs:\n"
              "  - {name: Q, gpus: 2, duration: 5m, topology: nvlink}\n"
              "  - {name: Y, gpus: 2, duration: 1h, topology: nvlink}\n"
              "  - {name: V, gpus: 1, duration: 100h, topology: nvlink}\n"
              "  - {name: H, submit: 6m, gpus: 4, duration: 10h, topology: nvlink}\n",
              "srtf");
  EXPECT_EQ(r.jobs[2].preemptions, 1);
  EXPECT_EQ(r.jobs[2].end, 100 * kHour);
  EXPECT_EQ(r.jobs[3].first_start, 6 * kMinute);
}

TEST(PolicyRegression, FairshareCountsUsageUpToTheEndOfAJob) {
  // One DGX (8 GPUs). a0 (tenant A, 8 GPUs) runs 0-10h and ends just as a1 (A) and b1 (B) arrive
  // at 10h. A has used 80 GPU-hours (decayed), B nothing: b1 runs first, 10h-11h, then a1.
  const SimResult r = RunCase(testing::DgxFleetYaml(1, 1, 1).c_str(),
                              "tenants: [{name: A}, {name: B}]\n"
                              "jobs:\n"
                              "  - {name: a0, tenant: A, gpus: 8, duration: 10h}\n"
                              "  - {name: a1, tenant: A, submit: 10h, gpus: 8, duration: 1h}\n"
                              "  - {name: b1, tenant: B, submit: 10h, gpus: 8, duration: 1h}\n",
                              "fairshare");
  EXPECT_EQ(r.jobs[2].first_start, 10 * kHour);  // b1
  EXPECT_EQ(r.jobs[1].first_start, 11 * kHour);  // a1
}

TEST(PolicyRegression, FairshareReclaimsOnlyBorrowedGpus) {
  // Quotas A = 4, B = 4 GPUs. At 0: a_fill (A, 3) and b2 (B, 1) fill d-1 (best fit). At 1m b1
  // (B, 4) takes d-2: B holds 5, one GPU beyond its quota. At 2m a2 (A, 1; A within quota: 3 + 1)
  // finds nothing free and reclaims. Evicting b1 would leave B with 1 < 4: not allowed. Evicting
  // b2 leaves B with 4: allowed. So b2 is evicted and a2 takes its GPU on d-1.
  const SimResult r = RunCase(kTwoQuads,
                              "tenants: [{name: A}, {name: B}]\n"
                              "jobs:\n"
                              "  - {name: a_fill, tenant: A, gpus: 3, duration: 10h}\n"
                              "  - {name: b2, tenant: B, gpus: 1, duration: 10h}\n"
                              "  - {name: b1, tenant: B, submit: 1m, gpus: 4, duration: 10h}\n"
                              "  - {name: a2, tenant: A, submit: 2m, gpus: 1, duration: 10h}\n",
                              "fairshare", {4, 4});
  EXPECT_EQ(r.jobs[2].preemptions, 0);  // b1 keeps running
  EXPECT_EQ(r.jobs[1].preemptions, 1);  // b2 gives its GPU back
  EXPECT_EQ(r.jobs[3].first_start, 2 * kMinute);
}

}  // namespace
}  // namespace gpufleet
