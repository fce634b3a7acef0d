// `gpufleet plan checkpoint` end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"
#include "test_fleets.h"

namespace {

constexpr auto& RunCli = gpufleet::testing::RunGpufleet;

std::string WriteTempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / ("plan_cli_" + name)).string();
}

TEST(PlanCli, CheckpointJson) {
  const auto [code, out] =
      RunCli("plan checkpoint --mtbf 3h --write-time 60s --restart 10m --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  // Derived in src/physics/checkpoint_test.cc: Young 1,138.42 s, Daly 1,098.77 s, ETTR 0.8497.
  EXPECT_NEAR(j["young_interval_s"].get<double>(), 1138.42, 0.01);
  EXPECT_NEAR(j["daly_interval_s"].get<double>(), 1098.77, 0.01);
  EXPECT_NEAR(j["ettr"].get<double>(), 0.8497, 5e-4);
}

constexpr auto& Block = gpufleet::testing::PageBlock;

// --html: one page whose record is the --json output, and whose ETTR curve peaks at Daly's
// interval (within the curve's step of 2^(1/10)).
TEST(PlanCli, CheckpointHtmlPeaksAtDalysInterval) {
  const std::string html = WriteTempPath("checkpoint.html");
  const std::string args = "plan checkpoint --mtbf 3h --write-time 60s --restart 10m";
  const auto [code, out] = RunCli(args + " --html " + gpufleet::testing::Quote(html));
  if (code == 1 && out.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Daly (2006)"), std::string::npos) << "the text is printed too";
  const nlohmann::json page = gpufleet::testing::PageData(gpufleet::testing::ReadFile(html));
  ASSERT_TRUE(page.is_object());
  const auto [json_code, json_out] = RunCli(args + " --json");
  ASSERT_EQ(json_code, 0);
  EXPECT_EQ(page["record"], nlohmann::json::parse(json_out));
  const nlohmann::json curve = Block(page, "ettr");
  ASSERT_TRUE(curve.is_object()) << page.dump();
  const nlohmann::json& ettr = curve["lines"][0]["values"];
  size_t best = 0;
  for (size_t i = 1; i < ettr.size(); ++i)
    if (ettr[i].get<double>() > ettr[best].get<double>()) best = i;
  const double daly = page["record"]["daly_interval_s"].get<double>();
  EXPECT_NEAR(std::log2(curve["x"][best].get<double>() / daly), 0, 0.1);
}

TEST(PlanCli, CheckpointBadInput) {
  EXPECT_EQ(RunCli("plan checkpoint --mtbf 0 --write-time 60s").first, 2);
  EXPECT_EQ(RunCli("plan checkpoint --mtbf 3 --write-time 60s").first, 2);  // no unit
  EXPECT_EQ(RunCli("plan checkpoint --write-time 60s").first, 2);           // --mtbf is required
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  const std::string path = WriteTempPath(name);
  std::ofstream(path) << content;
  return path;
}

// Llama 3 Table 4: 405B on 16,384 H100 (TP8 CP1 PP16 DP128, 16M-token batches) ran at 41% MFU
// (38-43% over its three configurations); 15.6T tokens took 30.84M GPU-hours (model card).
TEST(PlanCli, TrainLlama3405BOnAnIdealFleet) {
  const auto [code, out] = RunCli("plan train --model llama3-405b --gpus 16384 --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  for (const char* key :
       {"step_time_s", "mfu", "tokens_per_s", "days", "gpu_hours", "energy_mwh",
        "facility_energy_mwh", "interruptions", "checkpoint_interval_s", "ettr"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_GE(j["mfu"].get<double>(), 0.38);
  EXPECT_LE(j["mfu"].get<double>(), 0.43);
  EXPECT_EQ(j["parallelism"]["dp"].get<int>(), 128);
  // Within 15% of the model card's 30.84M GPU-hours.
  EXPECT_NEAR(j["gpu_hours"].get<double>(), 30.84e6, 0.15 * 30.84e6);
  // The ideal fleet's PUE is 1.1.
  EXPECT_NEAR(j["facility_energy_mwh"].get<double>(), 1.1 * j["energy_mwh"].get<double>(), 1e-6);
  // tokens/s x step = the batch.
  EXPECT_NEAR(j["tokens_per_s"].get<double>() * j["step_time_s"].get<double>(), 16777216, 1);
  EXPECT_TRUE(j["cost_usd"].is_null());
}

// --html: the page's record is the --json output; the run at other sizes includes the run's own
// size with its own figures, and doubles and halves data parallelism around it.
TEST(PlanCli, TrainHtmlHasThePlanAndTheRunAtOtherSizes) {
  const std::string html = WriteTempPath("train.html");
  const std::string args = "plan train --model llama3-70b --gpus 1024";
  const auto [code, out] = RunCli(args + " --html " + gpufleet::testing::Quote(html));
  if (code == 1 && out.find("without uPlot") != std::string::npos)
    GTEST_SKIP() << "this build has no uPlot: " << out;
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json page = gpufleet::testing::PageData(gpufleet::testing::ReadFile(html));
  ASSERT_TRUE(page.is_object());
  const auto [json_code, json_out] = RunCli(args + " --json");
  ASSERT_EQ(json_code, 0);
  const nlohmann::json plan = nlohmann::json::parse(json_out);
  EXPECT_EQ(page["record"], plan);
  // TP 8 x PP 4 x DP 32: DP 2 ... 256, 64 ... 8,192 GPUs.
  const nlohmann::json days = Block(page, "days-by-gpus");
  ASSERT_TRUE(days.is_object()) << page.dump();
  EXPECT_EQ(days["x"], nlohmann::json({64, 128, 256, 512, 1024, 2048, 4096, 8192}));
  EXPECT_EQ(days["lines"][0]["values"][4].get<double>(), plan["days"].get<double>());
  EXPECT_EQ(Block(page, "mfu-by-gpus")["lines"][0]["values"][4].get<double>(),
            plan["mfu"].get<double>());
  // More GPUs, fewer days (the same tokens).
  const nlohmann::json& d = days["lines"][1]["values"];
  for (size_t i = 1; i < d.size(); ++i) EXPECT_LT(d[i].get<double>(), d[i - 1].get<double>());
  // The step's parts add up to the step.
  const nlohmann::json step = Block(page, "step");
  double parts = 0;
  for (size_t i = 0; i < 6; ++i) parts += step["rows"][i][1].get<double>();
  EXPECT_NEAR(parts, plan["step_time_s"].get<double>(), 1e-9 * parts);
  EXPECT_TRUE(Block(page, "ettr").is_object());
}

// --implementation-efficiency: the step takes 1 / factor as long, MFU is the factor times the
// modelled one, and the output says so; out of (0, 2] it is a usage error.
TEST(PlanCli, TrainWithAnImplementationEfficiency) {
  const std::string args = "plan train --model llama3-70b --gpus 1024";
  const auto [code, out] = RunCli(args + " --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json modelled = nlohmann::json::parse(out);
  EXPECT_EQ(modelled["implementation_efficiency"], 1.0);
  const auto [slow_code, slow_out] = RunCli(args + " --implementation-efficiency 0.8 --json");
  ASSERT_EQ(slow_code, 0) << slow_out;
  const nlohmann::json slower = nlohmann::json::parse(slow_out);
  EXPECT_EQ(slower["implementation_efficiency"], 0.8);
  EXPECT_NEAR(slower["step_time_s"].get<double>(), modelled["step_time_s"].get<double>() / 0.8,
              1e-9);
  EXPECT_NEAR(slower["mfu"].get<double>(), modelled["mfu"].get<double>() * 0.8, 1e-12);
  const auto [text_code, text] = RunCli(args + " --implementation-efficiency 0.8");
  ASSERT_EQ(text_code, 0) << text;
  EXPECT_NE(text.find("implementation  0.8 x the modelled stack's speed"), std::string::npos)
      << text;
  EXPECT_EQ(RunCli(args + " --implementation-efficiency 0").first, 2);
  EXPECT_EQ(RunCli(args + " --implementation-efficiency 2.5").first, 2);
}

// A batch that does not divide among the replicas is refused with the nearest that do: llama3-70b
// on 96 GPUs is DP 3 for 512 sequences.
TEST(PlanCli, TrainRefusesABatchThatDoesNotDivideAmongTheReplicas) {
  const auto [code, out] = RunCli("plan train --model llama3-70b --gpus 96");
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("the global batch of 512 sequences does not divide into DP x micro-batch = 3"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("use 510 or 513 sequences"), std::string::npos) << out;
}

TEST(PlanCli, TrainOnAFleetWithATariffAndFixedInterval) {
  const std::string fleet = WriteTemp("fleet.yaml", gpufleet::testing::OversubscribedPodsYaml());
  const auto [code, out] =
      RunCli("plan train --fleet " + fleet +
             " --model llama3-8b --gpus 128 --tp 8 --tokens 100B --checkpoint-interval 30m --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["checkpoint_interval_s"].get<double>(), 1800);
  EXPECT_EQ(j["parallelism"]["dp"].get<int>(), 16);
  // 128 GPUs = two whole pods: the DP ring crosses the 1:7 pod uplinks.
  EXPECT_EQ(j["placement"]["dp"]["tier"], "site");
  EXPECT_EQ(j["placement"]["dp"]["oversubscription"].get<double>(), 7);
  // Cost = facility MWh x $50.
  EXPECT_NEAR(j["cost_usd"].get<double>(), 50 * j["facility_energy_mwh"].get<double>(), 1e-6);
}

TEST(PlanCli, TrainAModelFile) {
  const std::string model = WriteTemp("model.yaml",
                                      "name: my-13b\n"
                                      "layers: 40\n"
                                      "hidden: 5120\n"
                                      "seq_len: 4096\n"
                                      "global_batch_tokens: 4194304\n"
                                      "training_tokens: 1e12\n"
                                      "tp: 2\n");
  const auto [code, out] = RunCli("plan train --model " + model + " --gpus 64 --gpu a100");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("my-13b"), std::string::npos) << out;
  EXPECT_NE(out.find("A100"), std::string::npos) << out;
  EXPECT_NE(out.find("of 80 GiB per GPU"), std::string::npos) << out;
  // At TP1 its 13B parameters' weights, gradients and activations do not fit an 80 GB A100
  // (docs/MODELS.md, "Memory"): refused with the changes that fit; --recompute auto finds one.
  const auto [tp1_code, tp1_out] =
      RunCli("plan train --model " + model + " --gpus 64 --gpu a100 --tp 1");
  EXPECT_EQ(tp1_code, 2) << tp1_out;
  EXPECT_NE(tp1_out.find("does not fit in GPU memory"), std::string::npos) << tp1_out;
  EXPECT_NE(tp1_out.find("ZeRO-3"), std::string::npos) << tp1_out;
  const auto [auto_code, auto_out] = RunCli("plan train --model " + model +
                                            " --gpus 64 --gpu a100 --tp 1 --recompute auto --json");
  ASSERT_EQ(auto_code, 0) << auto_out;
  const auto plan = nlohmann::json::parse(auto_out);
  EXPECT_EQ(plan["memory"]["recompute"], "full");
  EXPECT_EQ(plan["memory"]["recompute_auto"], true);
  EXPECT_LE(plan["memory"]["total_gib"].get<double>(), plan["memory"]["hbm_gib"].get<double>());
  // ZeRO-3 fits too, without recomputation.
  const auto [z3_code, z3_out] =
      RunCli("plan train --model " + model + " --gpus 64 --gpu a100 --tp 1 --zero 3 --json");
  ASSERT_EQ(z3_code, 0) << z3_out;
  EXPECT_EQ(nlohmann::json::parse(z3_out)["parallelism"]["zero"], 3);
  const std::string bad = WriteTemp("bad.yaml", "name: x\nlayers: 40\nhidden: 5120\nseq: 1\n");
  const auto [bad_code, bad_out] = RunCli("plan train --model " + bad + " --gpus 8");
  EXPECT_EQ(bad_code, 2);
  EXPECT_NE(bad_out.find(bad + ":4:1: field 'seq': unknown key"), std::string::npos) << bad_out;
}

// --attention: the unfused kernels of 2021-22 Megatron-LM are slower than FlashAttention for the
// same job, and the step's compute says where its time goes.
TEST(PlanCli, TrainAttentionKernelsShowInTheComputeSplit) {
  const auto [flash_code, flash_out] = RunCli("plan train --model gpt3-175b --gpus 1024 --json");
  ASSERT_EQ(flash_code, 0) << flash_out;
  const auto [unfused_code, unfused_out] =
      RunCli("plan train --model gpt3-175b --gpus 1024 --attention unfused --json");
  ASSERT_EQ(unfused_code, 0) << unfused_out;
  const nlohmann::json flash = nlohmann::json::parse(flash_out);
  const nlohmann::json unfused = nlohmann::json::parse(unfused_out);
  EXPECT_EQ(flash["attention"], "flash");
  EXPECT_EQ(unfused["attention"], "unfused");
  EXPECT_GT(unfused["step"]["attention_s"].get<double>(),
            flash["step"]["attention_s"].get<double>());
  EXPECT_EQ(unfused["step"]["gemm_s"].get<double>(), flash["step"]["gemm_s"].get<double>());
  for (const nlohmann::json* j : {&flash, &unfused}) {
    const nlohmann::json& step = (*j)["step"];
    EXPECT_NEAR(step["compute_s"].get<double>(),
                step["gemm_s"].get<double>() + step["attention_s"].get<double>() +
                    step["elementwise_s"].get<double>(),
                1e-9 * step["compute_s"].get<double>());
  }
  const auto [text_code, text_out] = RunCli("plan train --model gpt3-175b --gpus 1024");
  ASSERT_EQ(text_code, 0) << text_out;
  EXPECT_NE(text_out.find("flash attention"), std::string::npos) << text_out;
  const auto [bad_code, bad_out] =
      RunCli("plan train --model gpt3-175b --gpus 1024 --attention sparse");
  EXPECT_EQ(bad_code, 2) << bad_out;
  EXPECT_NE(bad_out.find("--attention"), std::string::npos) << bad_out;
}

// --sweep: every configuration on the placement, the fastest that fit; fixed dimensions hold.
TEST(PlanCli, TrainSweepPrintsTheFastestConfigurationsThatFit) {
  const auto [code, out] =
      RunCli("plan train --model llama3-70b --gpus 256 --sweep --top 3 --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  ASSERT_EQ(j["plans"].size(), 3u);
  EXPECT_EQ(j["considered"].get<int>(), j["refused_by_framework"].get<int>() +
                                            j["refused_by_memory"].get<int>() +
                                            j["feasible"].get<int>());
  EXPECT_LE(j["plans"][0]["step_time_s"].get<double>(), j["plans"][2]["step_time_s"].get<double>());
  for (const auto& plan : j["plans"]) {
    EXPECT_EQ(plan["tp"].get<int>() * plan["cp"].get<int>() * plan["pp"].get<int>() *
                  plan["dp"].get<int>(),
              256);
  }
  const auto [tp_code, tp_out] =
      RunCli("plan train --model llama3-70b --gpus 256 --sweep --tp 8 --zero 1 --json");
  ASSERT_EQ(tp_code, 0) << tp_out;
  const nlohmann::json fixed = nlohmann::json::parse(tp_out);  // (alive through the loop)
  for (const auto& plan : fixed["plans"]) {
    EXPECT_EQ(plan["tp"], 8);
    EXPECT_EQ(plan["zero"], 1);
  }
  const auto [text_code, text] = RunCli("plan train --model llama3-70b --gpus 256 --sweep");
  ASSERT_EQ(text_code, 0) << text;
  EXPECT_NE(text.find("the 10 fastest of the"), std::string::npos) << text;
  const auto [dp_code, dp_out] = RunCli("plan train --model llama3-70b --gpus 256 --sweep --dp 4");
  EXPECT_EQ(dp_code, 2) << dp_out;
  EXPECT_NE(dp_out.find("--sweep chooses DP"), std::string::npos) << dp_out;
  const auto [none_code, none_out] = RunCli("plan train --model llama3-405b --gpus 8 --sweep");
  EXPECT_EQ(none_code, 2) << none_out;
  EXPECT_NE(none_out.find("no configuration of llama3-405b fits 8 GPUs"), std::string::npos)
      << none_out;
}

TEST(PlanCli, TrainBadInput) {
  auto expect_bad = [](const std::string& args, const std::string& says) {
    const auto [code, out] = RunCli("plan train " + args);
    EXPECT_EQ(code, 2) << args << "\n" << out;
    EXPECT_NE(out.find(says), std::string::npos) << args << "\n" << out;
  };
  expect_bad("--gpus 8", "--model is required");
  expect_bad("--model llama3-405b", "--gpus is required");
  expect_bad("--model llama4 --gpus 8", "llama3-405b");  // lists the presets
  expect_bad("--model llama3-405b --gpus 1000",
             "1000 GPUs is not a multiple of TP x CP x PP = 128");
  expect_bad("--model llama3-405b --gpus 1024 --dp 4", "TP x CP x PP x DP = 512");
  expect_bad("--model llama3-8b --gpus 8 --checkpoint-interval soon", "--checkpoint-interval");
  expect_bad("--model llama3-8b --gpus 8 --tokens lots", "--tokens");
  expect_bad("--model llama3-8b --gpus 8 --gpu h900", "no built-in node type");
  expect_bad("--model llama3-8b --gpus 8 --node-failure-rate -1", "--node-failure-rate");
  expect_bad("--model llama3-8b --gpus 64 --fleet " + std::string(GPUFLEET_SOURCE_DIR) +
                 "/examples/fleets/tiny.yaml",
             "cannot place 64");
  expect_bad("--model llama3-8b --gpus 4096 --global-batch-tokens 8192", "smaller than DP");
}

}  // namespace

// Failures every second on 8,192 nodes (the most --node-failure-rate allows, 10 a node-day) with a
// 10-minute restart: no work survives, and the plan printed a wall time and an interruption count
// of some 240 digits. It says the run does not finish instead.
TEST(PlanCli, TrainThatCannotFinishSaysSo) {
  const auto [code, out] =
      RunCli("plan train --model llama3-405b --gpus 65536 --node-failure-rate 10");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("with them it does not finish in 100 years"), std::string::npos) << out;
  EXPECT_NE(out.find("interruptions without end"), std::string::npos) << out;
  EXPECT_EQ(out.find("0000000000"), std::string::npos) << out;  // no number of a hundred digits
}
