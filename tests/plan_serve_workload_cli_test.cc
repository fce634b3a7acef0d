// `gpufleet plan serve --workload`: a workload's services sized end to end, each within its
// replicas' limits, and the same answer as the flags give for the same service.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"
#include "temp_dir.h"

namespace {

constexpr auto& RunCli = gpufleet::testing::RunGpufleet;
using gpufleet::testing::Quote;

// The steady service of plan_serve_cli_test.cc's kSteady (20 requests/s of 1,000 + 200 tokens on
// Llama 3 70B in fp8, 2 H100s per replica, seed 3), with replica limits to fill in.
std::string Service(const std::string& name, const std::string& replicas) {
  return "  - name: " + name +
         "\n"
         "    model: llama3-70b\n"
         "    gpu_model: H100\n"
         "    gpus_per_replica: 2\n"
         "    replicas: " +
         replicas +
         "\n"
         "    slo: {ttft: 2s, tpot: 50ms}\n"
         "    demand: {rate: 20, prompt_tokens: 1000, output_tokens: 200, seed: 3}\n";
}

nlohmann::json ServiceJson(const std::string& out, size_t i) {
  return nlohmann::json::parse(out)["services"][i];
}

// The same requests (one seed, one generator) give the same fewest replicas by both paths.
TEST(PlanServeWorkloadCli, AgreesWithTheFlagsAndKeepsTheLimits) {
  const auto [flag_code, flag_out] = gpufleet::testing::RunGpufleet(
      "plan serve --model llama3-70b --gpu h100 --rate 20 --duration 10m --seed 3 --tp 2 --json");
  ASSERT_EQ(flag_code, 0) << flag_out;
  const int fewest = nlohmann::json::parse(flag_out)["replicas"].get<int>();
  ASSERT_GT(fewest, 1);

  const gpufleet::testing::ScratchDir dir;
  const std::string w = dir.Write(
      "w.yaml", "services:\n" + Service("free", "{max: 64}") +
                    Service("floor", "{min: " + std::to_string(fewest + 3) + ", max: 64}") +
                    Service("cap", "{max: " + std::to_string(fewest - 1) + "}"));
  const auto [code, out] = RunCli("plan serve --workload " + Quote(w) + " --duration 10m --json");
  // One service misses its SLO within its limits: the exit status says so.
  ASSERT_EQ(code, 1) << out;
  const nlohmann::json free = ServiceJson(out, 0);
  EXPECT_EQ(free["name"], "free");
  EXPECT_EQ(free["replicas"].get<int>(), fewest);
  EXPECT_TRUE(free["slo_met"].get<bool>());
  EXPECT_EQ(free["gpus"].get<int>(), 2 * fewest);
  // A floor above what the SLO needs is kept.
  const nlohmann::json floor = ServiceJson(out, 1);
  EXPECT_EQ(floor["replicas"].get<int>(), fewest + 3);
  EXPECT_TRUE(floor["slo_met"].get<bool>());
  // A ceiling below it: no count within the limits meets the SLO, and the reason is given.
  const nlohmann::json cap = ServiceJson(out, 2);
  EXPECT_FALSE(cap["slo_met"].get<bool>());
  EXPECT_NE(cap["unmet"].get<std::string>().find(std::to_string(fewest - 1) + " replicas"),
            std::string::npos)
      << cap;

  // One service alone: the same requests as among the others.
  const auto [one_code, one] =
      RunCli("plan serve --workload " + Quote(w) + " --duration 10m --json --service free");
  ASSERT_EQ(one_code, 0) << one;
  EXPECT_EQ(ServiceJson(one, 0)["replicas"].get<int>(), fewest);
  EXPECT_EQ(nlohmann::json::parse(one)["services"].size(), 1u);
}

// A service's generated requests depend on its name and the run's seed, not on its place: putting
// another service before it changes nothing. --seed moves them, and is refused where nothing
// draws from it.
TEST(PlanServeWorkloadCli, EachServiceDrawsFromAStreamOfItsOwn) {
  const gpufleet::testing::ScratchDir dir;
  const std::string drawn =
      "  - {name: drawn, model: llama3-8b, gpu_model: H100, gpus_per_replica: 1, replicas: 4,\n"
      "     slo: {ttft: 2s, tpot: 50ms}, demand: {rate: 5, prompt_tokens: 100, output_tokens: "
      "10}}\n";
  const std::string other =
      "  - {name: other, model: llama3-8b, gpu_model: H100, gpus_per_replica: 1, replicas: 4,\n"
      "     slo: {ttft: 2s, tpot: 50ms}, demand: {rate: 7, prompt_tokens: 100, output_tokens: "
      "10}}\n";
  const std::string alone = dir.Write("alone.yaml", "services:\n" + drawn);
  const std::string second = dir.Write("second.yaml", "services:\n" + other + drawn);
  auto requests = [](const std::string& out, size_t i) {
    return ServiceJson(out, i)["requests"].get<std::int64_t>();
  };
  const auto [a_code, a] =
      RunCli("plan serve --workload " + Quote(alone) + " --duration 10m --json");
  const auto [b_code, b] =
      RunCli("plan serve --workload " + Quote(second) + " --duration 10m --json");
  ASSERT_EQ(a_code, 0) << a;
  ASSERT_EQ(b_code, 0) << b;
  EXPECT_EQ(requests(a, 0), requests(b, 1));
  const auto [c_code, c] =
      RunCli("plan serve --workload " + Quote(alone) + " --duration 10m --json --seed 2");
  ASSERT_EQ(c_code, 0) << c;
  EXPECT_NE(requests(a, 0), requests(c, 0));
  const std::string seeded =
      dir.Write("seeded.yaml", "services:\n" + drawn.substr(0, drawn.size() - 3) + ", seed: 4}}\n");
  const auto [d_code, d] =
      RunCli("plan serve --workload " + Quote(seeded) + " --duration 1m --seed 2");
  EXPECT_EQ(d_code, 2) << d;
  EXPECT_NE(d.find("--seed: no service sized here draws from it"), std::string::npos) << d;
}

TEST(PlanServeWorkloadCli, TheExampleAsATable) {
  const auto [code, out] =
      RunCli("plan serve --workload " +
             Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/workloads/serving.yaml") +
             " --duration 30m");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("2 services of"), std::string::npos) << out;
  for (const char* name : {"chat", "autocomplete"})
    EXPECT_NE(out.find(std::string("  ") + name + " "), std::string::npos) << out;
  EXPECT_EQ(out.find("MISSED"), std::string::npos) << out;
}

TEST(PlanServeWorkloadCli, BadUseIsNamed) {
  const gpufleet::testing::ScratchDir dir;
  const std::string w = dir.Write("w.yaml", "services:\n" + Service("chat", "{max: 8}"));
  // The service's own model, GPUs and SLO: the flags that would give them again are refused.
  for (const char* other : {"--model llama3-8b", "--rate 5", "--tp 2", "--slo-ttft 1s"}) {
    const auto [c, o] = RunCli("plan serve --workload " + Quote(w) + " --duration 1m " + other);
    EXPECT_EQ(c, 2) << other << ": " << o;
    EXPECT_NE(o.find("excludes"), std::string::npos) << other << ": " << o;
  }
  const auto [name_code, name] =
      RunCli("plan serve --workload " + Quote(w) + " --duration 1m --service code");
  EXPECT_EQ(name_code, 2);
  EXPECT_NE(name.find("no service 'code'"), std::string::npos) << name;
  EXPECT_NE(name.find("chat"), std::string::npos) << name;
  // Generated demand needs to know how long it lasts; the error points at the demand.
  const auto [duration_code, duration] = RunCli("plan serve --workload " + Quote(w));
  EXPECT_EQ(duration_code, 2);
  EXPECT_NE(duration.find("w.yaml:8:13: field 'services[0].demand'"), std::string::npos)
      << duration;
  EXPECT_NE(duration.find("give --duration"), std::string::npos) << duration;
  const auto [service_code, service] = RunCli("plan serve --model llama3-70b --service chat");
  EXPECT_EQ(service_code, 2);
  EXPECT_NE(service.find("requires"), std::string::npos) << service;

  // The fleet must hold the replicas: tiny.yaml has 16 H100s in domains of 8.
  const std::string tiny = Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml");
  const std::string wide = dir.Write("wide.yaml", "services:\n" + Service("wide", "{max: 8}"));
  std::string text = "services:\n" + Service("wide", "{max: 8}");
  text.replace(text.find("gpus_per_replica: 2"), 19, "gpus_per_replica: 16");
  const auto [wide_code, wide_out] =
      RunCli("validate " + tiny + " " + Quote(dir.Write("w16.yaml", text)));
  EXPECT_EQ(wide_code, 2);
  EXPECT_NE(wide_out.find("field 'services[0].gpus_per_replica': service 'wide': a replica of 16 "
                          "GPUs needs an NVLink domain that large; the fleet's h100 domains hold "
                          "at most 8"),
            std::string::npos)
      << wide_out;
  const auto [many_code, many_out] =
      RunCli("validate " + tiny + " " +
             Quote(dir.Write("many.yaml", "services:\n" + Service("many", "{min: 9, max: 9}"))));
  EXPECT_EQ(many_code, 2);
  EXPECT_NE(many_out.find("field 'services[0].replicas': service 'many': it keeps at least 9 "
                          "replicas; the fleet's h100 NVLink domains hold 8 replicas of 2 GPUs"),
            std::string::npos)
      << many_out;
  // Replicas count per domain: four domains of 6 H100s hold 24 GPUs, enough for 5 replicas of 4
  // (20) counted in GPUs, but each domain holds one replica: 4.
  const std::string sixes = dir.Write("sixes.yaml",
                                      "node_types:\n"
                                      "  - {name: hgx-h100-6, gpu: h100, gpus_per_node: 6, "
                                      "max_power_kw: 8}\n"
                                      "sites:\n"
                                      "  - name: lab\n"
                                      "    power_budget_mw: 1\n"
                                      "    domains:\n"
                                      "      - {node_type: hgx-h100-6, count: 4}\n");
  std::string odd = "services:\n" + Service("odd", "{min: 5, max: 5}");
  odd.replace(odd.find("gpus_per_replica: 2"), 19, "gpus_per_replica: 4");
  const auto [odd_code, odd_out] =
      RunCli("validate " + Quote(sixes) + " " + Quote(dir.Write("odd.yaml", odd)));
  EXPECT_EQ(odd_code, 2);
  EXPECT_NE(odd_out.find("domains hold 4 replicas of 4 GPUs"), std::string::npos) << odd_out;
  const auto [fits_code, fits_out] = RunCli("validate " + tiny + " " + Quote(wide));
  EXPECT_EQ(fits_code, 0) << fits_out;

  // The simulator generates the demand over the run: without --until it does not know how long.
  const auto [sim_code, sim] = RunCli(
      "sim --fleet " + Quote(std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml") +
      " --workload " + Quote(w));
  EXPECT_EQ(sim_code, 2);
  EXPECT_NE(sim.find("w.yaml:8:13: field 'services[0].demand': service 'chat' generates its "
                     "requests: give --until"),
            std::string::npos)
      << sim;
}

}  // namespace
