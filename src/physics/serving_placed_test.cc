#include "physics/serving_placed.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <random>

#include "physics/serving_autoscale.h"
#include "physics/serving_toy_test_support.h"

namespace gpufleet {
namespace {

using testing::ToyServedModel;
using testing::ToyServingGpu;

ReplicaModel Toy() { return ReplicaModel::Make(ToyServedModel(), ToyServingGpu(), 1).value(); }

std::vector<ServingRequest> Poisson(double rate, double span_s, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(rate);
  std::uniform_int_distribution<std::int32_t> prompt(1, 3000), output(1, 300);
  std::vector<ServingRequest> out;
  for (double t = 0; t < span_s; t += gap(rng)) out.push_back({t, prompt(rng), output(rng)});
  return out;
}

// Windows open from the first arrival to the end are replicas placed for good: the run is
// ServeOnReplicas' to the last figure (the same router, ties to the first).
TEST(ServeInWindows, AlwaysOpenWindowsServeAsFixedReplicas) {
  const std::vector<ServingRequest> requests = Poisson(200, 60, 1);
  const ServiceLevel slo{0.5, 0.02, 99};
  const Result<ServiceRun> fixed = ServeOnReplicas(Toy(), {}, 3, requests, slo);
  const Result<PlacedServiceRun> placed =
      ServeInWindows(Toy(), {}, requests, slo, std::vector<ReplicaWindow>(3, {0, HUGE_VAL}));
  ASSERT_TRUE(fixed.ok() && placed.ok()) << placed.message();
  EXPECT_EQ(fixed.value().requests_per_replica, placed.value().run.requests_per_replica);
  EXPECT_EQ(fixed.value().ttft.p99, placed.value().run.ttft.p99);
  EXPECT_EQ(fixed.value().tpot.max, placed.value().run.tpot.max);
  EXPECT_EQ(fixed.value().busy_s, placed.value().run.busy_s);
  EXPECT_EQ(fixed.value().attainment, placed.value().run.attainment);
  EXPECT_EQ(placed.value().unserved, 0);
}

// The autoscaler's replicas, each taking requests from its readiness to its drain, give back the
// autoscaler's own run: what ServeAsPlaced serves when every replica was placed when asked.
TEST(ServeInWindows, TheAutoscalersLivesGiveBackItsRun) {
  std::vector<ServingRequest> requests = Poisson(20, 600, 2);
  const std::vector<ServingRequest> burst = Poisson(300, 120, 3);
  for (const ServingRequest& r : burst)
    requests.push_back({r.arrival_s + 300, r.prompt_tokens, r.output_tokens});
  std::stable_sort(
      requests.begin(), requests.end(),
      [](const ServingRequest& a, const ServingRequest& b) { return a.arrival_s < b.arrival_s; });
  const ServiceLevel slo{0.3, 0.015, 99};
  AutoscalePolicy p;
  p.min_replicas = 1;
  p.max_replicas = 8;
  p.load_s = 20;
  p.scale_down_after_s = 60;
  const Result<AutoscaledRun> scaled = ServeAutoscaled(Toy(), {}, requests, slo, p);
  ASSERT_TRUE(scaled.ok()) << scaled.message();
  ASSERT_GT(scaled.value().scale_ups, 0);
  std::vector<ReplicaWindow> windows;
  for (const ReplicaLife& l : scaled.value().lives)
    windows.push_back({l.ready_s, std::max(l.ready_s, l.drained_s)});
  const Result<PlacedServiceRun> placed = ServeInWindows(Toy(), {}, requests, slo, windows);
  ASSERT_TRUE(placed.ok()) << placed.message();
  const ServiceRun& a = scaled.value().run;
  const ServiceRun& b = placed.value().run;
  EXPECT_EQ(a.requests_per_replica, b.requests_per_replica);
  EXPECT_EQ(a.ttft.at_slo_percentile, b.ttft.at_slo_percentile);
  EXPECT_EQ(a.tpot.at_slo_percentile, b.tpot.at_slo_percentile);
  EXPECT_EQ(a.attainment, b.attainment);
  EXPECT_EQ(a.busy_s, b.busy_s);
}

// One replica that opens at 10 s: a request at 0 waits at the router and is served as at 10 s, its
// TTFT 10 s longer than the same request's on an idle replica; one at 20 s is served at once.
// A request after the only window closed is never served and misses the SLO.
TEST(ServeInWindows, TheRouterHoldsRequestsUntilAReplicaTakesThem) {
  const std::vector<ServingRequest> requests{{0, 1000, 100}, {20, 1000, 100}, {40, 1000, 100}};
  const ServiceLevel slo{0.5, 0.05, 50};
  const Result<PlacedServiceRun> run = ServeInWindows(Toy(), {}, requests, slo, {{10, 30}});
  ASSERT_TRUE(run.ok()) << run.message();
  const Result<ServiceRun> idle = ServeOnReplicas(Toy(), {}, 1, {{0, 1000, 100}}, slo);
  ASSERT_TRUE(idle.ok());
  const PlacedServiceRun& v = run.value();
  EXPECT_EQ(v.held_at_router, 1);
  EXPECT_EQ(v.unserved, 1);
  EXPECT_EQ(v.run.requests, 3);
  EXPECT_NEAR(v.run.ttft.max, idle.value().ttft.max + 10, 1e-9);
  EXPECT_NEAR(v.run.ttft.p50, idle.value().ttft.max, 1e-12);  // the one at 20 s: idle as well
  // The one at 20 s met the SLO; the held one (10 s) and the unserved did not.
  EXPECT_DOUBLE_EQ(v.run.attainment, 1.0 / 3);
  // p50 over 3 is rank 2: the held one's 10 s, past the target.
  EXPECT_FALSE(v.run.slo_met);
  EXPECT_NEAR(v.run.ttft.at_slo_percentile, idle.value().ttft.max + 10, 1e-9);
  // With no window at all nothing is served: the percentile falls on an unserved request.
  const Result<PlacedServiceRun> none = ServeInWindows(Toy(), {}, requests, slo, {});
  ASSERT_TRUE(none.ok()) << none.message();
  EXPECT_EQ(none.value().unserved, 3);
  EXPECT_EQ(none.value().run.attainment, 0);
  EXPECT_TRUE(std::isinf(none.value().run.ttft.at_slo_percentile));
  EXPECT_FALSE(none.value().run.slo_met);
}

// A replica cut at 1 s while it decodes a long request: the router retries it from the start on
// the replica that opens at 20 s. Its first token stays the one streamed at first (as on an idle
// replica from 0), its last comes as the same request's on an idle replica from 20 s, and its TPOT
// takes the stall between. Without a second replica the retried request is unserved.
TEST(ServeInWindows, ARequestOnAReplicaCutShortIsRetriedElsewhere) {
  const std::vector<ServingRequest> requests{{0, 1000, 2000}};
  const ServiceLevel slo{0.5, 0.05, 50};
  const Result<ReplicaRun> first = ServeOnReplica(Toy(), {}, {{0, 1000, 2000}});
  const Result<ReplicaRun> retry = ServeOnReplica(Toy(), {}, {{20, 1000, 2000}});
  ASSERT_TRUE(first.ok() && retry.ok());
  ASSERT_LT(first.value().served[0].first_token_s, 1);
  ASSERT_GT(first.value().served[0].finish_s, 1);  // still decoding at the cut (2.6 s)
  const Result<PlacedServiceRun> run =
      ServeInWindows(Toy(), {}, requests, slo, {{0, 1, 1}, {20, HUGE_VAL}});
  ASSERT_TRUE(run.ok()) << run.message();
  const PlacedServiceRun& v = run.value();
  EXPECT_EQ(v.retried, 1);
  EXPECT_EQ(v.unserved, 0);
  EXPECT_EQ(v.held_at_router, 1);  // from 1 s to 20 s
  EXPECT_EQ(v.run.requests_per_replica, (std::vector<std::int64_t>{1, 1}));
  const double first_token = first.value().served[0].first_token_s;
  const double finish = retry.value().served[0].finish_s;
  EXPECT_DOUBLE_EQ(v.run.ttft.max, first_token);
  EXPECT_NEAR(v.run.tpot.max, (finish - first_token) / 1999, 1e-12);
  EXPECT_EQ(v.run.output_tokens, 2000);  // the request's tokens, once
  // One sequence at a time: a second request at 0.1 s waits behind the first when the cut comes,
  // its first token not out; retried, its first token comes after 20 s (behind the first's retry).
  const Result<PlacedServiceRun> queued = ServeInWindows(
      Toy(), {1, 8192}, {{0, 1000, 2000}, {0.1, 1000, 2000}}, slo, {{0, 1, 1}, {20, HUGE_VAL}});
  ASSERT_TRUE(queued.ok()) << queued.message();
  EXPECT_EQ(queued.value().retried, 2);
  EXPECT_DOUBLE_EQ(queued.value().run.ttft.p50, first_token);  // rank 1 of 2: the first
  EXPECT_GT(queued.value().run.ttft.max, 20 - 0.1 + (finish - 20));
  // Held at the router twice (before the first replica opens and after its cut): counted once.
  const Result<PlacedServiceRun> twice =
      ServeInWindows(Toy(), {}, requests, slo, {{0.5, 1, 1}, {20, HUGE_VAL}});
  ASSERT_TRUE(twice.ok()) << twice.message();
  EXPECT_EQ(twice.value().retried, 1);
  EXPECT_EQ(twice.value().held_at_router, 1);
  // No replica after the cut: unserved.
  const Result<PlacedServiceRun> lost = ServeInWindows(Toy(), {}, requests, slo, {{0, 1, 1}});
  ASSERT_TRUE(lost.ok()) << lost.message();
  EXPECT_EQ(lost.value().retried, 1);
  EXPECT_EQ(lost.value().unserved, 1);
  EXPECT_EQ(lost.value().run.output_tokens, 0);
  EXPECT_EQ(lost.value().held_at_router, 0);  // it waited, but was never served
  // Drained at 0.5 s (no new requests), its request finishes, the cut coming after: nothing is
  // retried.
  const Result<PlacedServiceRun> drained =
      ServeInWindows(Toy(), {}, requests, slo, {{0, 0.5, finish + 100}, {20, HUGE_VAL}});
  ASSERT_TRUE(drained.ok()) << drained.message();
  EXPECT_EQ(drained.value().retried, 0);
  EXPECT_DOUBLE_EQ(drained.value().run.tpot.max, first.value().served[0].tpot_s);
  // A cut before the window stops taking requests is refused.
  EXPECT_FALSE(ServeInWindows(Toy(), {}, requests, slo, {{0, 1, 0.5}}).ok());
}

// Invariants over random windows: every request is served once or counted unserved, never
// before it arrives (TTFT at least 0), and attainment stays within [0, 1].
RC_GTEST_PROP(ServeInWindows, EveryRequestIsServedOnceOrUnserved, ()) {
  const std::vector<ServingRequest> requests = Poisson(
      *rc::gen::inRange(1, 50), *rc::gen::inRange(5, 60), *rc::gen::arbitrary<std::uint32_t>());
  std::vector<ReplicaWindow> windows;
  const int n = *rc::gen::inRange(0, 6);
  for (int k = 0; k < n; ++k) {
    const double from = *rc::gen::inRange(0, 80);
    const double until = from + *rc::gen::inRange(0, 80);
    // Some replicas are cut: at their drain or later.
    const double cut = *rc::gen::arbitrary<bool>() ? until + *rc::gen::inRange(0, 30) : HUGE_VAL;
    windows.push_back({from, until, cut});
  }
  const Result<PlacedServiceRun> run =
      ServeInWindows(Toy(), {}, requests, {0.5, 0.05, 90}, windows);
  RC_ASSERT(run.ok());
  const PlacedServiceRun& v = run.value();
  std::int64_t routed = 0;
  for (std::int64_t r : v.run.requests_per_replica) routed += r;
  // A retried request was routed once more.
  RC_ASSERT(routed - v.retried + v.unserved == std::ssize(requests));
  std::int64_t output = 0;
  for (const ServingRequest& r : requests) output += r.output_tokens;
  RC_ASSERT(v.run.output_tokens <= output);
  RC_ASSERT(v.run.requests == std::ssize(requests));
  if (routed > 0) RC_ASSERT(v.run.ttft.p50 >= 0);
  RC_ASSERT(v.run.attainment >= 0 && v.run.attainment <= 1);
  if (v.unserved > 0) RC_ASSERT(v.run.attainment < 1);
}

TEST(ServeInWindows, AWindowEndingBeforeItStartsIsRefused) {
  EXPECT_FALSE(ServeInWindows(Toy(), {}, {{0, 10, 10}}, {0.5, 0.05, 99}, {{5, 4}}).ok());
  EXPECT_FALSE(ServeInWindows(Toy(), {}, {{0, 10, 10}}, {0.5, 0.05, 99}, {{0, std::nan("")}}).ok());
}

// The requests of an outage are counted apart: those arriving in a period, and those of them
// served within both targets. One replica takes requests until 10 s: of the requests at 1 s, 5 s
// and 20 s, the last is never served. Period [4 s, 30 s) holds two (5 s, met; 20 s, unserved),
// [0, 4 s) one (met), [100 s, 200 s) none.
TEST(ServeInWindows, PeriodsCountTheirArrivalsAndThoseServedWithinTheSlo) {
  const std::vector<ServingRequest> requests = {{1, 10, 2}, {5, 10, 2}, {20, 10, 2}};
  const ServiceLevel slo{10, 1, 99};
  const Result<PlacedServiceRun> placed =
      ServeInWindows(Toy(), {}, requests, slo, {{0, 10}}, {{4, 30}, {0, 4}, {100, 200}});
  ASSERT_TRUE(placed.ok()) << placed.message();
  ASSERT_EQ(placed.value().periods.size(), 3u);
  EXPECT_EQ(placed.value().unserved, 1);
  EXPECT_EQ(placed.value().periods[0].requests, 2);
  EXPECT_EQ(placed.value().periods[0].met, 1);
  EXPECT_EQ(placed.value().periods[1].requests, 1);
  EXPECT_EQ(placed.value().periods[1].met, 1);
  EXPECT_EQ(placed.value().periods[2].requests, 0);
  EXPECT_EQ(placed.value().periods[2].met, 0);
}

// Two periods that split time in two count every request once, and their met add up to the
// run's attainment over all requests.
TEST(ServeInWindows, PeriodsThatSplitTheRunAddUpToIt) {
  const std::vector<ServingRequest> requests = Poisson(150, 120, 4);
  const ServiceLevel slo{0.3, 0.015, 99};
  const Result<PlacedServiceRun> placed =
      ServeInWindows(Toy(), {}, requests, slo, {{0, 50}, {30, 90}}, {{-1, 60}, {60, HUGE_VAL}});
  ASSERT_TRUE(placed.ok()) << placed.message();
  const std::vector<PeriodAttainment>& p = placed.value().periods;
  ASSERT_EQ(p.size(), 2u);
  EXPECT_GT(placed.value().unserved, 0);
  EXPECT_EQ(p[0].requests + p[1].requests, std::ssize(requests));
  EXPECT_NEAR(double(p[0].met + p[1].met) / double(requests.size()), placed.value().run.attainment,
              1e-12);
}

}  // namespace
}  // namespace gpufleet
