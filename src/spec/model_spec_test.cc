#include "spec/model_spec.h"

#include <gtest/gtest.h>

#include "physics/model_preset.h"

namespace gpufleet {
namespace {

TEST(ModelPresets, PublishedShapes) {
  const ModelPreset* p = FindModelPreset("llama3-405b");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->job.model.layers, 126);
  EXPECT_EQ(p->job.model.hidden, 16384);
  EXPECT_EQ(p->job.parallel.tp, 8);
  EXPECT_EQ(p->job.parallel.pp, 16);
  EXPECT_EQ(p->job.parallel.dp, 0);  // from the GPU count
  EXPECT_EQ(p->job.global_batch_tokens, 16 * 1024 * 1024);
  ASSERT_NE(FindModelPreset("gpt3-175b"), nullptr);
  EXPECT_EQ(FindModelPreset("gpt3-175b")->job.model.seq_len, 2048);
  EXPECT_NE(FindModelPreset("llama3-8b"), nullptr);
  EXPECT_NE(FindModelPreset("llama3-70b"), nullptr);
  EXPECT_EQ(FindModelPreset("llama4"), nullptr);
}

TEST(ModelPresets, JobOnGpusFillsOrChecksDataParallelism) {
  const TrainingJob& preset = FindModelPreset("llama3-405b")->job;
  EXPECT_EQ(JobOnGpus(preset, 16384).value().parallel.dp, 128);  // 16,384 / (8 x 16)
  EXPECT_FALSE(JobOnGpus(preset, 1000).ok());                    // not a multiple of 128
  TrainingJob fixed = preset;
  fixed.parallel.dp = 64;
  EXPECT_TRUE(JobOnGpus(fixed, 8192).ok());
  EXPECT_NE(JobOnGpus(fixed, 16384).message().find("TP x CP x PP x DP = 8192"), std::string::npos);
}

TEST(ModelPresets, ShapesAndParameterCounts) {
  // GPT-3 175B's shape: 12 x 96 x 12,288^2 + 50,257 x 12,288 = 173.95e9 + 0.62e9 = 174.6e9.
  EXPECT_NEAR(DenseParameters(96, 12288, 50257), 174.57e9, 0.01e9);
  // 175e9 alone: h = cbrt(128 x 175e9 / 12) = 12,298 -> 12,288 (96 x 128); L = 175e9 / (12 x
  // 12,288^2) = 96.6 -> 97.
  int layers = 0, hidden = 0;
  ShapeFromParameters(175e9, layers, hidden);
  EXPECT_EQ(hidden, 12288);
  EXPECT_EQ(layers, 97);
}

TEST(ModelSpec, GenericDenseTransformer) {
  Result<ModelPreset> m = ParseModelSpec(
      "name: my-13b\n"
      "layers: 40\n"
      "hidden: 5120\n"
      "vocab: 32000\n"
      "seq_len: 4096\n"
      "global_batch_tokens: 4194304\n"
      "tp: 2\n"
      "recompute: selective\n",
      "m.yaml");
  ASSERT_TRUE(m.ok()) << m.message();
  const TrainingJob& job = m.value().job;
  // 12 x 40 x 5,120^2 + 32,000 x 5,120 = 12.583e9 + 0.164e9.
  EXPECT_NEAR(job.model.parameters, 12.746e9, 0.001e9);
  EXPECT_EQ(job.parallel.tp, 2);
  EXPECT_EQ(job.recompute, Recompute::kSelective);
  // Parameters alone: the shape is derived.
  Result<ModelPreset> p = ParseModelSpec("name: x\nparameters: 7e9\nseq_len: 2048\n", "p.yaml");
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_GT(p.value().job.model.layers, 0);
  EXPECT_EQ(p.value().job.model.hidden % 128, 0);
}

// implementation_efficiency: a factor in (0, 2], default 1; anything else names the field.
TEST(ModelSpec, ImplementationEfficiencyIsAFactorUpToTwo) {
  const std::string base = "name: x\nparameters: 7e9\nseq_len: 2048\n";
  Result<ModelPreset> plain = ParseModelSpec(base, "m.yaml");
  ASSERT_TRUE(plain.ok()) << plain.message();
  EXPECT_EQ(plain.value().job.implementation_efficiency, 1);
  Result<ModelPreset> slower = ParseModelSpec(base + "implementation_efficiency: 0.8\n", "m.yaml");
  ASSERT_TRUE(slower.ok()) << slower.message();
  EXPECT_EQ(slower.value().job.implementation_efficiency, 0.8);
  for (const char* bad : {"0", "-1", "2.5", "fast"}) {
    Result<ModelPreset> r =
        ParseModelSpec(base + "implementation_efficiency: " + bad + "\n", "m.yaml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.message().find("m.yaml:4:28: field 'implementation_efficiency'"), std::string::npos)
        << r.message();
  }
}

// zero: the ZeRO stage 0 to 3, default 1 (Megatron's distributed optimizer).
TEST(ModelSpec, ZeroIsAStageFromZeroToThree) {
  const std::string base = "name: x\nparameters: 7e9\nseq_len: 2048\n";
  EXPECT_EQ(ParseModelSpec(base, "m.yaml").value().job.zero, 1);
  for (int stage : {0, 1, 2, 3}) {
    Result<ModelPreset> r =
        ParseModelSpec(base + "zero: " + std::to_string(stage) + "\n", "m.yaml");
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r.value().job.zero, stage);
  }
  for (const char* bad : {"4", "-1", "1.5", "full"}) {
    Result<ModelPreset> r = ParseModelSpec(base + "zero: " + bad + "\n", "m.yaml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.message().find("m.yaml:4:7: field 'zero'"), std::string::npos) << r.message();
  }
}

// attention: flash (default) or unfused; anything else names the field and the choices.
TEST(ModelSpec, AttentionIsFlashOrUnfused) {
  const std::string base = "name: x\nparameters: 7e9\nseq_len: 2048\n";
  EXPECT_EQ(ParseModelSpec(base, "m.yaml").value().job.attention, Attention::kFlash);
  EXPECT_EQ(ParseModelSpec(base + "attention: unfused\n", "m.yaml").value().job.attention,
            Attention::kUnfused);
  EXPECT_EQ(ParseModelSpec(base + "attention: flash\n", "m.yaml").value().job.attention,
            Attention::kFlash);
  Result<ModelPreset> bad = ParseModelSpec(base + "attention: sparse\n", "m.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("m.yaml:4:12: field 'attention': expected flash or unfused, got "
                               "'sparse'"),
            std::string::npos)
      << bad.message();
}

// mlp: gelu (default) or swiglu, the gated MLP of the Llama presets.
TEST(ModelSpec, MlpIsGeluOrSwiglu) {
  const std::string base = "name: x\nparameters: 7e9\nseq_len: 2048\n";
  EXPECT_FALSE(ParseModelSpec(base, "m.yaml").value().job.model.gated_mlp);
  EXPECT_TRUE(ParseModelSpec(base + "mlp: swiglu\n", "m.yaml").value().job.model.gated_mlp);
  EXPECT_FALSE(ParseModelSpec(base + "mlp: gelu\n", "m.yaml").value().job.model.gated_mlp);
  EXPECT_TRUE(FindModelPreset("llama3-8b")->job.model.gated_mlp);
  EXPECT_FALSE(FindModelPreset("gpt3-175b")->job.model.gated_mlp);
  Result<ModelPreset> bad = ParseModelSpec(base + "mlp: relu\n", "m.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("m.yaml:4:6: field 'mlp': expected gelu"), std::string::npos)
      << bad.message();
}

TEST(ModelSpec, ErrorsNameFileLineColumnAndField) {
  Result<ModelPreset> unknown =
      ParseModelSpec("name: x\nparameters: 7e9\nseq_len: 2048\nlayer: 3\n", "m.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("m.yaml:4:1: field 'layer': unknown key"), std::string::npos)
      << unknown.message();
  Result<ModelPreset> bad =
      ParseModelSpec("name: x\nparameters: 7e9\nseq_len: -1\nrecompute: some\n", "m.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("m.yaml:3:10: field 'seq_len'"), std::string::npos) << bad.message();
  EXPECT_NE(
      bad.message().find("m.yaml:4:12: field 'recompute': expected none, selective, full or auto"),
      std::string::npos)
      << bad.message();
  Result<ModelPreset> missing = ParseModelSpec("name: x\nseq_len: 2048\n", "m.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("parameters"), std::string::npos) << missing.message();
}

// Issue 11 audit: a parameter count of 1e300 derived a shape through lround past int (undefined),
// and PP x virtual stages of 10^8 each wrapped an int. Both are errors now.
TEST(ModelSpec, HugeValuesAreErrorsNotOverflows) {
  Result<ModelPreset> big = ParseModelSpec("name: x\nparameters: 1e300\nseq_len: 2048\n", "m.yaml");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.message().find("m.yaml:2:13: field 'parameters': expected at most 1e15 parameters"),
            std::string::npos)
      << big.message();
  Result<ModelPreset> stages = ParseModelSpec(
      "name: x\nlayers: 40\nhidden: 5120\nseq_len: 4096\nglobal_batch_tokens: 4194304\n"
      "pp: 100000000\nvirtual_stages: 100000000\n",
      "m.yaml");
  ASSERT_TRUE(stages.ok()) << stages.message();
  const Result<TrainingJob> placed = JobOnGpus(stages.value().job, 100'000'000);
  ASSERT_FALSE(placed.ok());
  EXPECT_NE(placed.message().find("PP x virtual stages (10000000000000000) exceeds the model's 40 "
                                  "layers"),
            std::string::npos)
      << placed.message();
  // TP x CP x PP of 10^8 each is 10^24: beyond 64 bits, an error rather than a wrapped product.
  Result<ModelPreset> wide = ParseModelSpec(
      "name: x\nlayers: 40\nhidden: 5120\nseq_len: 100000000\ntp: 100000000\ncp: 100000000\n"
      "pp: 100000000\n",
      "m.yaml");
  ASSERT_TRUE(wide.ok()) << wide.message();
  const Result<TrainingJob> none = JobOnGpus(wide.value().job, 8);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.message(), "TP x CP x PP x DP is beyond any GPU count (the job has 8 GPUs)");
}

// The model-spec fuzzer's find: a batch of 2.077e19 tokens, no whole number of 787-token
// sequences. The error quotes the batch in digits, which converted it to a 64-bit integer
// (undefined beyond that range; the sanitizer build fails on it).
TEST(ModelSpec, AHugeBatchIsRefusedWithItsDigits) {
  const Result<ModelPreset> model = ParseModelSpec(
      "name: my-13b\nlayers: 40\nhidden: 5120\nparameters: 13e9\nheads: 40\nkv_heads: 8\n"
      "ffn_hidden: 13824\nvocab: 32000\nseq_len: 0787\nglobal_batch_tokens: 20771521e12\n"
      "tp: 2\npp: 1\nrecompute: selective\n",
      "model.yaml");
  if (!model.ok()) {
    EXPECT_FALSE(model.message().empty());
    return;
  }
  for (std::int64_t gpus : {1, 8, 64, 4096, 16384}) {
    const Result<TrainingJob> job = JobOnGpus(model.value().job, gpus);
    if (!job.ok()) {
      EXPECT_FALSE(job.message().empty()) << gpus;
    }
  }
}

}  // namespace
}  // namespace gpufleet
