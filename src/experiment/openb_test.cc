// The openb study on the real node list and one pod list (skipped without ../shared/traces).
#include "experiment/openb.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace gpufleet {
namespace {

std::string TraceDir() {
  if (const char* env = std::getenv("GPUFLEET_TRACES")) return env;
  return std::string(GPUFLEET_SOURCE_DIR) + "/../shared/traces";
}

class OpenbReal : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = TraceDir() + "/alibaba-gpu-2023";
    if (!std::filesystem::exists(dir + "/openb_node_list_gpu_node.csv")) {
      GTEST_SKIP() << "the openb traces are not in " << dir
                   << " (set GPUFLEET_TRACES to the traces folder)";
    }
    Result<OpenbCluster> c = LoadOpenbNodes(dir + "/openb_node_list_gpu_node.csv");
    ASSERT_TRUE(c.ok()) << c.message();
    cluster_ = std::move(c).value();
    dir_ = dir;
  }
  std::vector<OpenbPod> Pods(const std::string& name) {
    Result<std::vector<OpenbPod>> p =
        LoadOpenbPods(dir_ + "/openb_pod_list_" + name + ".csv", cluster_);
    EXPECT_TRUE(p.ok()) << p.message();
    return p.ok() ? std::move(p).value() : std::vector<OpenbPod>{};
  }
  OpenbCluster cluster_;
  std::string dir_;
};

TEST_F(OpenbReal, ClusterAndWorkloadAsDocumented) {
  // §1: 1,213 nodes, 6,212 GPUs; §2: default has 8,152 pods (1,088 CPU-only, 3,078 sharing).
  EXPECT_EQ(cluster_.nodes.size(), 1213u);
  EXPECT_EQ(cluster_.total_gpus, 6212);
  const std::vector<OpenbPod> pods = Pods("default");
  ASSERT_EQ(pods.size(), 8152u);
  int cpu_only = 0, sharing = 0;
  std::int64_t demand = 0;
  for (const OpenbPod& p : pods) {
    cpu_only += p.request.gpus == 0;
    sharing += p.request.Sharing();
    demand += p.request.DemandMilli();
  }
  EXPECT_EQ(cpu_only, 1088);
  EXPECT_EQ(sharing, 3078);
  EXPECT_EQ(demand, 6'086'800);  // 98.0% of 6,212,000
  // §4 FGD.1: 35 typical pods cover 95.26% of the pods; the top one (3152, 810, 1) is 13.5% of all.
  const std::vector<TypicalPod> typical = TypicalPods(pods);
  EXPECT_EQ(typical.size(), 35u);
  EXPECT_EQ(typical[0].pod.cpu_milli, 3152);
  EXPECT_EQ(typical[0].pod.milli, 810);
}

TEST_F(OpenbReal, EmptyClusterFragmentationMatchesThePaper) {
  // §4 sanity check: the fragmentation of the empty cluster is 13.94% of GPUs for default, 5.55%
  // for cpu050 and 35.49% for gpuspec33.
  for (const auto& [name, expected] :
       {std::pair<const char*, double>{"default", 13.94}, {"cpu050", 5.55}, {"gpuspec33", 35.49}}) {
    const std::vector<TypicalPod> typical = TypicalPods(Pods(name));
    double f = 0;
    for (const SharedNode& n : cluster_.nodes) f += NodeFragment(n, typical);
    EXPECT_NEAR(100 * f / 1000 / static_cast<double>(cluster_.total_gpus), expected, 0.01) << name;
  }
}

TEST_F(OpenbReal, InvariantsOnTwoSeeds) {
  const std::vector<OpenbPod> pods = Pods("default");
  const std::vector<TypicalPod> typical = TypicalPods(pods);
  const std::int64_t capacity = cluster_.total_gpus * kMilliPerGpu;
  for (std::uint64_t seed : {42u, 43u}) {
    std::vector<int> sequence;
    for (SharePolicy policy : AllSharePolicies()) {
      const OpenbRun run = RunOpenb(cluster_, pods, typical, policy, seed, 1.3);
      // The same arrival sequence for every policy with the same seed (common random numbers).
      if (sequence.empty()) sequence = run.arrival;
      EXPECT_EQ(run.arrival, sequence) << SharePolicyName(policy);
      // Arrived demand ends at (nearly) 130% of capacity: tuning stops before exceeding it.
      EXPECT_LE(run.events.back().arrived_milli, capacity * 13 / 10);
      EXPECT_GE(run.events.back().arrived_milli, capacity * 13 / 10 - 1000);
      std::int64_t previous = 0;
      for (const OpenbEvent& e : run.events) {
        EXPECT_LE(e.used_milli, capacity);
        EXPECT_EQ(e.used_milli + e.idle_milli, capacity);
        EXPECT_GE(e.used_milli, previous);  // nothing is ever released
        previous = e.used_milli;
      }
      // Binned allocation never decreases with arrived demand.
      const OpenbCurves c = BinCurves(run, cluster_.total_gpus);
      double last = 0;
      for (int x = 0; x <= 130; ++x) {
        ASSERT_TRUE(c.allocation[static_cast<size_t>(x)].has_value()) << x;
        EXPECT_GE(*c.allocation[static_cast<size_t>(x)], last - 1e-9)
            << SharePolicyName(policy) << " at " << x;
        last = *c.allocation[static_cast<size_t>(x)];
      }
    }
  }
}

}  // namespace
}  // namespace gpufleet
