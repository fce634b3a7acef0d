#include "physics/training_memory.h"

#include <gtest/gtest.h>

#include "physics/model_preset.h"

namespace gpufleet {
namespace {

TrainingJob PresetOn(const char* name, int gpus) {
  return JobOnGpus(FindModelPreset(name)->job, gpus).value();
}

// GPT-3 175B as Korthikanti ran it (TP8 PP8, 64 GPUs, DP 1, selective recomputation, sequence
// 2,048, 64 sequences of 1): each GPU holds psi = 175e9 / 64 = 2.734375e9 parameters:
//   weights 2 psi = 5.46875e9 B, gradients 4 psi = 10.9375e9 B, optimizer 12 psi = 32.8125e9 B
//   (ZeRO-1 over DP x CP = 1 rank shards nothing);
//   activations: s b h / t = 2,048 x 12,288 / 8 = 3,145,728 per layer and micro-batch, 12 layers on
//   the first stage, min(64 micro-batches, PP 8) = 8 in flight: 301,989,888 x 34 B = 10.26765619e9
//   B (x 22 = 6.643777536e9 with fused kernels);
//   total with the 1 GiB reserve (1.073741824e9) 60.56014801e9 B = 56.40 GiB: fits an 80 GiB GPU.
TEST(TrainingMemory, Gpt3OnSixtyFourGpusByHand) {
  TrainingJob job = PresetOn("gpt3-175b", 64);
  job.global_batch_tokens = 64 * 2048.0;
  ASSERT_TRUE(ValidateTrainingJob(job).ok());
  const TrainingMemory m = MemoryPerGpu(job);
  EXPECT_DOUBLE_EQ(m.weights, 5.46875e9);
  EXPECT_DOUBLE_EQ(m.gradients, 10.9375e9);
  EXPECT_DOUBLE_EQ(m.optimizer, 32.8125e9);
  EXPECT_DOUBLE_EQ(m.activations, 301989888.0 * 34);
  EXPECT_DOUBLE_EQ(m.activations_fused, 301989888.0 * 22);
  EXPECT_NEAR(m.Total(), 60.56014801e9, 1e2);
  EXPECT_EQ(FitOf(m, HbmBytes(80)), MemoryFit::kFits);
  // Full recomputation keeps only each layer's input: 301,989,888 x 2 B.
  job.recompute = Recompute::kFull;
  EXPECT_DOUBLE_EQ(MemoryPerGpu(job).activations, 301989888.0 * 2);
  EXPECT_DOUBLE_EQ(MemoryPerGpu(job).activations_fused, 301989888.0 * 2);
}

// The same job on the unfused kernels of 2021-22 Megatron-LM (Korthikanti's Table 2), per token and
// hidden unit of a layer (s b h = 2,048 x 12,288 = 25,165,824 per micro-batch; 12 layers, 8 in
// flight: 2,415,919,104 in all):
//   selective recomputation, with sequence parallelism: 34 / 8 = 4.25 B (as with FlashAttention);
//   none, without sequence parallelism: 10 + 24 / 8 = 13 B, plus the scores, softmax and dropout
//     mask, 5 a s / (h t) = 5 x 96 x 2,048 / (12,288 x 8) = 10 B: 23 B;
//   full, without sequence parallelism: the layer's input on every TP rank, 2 B.
TEST(TrainingMemory, UnfusedAttentionStoresItsScoresAndNoSequenceParallelism) {
  TrainingJob job = PresetOn("gpt3-175b", 64);
  job.global_batch_tokens = 64 * 2048.0;
  job.attention = Attention::kUnfused;
  const double stored = 2415919104.0;
  job.recompute = Recompute::kSelective;
  EXPECT_DOUBLE_EQ(MemoryPerGpu(job).activations, stored * 4.25);
  job.recompute = Recompute::kNone;
  EXPECT_DOUBLE_EQ(MemoryPerGpu(job).activations, stored * 23);
  // The fused count scales the non-score part by 22 / 34: 13 x 22 / 34 + 10.
  EXPECT_NEAR(MemoryPerGpu(job).activations_fused, stored * (13.0 * 22 / 34 + 10), 1);
  job.recompute = Recompute::kFull;
  EXPECT_DOUBLE_EQ(MemoryPerGpu(job).activations, stored * 2);
  // Context parallelism needs FlashAttention.
  job.parallel.cp = 2;
  EXPECT_NE(ValidateTrainingJob(job).message().find("needs FlashAttention"), std::string::npos);
}

// Llama 3 405B (TP8 PP16, 4 chunks, sequence 8,192): psi = 405e9 / 128 = 3.1640625e9; the first
// stage holds (126 + 2) / 16 - 1 = 7 layers; s b h / t = 8,192 x 16,384 / 8 = 16,777,216.
//   16,384 GPUs (DP 128, 16 micro-batches, all in flight: PP + (PP - 1) / v = 19.75 > 16):
//     weights 6.328125e9, gradients 12.65625e9, optimizer 12 psi / 128 = 0.296630859e9,
//     activations 16,777,216 x 7 x 16 x 34 = 63.88763853e9, reserve 1.073741824e9:
//     84.2424e9 B = 78.46 GiB, under 80 GiB.
//   8,192 GPUs (DP 64, 32 micro-batches, 19.75 in flight): activations 78.8558e9, optimizer
//     0.593e9: 99.51e9 B = 92.7 GiB by Korthikanti's count, 71.68e9 B = 66.8 GiB with fused
//     kernels: inside the band, planned with a warning. Meta ran it on 80 GB H100s (Llama 3 Table
//     4), so its kernels stored less than Korthikanti's count.
TEST(TrainingMemory, Llama3405BOnMetasTwoConfigurations) {
  const TrainingMemory big = MemoryPerGpu(PresetOn("llama3-405b", 16384));
  EXPECT_DOUBLE_EQ(big.weights, 6.328125e9);
  EXPECT_DOUBLE_EQ(big.gradients, 12.65625e9);
  EXPECT_NEAR(big.optimizer, 0.296630859e9, 1);
  EXPECT_DOUBLE_EQ(big.activations, 16777216.0 * 7 * 16 * 34);
  EXPECT_NEAR(big.Total(), 84.2424e9, 1e5);
  EXPECT_EQ(FitOf(big, HbmBytes(80)), MemoryFit::kFits);
  const TrainingMemory half = MemoryPerGpu(PresetOn("llama3-405b", 8192));
  EXPECT_DOUBLE_EQ(half.activations, 16777216.0 * 7 * 19.75 * 34);
  EXPECT_NEAR(half.Total(), 99.51e9, 0.01e9);
  EXPECT_NEAR(half.FusedTotal(), 71.68e9, 0.01e9);
  EXPECT_EQ(FitOf(half, HbmBytes(80)), MemoryFit::kTight);
  EXPECT_TRUE(CheckMemoryFits(PresetOn("llama3-405b", 8192), HbmBytes(80)).ok());
  // On an H200 (141 GiB) it fits outright.
  EXPECT_EQ(FitOf(half, HbmBytes(141)), MemoryFit::kFits);
}

// What each ZeRO stage shards (Llama 3 8B, TP1, 8 GPUs: psi = 8.03e9, DP x CP = 8):
//   0: weights 2 psi = 16.06e9, gradients 4 psi = 32.12e9, optimizer 12 psi = 96.36e9
//   1: optimizer / 8 = 12.045e9
//   2: and gradients / 8 = 4.015e9
//   3: and weights / 8 plus two full layers (gathered and prefetched): 2.0075e9 + 2 x 2 x 8.03e9 /
//      32 = 3.01125e9
TEST(TrainingMemory, EachZeroStageShardsMore) {
  TrainingJob job = PresetOn("llama3-8b", 8);
  struct Row {
    int zero;
    double weights, gradients, optimizer;
  };
  for (const Row& r : {Row{0, 16.06e9, 32.12e9, 96.36e9}, Row{1, 16.06e9, 32.12e9, 12.045e9},
                       Row{2, 16.06e9, 4.015e9, 12.045e9}, Row{3, 3.01125e9, 4.015e9, 12.045e9}}) {
    job.zero = r.zero;
    const TrainingMemory m = MemoryPerGpu(job);
    EXPECT_NEAR(m.weights, r.weights, 1e3) << r.zero;
    EXPECT_NEAR(m.gradients, r.gradients, 1e3) << r.zero;
    EXPECT_NEAR(m.optimizer, r.optimizer, 1e3) << r.zero;
  }
}

// A plan that does not fit even with fused kernels is refused with what does not fit, by how
// much, and the single changes that fit: a 13B model (40 layers, hidden 5,120, sequence 4,096)
// on 64 A100s at TP1, PP1.
TEST(TrainingMemory, ARefusalSaysByHowMuchAndWhatFits) {
  TrainingJob job;
  job.model = {"my-13b", 12.0 * 40 * 5120 * 5120, 40, 5120, 40, 0, 0, 0, 4096, 0};
  job.parallel = {1, 1, 1, 64};
  job.global_batch_tokens = 1024 * 4096.0;
  ASSERT_TRUE(ValidateTrainingJob(job).ok());
  const Status s = CheckMemoryFits(job, HbmBytes(80));
  ASSERT_FALSE(s.ok());
  for (const char* says :
       {"does not fit in GPU memory", "short even with fused kernels", "of 80.0 GiB", "activations",
        "ZeRO-2", "ZeRO-3", "TP 2 (DP 32)", "recompute: full"}) {
    EXPECT_NE(s.message().find(says), std::string::npos) << says << "\n" << s.message();
  }
  // recompute: auto takes full, the least that fits.
  job.recompute_auto = true;
  Result<TrainingJob> fitted = WithLeastRecomputeThatFits(job, HbmBytes(80));
  ASSERT_TRUE(fitted.ok()) << fitted.message();
  EXPECT_EQ(fitted.value().recompute, Recompute::kFull);
  // With more memory nothing is recomputed; with far less, even full does not fit.
  EXPECT_EQ(WithLeastRecomputeThatFits(job, HbmBytes(192)).value().recompute, Recompute::kNone);
  const Result<TrainingJob> none = WithLeastRecomputeThatFits(job, HbmBytes(16));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("even full recomputation"), std::string::npos) << none.message();
  // Unknown HBM: nothing is checked.
  EXPECT_TRUE(CheckMemoryFits(job, 0).ok());
}

}  // namespace
}  // namespace gpufleet
