// The `services:` of a workload (docs/SPEC.md, "Services"): what a valid service reads as, and an
// error for each class of mistake at its hand-counted file:line:column with the field's path.
// Physics checks (a replica that cannot hold its model, an SLO out of reach even idle) are errors
// where the service is written.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "spec/spec_test_support.h"
#include "spec/specs.h"
#include "temp_dir.h"
#include "workload/workload.h"

namespace gpufleet {
namespace {

using namespace spec_test;  // NOLINT: the helpers read as part of each check

// The base service, one line per entry; tests replace lines by number (1-based) or add some.
const std::vector<std::string> kService = {
    "services:",                        // 1
    "  - name: chat",                   // 2: the service mapping starts at column 5
    "    model: llama3-70b",            // 3: value at column 12
    "    gpu_model: H100",              // 4: value at column 16
    "    gpus_per_replica: 2",          // 5: value at column 23
    "    replicas: {min: 1, max: 8}",   // 6: '{' at column 15, min's value at 21
    "    slo: {ttft: 2s, tpot: 50ms}",  // 7: '{' at column 10, ttft's value at 17, tpot's at 27
    "    demand:",                      // 8
    "      rate: 10",                   // 9: the demand mapping starts at column 7, value at 13
    "      prompt_tokens: 1000",        // 10: value at column 22
    "      output_tokens: 200",         // 11: value at column 22
};

// One DGX H100 (8 GPUs).
const std::string kServiceFleet =
    "sites:\n"
    "  - name: lab\n"
    "    power_budget_mw: 1\n"
    "    domains:\n"
    "      - node_type: dgx-h100\n";

std::string Yaml(const std::map<int, std::string>& replaced = {},
                 const std::vector<std::string>& added = {}) {
  std::string out;
  for (size_t i = 0; i < kService.size(); ++i) {
    auto it = replaced.find(static_cast<int>(i) + 1);
    out += (it == replaced.end() ? kService[i] : it->second) + "\n";
  }
  for (const std::string& line : added) out += line + "\n";
  return out;
}

TEST(ServiceSpec, AServiceReadsWithItsDefaults) {
  Result<WorkloadSpec> w = W(Yaml());
  ASSERT_TRUE(w.ok()) << w.message();
  ASSERT_EQ(w.value().services.size(), 1u);
  const ServiceSpec& s = w.value().services[0];
  EXPECT_EQ(s.name, "chat");
  EXPECT_EQ(s.served.model.name, "llama3-70b");
  EXPECT_EQ(s.served.weights, ServingPrecision::kFp8);
  EXPECT_EQ(s.served.kv_cache, ServingPrecision::kFp8);  // as the weights unless given
  EXPECT_EQ(s.gpu_model, "h100");                        // the catalogue's spelling
  EXPECT_EQ(s.gpus_per_replica, 2);
  EXPECT_EQ(s.topology, Topology::kNvlink);
  EXPECT_EQ(s.min_replicas, 1);
  EXPECT_EQ(s.max_replicas, 8);
  EXPECT_DOUBLE_EQ(s.slo.ttft_s, 2);
  EXPECT_DOUBLE_EQ(s.slo.tpot_s, 0.05);
  EXPECT_DOUBLE_EQ(s.slo.percentile, 99);
  EXPECT_EQ(s.priority, 0);
  EXPECT_EQ(s.tenant, 0);
  EXPECT_EQ(s.batching.max_batch, 256);
  EXPECT_TRUE(s.demand.trace_path.empty());
  // A steady rate: the trough equals the peak.
  EXPECT_DOUBLE_EQ(s.demand.rate.peak_rps, 10);
  EXPECT_DOUBLE_EQ(s.demand.rate.trough_rps, 10);
  EXPECT_DOUBLE_EQ(s.demand.prompt_tokens.Mean(), 1000);
  EXPECT_DOUBLE_EQ(s.demand.output_tokens.Mean(), 200);
  // A workload of services alone needs no jobs.
  EXPECT_TRUE(w.value().jobs.empty());
}

TEST(ServiceSpec, EveryFieldReads) {
  Result<WorkloadSpec> w = W(
      "tenants: [{name: research}, {name: serving}]\n" +
      Yaml({{6, "    replicas: 4"},
            {7, "    slo: {ttft: 1500ms, tpot: 40ms, percentile: 95}"},
            {9, "      rate: 40"}},
           {"      trough_rate: 8", "      period: 12h", "      peak_at: 3h", "      seed: 7",
            "    precision: bf16", "    kv_cache: fp8", "    topology: nvlink", "    priority: 100",
            "    tenant: serving", "    batching: {max_batch: 64, max_tokens_per_pass: 2048}"}));
  ASSERT_TRUE(w.ok()) << w.message();
  const ServiceSpec& s = w.value().services[0];
  EXPECT_EQ(s.min_replicas, 4);  // a scalar: a fixed count
  EXPECT_EQ(s.max_replicas, 4);
  EXPECT_DOUBLE_EQ(s.slo.ttft_s, 1.5);
  EXPECT_DOUBLE_EQ(s.slo.percentile, 95);
  EXPECT_DOUBLE_EQ(s.demand.rate.peak_rps, 40);
  EXPECT_DOUBLE_EQ(s.demand.rate.trough_rps, 8);
  EXPECT_DOUBLE_EQ(s.demand.rate.period_s, 12 * 3600);
  EXPECT_DOUBLE_EQ(s.demand.rate.peak_at_s, 3 * 3600);
  EXPECT_EQ(s.demand.seed, 7u);
  EXPECT_EQ(s.served.weights, ServingPrecision::kBf16);
  EXPECT_EQ(s.served.kv_cache, ServingPrecision::kFp8);
  EXPECT_EQ(s.priority, 100);
  EXPECT_EQ(s.tenant, 1);
  EXPECT_EQ(s.batching.max_batch, 64);
  EXPECT_EQ(s.batching.max_tokens_per_pass, 2048);
}

TEST(ServiceSpec, TheExampleReads) {
  Result<WorkloadSpec> w =
      LoadWorkload(std::string(GPUFLEET_SOURCE_DIR) + "/examples/workloads/serving.yaml");
  ASSERT_TRUE(w.ok()) << w.message();
  ASSERT_EQ(w.value().services.size(), 2u);
  EXPECT_EQ(w.value().services[0].name, "chat");
  EXPECT_EQ(w.value().services[1].name, "autocomplete");
}

// The first bad input: weights that do not fit. Llama 3 405B in fp8 is 405 GB, 202.5 GB
// (189 GiB) on each of 2 GPUs, more than an H100's 80 GB.
TEST(ServiceSpec, AReplicaThatCannotHoldItsModelIsRefusedAtItsGpus) {
  EXPECT_TRUE(IsError(W(Yaml({{3, "    model: llama3-405b"}})), "w.yaml:5:23:",
                      "services[0].gpus_per_replica", "the weights (189 GiB per GPU)"));
}

// The second: an SLO no replica meets even idle. The smallest request (1,000 prompt tokens)
// needs a prefill pass of tens of milliseconds on 2 H100s, far above 1 ms; one decode step reads
// 35 GB of fp8 weights per GPU at 3.35 TB/s x 0.8, over 10 ms, above a 1 ms TPOT.
TEST(ServiceSpec, AnSloOutOfReachEvenIdleIsRefusedAtItsTarget) {
  EXPECT_TRUE(IsError(W(Yaml({{7, "    slo: {ttft: 1ms, tpot: 50ms}"}})),
                      "w.yaml:7:17:", "services[0].slo.ttft", "no replica meets it, even idle"));
  EXPECT_TRUE(IsError(W(Yaml({{7, "    slo: {ttft: 2s, tpot: 1ms}"}})), "w.yaml:7:27:",
                      "services[0].slo.tpot", "one decode step of the smallest request"));
  // Within reach: a 20 ms TPOT is above one idle decode step.
  EXPECT_TRUE(W(Yaml({{7, "    slo: {ttft: 2s, tpot: 20ms}"}})).ok());
}

TEST(ServiceSpec, TokenCountsMustBeWholeAndPositive) {
  EXPECT_TRUE(IsError(W(Yaml({{10, "      prompt_tokens: -5"}})),
                      "w.yaml:10:22:", "services[0].demand.prompt_tokens", "from 1 to 2000000"));
  EXPECT_TRUE(
      IsError(W(Yaml({{11, "      output_tokens: {dist: lognormal, median: 200, sigma: 1}"}})),
              "w.yaml:11:48:", "services[0].demand.output_tokens.max", "needs a 'max'"));
}

TEST(ServiceSpec, DemandIsATraceOrARateNeverBoth) {
  EXPECT_TRUE(IsError(W(Yaml({}, {"      trace: azure-llm:x.csv"})),
                      "w.yaml:9:7:", "services[0].demand", "exactly one of 'trace'"));
  EXPECT_TRUE(IsError(W(Yaml({}, {"      rate_scale: 2"})),
                      "w.yaml:12:19:", "services[0].demand.rate_scale", "only with 'trace'"));
  EXPECT_TRUE(IsError(W(Yaml({}, {"      period: 1d"})),
                      "w.yaml:12:15:", "services[0].demand.period", "only for a diurnal demand"));
  EXPECT_TRUE(IsError(W(Yaml({}, {"      trough_rate: 2", "      peak_at: 1d"})),
                      "w.yaml:13:16:", "services[0].demand.peak_at", "within the period"));
  EXPECT_TRUE(IsError(W(Yaml({}, {"      trough_rate: 20"})),
                      "w.yaml:12:20:", "services[0].demand.trough_rate", "at most 'rate'"));
}

TEST(ServiceSpec, ATraceDemandNamesAnExistingFileAndTakesNoGeneratorFields) {
  const gpufleet::testing::ScratchDir dir;
  const std::string csv = dir.Write("t.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n");
  const std::string trace = "    demand: {trace: 'azure-llm:" + csv + "', rate_scale: 3}";
  Result<WorkloadSpec> w = W(Yaml({{8, trace}, {9, ""}, {10, ""}, {11, ""}}));
  ASSERT_TRUE(w.ok()) << w.message();
  EXPECT_EQ(w.value().services[0].demand.trace_path, csv);
  EXPECT_DOUBLE_EQ(w.value().services[0].demand.rate_scale, 3);
  EXPECT_TRUE(IsError(
      W(Yaml({{8, "    demand: {trace: 'azure-llm:/no/such.csv'}"}, {9, ""}, {10, ""}, {11, ""}})),
      "w.yaml:8:21:", "services[0].demand.trace", "no such file"));
  EXPECT_TRUE(IsError(
      W(Yaml({{8, "    demand: {trace: 'philly:" + csv + "'}"}, {9, ""}, {10, ""}, {11, ""}})),
      "w.yaml:8:21:", "services[0].demand.trace", "expected azure-llm:FILE"));
  EXPECT_TRUE(IsError(W(Yaml({{8, "    demand: {trace: 'azure-llm:" + csv + "', seed: 1}"},
                              {9, ""},
                              {10, ""},
                              {11, ""}})),
                      "w.yaml:8:", "services[0].demand.seed", "not with 'trace'"));
}

TEST(ServiceSpec, FluidServingTakesAWindowAndATraceMayRepeat) {
  Result<WorkloadSpec> w = W(Yaml({}, {"    fluid: {window: 2m}"}));
  ASSERT_TRUE(w.ok()) << w.message();
  EXPECT_DOUBLE_EQ(w.value().services[0].fluid_window_s, 120);
  w = W(Yaml({}, {"    fluid: {}"}));
  ASSERT_TRUE(w.ok()) << w.message();
  EXPECT_DOUBLE_EQ(w.value().services[0].fluid_window_s, 60);         // the default
  EXPECT_DOUBLE_EQ(W(Yaml()).value().services[0].fluid_window_s, 0);  // request by request
  EXPECT_TRUE(IsError(W(Yaml({}, {"    fluid: {window: 2d}"})),
                      "w.yaml:12:21:", "services[0].fluid.window", "from 1s to 1d"));
  EXPECT_TRUE(IsError(W(Yaml({}, {"    fluid: {windows: 1m}"})),
                      "w.yaml:12:13:", "services[0].fluid.windows", "unknown"));
  const gpufleet::testing::ScratchDir dir;
  const std::string csv = dir.Write("t.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n");
  Result<WorkloadSpec> trace =
      W(Yaml({{8, "    demand: {trace: 'azure-llm:" + csv + "', repeat: true}"},
              {9, ""},
              {10, ""},
              {11, ""}}));
  ASSERT_TRUE(trace.ok()) << trace.message();
  EXPECT_TRUE(trace.value().services[0].demand.repeat);
  EXPECT_TRUE(IsError(W(Yaml({{8, "    demand: {trace: 'azure-llm:" + csv + "', repeat: often}"},
                              {9, ""},
                              {10, ""},
                              {11, ""}})),
                      "w.yaml:8:", "services[0].demand.repeat", "expected true or false"));
  EXPECT_TRUE(IsError(W(Yaml({}, {"      repeat: true"})),
                      "w.yaml:12:15:", "services[0].demand.repeat", "only with 'trace'"));
}

TEST(ServiceSpec, OtherMistakesAreNamed) {
  EXPECT_TRUE(IsError(W(Yaml({{6, "    replicas: {min: 9, max: 8}"}})),
                      "w.yaml:6:21:", "services[0].replicas.min", "min <= max"));
  EXPECT_TRUE(IsError(W(Yaml({}, {"    topology: leaf"})), "w.yaml:12:15:", "services[0].topology",
                      "within one NVLink domain"));
  EXPECT_TRUE(
      IsError(W(Yaml({}, {"    colour: red"})), "w.yaml:12:5:", "services[0].colour", "unknown"));
  EXPECT_TRUE(IsError(W(Yaml({{4, "    gpu_model: H999"}})),
                      "w.yaml:4:16:", "services[0].gpu_model", "unknown GPU model"));
  EXPECT_TRUE(IsError(W(Yaml({{3, "    model: gpt9"}})), "w.yaml:3:12:", "services[0].model",
                      "expected a built-in model"));
  EXPECT_TRUE(IsError(W(Yaml({}, {"    precision: fp4"})), "w.yaml:12:16:", "services[0].precision",
                      "expected fp8 or bf16"));
  EXPECT_TRUE(IsError(W(Yaml({}, {"    tenant: nobody"})), "w.yaml:12:13:", "services[0].tenant",
                      "unknown tenant"));
  EXPECT_TRUE(IsError(W(Yaml({}, {"    batching: {max_batch: 64, max_tokens_per_pass: 32}"})),
                      "w.yaml:12:15:", "services[0].batching", "max_tokens_per_pass"));
  // A look every half second: finer than the 1 s the autoscaler takes.
  EXPECT_TRUE(IsError(W(Yaml({}, {"    autoscaling: {interval: 500ms}"})),
                      "w.yaml:12:29:", "services[0].autoscaling.interval", "at least 1s"));
  // A second service of the same name: the error points at the name, wherever it is written.
  EXPECT_TRUE(IsError(W(Yaml() + "  - model: llama3-8b\n    name: chat\n"),
                      "w.yaml:13:11:", "services[1].name", "duplicate service name"));
  std::string twice = Yaml();
  twice += twice.substr(twice.find("  - name"));
  EXPECT_TRUE(IsError(W(twice), "w.yaml:12:11:", "services[1].name", "duplicate service name"));
}

// The fleet must have the service's GPUs; the check points at the service's gpu_model.
TEST(ServiceSpec, ItsGpuModelMustBeInTheFleet) {
  EXPECT_TRUE(Bind(kServiceFleet, Yaml()).ok());
  Result<BoundWorkload> b = Bind(kServiceFleet, Yaml({{4, "    gpu_model: H200"}}));
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(HasLine(b.message(), "w.yaml:4:16:", "services[0].gpu_model", "is not in the fleet"));
}

}  // namespace
}  // namespace gpufleet
