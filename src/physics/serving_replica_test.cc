#include "physics/serving_replica.h"

#include <gtest/gtest.h>

#include <random>

#include "physics/serving_toy_test_support.h"

namespace gpufleet {
namespace {

using testing::ToyServedModel;
using testing::ToyServingGpu;

double Pass(const ReplicaModel& r, std::int64_t prefill, double pairs, std::int64_t decodes,
            std::int64_t context) {
  ReplicaIteration p;
  p.prefill_tokens = prefill;
  p.prefill_attention_pairs = pairs;
  p.decodes = decodes;
  p.decode_context = context;
  return r.Iteration(p).seconds;
}

TEST(ServeOnReplica, OneRequestPrefillsThenDecodesOneTokenAPass) {
  const ReplicaModel r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value();
  // Arrives at 1 s with 4 prompt tokens and 3 output tokens: one prefill pass (4 tokens, 4 x 5 / 2
  // = 10 pairs) gives the first token, then two decode passes: the first output token attends to
  // the 4 prompt tokens and itself, the second to 6.
  const Result<ReplicaRun> run = ServeOnReplica(r, {}, {{1.0, 4, 3}});
  ASSERT_TRUE(run.ok()) << run.message();
  const double prefill = Pass(r, 4, 10, 0, 0);
  const double d1 = Pass(r, 0, 0, 1, 5), d2 = Pass(r, 0, 0, 1, 6);
  const ServedRequest& s = run.value().served[0];
  EXPECT_NEAR(s.ttft_s, prefill, 1e-12);  // (1 + prefill) - 1 rounds
  EXPECT_DOUBLE_EQ(s.first_token_s, 1.0 + prefill);
  EXPECT_DOUBLE_EQ(s.finish_s, 1.0 + prefill + d1 + d2);
  EXPECT_NEAR(s.tpot_s, (d1 + d2) / 2, 1e-15);
  EXPECT_EQ(run.value().passes, 3);
  EXPECT_EQ(run.value().output_tokens, 3);
  EXPECT_DOUBLE_EQ(run.value().busy_s, prefill + d1 + d2);
  // Memory-bound: each pass about the weights' 1e9 bytes at 0.8 TB/s.
  EXPECT_NEAR(d1, 1.25e-3, 1e-6);
}

TEST(ServeOnReplica, ALongPromptIsPrefilledInChunksOfThePassBudget) {
  const ReplicaModel r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value();
  BatchingLimits limits;
  limits.max_batch = 4;
  limits.max_tokens_per_pass = 4;
  // 10 prompt tokens in chunks of 4, 4 and 2: pairs 0 x 4 + 10, 4 x 4 + 10, 8 x 2 + 3; the
  // last chunk's pass gives the only output token.
  const Result<ReplicaRun> run = ServeOnReplica(r, limits, {{0.0, 10, 1}});
  ASSERT_TRUE(run.ok()) << run.message();
  const double expected = Pass(r, 4, 10, 0, 0) + Pass(r, 4, 26, 0, 0) + Pass(r, 2, 19, 0, 0);
  EXPECT_DOUBLE_EQ(run.value().served[0].ttft_s, expected);
  EXPECT_DOUBLE_EQ(run.value().served[0].tpot_s, 0);
  EXPECT_EQ(run.value().passes, 3);
}

TEST(ServeOnReplica, ARequestWaitsUntilTheKvCacheItNeedsIsFree) {
  // A GPU whose usable HBM leaves room for 150 tokens of KV cache beside the weights: 1e9 +
  // 150.5 x 20,480 bytes = 0.9 x hbm.
  const double hbm_gb = (1e9 + 150.5 * 20480) / 0.9 / (1024.0 * 1024 * 1024);
  const ReplicaModel r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(hbm_gb), 1).value();
  ASSERT_EQ(r.kv_capacity_tokens(), 150);
  // Two requests of 60 + 40 tokens each, both at 0: the second must wait for the first's 100.
  const Result<ReplicaRun> run = ServeOnReplica(r, {}, {{0.0, 60, 40}, {0.0, 60, 40}});
  ASSERT_TRUE(run.ok()) << run.message();
  const ReplicaRun& v = run.value();
  EXPECT_EQ(v.peak_batch, 1);
  EXPECT_DOUBLE_EQ(v.served[1].first_token_s,
                   v.served[0].finish_s + Pass(r, 60, 60.0 * 61 / 2, 0, 0));
  // Both fit when they need 75 each: they run together.
  const Result<ReplicaRun> both = ServeOnReplica(r, {}, {{0.0, 40, 35}, {0.0, 40, 35}});
  ASSERT_TRUE(both.ok()) << both.message();
  EXPECT_EQ(both.value().peak_batch, 2);
  EXPECT_DOUBLE_EQ(both.value().served[0].first_token_s, both.value().served[1].first_token_s);
}

TEST(ServeOnReplica, TheBatchNeverExceedsItsLimit) {
  const ReplicaModel r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value();
  BatchingLimits limits;
  limits.max_batch = 3;
  std::vector<ServingRequest> requests(10, {0.0, 8, 5});
  const Result<ReplicaRun> run = ServeOnReplica(r, limits, requests);
  ASSERT_TRUE(run.ok()) << run.message();
  EXPECT_EQ(run.value().peak_batch, 3);
  // First come, first served: the fourth starts when one of the first three ends.
  EXPECT_GE(run.value().served[3].first_token_s, run.value().served[0].finish_s);
}

TEST(ServeOnReplica, RandomRequestsAreAllServedInOrderOfTime) {
  // Property: whatever the arrivals and lengths, every request gets all its tokens, after it
  // arrives, the replica's busy time never exceeds its span, and the run is deterministic.
  const ReplicaModel r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value();
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<ServingRequest> requests;
    double t = 0;
    std::int64_t tokens = 0;
    std::exponential_distribution<double> gap(50.0);
    std::uniform_int_distribution<int> prompt(1, 3000), output(1, 400);
    for (int i = 0; i < 300; ++i) {
      t += gap(rng);
      requests.push_back({t, prompt(rng), output(rng)});
      tokens += requests.back().output_tokens;
    }
    BatchingLimits limits;
    limits.max_batch = 1 + trial * 5;
    limits.max_tokens_per_pass = 512 + trial * 300;
    const Result<ReplicaRun> run = ServeOnReplica(r, limits, requests);
    ASSERT_TRUE(run.ok()) << run.message();
    const ReplicaRun& v = run.value();
    EXPECT_EQ(v.output_tokens, tokens);
    EXPECT_LE(v.peak_batch, limits.max_batch);
    EXPECT_LE(v.busy_s, v.end_s - requests.front().arrival_s + 1e-9);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const ServedRequest& s = v.served[i];
      EXPECT_GT(s.ttft_s, 0);
      EXPECT_GE(s.finish_s, s.first_token_s);
      EXPECT_GE(s.tpot_s, 0);
      EXPECT_LE(s.finish_s, v.end_s);
    }
    const ReplicaRun again = ServeOnReplica(r, limits, requests).value();
    for (std::size_t i = 0; i < requests.size(); ++i) {
      EXPECT_EQ(again.served[i].finish_s, v.served[i].finish_s);
    }
  }
}

TEST(ServeOnReplica, RefusesAPassBudgetBelowTheBatch) {
  // 8 decodes could not share a pass of 4 tokens.
  const ReplicaModel r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value();
  const Result<ReplicaRun> run = ServeOnReplica(r, {8, 4}, {{0.0, 10, 1}});
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.message().find("max_tokens_per_pass at least max_batch"), std::string::npos)
      << run.message();
}

TEST(ServeOnReplica, RefusesRequestsItCanNeverServe) {
  const ReplicaModel r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value();
  const std::int64_t cap = r.kv_capacity_tokens();
  const Result<ReplicaRun> big =
      ServeOnReplica(r, {}, {{0.0, 10, 10}, {1.0, static_cast<std::int32_t>(cap), 1}});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.code(), ErrorCode::kUnsatisfiable);
  EXPECT_NE(big.message().find("request 1: its 3726046 tokens of KV cache exceed the 3726045"),
            std::string::npos)
      << big.message();
  const Result<ReplicaRun> negative = ServeOnReplica(r, {}, {{0.0, -5, 10}});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.message().find("request 0: prompt and output tokens must be at least 1"),
            std::string::npos);
  const Result<ReplicaRun> disorder = ServeOnReplica(r, {}, {{2.0, 5, 5}, {1.0, 5, 5}});
  ASSERT_FALSE(disorder.ok());
  EXPECT_NE(disorder.message().find("request 1: arrives before"), std::string::npos);
}

// The decode stretches (passes of decodes only run without touching the batch) give the same
// passes, times and tokens, to the bit, as every pass run one by one: random requests on a small
// replica whose batch and KV cache bind, run to each arrival and at odd steps between.
TEST(ReplicaServer, DecodeStretchesGiveExactlyThePassesOneByOne) {
  const ReplicaModel r = ReplicaModel::Make(ToyServedModel(), ToyServingGpu(2), 1).value();
  ASSERT_LT(r.kv_capacity_tokens(), 50'000);  // 16 prompts of 3,000 tokens fill it
  BatchingLimits limits;
  limits.max_batch = 16;
  limits.max_tokens_per_pass = 512;
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    std::exponential_distribution<double> gap(seed % 2 == 0 ? 5.0 : 40.0);
    std::uniform_int_distribution<std::int32_t> prompt(1, 6000), output(1, 400);
    std::vector<ServingRequest> requests;
    double t = 0;
    for (int i = 0; i < 300; ++i) requests.push_back({t += gap(rng), prompt(rng), output(rng)});
    std::vector<ServedRequest> fast(requests.size()), slow(requests.size());
    ReplicaServer a(r, limits, fast), b(r, limits, slow);
    b.set_decode_stretches(false);
    std::uniform_real_distribution<double> step(0, 0.05);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      // Now and then the router looks in between arrivals (the autoscaler's intervals).
      const double look = requests[i].arrival_s - step(rng);
      a.RunUntil(look);
      b.RunUntil(look);
      a.RunUntil(requests[i].arrival_s);
      b.RunUntil(requests[i].arrival_s);
      ASSERT_EQ(a.OutstandingAt(requests[i].arrival_s), b.OutstandingAt(requests[i].arrival_s))
          << "seed " << seed << " request " << i;
      ASSERT_TRUE(a.Add(i, requests[i]).ok());
      ASSERT_TRUE(b.Add(i, requests[i]).ok());
    }
    a.RunToEnd();
    b.RunToEnd();
    for (std::size_t i = 0; i < requests.size(); ++i) {
      ASSERT_EQ(fast[i].first_token_s, slow[i].first_token_s) << "seed " << seed << " " << i;
      ASSERT_EQ(fast[i].finish_s, slow[i].finish_s) << "seed " << seed << " " << i;
      ASSERT_EQ(fast[i].tpot_s, slow[i].tpot_s) << "seed " << seed << " " << i;
    }
    EXPECT_EQ(a.run().passes, b.run().passes);
    EXPECT_EQ(a.run().output_tokens, b.run().output_tokens);
    EXPECT_EQ(a.run().busy_s, b.run().busy_s);
    EXPECT_EQ(a.run().peak_batch, b.run().peak_batch);
    EXPECT_EQ(a.now(), b.now());
  }
}

}  // namespace
}  // namespace gpufleet
