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

// A burst at the start - 400 prompts of 1,000 tokens in the first second, which queue for about
// 1.8 s on one toy replica (4.5 ms of prefill each), far above 80% of a 0.1 s TTFT - then `later`,
// served with 1 to 4 replicas that load for `load_s`: the look at 30 s adds one.
Result<AutoscaledRun> AfterABurst(const std::vector<ServingRequest>& later, double load_s) {
  std::vector<ServingRequest> requests;
  Even(requests, 400, 0, 1);
  requests.insert(requests.end(), later.begin(), later.end());
  AutoscalePolicy p = Policy(1, 4);
  p.load_s = load_s;
  return ServeAutoscaled(Toy(), {}, requests, {0.1, 0.05, 99}, p);
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

// The burst: the look at 30 s sees it and adds one replica (at most doubling the one), which
// serves from 30 + 45 s of loading = 75 s. The request at 100 s makes the looks at 60 and 90 s
// happen; nothing is at risk then, and the calm, counted from the new replica's readiness at 75 s,
// is shorter than scale_down_after (300 s): no drain.
TEST(ServeAutoscaled, ARiskAddsAReplicaThatServesOnceLoaded) {
  const Result<AutoscaledRun> run = AfterABurst({{100, 1000, 200}}, 45);
  ASSERT_TRUE(run.ok()) << run.message();
  const AutoscaledRun& v = run.value();
  ASSERT_EQ(v.timeline.size(), 4u);  // the last point closes the span
  EXPECT_EQ(v.timeline[0].t_s, 0);
  EXPECT_EQ(v.timeline[0].serving, 1);
  EXPECT_EQ(v.timeline[1].t_s, 30);
  EXPECT_EQ(v.timeline[1].serving, 1);
  EXPECT_EQ(v.timeline[1].loading, 1);
  EXPECT_EQ(v.timeline[2].t_s, 75);
  EXPECT_EQ(v.timeline[2].serving, 2);
  EXPECT_EQ(v.timeline[3].t_s, v.run.span_s);
  EXPECT_EQ(v.timeline[3].serving, 2);
  EXPECT_EQ(v.scale_ups, 1);
  EXPECT_EQ(v.scale_downs, 0);
  EXPECT_EQ(v.run.replicas, 2);
  // The late request finds both idle and goes to the first; the added one served nothing.
  EXPECT_EQ(v.run.requests_per_replica, (std::vector<std::int64_t>{401, 0}));
  // Held: the first for the whole span, the second from the decision at 30 s.
  EXPECT_DOUBLE_EQ(v.replica_seconds, v.run.span_s + (v.run.span_s - 30));
  ASSERT_EQ(v.lives.size(), 2u);
  EXPECT_EQ(v.lives[1].added_s, 30);
  EXPECT_EQ(v.lives[1].ready_s, 75);
  EXPECT_EQ(v.lives[1].gone_s, v.run.span_s);
}

// The looks stop at the last arrival (35 s), but the run goes on: the replica added at 30 s
// counts as serving from 37 s (no request arrives for it after), while the last request (4,000
// output tokens at about 1.3 ms a pass) still decodes, and the timeline closes at the span's end.
TEST(ServeAutoscaled, AReplicaLoadingAtTheLastArrivalServesFromItsReadiness) {
  const Result<AutoscaledRun> run = AfterABurst({{35, 1000, 4000}}, 7);
  ASSERT_TRUE(run.ok()) << run.message();
  const AutoscaledRun& v = run.value();
  const double end = v.run.span_s;
  ASSERT_GT(end, 37);
  ASSERT_EQ(v.timeline.size(), 4u);
  EXPECT_EQ(v.timeline[1].t_s, 30);
  EXPECT_EQ(v.timeline[1].loading, 1);
  EXPECT_EQ(v.timeline[2].t_s, 37);
  EXPECT_EQ(v.timeline[2].serving, 2);
  EXPECT_EQ(v.timeline[2].loading, 0);
  EXPECT_EQ(v.timeline[3].t_s, end);
  EXPECT_EQ(v.timeline[3].serving, 2);
  EXPECT_DOUBLE_EQ(v.replica_seconds, end + (end - 30));
}

// A replica that loads for longer than the calm a drain needs (400 s against 300 s) is not
// drained for the calm it did not see. The burst adds it at 30 s; it serves from 430 s. The calm
// starts at the look at 60 s but counts from 430 s: the first look 300 s after that is at 750 s,
// where one of the two goes (both idle: it leaves at once). Counted from the window at 30 s, the
// drain would come at the first look after loading, 450 s.
TEST(ServeAutoscaled, TheCalmForADrainCountsFromTheNewestReplicaServing) {
  std::vector<ServingRequest> every_ten_seconds;
  for (double t = 10; t <= 1000; t += 10) every_ten_seconds.push_back({t, 1000, 200});
  const Result<AutoscaledRun> run = AfterABurst(every_ten_seconds, 400);
  ASSERT_TRUE(run.ok()) << run.message();
  const AutoscaledRun& v = run.value();
  EXPECT_EQ(v.scale_ups, 1);
  EXPECT_EQ(v.scale_downs, 1);
  ASSERT_EQ(v.timeline.size(), 5u);
  EXPECT_EQ(v.timeline[2].t_s, 430);
  EXPECT_EQ(v.timeline[2].serving, 2);
  EXPECT_EQ(v.timeline[3].t_s, 750);
  EXPECT_EQ(v.timeline[3].serving, 1);
  EXPECT_EQ(v.timeline[3].draining, 0);
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

// Invariants over random loads and policies: every request is served once; the replicas serving
// never drop below min, and those held (serving and loading) never pass max; the timeline goes
// forward in time from the first arrival to the span's end, with no replica left draining, and
// the replica-seconds are its integral. Loads stay below 100 requests/s for 2 minutes a phase: the
// sanitizer build runs every case.
RC_GTEST_PROP(ServeAutoscaled, NoRequestIsLostAndTheCountStaysWithinItsLimits, ()) {
  const int min = *rc::gen::inRange(1, 4);
  const int max = min + *rc::gen::inRange(0, 6);
  AutoscalePolicy p = Policy(min, max);
  p.interval_s = *rc::gen::inRange(5, 60);
  p.load_s = *rc::gen::inRange(0, 120);
  p.scale_down_after_s = *rc::gen::inRange(0, 600);
  std::mt19937_64 rng(*rc::gen::arbitrary<std::uint32_t>());
  std::vector<ServingRequest> requests{{0, 100, 10}};
  double t = 0;
  const int phases = *rc::gen::inRange(1, 5);
  for (int k = 0; k < phases; ++k) {
    const double rate = std::uniform_real_distribution<double>(1, 100)(rng);
    std::exponential_distribution<double> gap(rate);
    const double end = t + std::uniform_real_distribution<double>(10, 120)(rng);
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
  RC_ASSERT(v.run.replicas <= max + v.scale_downs);  // draining ones may overlap new ones
  RC_ASSERT(v.run.ttft.p50 > 0 && v.run.tpot.max >= 0);
  RC_ASSERT(v.run.span_s >= v.run.arrival_window_s);
  RC_ASSERT(!v.timeline.empty());
  RC_ASSERT(v.timeline.front().t_s == requests.front().arrival_s);
  RC_ASSERT(std::abs(v.timeline.back().t_s - v.run.span_s) <= 1e-9 * v.run.span_s);
  RC_ASSERT(v.timeline.back().draining == 0);
  double integral = 0;
  for (std::size_t k = 0; k < v.timeline.size(); ++k) {
    const ReplicaCount& c = v.timeline[k];
    RC_ASSERT(c.serving >= min);
    RC_ASSERT(c.serving + c.loading <= max);
    if (k + 1 < v.timeline.size()) {
      RC_ASSERT(v.timeline[k + 1].t_s >= c.t_s);
      integral += (c.serving + c.loading + c.draining) * (v.timeline[k + 1].t_s - c.t_s);
    }
  }
  const double tolerance = 1e-9 * v.run.span_s * max + 1e-9;
  RC_ASSERT(std::abs(v.replica_seconds - integral) <= tolerance);
  // Each replica's life: added, ready after loading, gone within the span; they add up.
  double lived = 0;
  RC_ASSERT(v.lives.size() == v.run.requests_per_replica.size());
  for (std::size_t k = 0; k < v.lives.size(); ++k) {
    const ReplicaLife& l = v.lives[k];
    RC_ASSERT(l.added_s <= l.ready_s && l.added_s <= l.drained_s && l.drained_s <= l.gone_s);
    RC_ASSERT(l.gone_s <= v.timeline.back().t_s);
    RC_ASSERT(l.routed == v.run.requests_per_replica[k]);
    lived += l.gone_s - l.added_s;
  }
  RC_ASSERT(std::abs(v.replica_seconds - lived) <= tolerance);
  RC_ASSERT(v.replica_seconds >= min * v.run.span_s - tolerance);
  RC_ASSERT(v.replica_seconds <= v.run.replicas * v.run.span_s + tolerance);
}

// Arrivals that are not numbers, or an interval that makes too many looks or none that moves on
// (below the spacing of doubles at the arrivals' times), are errors rather than endless loops.
TEST(ServeAutoscaled, LooksThatWouldNotEndAreRefused) {
  const ServiceLevel slo{0.5, 0.02, 99};
  const std::vector<ServingRequest> nan{{0, 100, 10}, {std::nan(""), 100, 10}};
  EXPECT_NE(ServeAutoscaled(Toy(), {}, nan, slo, Policy(1, 2)).message().find("not a finite"),
            std::string::npos);
  AutoscalePolicy tiny = Policy(1, 2);
  tiny.interval_s = 1e-3;
  const std::vector<ServingRequest> long_span{{0, 100, 10}, {1e6, 100, 10}};
  EXPECT_NE(ServeAutoscaled(Toy(), {}, long_span, slo, tiny).message().find("1e8 looks"),
            std::string::npos);
  const std::vector<ServingRequest> late{{1e300, 100, 10}, {1e300, 100, 10}};
  EXPECT_NE(ServeAutoscaled(Toy(), {}, late, slo, Policy(1, 2)).message().find("resolution"),
            std::string::npos);
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
