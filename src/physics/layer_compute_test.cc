#include "physics/layer_compute.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace gpufleet {
namespace {

// Two layers of hidden 1,024 (8 heads of 128), MLP 4,096, no vocabulary: N = 12 L h^2 =
// 25,165,824 parameters; one sequence of `seq` tokens per micro-batch, on one GPU.
TrainingJob TwoLayers(int hidden, int seq) {
  TrainingJob job;
  job.model.layers = 2;
  job.model.hidden = hidden;
  job.model.heads = hidden / 128;
  job.model.ffn_hidden = 4 * hidden;
  job.model.seq_len = seq;
  job.model.parameters = 12.0 * 2 * hidden * hidden;
  job.global_batch_tokens = seq;
  return job;
}

// 1e12 FLOP/s of peak (GEMMs at 0.81e12, FlashAttention at 0.567e12) and 1e10 B/s of HBM: a
// balance of 81 FLOPs per byte at the kernel efficiency.
constexpr GpuFigures kSlowMemory{1e12, 1e10};
constexpr GpuFigures kNoMemory{1e12, 0};

// With 16 tokens a GEMM of k x n does 16 k n / (16 k + k n + 16 n) FLOPs per byte: 15.673 (query,
// key and value: 1,024 x 3,072), 15.515 (output: 1,024 x 1,024), 15.693 (each MLP GEMM: 1,024 x
// 4,096). Below the balance of 81, each takes 81 / intensity as long; weighted by their FLOPs
// (3 : 1 : 4 : 4) that is 5.16797. With 8,192 tokens every intensity exceeds 81: compute-bound.
TEST(LayerCompute, GemmsBelowTheGpusBalanceRunAtItsMemoryRate) {
  const TrainingJob tiny = TwoLayers(1024, 16);
  const double bound = ComputeOfMicroBatch(tiny, kSlowMemory).gemm_s;
  const double free = ComputeOfMicroBatch(tiny, kNoMemory).gemm_s;
  // Forward 2 N x 16 = 805,306,368 FLOPs at 0.81e12, three times (forward and two backward).
  EXPECT_NEAR(free, 3 * 805306368.0 / 0.81e12, 1e-12);
  EXPECT_NEAR(bound / free, 5.16797, 1e-5);
  const TrainingJob training = TwoLayers(1024, 8192);
  EXPECT_DOUBLE_EQ(ComputeOfMicroBatch(training, kSlowMemory).gemm_s,
                   ComputeOfMicroBatch(training, kNoMemory).gemm_s);
}

// Hidden 256 and 128 tokens on a GPU of 4 SMs, tiles of 128 x 256. Each GEMM's three outputs
// (forward m x n, input gradient m x k, weight gradient k x n) in tiles, waves of 4:
//   query/key/value (k 256, n 768): 3 tiles (1 wave, 3/4 busy), 1 (1/4), 6 (2 waves, 3/4): mean
//     of 4/3, 4 and 4/3 = 2.2222;
//   output (256 x 256): 1, 1, 2 tiles: mean of 4, 4, 2 = 3.3333;
//   MLP in (256 x 1,024): 4, 1, 8 tiles: 1, 4, 1 -> 2; MLP out (1,024 x 256): 1, 4, 8 -> 2.
// Weighted 3 : 1 : 4 : 4 by FLOPs: 2.16667 times as long as in full waves.
TEST(LayerCompute, PartFullWavesOfTilesSlowSmallGemms) {
  const TrainingJob job = TwoLayers(256, 128);
  GpuFigures four_sms = kNoMemory;
  four_sms.sms = 4;
  EXPECT_NEAR(
      ComputeOfMicroBatch(job, four_sms).gemm_s / ComputeOfMicroBatch(job, kNoMemory).gemm_s,
      2.166667, 1e-6);
}

// 2,048 tokens, 2 layers, hidden 1,024, MLP 4,096: the forward's element-wise kernels move
// 2,048 x 2 x (10 x 1,024 + 2 x 4,096) bf16 values = 150,994,944 B, 0.0150995 s at 1e10 B/s; the
// backward twice that, so 0.0452985 s in all without recomputation, and a full recomputation's
// forward once more.
TEST(LayerCompute, ElementwiseKernelsMoveTheirBytesAtHbmBandwidth) {
  TrainingJob job = TwoLayers(1024, 2048);
  EXPECT_NEAR(ComputeOfMicroBatch(job, kSlowMemory).memory_s, 0.0452985, 1e-7);
  EXPECT_EQ(ComputeOfMicroBatch(job, kNoMemory).memory_s, 0);
  job.recompute = Recompute::kFull;
  EXPECT_NEAR(ComputeOfMicroBatch(job, kSlowMemory).memory_s, 4 * 0.0150995, 1e-7);
  // A gated MLP's activation reads two f-wide inputs and writes one: 2,048 x 2 x (10 x 1,024 +
  // 3 x 4,096) x 2 B = 184,549,376 B forward, 0.0553648 s in all.
  job.recompute = Recompute::kNone;
  job.model.gated_mlp = true;
  EXPECT_NEAR(ComputeOfMicroBatch(job, kSlowMemory).memory_s, 3 * 184549376.0 / 1e10, 1e-9);
  job.model.gated_mlp = false;
  // Sequence parallelism splits the norms and residual adds over TP, with the MLP's share:
  // 2,048 x 2 x (10 x 1,024 / 2 + 2 x 4,096 / 2) x 2 B = 75,497,472 B forward.
  job.recompute = Recompute::kNone;
  job.parallel.tp = 2;
  EXPECT_TRUE(SequenceParallel(job));
  EXPECT_NEAR(ComputeOfMicroBatch(job, kSlowMemory).memory_s, 3 * 75497472.0 / 1e10, 1e-9);
}

// 2,048 tokens, 8 heads of 128, 2 layers: 2,048 x 2,048 x 8 x 2 = 67,108,864 scores.
//   Unfused: Q K^T and P V, 4 x scores x 128 = 3.436e10 FLOPs forward, compute-bound (intensity
//   2,048 x 128 x 2,048 / (2 x 2,048 x 128 + 2,048^2) = 113.8 > 81): 0.0424194 s; the softmax and
//   dropout move 9 B a score forward (0.0603980 s) and 11 B backward (0.0738198 s); the backward
//   GEMMs are twice the forward's: 3 x 0.0424194 + 0.1342178 = 0.2614760 s. Selective
//   recomputation runs the forward again: + 0.1028174 s.
//   FlashAttention: half the scores computed (causal), 1.718e10 FLOPs at 0.567e12 = 0.0302996 s
//   forward, 2.5 times that backward: 0.1060486 s, and nothing more for selective recomputation.
TEST(LayerCompute, UnfusedAttentionPaysForItsScoresInHbmAndFlashAttentionDoesNot) {
  TrainingJob job = TwoLayers(1024, 2048);
  job.attention = Attention::kUnfused;
  EXPECT_NEAR(ComputeOfMicroBatch(job, kSlowMemory).attention_s, 0.2614760, 1e-6);
  job.recompute = Recompute::kSelective;
  EXPECT_NEAR(ComputeOfMicroBatch(job, kSlowMemory).attention_s, 0.2614760 + 0.1028174, 1e-6);
  job.attention = Attention::kFlash;
  EXPECT_NEAR(ComputeOfMicroBatch(job, kSlowMemory).attention_s, 0.1060486, 1e-6);
  job.recompute = Recompute::kNone;
  EXPECT_NEAR(ComputeOfMicroBatch(job, kSlowMemory).attention_s, 0.1060486, 1e-6);
}

// FlashAttention's HBM traffic binds only for short sequences. 16 tokens, 2 layers, hidden 1,024
// (no grouped-query attention): forward 16 x 2 x (2 x 1,024 + 2 x 1,024) values x 2 B = 262,144 B,
// 2.62144e-5 s at 1e10 B/s, against 4 x 16 x 16 x 1,024 x 2 / 2 = 1,048,576 FLOPs at 0.567e12,
// 1.85e-6 s; backward twice the bytes, 5.24288e-5 s: 7.86432e-5 s in all. With 2,048 tokens the
// FLOPs bind (as in the test above).
TEST(LayerCompute, FlashAttentionIsBoundByItsTrafficOnlyForShortSequences) {
  const TrainingJob job = TwoLayers(1024, 16);
  EXPECT_NEAR(ComputeOfMicroBatch(job, kSlowMemory).attention_s, 7.86432e-5, 1e-10);
  EXPECT_LT(ComputeOfMicroBatch(job, kNoMemory).attention_s, 1e-5);
  const TrainingJob training = TwoLayers(1024, 2048);
  EXPECT_DOUBLE_EQ(ComputeOfMicroBatch(training, kSlowMemory).attention_s,
                   ComputeOfMicroBatch(training, kNoMemory).attention_s);
}

// The GPU matters: the same 7B-class layer on an A100 (312 TFLOP/s, 2.04 TB/s, matmul fraction
// 0.859, 108 SMs) and an H100 (989, 3.35 TB/s, 0.801, 132 SMs): the A100's higher matmul fraction
// outweighs its worse waves and the H100's larger memory-bound share.
TEST(LayerCompute, TheSameLayerOnTwoGpus) {
  TrainingJob job = TwoLayers(4096, 2048);
  job.model.heads = 32;
  auto fraction = [&job](const GpuFigures& gpu) {
    const MicroBatchCompute c = ComputeOfMicroBatch(job, gpu);
    return 6 * job.model.parameters * 2048 / (c.forward_s + c.backward_s) / gpu.peak_flops;
  };
  const double a100 = fraction({312e12, 2.04e12, 0.859, 108});
  const double h100 = fraction({989e12, 3.35e12, 0.801, 132});
  std::printf("fraction of peak: A100 %.4f, H100 %.4f\n", a100, h100);
  EXPECT_GT(a100, h100);
  EXPECT_LT(a100, 0.859 * kGemmKernelEfficiency);
  EXPECT_LT(h100, 0.801 * kGemmKernelEfficiency);
}

// Bandwidth alone: the H100's compute, matmul fraction and SMs with the H200's 4.8 TB/s of HBM run
// the same layer faster, by the element-wise kernels' share (their bytes over 3.35 against 4.8
// TB/s), and no faster than at infinite bandwidth.
TEST(LayerCompute, MoreHbmBandwidthSpeedsTheSameCompute) {
  TrainingJob job = TwoLayers(4096, 2048);
  job.model.heads = 32;
  auto total = [&job](double hbm) {
    const MicroBatchCompute c = ComputeOfMicroBatch(job, {989e12, hbm, 0.801, 132});
    return c.forward_s + c.backward_s;
  };
  const MicroBatchCompute h100 = ComputeOfMicroBatch(job, {989e12, 3.35e12, 0.801, 132});
  const MicroBatchCompute h200 = ComputeOfMicroBatch(job, {989e12, 4.8e12, 0.801, 132});
  EXPECT_EQ(h100.gemm_s, h200.gemm_s);  // compute-bound at 2,048 tokens
  EXPECT_NEAR(h200.memory_s, h100.memory_s * 3.35 / 4.8, 1e-12);
  const double flops = 6 * job.model.parameters * 2048;
  std::printf("fraction of peak: H100 %.4f, with H200's bandwidth %.4f\n",
              flops / total(3.35e12) / 989e12, flops / total(4.8e12) / 989e12);
  EXPECT_LT(total(4.8e12), total(3.35e12));
  EXPECT_GT(total(4.8e12), total(0));
}

}  // namespace
}  // namespace gpufleet
