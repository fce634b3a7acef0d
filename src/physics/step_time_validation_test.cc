// The step-time model against published runs outside its calibration set (docs/MODELS.md,
// "Validation"): nothing here is fitted. Each run's job shape and result are as published (the
// sources and what had to be assumed are in docs/MODELS.md); the error is the model's throughput
// over the published one, minus 1 (positive: the model is optimistic). The errors are pinned, so
// that a change of the model shows here as a change of its error bar.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "physics/step_time.h"

namespace gpufleet {
namespace {

struct Hardware {
  GpuFigures gpu;
  double nvlink_bytes_s, nic_bytes_s;
};
// A100 SXM: 312 TFLOP/s dense BF16/FP16, NVLink 600 GB/s (300 each way); H100 SXM: 989 TFLOP/s,
// 900 GB/s NVLink. NICs per GPU and direction as each cluster had them.
constexpr Hardware kA100Hdr{
    {312e12, 2.04e12, 0.859, 108}, 300e9, 25e9};  // 8 x HDR 200 Gb/s per 8 GPUs
constexpr Hardware kA100JeanZay{
    {312e12, 2.04e12, 0.859, 108}, 300e9, 6.25e9};  // 4 x Omni-Path 100 Gb/s per 8 GPUs
constexpr Hardware kH100Ndr{
    {989e12, 3.35e12, 0.801, 132}, 450e9, 50e9};  // 8 x NDR 400 Gb/s per 8 GPUs

struct PublishedRun {
  const char* name;
  Hardware hw;
  int gpus;
  int layers, hidden, heads, kv_heads, vocab, seq;
  double parameters;  // 0: GPT-style 12 L h^2 (1 + 13 / 12h + V / 12 L h)
  int tp, pp, virtual_stages, zero, micro_batch;
  Recompute recompute;
  Attention attention;
  int global_batch;         // sequences
  double published_step_s;  // measured, or the batch over the published throughput
  double pinned_error;      // the model's throughput / published - 1, as of this commit
  int ffn = 0;              // 0: 4h
  bool gated_mlp = false;   // SwiGLU (Llama)
};

double GptParameters(const PublishedRun& r) {
  const double l = r.layers, h = r.hidden;
  return 12 * l * h * h * (1 + 13 / (12 * h) + r.vocab / (12 * l * h));
}

// Step times: MegaScale Table 2 (iteration s); BLOOM's log (104.70 s); Megatron-LM's GPT-3 example
// (~32 s); MosaicML and torchtitan: global batch x seq / (tokens/s/GPU x GPUs).
constexpr Recompute kSel = Recompute::kSelective, kFull = Recompute::kFull,
                    kNone = Recompute::kNone;
// Megatron-LM before mid-2023 (MegaScale's baseline, BLOOM, the GPT-3 example) computed attention
// unfused; MosaicML's llm-foundry and torchtitan use FlashAttention.
constexpr Attention kUnfused = Attention::kUnfused, kFlash = Attention::kFlash;
const PublishedRun kRuns[] = {
    // clang-format off
    // MegaScale (NSDI'24) Table 2, the Megatron-LM baseline: 175B, 128 heads, V 64,000, TP8 PP8,
    // 6 chunks; micro-batch 1, selective recomputation and ZeRO-1 assumed.
    {"MegaScale Megatron 175B, 256 GPUs", kA100Hdr, 256, 96, 12288, 128, 0, 64000, 2048, 0, 8, 8, 6,
     1, 1, kSel, kUnfused, 768, 40.0, -0.031},
    {"MegaScale Megatron 175B, 512 GPUs", kA100Hdr, 512, 96, 12288, 128, 0, 64000, 2048, 0, 8, 8, 6,
     1, 1, kSel, kUnfused, 768, 21.2, 0.006},
    {"MegaScale Megatron 175B, 768 GPUs", kA100Hdr, 768, 96, 12288, 128, 0, 64000, 2048, 0, 8, 8, 6,
     1, 1, kSel, kUnfused, 768, 15.2, 0.06},
    {"MegaScale Megatron 175B, 1,024 GPUs", kA100Hdr, 1024, 96, 12288, 128, 0, 64000, 2048, 0, 8, 8,
     6, 1, 1, kSel, kUnfused, 768, 11.9, 0.084},
    {"MegaScale Megatron 175B, 3,072 GPUs", kA100Hdr, 3072, 96, 12288, 128, 0, 64000, 2048, 0, 8, 8,
     6, 1, 1, kSel, kUnfused, 6144, 29.02, 0.039},
    {"MegaScale Megatron 175B, 6,144 GPUs", kA100Hdr, 6144, 96, 12288, 128, 0, 64000, 2048, 0, 8, 8,
     6, 1, 1, kSel, kUnfused, 6144, 14.78, 0.026},
    {"MegaScale Megatron 175B, 8,192 GPUs", kA100Hdr, 8192, 96, 12288, 128, 0, 64000, 2048, 0, 8, 8,
     6, 1, 1, kSel, kUnfused, 6144, 12.24, 0.11},
    {"MegaScale Megatron 175B, 12,288 GPUs", kA100Hdr, 12288, 96, 12288, 128, 0, 64000, 2048, 0, 8,
     8, 6, 1, 1, kSel, kUnfused, 6144, 8.57, 0.121},
    // BLOOM-176B (Megatron-DeepSpeed, Jean Zay): TP4 PP12 DP8, micro-batch 2, full recomputation,
    // ZeRO-1, V 250,880 (padded).
    {"BLOOM-176B, 384 GPUs", kA100JeanZay, 384, 70, 14336, 112, 0, 250880, 2048, 0, 4, 12, 1, 1, 2,
     kFull, kUnfused, 2048, 104.70, 0.108},
    // Megatron-LM's GPT-3 175B example (Selene): TP8 PP16 DP8, micro-batch 1, full recomputation.
    {"Megatron-LM GPT-3 175B example, 1,024 GPUs", kA100Hdr, 1024, 96, 12288, 96, 0, 51200, 2048, 0,
     8, 16, 1, 1, 1, kFull, kUnfused, 1536, 32.0, 0.085},
    // MosaicML llm-foundry (Composer, PyTorch FSDP full-shard = ZeRO-3, TP = PP = 1), seq 2,048,
    // V 50,368; activation checkpointing = full recomputation.
    {"MosaicML MPT-7B, 8 A100", kA100Hdr, 8, 32, 4096, 32, 0, 50368, 2048, 0, 1, 1, 1, 3, 6, kNone,
     kFlash, 96, 96 * 2048 / (4641.0 * 8), 0.033},
    {"MosaicML MPT-30B, 8 A100", kA100Hdr, 8, 48, 7168, 56, 0, 50368, 2048, 0, 1, 1, 1, 3, 3, kFull,
     kFlash, 504, 504 * 2048 / (916.0 * 8), -0.09},
    {"MosaicML MPT-70B, 64 A100", kA100Hdr, 64, 80, 8192, 64, 0, 50368, 2048, 0, 1, 1, 1, 3, 8,
     kFull, kFlash, 2048, 2048 * 2048 / (410.0 * 64), -0.034},
    {"MosaicML MPT-7B, 8 H100", kH100Ndr, 8, 32, 4096, 32, 0, 50368, 2048, 0, 1, 1, 1, 3, 6, kNone,
     kFlash, 48, 48 * 2048 / (10643.0 * 8), 0.297},
    {"MosaicML MPT-30B, 32 H100", kH100Ndr, 32, 48, 7168, 56, 0, 50368, 2048, 0, 1, 1, 1, 3, 14,
     kFull, kFlash, 1344, 1344 * 2048 / (2308.0 * 32), 0.066},
    {"MosaicML MPT-70B, 64 H100", kH100Ndr, 64, 80, 8192, 64, 0, 50368, 2048, 0, 1, 1, 1, 3, 8,
     kFull, kFlash, 2048, 2048 * 2048 / (1039.0 * 64), 0.093},
    // torchtitan (FSDP2, 64 A100 80GB, batch 1 per GPU, seq 8,192 assumed): Llama 3 8B with
    // selective recomputation, 70B with full.
    {"torchtitan Llama 3 8B, 64 A100", kA100Hdr, 64, 32, 4096, 32, 8, 128256, 8192, 8.03e9, 1, 1, 1,
     3, 1, kSel, kFlash, 64, 64 * 8192 / (2973.0 * 64), 0.16, 14336, true},
    {"torchtitan Llama 3 70B, 64 A100", kA100Hdr, 64, 80, 8192, 64, 8, 128256, 8192, 70.6e9, 1, 1,
     1, 3, 1, kFull, kFlash, 64, 64 * 8192 / (331.0 * 64), 0.01, 28672, true},
    // clang-format on
};

TEST(StepTimeValidation, PublishedRunsOutsideTheCalibrationSet) {
  double log_sum = 0, abs_log_sum = 0;
  int n = 0;
  for (const PublishedRun& r : kRuns) {
    TrainingJob job;
    job.model = {r.name,   r.parameters > 0 ? r.parameters : GptParameters(r),
                 r.layers, r.hidden,
                 r.heads,  r.kv_heads,
                 0,        r.vocab,
                 r.seq,    0};
    const int inner = r.tp * r.pp;
    job.parallel = {r.tp, 1, r.pp, r.gpus / inner};
    job.virtual_stages = r.virtual_stages;
    job.zero = r.zero;
    job.micro_batch = r.micro_batch;
    job.recompute = r.recompute;
    job.attention = r.attention;
    job.model.ffn_hidden = r.ffn;
    job.model.gated_mlp = r.gated_mlp;
    job.global_batch_tokens = static_cast<double>(r.global_batch) * r.seq;
    ASSERT_EQ(job.parallel.Gpus(), r.gpus) << r.name;
    ASSERT_TRUE(ValidateTrainingJob(job).ok())
        << r.name << ": " << ValidateTrainingJob(job).message();
    const LinkFigures links{r.hw.nvlink_bytes_s, r.hw.nic_bytes_s};
    const StepTime t = EstimateStepTime(job, r.hw.gpu, links, IdealSpans(job.parallel, 8));
    const double error = r.published_step_s / t.step_s - 1;
    std::printf("%-44s published %8.3f s  model %8.3f s  error %+6.1f%%  (MFU %.1f%%)\n", r.name,
                r.published_step_s, t.step_s, 100 * error,
                100 * t.model_flops / t.step_s / (r.gpus * r.hw.gpu.peak_flops));
    EXPECT_NEAR(error, r.pinned_error, 0.005) << r.name;
    log_sum += std::log1p(error);
    abs_log_sum += std::abs(std::log1p(error));
    ++n;
  }
  std::printf("geometric mean of model / published throughput %.3f; of the error factor %.3f\n",
              std::exp(log_sum / n), std::exp(abs_log_sum / n));
  // The error bar docs/MODELS.md states.
  EXPECT_NEAR(std::exp(log_sum / n), 1.060, 0.0005);
  EXPECT_NEAR(std::exp(abs_log_sum / n), 1.079, 0.0005);
}

}  // namespace
}  // namespace gpufleet
