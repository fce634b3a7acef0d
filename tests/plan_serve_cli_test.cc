// `gpufleet plan serve` end to end.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"
#include "public_traces.h"
#include "temp_dir.h"

namespace {

constexpr auto& RunCli = gpufleet::testing::RunGpufleet;
using gpufleet::testing::Quote;

// 20 requests/s of 1,000 + 200 tokens for ten minutes on Llama 3 70B in fp8 on H100.
constexpr const char* kSteady =
    "plan serve --model llama3-70b --gpu h100 --rate 20 --duration 10m --seed 3";

TEST(PlanServeCli, FindsTheFewestReplicasAndOneFewerMisses) {
  const auto [code, out] = RunCli(std::string(kSteady) + " --tp 2 --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["tp"], 2);
  EXPECT_TRUE(j["slo_met"].get<bool>());
  EXPECT_TRUE(j["replicas_searched"].get<bool>());
  const int replicas = j["replicas"].get<int>();
  EXPECT_EQ(j["gpus"].get<int>(), 2 * replicas);
  EXPECT_LE(j["ttft"]["p99_s"].get<double>(), 2.0);
  EXPECT_LE(j["tpot"]["p99_s"].get<double>(), 0.05);
  // ~12,000 requests of 200 output tokens.
  EXPECT_NEAR(j["requests"].get<double>(), 12000, 500);
  EXPECT_EQ(j["output_tokens"].get<std::int64_t>(), 200 * j["requests"].get<std::int64_t>());
  ASSERT_GT(replicas, 1);
  // Energy: at most every GPU at a DGX H100's full per-GPU draw (10.2 kW / 8) for the span.
  const double kwh = j["it_energy_kwh"].get<double>();
  EXPECT_GT(kwh, 0);
  EXPECT_LE(kwh * 3.6e6, j["gpus"].get<double>() * 10200.0 / 8 * j["span_s"].get<double>());
  EXPECT_NEAR(j["it_joules_per_output_token"].get<double>(),
              kwh * 3.6e6 / j["output_tokens"].get<double>(), 1e-9);

  const auto [fewer_code, fewer] =
      RunCli(std::string(kSteady) + " --tp 2 --replicas " + std::to_string(replicas - 1));
  ASSERT_EQ(fewer_code, 0) << fewer;
  EXPECT_NE(fewer.find("MISSED"), std::string::npos) << fewer;
  EXPECT_NE(fewer.find("replicas     " + std::to_string(replicas - 1) + " ("), std::string::npos)
      << fewer;
}

TEST(PlanServeCli, WithoutTpItPicksTheOneNeedingFewestGpus) {
  const auto [code, out] = RunCli(std::string(kSteady) + " --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json best = nlohmann::json::parse(out);
  for (int tp : {1, 2, 4, 8}) {
    const auto [c, o] = RunCli(std::string(kSteady) + " --json --tp " + std::to_string(tp));
    ASSERT_EQ(c, 0) << o;
    EXPECT_LE(best["gpus"].get<int>(), nlohmann::json::parse(o)["gpus"].get<int>()) << "TP " << tp;
  }
}

TEST(PlanServeCli, ADailyRhythmNeedsTheReplicasOfItsPeak) {
  // An hour-long period from 4 to 20 requests/s: 12/s on average, ~43,200 requests; its peak
  // needs about as many replicas as a steady 20/s, more than a steady 12/s.
  const std::string base = "plan serve --model llama3-70b --tp 2 --duration 1h --json --rate 20";
  const auto [code, out] = RunCli(base + " --trough-rate 4 --period 1h --peak-at 30m");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json diurnal = nlohmann::json::parse(out);
  EXPECT_NEAR(diurnal["requests"].get<double>(), 43200, 4 * 208);
  const auto [steady_code, steady_out] =
      RunCli("plan serve --model llama3-70b --tp 2 --duration 1h --json --rate 12");
  ASSERT_EQ(steady_code, 0) << steady_out;
  EXPECT_GT(diurnal["replicas"].get<int>(),
            nlohmann::json::parse(steady_out)["replicas"].get<int>());

  const auto [bad_code, bad] = RunCli(base + " --trough-rate 30");
  EXPECT_EQ(bad_code, 2);
  EXPECT_NE(bad.find("--trough-rate: above --rate"), std::string::npos) << bad;
}

TEST(PlanServeCli, BadInputIsNamed) {
  const auto [code, out] = RunCli("plan serve --model llama3-70b --trace philly:jobs.csv");
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("--trace: expected azure-llm:FILE"), std::string::npos) << out;

  // Options of the other kind of demand are refused, never ignored.
  for (const char* conflict : {"--trace azure-llm:x.csv --rate 5", "--rate 5 --rate-scale 2",
                               "--rate 5 --duration 1m --period 1h",
                               "--rate 5 --duration 1m --replicas 2 --max-replicas 3"}) {
    const auto [c, o] = RunCli(std::string("plan serve --model llama3-70b ") + conflict);
    EXPECT_EQ(c, 2) << conflict << ": " << o;
    EXPECT_TRUE(o.find("excludes") != std::string::npos || o.find("requires") != std::string::npos)
        << conflict << ": " << o;
  }

  const auto [no_demand_code, no_demand] = RunCli("plan serve --model llama3-70b");
  EXPECT_EQ(no_demand_code, 2);
  EXPECT_NE(no_demand.find("give the demand"), std::string::npos) << no_demand;

  // 405B in bf16 does not fit one H100.
  const auto [big_code, big] =
      RunCli("plan serve --model llama3-405b --precision bf16 --tp 1 --rate 1 --duration 1m");
  EXPECT_EQ(big_code, 2);
  EXPECT_NE(big.find("the weights (754 GiB per GPU)"), std::string::npos) << big;

  // An A100 has no fp8.
  const auto [a100_code, a100] =
      RunCli("plan serve --model llama3-8b --gpu a100 --rate 1 --duration 1m --tp 1");
  EXPECT_EQ(a100_code, 2);
  EXPECT_NE(a100.find("has no fp8 peak"), std::string::npos) << a100;

  // A TPOT below one weight read at HBM bandwidth: no number of replicas meets it.
  const auto [slo_code, slo] =
      RunCli(std::string(kSteady) + " --tp 2 --slo-tpot 1ms --max-replicas 64");
  EXPECT_EQ(slo_code, 1);
  EXPECT_NE(slo.find("the SLO cannot be met even with an idle replica for every request"),
            std::string::npos)
      << slo;
  // A TTFT an idle replica meets but 2 replicas do not under this load: the search's cap.
  const auto [cap_code, cap] = RunCli(std::string(kSteady) + " --tp 2 --max-replicas 2");
  EXPECT_EQ(cap_code, 1);
  EXPECT_NE(cap.find("the SLO is not met even by 2 replicas"), std::string::npos) << cap;
  const auto [batch_code, batch] =
      RunCli(std::string(kSteady) + " --max-batch 64 --max-tokens-per-pass 32");
  EXPECT_EQ(batch_code, 2);
  EXPECT_NE(batch.find("--max-tokens-per-pass: at least --max-batch (64)"), std::string::npos)
      << batch;

  const auto [dur_code, dur] = RunCli(std::string(kSteady) + " --slo-ttft soon");
  EXPECT_EQ(dur_code, 2);
  EXPECT_NE(dur.find("--slo-ttft"), std::string::npos) << dur;

  gpufleet::testing::ScratchDir dir;
  const std::string trace = dir.Write("t.csv",
                                      "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                      "2023-11-16 18:17:03.5,4808,10\n"
                                      "2023-11-16 18:17:04.5,12,-1\n");
  const auto [trace_code, bad] =
      RunCli("plan serve --model llama3-70b --trace " + Quote("azure-llm:" + trace));
  EXPECT_EQ(trace_code, 2);
  EXPECT_NE(bad.find("t.csv:3:"), std::string::npos) << bad;
  EXPECT_NE(bad.find("field 'GeneratedTokens'"), std::string::npos) << bad;
  const std::string empty = dir.Write("empty.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n");
  const auto [empty_code, none] =
      RunCli("plan serve --model llama3-70b --trace " + Quote("azure-llm:" + empty));
  EXPECT_EQ(empty_code, 2);
  EXPECT_NE(none.find("empty.csv: the trace holds no request"), std::string::npos) << none;
}

TEST(PlanServeCli, TheAzureCodeTrace) {
  REQUIRE_TRACE_FILE(path, "azure-llm-2023/AzureLLMInferenceTrace_code.csv");
  // 8,819 requests (awk over the file), prompts averaging 2,047.85 tokens, outputs 27.88.
  const auto [code, out] =
      RunCli("plan serve --model llama3-70b --tp 2 --json --trace " + Quote("azure-llm:" + path));
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["requests"], 8819);
  EXPECT_NEAR(j["prompt_tokens"].get<double>() / 8819, 2047.85, 0.01);
  EXPECT_TRUE(j["slo_met"].get<bool>());
}

}  // namespace
