#include "physics/serving.h"

#include <gtest/gtest.h>

#include "physics/serving_toy_test_support.h"
#include "physics/training_memory.h"

namespace gpufleet {
namespace {

using testing::ToyServedModel;
using testing::ToyServingGpu;

TEST(ReplicaModel, TheKvCacheHoldsWhatTheWeightsLeaveOfTheUsableHbm) {
  const Result<ReplicaModel> r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_DOUBLE_EQ(r.value().weight_bytes_per_gpu(), 1e9);
  EXPECT_DOUBLE_EQ(r.value().kv_bytes_per_token_per_gpu(), 20480);
  // (80 GiB x 0.9 - 1e9) / 20,480 = (77,309,411,328 - 1,000,000,000) / 20,480 = 3,726,045.4.
  EXPECT_EQ(r.value().kv_capacity_tokens(), 3726045);

  // TP 2 halves the weights and the KV heads per GPU: (77,309,411,328 - 5e8) / 10,240.
  const Result<ReplicaModel> two = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 2);
  ASSERT_TRUE(two.ok()) << two.message();
  EXPECT_DOUBLE_EQ(two.value().kv_bytes_per_token_per_gpu(), 10240);
  EXPECT_EQ(two.value().kv_capacity_tokens(), 7500919);

  // bf16 weights and cache: twice the bytes.
  ServedModel bf16 = ToyServedModel();
  bf16.weights = bf16.kv_cache = ServingPrecision::kBf16;
  const Result<ReplicaModel> b = ReplicaModel::Make(bf16, ToyServingGpu(), 1);
  ASSERT_TRUE(b.ok()) << b.message();
  EXPECT_DOUBLE_EQ(b.value().weight_bytes_per_gpu(), 2e9);
  EXPECT_DOUBLE_EQ(b.value().kv_bytes_per_token_per_gpu(), 40960);
}

TEST(ReplicaModel, ADecodeStepOfOneSequenceReadsTheWeightsAtHbmBandwidth) {
  const ReplicaModel r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value();
  ReplicaIteration pass;
  pass.decodes = 1;
  pass.decode_context = 100;
  const IterationTime t = r.Iteration(pass);
  // Bytes: 1e9 of weights + 100 cached tokens read + 1 written, 20,480 each = 1,002,068,480, at
  // 0.8 x 1e12 B/s = 1.2525856 ms.
  EXPECT_NEAR(t.memory_s, 1002068480.0 / 0.8e12, 1e-12);
  // FLOPs: 2 x 1e9 + 4 x 10 layers x 1,024 x 100 pairs = 2,004,096,000 at 0.44 x 1e15.
  EXPECT_NEAR(t.compute_s, 2004096000.0 / 0.44e15, 1e-15);
  EXPECT_EQ(t.communication_s, 0);
  EXPECT_DOUBLE_EQ(t.seconds, t.memory_s);
}

TEST(ReplicaModel, ALongPrefillIsBoundByCompute) {
  const ReplicaModel r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value();
  ReplicaIteration pass;
  pass.prefill_tokens = 4096;
  pass.prefill_attention_pairs = 4096.0 * 4097 / 2;
  const IterationTime t = r.Iteration(pass);
  // 2 x 1e9 x 4,096 + 4 x 10 x 1,024 x 8,390,656 = 8.5358e12 FLOPs at 4.4e14: 19.40 ms; the
  // bytes (1e9 + 4,096 x 20,480) take 1.355 ms.
  const double flops = 2e9 * 4096 + 4.0 * 10 * 1024 * (4096.0 * 4097 / 2);
  EXPECT_NEAR(t.compute_s, flops / 0.44e15, 1e-12);
  EXPECT_NEAR(t.memory_s, (1e9 + 4096.0 * 20480) / 0.8e12, 1e-12);
  EXPECT_DOUBLE_EQ(t.seconds, t.compute_s);
}

TEST(ReplicaModel, TensorParallelismSplitsTheWorkAndAddsTwoAllReducesPerLayer) {
  const ReplicaModel one = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value();
  const ReplicaModel four = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 4).value();
  ReplicaIteration pass;
  pass.decodes = 64;
  pass.decode_context = 64 * 1000;
  const IterationTime a = one.Iteration(pass), b = four.Iteration(pass);
  EXPECT_NEAR(b.compute_s, a.compute_s / 4, 1e-15);
  EXPECT_NEAR(b.memory_s, a.memory_s / 4, 1e-15);
  // Each all-reduce: 64 tokens x 1,024 x 2 bytes = 131,072 bytes; 2 x 3 = 6 ring steps of 1 us
  // plus 6/4 x 131,072 bytes at 200 GB/s x 0.8 = 1.2288 us: 7.2288 us; 2 x 10 layers of them.
  EXPECT_NEAR(b.communication_s, 20 * (6e-6 + 1.5 * 131072 / 160e9), 1e-12);
  EXPECT_DOUBLE_EQ(b.seconds, std::max(b.compute_s, b.memory_s) + b.communication_s);
}

TEST(ReplicaModel, RefusesWhatCannotServe) {
  // Too big for one GPU: 1e11 fp8 parameters in 80 GiB.
  ServedModel big = ToyServedModel();
  big.model.parameters = 1e11;
  const Result<ReplicaModel> r = ReplicaModel::Make(big, ToyServingGpu(), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("model 'toy' on 1 toy-gpu: the weights (93 GiB per GPU)"),
            std::string::npos)
      << r.message();
  EXPECT_NE(r.message().find("use more GPUs per replica"), std::string::npos);
  // Two GPUs hold it.
  EXPECT_TRUE(ReplicaModel::Make(big, ToyServingGpu(), 2).ok());
  // Room for the weights but not for a long context.
  EXPECT_FALSE(ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1, 4'000'000).ok());

  // TP 3 splits 8 KV heads unevenly; TP 16 replicates them (one per GPU).
  const Result<ReplicaModel> three = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 3);
  ASSERT_FALSE(three.ok());
  EXPECT_NE(three.message().find("neither divides the 8 KV heads"), std::string::npos)
      << three.message();
  const Result<ReplicaModel> sixteen = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 16);
  ASSERT_TRUE(sixteen.ok()) << sixteen.message();
  EXPECT_DOUBLE_EQ(sixteen.value().kv_bytes_per_token_per_gpu(), 2560);  // 1 head of 8

  // An A100 has no fp8.
  const Result<ReplicaModel> a100 = ReplicaModel::Make(ToyServedModel(), *FindGpuModel("a100"), 1);
  ASSERT_FALSE(a100.ok());
  EXPECT_NE(a100.message().find("has no fp8 peak"), std::string::npos) << a100.message();
}

TEST(ServingPrecision, NamesRoundTrip) {
  for (ServingPrecision p : {ServingPrecision::kBf16, ServingPrecision::kFp8}) {
    EXPECT_EQ(ParseServingPrecision(ServingPrecisionName(p)), p);
  }
  EXPECT_EQ(ParseServingPrecision("int4"), std::nullopt);
}

}  // namespace
}  // namespace gpufleet
