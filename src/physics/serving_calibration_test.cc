// The replica model against published throughput (docs/MODELS.md, "Serving", where the fit of
// kServingGemmEfficiency and these errors are recorded).
#include <gtest/gtest.h>

#include <cstdio>

#include "physics/serving_replica.h"

namespace gpufleet {
namespace {

// Llama-2-70B (Touvron et al. 2023): 68.98e9 parameters, 80 layers of 8,192 in 64 heads, 8 KV
// heads (grouped-query attention), in fp8 with an fp8 KV cache as both submissions ran it.
ServedModel Llama2_70b() {
  ServedModel m;
  m.model = {"llama2-70b", 68.98e9, 80, 8192, 64, 8, 28672, 32000, 4096, 2e12, true};
  return m;
}

// Output tokens per second of `replicas` replicas serving `requests` each, all there at the start
// (the offline scenario: throughput, not latency).
double OfflineTokensPerSecond(const GpuModel& gpu, int tp, int replicas, int requests, int prompt,
                              int output, BatchingLimits limits) {
  const Result<ReplicaModel> r = ReplicaModel::Make(Llama2_70b(), gpu, tp);
  EXPECT_TRUE(r.ok()) << r.message();
  if (!r.ok()) return 0;
  const std::vector<ServingRequest> all(static_cast<size_t>(requests), {0.0, prompt, output});
  const Result<ReplicaRun> run = ServeOnReplica(r.value(), limits, all);
  EXPECT_TRUE(run.ok()) << run.message();
  if (!run.ok()) return 0;
  return replicas * static_cast<double>(run.value().output_tokens) / run.value().end_s;
}

TEST(ServingCalibration, TensorRtLlmOnOneH200) {
  // TensorRT-LLM's H200 launch figures (v0.5, FP8): Llama-70B, TP 1, a static batch of 512
  // sequences of 128 prompt and 128 output tokens: 3,014 output tokens/s. The whole batch is
  // prefilled in one pass (no chunking: 65,536 tokens).
  BatchingLimits limits;
  limits.max_batch = 512;
  limits.max_tokens_per_pass = 512 * 128;
  const double model = OfflineTokensPerSecond(*FindGpuModel("h200"), 1, 1, 512, 128, 128, limits);
  std::printf("TensorRT-LLM H200: model %.0f tokens/s, published 3,014 (%+.1f%%)\n", model,
              100 * (model / 3014 - 1));
  EXPECT_NEAR(model / 3014, 1, 0.10);
}

TEST(ServingCalibration, MlperfOfflineOnEightH100) {
  // MLPerf Inference v4.1, Llama-2-70B offline on 8 H100 SXM (TensorRT-LLM, FP8): 24,528 output
  // tokens/s over the 24,576 OpenOrca samples, whose mean output is 294 tokens (the reference's
  // tokens per sample). Their mean prompt is not published: 300 tokens assumed (docs/MODELS.md).
  // Four replicas of TP 2, the best the model finds for 80 GB GPUs (TP 1 leaves KV cache for a
  // batch of ~85, TP 4 loses more to all-reduces than it gains); TensorRT-LLM's default budget
  // of 8,192 tokens per pass.
  BatchingLimits limits;
  limits.max_batch = 1024;
  limits.max_tokens_per_pass = 8192;
  const double model =
      OfflineTokensPerSecond(*FindGpuModel("h100"), 2, 4, 24576 / 4, 300, 294, limits);
  std::printf("MLPerf 8xH100 offline: model %.0f tokens/s, published 24,528 (%+.1f%%)\n", model,
              100 * (model / 24528 - 1));
  EXPECT_NEAR(model / 24528, 1, 0.10);
}

}  // namespace
}  // namespace gpufleet
