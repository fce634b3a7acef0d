#include "physics/serving_service.h"

#include <gtest/gtest.h>

#include <random>

#include "physics/serving_toy_test_support.h"

namespace gpufleet {
namespace {

using testing::ToyServedModel;
using testing::ToyServingGpu;

ReplicaModel Toy() { return ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value(); }

// Poisson arrivals at `rate` per second for `seconds`, prompts of 1,000 and outputs of 200 tokens.
std::vector<ServingRequest> Steady(double rate, double seconds, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(rate);
  std::vector<ServingRequest> out;
  for (double t = gap(rng); t < seconds; t += gap(rng)) out.push_back({t, 1000, 200});
  return out;
}

TEST(ServeOnReplicas, EachArrivalGoesToTheReplicaWithTheFewestOutstanding) {
  const ReplicaModel r = Toy();
  // Three at once: replicas 0, 1, 0 (ties to the lowest index); replica 0 batches its two.
  const std::vector<ServingRequest> requests{{0.0, 100, 10}, {0.0, 100, 10}, {0.0, 100, 10}};
  const Result<ServiceRun> run = ServeOnReplicas(r, {}, 2, requests, {});
  ASSERT_TRUE(run.ok()) << run.message();
  EXPECT_EQ(run.value().requests_per_replica, (std::vector<std::int64_t>{2, 1}));
  EXPECT_EQ(run.value().requests, 3);
  EXPECT_EQ(run.value().output_tokens, 30);
  EXPECT_EQ(run.value().prompt_tokens, 300);
  EXPECT_EQ(run.value().peak_batch, 2);
  // A request long after finds both idle (no outstanding request): it goes to replica 0.
  std::vector<ServingRequest> later = requests;
  later.push_back({100.0, 100, 10});
  EXPECT_EQ(ServeOnReplicas(r, {}, 2, later, {}).value().requests_per_replica,
            (std::vector<std::int64_t>{3, 1}));
}

TEST(ServeOnReplicas, ARequestFinishingAfterTheArrivalStillCountsAsLoad) {
  const ReplicaModel r = Toy();
  // The first request's prefill pass (4,000 tokens, ~19 ms) is in progress when the second arrives
  // 1 ms later: replica 0 is busy with it, so the second goes to idle replica 1.
  const Result<ServiceRun> run = ServeOnReplicas(r, {}, 2, {{0.0, 4000, 1}, {0.001, 4000, 1}}, {});
  ASSERT_TRUE(run.ok()) << run.message();
  EXPECT_EQ(run.value().requests_per_replica, (std::vector<std::int64_t>{1, 1}));
}

TEST(ServeOnReplicas, RefusesArrivalsOutOfOrder) {
  const Result<ServiceRun> run = ServeOnReplicas(Toy(), {}, 2, {{10.0, 5, 5}, {5.0, 5, 5}}, {});
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.message().find("request 1: arrives before"), std::string::npos) << run.message();
}

TEST(IdleLatencyBound, TakesTheNearestRankOfEachRequestAlone) {
  const ReplicaModel r = Toy();
  // 1,000 requests with prompts of 1 to 1,000 tokens: p99.9 is the 999th (nearest rank
  // ceil(99.9 x 1,000 / 100) = 999), the prefill of 999 tokens, not of 1,000.
  std::vector<ServingRequest> requests;
  for (int i = 1; i <= 1000; ++i) requests.push_back({0.0, i, 2});
  const IdleLatency bound = IdleLatencyBound(r, {}, requests, 99.9);
  ReplicaIteration prefill;
  prefill.prefill_tokens = 999;
  prefill.prefill_attention_pairs = 999.0 * 1000 / 2;
  EXPECT_DOUBLE_EQ(bound.ttft_s, r.Iteration(prefill).seconds);
  ReplicaIteration decode;
  decode.decodes = 1;
  decode.decode_context = 1000;
  EXPECT_DOUBLE_EQ(bound.tpot_s, r.Iteration(decode).seconds);
}

TEST(ServeOnReplicas, OneReplicaServesAsServeOnReplicaDoes) {
  const ReplicaModel r = Toy();
  const std::vector<ServingRequest> requests = Steady(5, 60);
  const ReplicaRun one = ServeOnReplica(r, {}, requests).value();
  const ServiceRun service = ServeOnReplicas(r, {}, 1, requests, {}).value();
  std::vector<double> ttft;
  for (const ServedRequest& s : one.served) ttft.push_back(s.ttft_s);
  std::sort(ttft.begin(), ttft.end());
  EXPECT_EQ(service.ttft.max, ttft.back());
  EXPECT_DOUBLE_EQ(service.busy_s, one.busy_s);
  EXPECT_DOUBLE_EQ(service.span_s, one.end_s - requests.front().arrival_s);
}

TEST(ServeOnReplicas, AttainmentCountsTheRequestsThatMetBothTargets) {
  const ReplicaModel r = Toy();
  // One request alone: TTFT is its prefill pass (1,000 tokens: 2e12 + 4 x 10 x 1,024 x 500,500
  // FLOPs at 4.4e14 = 4.59 ms), TPOT about a weight read (1.25 ms) per token.
  const std::vector<ServingRequest> one{{0.0, 1000, 200}};
  ServiceLevel slo{0.010, 0.002, 99};
  const ServiceRun ok = ServeOnReplicas(r, {}, 1, one, slo).value();
  EXPECT_EQ(ok.attainment, 1);
  EXPECT_TRUE(ok.slo_met);
  slo.tpot_s = 0.001;  // faster than a weight read
  const ServiceRun missed = ServeOnReplicas(r, {}, 1, one, slo).value();
  EXPECT_EQ(missed.attainment, 0);
  EXPECT_FALSE(missed.slo_met);
}

TEST(FewestReplicasMeeting, FindsTheBoundaryOfTheSlo) {
  const ReplicaModel r = Toy();
  // 400 requests/s of 1,000 + 200 tokens: far more than one replica serves within 200 ms TTFT.
  const std::vector<ServingRequest> requests = Steady(400, 20);
  const ServiceLevel slo{0.2, 0.05, 99};
  const Result<ServiceRun> best = FewestReplicasMeeting(r, {}, requests, slo, 64);
  ASSERT_TRUE(best.ok()) << best.message();
  const int n = best.value().replicas;
  EXPECT_GT(n, 1);
  EXPECT_TRUE(best.value().slo_met);
  // One fewer misses.
  EXPECT_FALSE(ServeOnReplicas(r, {}, n - 1, requests, slo).value().slo_met);
  // Capped below it: an error saying what the cap reaches.
  const Result<ServiceRun> capped = FewestReplicasMeeting(r, {}, requests, slo, n - 1);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.code(), ErrorCode::kUnsatisfiable);
  EXPECT_NE(capped.message().find("not met even by " + std::to_string(n - 1) + " replicas"),
            std::string::npos)
      << capped.message();
}

TEST(FewestReplicasMeeting, AnSloNoIdleReplicaMeetsIsRefused) {
  const ReplicaModel r = Toy();
  // A decode step reads 1e9 bytes at 0.8 TB/s: 1.25 ms. A 1 ms TPOT is out of reach.
  const Result<ServiceRun> run =
      FewestReplicasMeeting(r, {}, Steady(1, 10), ServiceLevel{2, 0.001, 50}, 8);
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.message().find("even with an idle replica for every request"), std::string::npos)
      << run.message();
  EXPECT_NE(run.message().find("p50 TPOT at least 0.0013 s against 0.0010 s"), std::string::npos)
      << run.message();
}

TEST(ServeOnReplicas, RefusesBadArguments) {
  const ReplicaModel r = Toy();
  EXPECT_FALSE(ServeOnReplicas(r, {}, 0, {}, {}).ok());
  EXPECT_FALSE(ServeOnReplicas(r, {}, 1, {}, ServiceLevel{2, 0.05, 0}).ok());
  EXPECT_FALSE(ServeOnReplicas(r, {}, 1, {}, ServiceLevel{-1, 0.05, 99}).ok());
  const Result<ServiceRun> bad = ServeOnReplicas(r, {}, 2, {{0.0, 0, 5}}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("request 0: prompt and output tokens"), std::string::npos);
}

TEST(ServiceItEnergyJ, IdleForTheSpanPlusTheBusyIncrementWhileInPasses) {
  ServiceRun run;
  run.replicas = 3;
  run.span_s = 100;
  run.busy_s = 150;  // summed over the replicas
  NodePower node;
  node.idle_w = 800;  // 8 GPUs: 100 W each idle
  node.per_busy_gpu_w = 900;
  // 3 replicas x TP 2 = 6 GPUs x 100 W x 100 s = 60,000 J idle; 900 W x 2 GPUs x 150 s =
  // 270,000 J busy.
  EXPECT_DOUBLE_EQ(ServiceItEnergyJ(run, 2, node, 8), 330000);
}

}  // namespace
}  // namespace gpufleet
