#include "physics/serving_autoscale.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <random>

#include "physics/serving_toy_test_support.h"

namespace gpufleet {
namespace {

using testing::ToyServedModel;
using testing::ToyServingGpu;

ReplicaModel Toy() { return ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value(); }

// Evenly spaced arrivals of 1,000 + 200 tokens at `rate` per second over [from, to).
void Even(std::vector<ServingRequest>& out, double rate, double from, double to,
          std::int32_t prompt = 1000, std::int32_t output = 200) {
  const auto n = std::llround((to - from) * rate);
  for (std::int64_t k = 0; k < n; ++k) out.push_back({from + double(k) / rate, prompt, output});
}

AutoscalePolicy Policy(int min, int max) {
  AutoscalePolicy p;
  p.min_replicas = min;
  p.max_replicas = max;
  return p;
}

// With min = max there is nothing to scale: the run is ServeOnReplicas' to the last figure (the
// autoscaler's looks run no pass that would not run anyway).
TEST(ServeAutoscaled, AFixedCountServesAsServeOnReplicas) {
  std::vector<ServingRequest> requests;
  Even(requests, 300, 0, 120);
  const ServiceLevel slo{0.5, 0.02, 99};
  const Result<ServiceRun> fixed = ServeOnReplicas(Toy(), {}, 3, requests, slo);
  const Result<AutoscaledRun> scaled = ServeAutoscaled(Toy(), {}, requests, slo, Policy(3, 3));
  ASSERT_TRUE(fixed.ok() && scaled.ok());
  const ServiceRun& a = fixed.value();
  const ServiceRun& b = scaled.value().run;
  EXPECT_EQ(a.requests_per_replica, b.requests_per_replica);
  EXPECT_EQ(a.ttft.p99, b.ttft.p99);
  EXPECT_EQ(a.tpot.max, b.tpot.max);
  EXPECT_EQ(a.busy_s, b.busy_s);
  EXPECT_EQ(a.span_s, b.span_s);
  EXPECT_EQ(a.attainment, b.attainment);
  EXPECT_EQ(b.replicas, 3);
  EXPECT_DOUBLE_EQ(scaled.value().replica_seconds, 3 * a.span_s);
  EXPECT_EQ(scaled.value().scale_ups + scaled.value().scale_downs, 0);
}

// A burst at the start: 400 prompts of 1,000 tokens in the first second queue for about 1.8 s on
// one toy replica (4.5 ms of prefill each), far above 80% of a 0.1 s TTFT. The look at 30 s sees
// it and adds one replica (at most doubling the one), which serves from 30 + 45 s of loading = 75
// s. The request at 100 s makes the looks at 60 and 90 s happen; nothing is at risk then, and the
// calm since 30 s is shorter than scale_down_after (300 s): no drain.
TEST(ServeAutoscaled, ARiskAddsAReplicaThatServesOnceLoaded) {
  std::vector<ServingRequest> requests;
  Even(requests, 400, 0, 1);
  requests.push_back({100, 1000, 200});
  AutoscalePolicy p = Policy(1, 4);
  p.load_s = 45;
  const Result<AutoscaledRun> run = ServeAutoscaled(Toy(), {}, requests, {0.1, 0.05, 99}, p);
  ASSERT_TRUE(run.ok()) << run.message();
  const AutoscaledRun& v = run.value();
  ASSERT_EQ(v.timeline.size(), 3u);
  EXPECT_EQ(v.timeline[0].t_s, 0);
  EXPECT_EQ(v.timeline[0].serving, 1);
  EXPECT_EQ(v.timeline[1].t_s, 30);
  EXPECT_EQ(v.timeline[1].serving, 1);
  EXPECT_EQ(v.timeline[1].loading, 1);
  EXPECT_EQ(v.timeline[2].t_s, 75);
  EXPECT_EQ(v.timeline[2].serving, 2);
  EXPECT_EQ(v.scale_ups, 1);
  EXPECT_EQ(v.scale_downs, 0);
  EXPECT_EQ(v.run.replicas, 2);
  // The late request finds both idle and goes to the first; the added one served nothing.
  EXPECT_EQ(v.run.requests_per_replica, (std::vector<std::int64_t>{401, 0}));
  // Held: the first for the whole span, the second from the decision at 30 s.
  EXPECT_DOUBLE_EQ(v.replica_seconds, v.run.span_s + (v.run.span_s - 30));
}

// A chat-like load, decode-bound (prompts of 200 tokens, outputs of 1,000), with a rhythm: from 5
// to 160 requests/s and back over two hours, a cosine in steps of two minutes. Replicas follow it
// - more at the peak, fewer after - and the GPU time held is less than the peak's count for the
// whole span, with the SLO met for nearly every request.
TEST(ServeAutoscaled, ReplicasFollowTheLoadAndHoldLessThanThePeak) {
  std::vector<ServingRequest> requests;
  constexpr double kPeriod = 7200, kStep = 120;
  for (double t = 0; t < kPeriod; t += kStep) {
    const double rate = 5 + 155 * (1 - std::cos(2 * M_PI * (t + kStep / 2) / kPeriod)) / 2;
    Even(requests, rate, t, t + kStep, 200, 1000);
  }
  const ServiceLevel slo{0.5, 0.02, 99};
  AutoscalePolicy p = Policy(1, 16);
  p.load_s = 60;
  // Sequences of 200 + 500 tokens on average while they decode.
  p.target_outstanding = TargetOutstanding(Toy(), {}, 700, slo.tpot_s, p.scale_up_at);
  const Result<AutoscaledRun> run = ServeAutoscaled(Toy(), {}, requests, slo, p);
  ASSERT_TRUE(run.ok()) << run.message();
  const AutoscaledRun& v = run.value();
  EXPECT_GE(v.scale_ups, 1);
  EXPECT_GE(v.scale_downs, 1);
  int peak = 0, last = 0;
  for (const ReplicaCount& c : v.timeline) {
    peak = std::max(peak, c.serving);
    last = c.serving;
  }
  EXPECT_GT(peak, 1);
  EXPECT_LT(last, peak);
  EXPECT_LT(v.replica_seconds, peak * v.run.span_s);
  EXPECT_GT(v.run.attainment, 0.95);
}

// Invariants over random loads and policies: every request is served once, after it arrives;
// the replicas serving never drop below min, and those held (serving and loading) never pass
// max; the timeline goes forward in time.
RC_GTEST_PROP(ServeAutoscaled, NoRequestIsLostAndTheCountStaysWithinItsLimits, ()) {
  const int min = *rc::gen::inRange(1, 4);
  const int max = min + *rc::gen::inRange(0, 6);
  AutoscalePolicy p = Policy(min, max);
  p.interval_s = *rc::gen::inRange(5, 60);
  p.load_s = *rc::gen::inRange(0, 120);
  p.scale_down_after_s = *rc::gen::inRange(0, 600);
  std::mt19937_64 rng(*rc::gen::arbitrary<std::uint32_t>());
  std::vector<ServingRequest> requests;
  double t = 0;
  const int phases = *rc::gen::inRange(1, 5);
  for (int k = 0; k < phases; ++k) {
    const double rate = std::uniform_real_distribution<double>(1, 400)(rng);
    std::exponential_distribution<double> gap(rate);
    const double end = t + std::uniform_real_distribution<double>(10, 300)(rng);
    std::uniform_int_distribution<std::int32_t> prompt(1, 4000), output(1, 400);
    for (t += gap(rng); t < end; t += gap(rng)) requests.push_back({t, prompt(rng), output(rng)});
  }
  const ServiceLevel slo{0.3, 0.01, 95};
  const Result<AutoscaledRun> run = ServeAutoscaled(Toy(), {}, requests, slo, p);
  RC_ASSERT(run.ok());
  const AutoscaledRun& v = run.value();
  std::int64_t routed = 0;
  for (std::int64_t n : v.run.requests_per_replica) routed += n;
  RC_ASSERT(routed == std::ssize(requests));
  RC_ASSERT(v.run.requests == std::ssize(requests));
  RC_ASSERT(v.run.replicas <= max + v.scale_downs);  // draining ones may overlap new ones
  double previous = -1;
  for (const ReplicaCount& c : v.timeline) {
    RC_ASSERT(c.t_s >= previous);
    previous = c.t_s;
    RC_ASSERT(c.serving >= min);
    RC_ASSERT(c.serving + c.loading <= max);
  }
  RC_ASSERT(v.replica_seconds >= min * v.run.span_s - 1e-6);
}

TEST(ServeAutoscaled, APolicyOutOfRangeIsRefused) {
  const std::vector<ServingRequest> requests{{0, 100, 10}};
  AutoscalePolicy zero = Policy(0, 2);
  EXPECT_FALSE(ServeAutoscaled(Toy(), {}, requests, {}, zero).ok());
  AutoscalePolicy inverted = Policy(3, 2);
  EXPECT_FALSE(ServeAutoscaled(Toy(), {}, requests, {}, inverted).ok());
  AutoscalePolicy thresholds = Policy(1, 2);
  thresholds.scale_up_at = 1.5;
  EXPECT_NE(ServeAutoscaled(Toy(), {}, requests, {}, thresholds).message().find("scale_up_at"),
            std::string::npos);
}

// The toy's decode pass: 1 GB of weights at 0.8 TB/s (1.25 ms) plus 20,480 bytes of KV cache per
// token of context; b sequences of 1,100 tokens read 22.5 MB each, 28.2 us. Within 80% of 10 ms
// (8 ms): 1.25 ms + b x 28.2 us <= 8 ms gives b = 239 (compute, 2 x 1e9 x 239 FLOP at 440 TFLOP/s
// = 1.09 ms, stays below memory); with a batch limit of 512 that stands, while the default 256
// caps it at 80% of 256, 204.
TEST(TargetOutstanding, TheLargestBatchWhoseDecodeStepFitsTheMark) {
  EXPECT_EQ(TargetOutstanding(Toy(), {512, 8192}, 1100, 0.010, 0.8), 239);
  EXPECT_EQ(TargetOutstanding(Toy(), {}, 1100, 0.010, 0.8), 204);
  // A mark below one weight read: one request at a time.
  EXPECT_EQ(TargetOutstanding(Toy(), {}, 1100, 0.001, 0.8), 1);
  // The batch limit caps it, with the same headroom: 80% of 64 is 51.2.
  EXPECT_EQ(TargetOutstanding(Toy(), {64, 8192}, 1100, 1.0, 0.8), 51);
}

TEST(ReplicaLoadSeconds, StartupPlusTheWeightsPerGpuAtTheStorageRate) {
  // The toy's 1e9 fp8 parameters: 1 GB on one GPU, at 2 GB/s 0.5 s, after 30 s of start-up.
  EXPECT_DOUBLE_EQ(ReplicaLoadSeconds(Toy(), 30, 2), 30.5);
}

}  // namespace
}  // namespace gpufleet
