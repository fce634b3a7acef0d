// Spec errors of the physics fields: node types' NIC bandwidth, training jobs, checkpointing and
// the failure model. Columns are counted by hand from the YAML text (1-based), as in
// spec_errors_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "spec/spec_test_support.h"

namespace gpufleet {
namespace {

using namespace spec_test;  // NOLINT: the helpers read as part of each check

TEST(SpecErrors, NodeTypeNicBandwidth) {
  const std::string fleet =
      "node_types:\n"
      "  - {name: n4, gpu: h100, gpus_per_node: 4, max_power_kw: 5, nic_gb_s_per_gpu: 25}\n"
      "sites:\n"
      "  - name: lab\n"
      "    power_budget_mw: 1\n"
      "    domains:\n"
      "      - node_type: n4\n";
  Result<Fleet> f = F(fleet);
  ASSERT_TRUE(f.ok()) << f.message();
  const auto& types = f.value().node_types();
  const auto n4 =
      std::find_if(types.begin(), types.end(), [](const NodeType& t) { return t.name == "n4"; });
  ASSERT_NE(n4, types.end());
  EXPECT_EQ(n4->nic_gb_s_per_gpu, 25);
  std::string bad = fleet;
  bad.replace(bad.find("nic_gb_s_per_gpu: 25"), 20, "nic_gb_s_per_gpu: -1");
  // "  - {name: n4, gpu: h100, gpus_per_node: 4, max_power_kw: 5, nic_gb_s_per_gpu: -1}": the value
  // at column 80.
  EXPECT_SPEC_ERROR(F(bad), "f.yaml:2:80:", "node_types[0].nic_gb_s_per_gpu", "");
}

TEST(SpecErrors, TrainingFailureModelAndCheckpointFields) {
  // "  - {gpus: 64, duration: 1h, training: {model: gpt-5}}": 'gpt-5' at column 48.
  EXPECT_SPEC_ERROR(W("jobs:\n  - {gpus: 64, duration: 1h, training: {model: gpt-5}}\n"),
                    "w.yaml:2:48:", "jobs[0].training.model", "llama3-405b");
  // 60 GPUs do not divide into TP8 x PP4 of llama3-70b: the error points at the training mapping
  // (column 40) and names the GPUs.
  EXPECT_SPEC_ERROR(W("jobs:\n  - {gpus: 60, duration: 1h, training: {model: llama3-70b}}\n"),
                    "w.yaml:2:40:", "jobs[0].training", "60 GPUs");
  EXPECT_SPEC_ERROR(W("jobs:\n  - {gpus: 8, duration: 1h, training: {model: llama3-8b, "
                      "min_placement_rate: 2}}\n"),
                    "w.yaml:2:78:", "jobs[0].training.min_placement_rate", "at most 1");
  // A ZeRO stage beyond 3: '5' at column 64.
  EXPECT_SPEC_ERROR(
      W("jobs:\n  - {gpus: 8, duration: 1h, training: {model: llama3-8b, zero: 5}}\n"),
      "w.yaml:2:64:", "jobs[0].training.zero", "0, 1, 2 or 3");
  // Attention kernels the model does not know: 'ring' at column 69.
  EXPECT_SPEC_ERROR(
      W("jobs:\n  - {gpus: 8, duration: 1h, training: {model: llama3-8b, attention: ring}}\n"),
      "w.yaml:2:69:", "jobs[0].training.attention", "flash or unfused");
  // auto needs a write time: 'auto' at column 50.
  EXPECT_SPEC_ERROR(W("jobs:\n  - {gpus: 8, duration: 1h, checkpoint_interval: auto}\n"),
                    "w.yaml:2:50:", "jobs[0].checkpoint_interval", "checkpoint_write");
  // An unknown failure category: 'cosmic' at line 2, column 36.
  EXPECT_SPEC_ERROR(
      W("jobs: [{gpus: 1, duration: 1h}]\nfailure_model: {per_node_day: {cosmic: 1}}\n"),
      "w.yaml:2:32:", "failure_model.per_node_day.cosmic", "unknown failure category");
  EXPECT_SPEC_ERROR(W("jobs: [{gpus: 1, duration: 1h}]\nfailure_model: {rates: llama4}\n"),
                    "w.yaml:2:24:", "failure_model.rates", "llama3");
  EXPECT_SPEC_ERROR(W("jobs: [{gpus: 1, duration: 1h}]\nmaintenance: [{at: 1h, target: s}]\n"),
                    "w.yaml:2:15:", "maintenance[0].duration", "missing");
}

}  // namespace
}  // namespace gpufleet
