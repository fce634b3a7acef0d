// The fluid level of serving (physics/serving_fluid.h; docs/MODELS.md, "Fluid serving"): a demand
// counted by windows, hand-derived; a replica's load and capacity; the backlog; and its agreement
// with the request level (ServeOnReplicas) on a Llama-3-70B service, within the tolerances
// docs/MODELS.md states.
#include "physics/serving_fluid.h"

#include <gtest/gtest.h>

#include <cmath>

#include "model/catalog.h"
#include "physics/model_preset.h"
#include "physics/serving_fluid_autoscale.h"
#include "physics/serving_toy_test_support.h"
#include "workload/fluid_demand.h"
#include "workload/serving_demand.h"

namespace gpufleet {
namespace {

TEST(RequestMix, MeansAndQuantilesOfTheSample) {
  // Prompts 100 and 300, outputs 1 and 3: decode passes 0 and 2; the second's contexts over its
  // decode passes 301 + 302 = 603 = 2 x 300 + 3 x 2 / 2; the mean over both 301.5.
  const RequestMix m = MixOf({{0, 100, 1}, {5, 300, 3}});
  EXPECT_DOUBLE_EQ(m.mean_prompt, 200);
  EXPECT_DOUBLE_EQ(m.mean_output, 2);
  EXPECT_DOUBLE_EQ(m.decode_steps, 1);
  EXPECT_DOUBLE_EQ(m.decode_context, 301.5);
  EXPECT_DOUBLE_EQ(m.single_token_share, 0.5);
  EXPECT_EQ(m.largest_tokens, 303);
  ASSERT_EQ(m.prompt_quantiles.size(), size_t(kPromptBins));
  EXPECT_EQ(m.prompt_quantiles.front(), 100);  // the lower half of the shares
  EXPECT_EQ(m.prompt_quantiles.back(), 300);
  ASSERT_EQ(m.decode_step_quantiles.size(), size_t(kPromptBins));
  EXPECT_EQ(m.decode_step_quantiles.front(), 2);  // only the second has a TPOT
}

TEST(FluidDemand, ATraceCountedByWindowsAndRepeated) {
  // Arrivals at 0, 1 and 2 s: the trace repeats every 3 s (its last arrival and one mean gap of
  // 1 s), so that over 10 s they come at 0, 1, ..., 9; windows of 4 s hold 4, 4 and 2.
  const std::vector<ServingRequest> trace = {{0, 10, 2}, {1, 20, 3}, {2, 30, 4}};
  EXPECT_DOUBLE_EQ(RepeatPeriod(trace), 3);
  const FluidDemand repeated = BinnedFluidDemand(trace, 10, 4, 3);
  ASSERT_EQ(repeated.windows.size(), 3u);
  EXPECT_DOUBLE_EQ(repeated.windows[0].requests, 4);
  EXPECT_DOUBLE_EQ(repeated.windows[1].requests, 4);
  EXPECT_DOUBLE_EQ(repeated.windows[2].requests, 2);
  // Window [4, 8): arrivals at 4, 5, 6, 7 - the trace's second, third, first, second.
  EXPECT_DOUBLE_EQ(repeated.windows[1].prompt_tokens, 20 + 30 + 10 + 20);
  EXPECT_DOUBLE_EQ(repeated.windows[1].output_tokens, 3 + 4 + 2 + 3);
  // Once only: the three in the first window.
  const FluidDemand once = BinnedFluidDemand(trace, 10, 4, 0);
  EXPECT_DOUBLE_EQ(once.windows[0].requests, 3);
  EXPECT_DOUBLE_EQ(once.windows[1].requests + once.windows[2].requests, 0);
  // The request level's repetition: the same ten arrivals.
  const std::vector<ServingRequest> listed = RepeatRequests(trace, 3, 10);
  ASSERT_EQ(listed.size(), 10u);
  EXPECT_DOUBLE_EQ(listed[9].arrival_s, 9);
  EXPECT_EQ(listed[9].prompt_tokens, 10);
}

TEST(FluidDemand, GeneratedArrivalsFollowTheRateAndTheSeed) {
  Rng a(7), b(7);
  const RequestRate steady{50, 50};
  const FluidDemand d =
      GeneratedFluidDemand(steady, 3600, 60, Distribution::Fixed(500), Distribution::Fixed(100), a);
  const FluidDemand again =
      GeneratedFluidDemand(steady, 3600, 60, Distribution::Fixed(500), Distribution::Fixed(100), b);
  ASSERT_EQ(d.windows.size(), 60u);
  double total = 0;
  for (std::size_t k = 0; k < d.windows.size(); ++k) {
    total += d.windows[k].requests;
    EXPECT_EQ(d.windows[k].requests, again.windows[k].requests);
    EXPECT_DOUBLE_EQ(d.windows[k].prompt_tokens, 500 * d.windows[k].requests);
  }
  // 180,000 expected; the sum of 60 Poisson counts has a standard deviation of 424.
  EXPECT_NEAR(total, 180000, 5 * 424);
}

ReplicaModel Llama70bOnTwoH100() {
  ServedModel served;
  served.model = FindModelPreset("llama3-70b")->job.model;
  return ReplicaModel::Make(served, *FindGpuModel("H100"), 2, 10000).value();
}

// Ten minutes of a chat demand at `rate` requests/s, steady or diurnal: prompts of median 1,000
// tokens, outputs of 200.
const Distribution kChatPrompts = Distribution::Lognormal(1000, 0.8, 16, 8000);
const Distribution kChatOutputs = Distribution::Lognormal(200, 0.7, 1, 2000);
FluidDemand ChatDemand(const RequestRate& rate, double duration_s = 600) {
  Rng rng(1);
  return GeneratedFluidDemand(rate, duration_s, 60, kChatPrompts, kChatOutputs, rng);
}

TEST(FluidReplica, ItsBatchGrowsWithTheRateUpToItsCapacity) {
  const ReplicaModel model = Llama70bOnTwoH100();
  const FluidDemand d = ChatDemand({16, 16});
  const FluidReplica r(model, BatchingLimits{}, d.mix);
  ASSERT_GT(r.capacity_rps(), 0);
  double batch = 0, pass = 0;
  for (double share : {0.1, 0.3, 0.5, 0.7, 0.9}) {
    const FluidLoad load = r.At(share * r.capacity_rps());
    EXPECT_FALSE(load.saturated);
    EXPECT_GT(load.batch, batch);
    EXPECT_GT(load.pass_s, pass);
    EXPECT_GE(load.pass_s, load.decode_pass_s);  // a prompt's pass is never shorter
    batch = load.batch;
    pass = load.pass_s;
  }
  EXPECT_TRUE(r.At(2 * r.capacity_rps()).saturated);
  // Little's law at the fixed point: the batch is the rate x the output's passes x the mean pass.
  const FluidLoad load = r.At(4);
  EXPECT_NEAR(load.batch, 4 * d.mix.mean_output * load.pass_s, 1e-3 * load.batch);
}

// The same demand at the two levels on a fixed number of replicas: 10 minutes at 16 requests/s
// of Llama-3-70B on 2 H100s, where 3 replicas run near their limits and 4 to 6 meet a p99 TTFT of
// 2 s and TPOT of 50 ms. The tolerances are docs/MODELS.md's ("Fluid serving").
TEST(FluidService, AgreesWithTheRequestLevelOnFixedReplicas) {
  const ReplicaModel model = Llama70bOnTwoH100();
  Rng rng(2);
  const FluidDemand d = ChatDemand({16, 16});
  const std::vector<ServingRequest> requests =
      PoissonRequests({16, 16}, 600, kChatPrompts, kChatOutputs, rng);
  const ServiceLevel slo{2, 0.05, 99};
  for (int n : {4, 5, 6}) {
    const ServiceRun exact = ServeOnReplicas(model, BatchingLimits{}, n, requests, slo).value();
    FluidService fluid(model, BatchingLimits{}, d, slo);
    for (std::size_t w = 0; w < d.windows.size(); ++w) fluid.Serve(w, n);
    fluid.Finish(n);
    const ServiceRun f = fluid.Result().run;
    SCOPED_TRACE(n);
    EXPECT_NEAR(f.attainment, exact.attainment, 0.01);
    EXPECT_NEAR(f.tpot.p50, exact.tpot.p50, 0.15 * exact.tpot.p50);
    EXPECT_NEAR(f.tpot.p99, exact.tpot.p99, 0.15 * exact.tpot.p99);
    EXPECT_NEAR(f.ttft.p50, exact.ttft.p50, 0.25 * exact.ttft.p50);
    EXPECT_NEAR(f.ttft.p99, exact.ttft.p99, 0.3 * exact.ttft.p99);
    // 9,600 expected, a standard deviation of 98.
    EXPECT_NEAR(double(f.requests), 9600, 5 * 98);
  }
}

TEST(FluidService, TheFewestReplicasDoNotDependOnTheSearchsStart) {
  const ReplicaModel model = Llama70bOnTwoH100();
  const FluidDemand d = ChatDemand({16, 16});
  const FluidService s(model, BatchingLimits{}, d, ServiceLevel{2, 0.05, 99});
  int last = 0;
  for (double rps : {0.5, 4.0, 16.0, 40.0, 160.0, 1000.0}) {
    const int fewest = s.FewestReplicas(rps, 0.8, 0, 1, 400);
    EXPECT_GE(fewest, last);  // more load never needs fewer
    last = fewest;
    for (int hint : {1, 2, 3, fewest - 1, fewest, fewest + 1, 77, 400, 1000})
      EXPECT_EQ(s.FewestReplicas(rps, 0.8, 0, 1, 400, hint), fewest) << rps << " from " << hint;
  }
  EXPECT_GT(last, 50);                                    // 1,000 requests/s takes many
  EXPECT_EQ(s.FewestReplicas(1e6, 0.8, 0, 1, 400), 400);  // beyond the most: the most
}

TEST(FluidService, RequestsWithoutAReplicaWaitAndThoseNeverTakenAreUnserved) {
  const ReplicaModel model =
      ReplicaModel::Make(testing::ToyServedModel(), testing::ToyServingGpu(), 1).value();
  FluidDemand d;
  d.window_s = 10;
  d.windows = {{20, 20000, 2000}, {20, 20000, 2000}};
  d.mix = MixOf({{0, 1000, 100}});
  const ServiceLevel slo{0.5, 0.05, 99};
  {
    // No replica in the first window: its 20 requests wait at the router and are served in the
    // second, about 5 s after their window's middle (where a cohort is taken to arrive) - past the
    // 0.5 s TTFT.
    FluidService s(model, BatchingLimits{}, d, slo);
    s.Serve(0, 0);
    EXPECT_DOUBLE_EQ(s.backlog(), 20);
    s.Serve(1, 4);
    EXPECT_DOUBLE_EQ(s.backlog(), 0);
    s.Finish(4);
    const PlacedServiceRun run = s.Result();
    EXPECT_EQ(run.run.requests, 40);
    EXPECT_EQ(run.held_at_router, 20);
    EXPECT_EQ(run.unserved, 0);
    EXPECT_NEAR(run.run.attainment, 0.5, 0.01);
    EXPECT_GT(run.run.ttft.max, 5);
  }
  {
    FluidService s(model, BatchingLimits{}, d, slo);
    s.Serve(0, 0);
    s.Serve(1, 0);
    s.Finish(0);
    const PlacedServiceRun run = s.Result();
    EXPECT_EQ(run.unserved, 40);
    EXPECT_DOUBLE_EQ(run.run.attainment, 0);
    EXPECT_TRUE(std::isinf(run.run.ttft.at_slo_percentile));
    EXPECT_FALSE(run.run.slo_met);
  }
}

// Edge cases a review found: a backlog at the demand's end served by replicas the run's end cut
// (not unserved); a window longer than the demand; a period shorter than a window; a fixed count.
TEST(FluidService, EdgesOfTheWindowsAndTheRun) {
  const ReplicaModel model = Llama70bOnTwoH100();
  const ServiceLevel slo{2, 0.05, 99};
  // Two minutes at 40 requests/s on one replica (capacity ~6.9/s): a backlog at the end. A replica
  // whose span reaches the end still takes it; one stopped before the end does not.
  const FluidDemand busy = ChatDemand({40, 40}, 120);
  const PlacedServiceRun cut =
      ServeFluidInWindows(model, BatchingLimits{}, busy, slo, {{0, 120}}).value();
  EXPECT_EQ(cut.unserved, 0);
  const PlacedServiceRun stopped =
      ServeFluidInWindows(model, BatchingLimits{}, busy, slo, {{0, 100}}).value();
  EXPECT_GT(stopped.unserved, 0);
  // A day-long window over an hour: one window of an hour, the rate at its own length.
  const FluidDemand hour_in_a_day = [] {
    Rng rng(1);
    return GeneratedFluidDemand({16, 16}, 3600, 86400, kChatPrompts, kChatOutputs, rng);
  }();
  ASSERT_EQ(hour_in_a_day.windows.size(), 1u);
  EXPECT_DOUBLE_EQ(hour_in_a_day.span_s(0), 3600);
  AutoscalePolicy fixed;
  fixed.min_replicas = fixed.max_replicas = 5;
  const AutoscaledRun day =
      ServeFluidAutoscaled(model, BatchingLimits{}, hour_in_a_day, slo, fixed).value();
  EXPECT_GE(day.run.attainment, 0.99);  // 16/s over 5 replicas, as in minute windows
  {
    FluidService one(model, BatchingLimits{}, hour_in_a_day, slo);
    one.Serve(0, 5);
    // Its requests over five replicas' hour, not their day.
    EXPECT_NEAR(one.served_per_replica_second()[0],
                hour_in_a_day.windows[0].requests / (5 * 3600.0), 1e-9);
  }
  EXPECT_NEAR(day.replica_seconds, 5 * 3600, 5 * 120);  // the hour and a last request's time
  // The fewest within a fixed count is that count, whatever the load.
  const FluidService s(model, BatchingLimits{}, hour_in_a_day, slo);
  EXPECT_EQ(s.FewestReplicas(1000, 0.8, 0, 4, 4), 4);
  // An outage of 20 s within a minute window counts a third of its arrivals.
  const FluidDemand minute = ChatDemand({16, 16}, 600);
  FluidService periods(model, BatchingLimits{}, minute, slo, {{600 - 60, 600 - 40}});
  for (std::size_t w = 0; w < minute.windows.size(); ++w) periods.Serve(w, 5);
  periods.Finish(5);
  EXPECT_NEAR(double(periods.Result().periods[0].requests), minute.windows.back().requests / 3, 1);
}

TEST(FluidService, ThePercentilesOfManyFractionalWeightsStayFinite) {
  const ReplicaModel model = Llama70bOnTwoH100();
  // The 100th percentile ranks the last request: the bins' sum of fractional weights must reach
  // it although it may fall ulps short of the count.
  const FluidDemand d = ChatDemand({3000, 3000}, 3600);
  FluidService s(model, BatchingLimits{}, d, ServiceLevel{2, 0.05, 100});
  for (std::size_t w = 0; w < d.windows.size(); ++w) s.Serve(w, 600);
  s.Finish(600);
  const ServiceRun run = s.Result().run;
  EXPECT_TRUE(std::isfinite(run.ttft.at_slo_percentile));
  EXPECT_LT(run.ttft.max, 100);
  EXPECT_TRUE(std::isfinite(run.tpot.max));
}

TEST(FluidDemand, RepeatsOfBunchedTraces) {
  // All at one time: a second apart, not a period of 0.
  EXPECT_DOUBLE_EQ(RepeatPeriod({{0, 10, 2}, {0, 10, 2}}), 1);
  // Bunched at the start: 0, 0.1, 0.2 then nothing until 9 s; the period is 9 + 9 / 3 = 12 s.
  const std::vector<ServingRequest> bunched = {{0, 1, 1}, {0.1, 1, 1}, {0.2, 1, 1}, {9, 1, 1}};
  EXPECT_DOUBLE_EQ(RepeatPeriod(bunched), 12);
  // Over 25 s: two whole periods (8) and the first three of the third (24 to 24.2 s).
  EXPECT_DOUBLE_EQ(RepeatedCount(bunched, 12, 25), 11);
  EXPECT_EQ(RepeatRequests(bunched, 12, 25).size(), 11u);
}

TEST(FluidAutoscale, ReplicasFollowADailyRhythmWithinTheirLimits) {
  const ReplicaModel model = Llama70bOnTwoH100();
  const FluidDemand d = ChatDemand({16, 2, 86400, 14 * 3600}, 86400);
  AutoscalePolicy policy;
  policy.min_replicas = 1;
  policy.max_replicas = 12;
  policy.load_s = 120;
  policy.target_outstanding = 0;
  const ServiceLevel slo{2, 0.05, 99};
  const AutoscaledRun run = ServeFluidAutoscaled(model, BatchingLimits{}, d, slo, policy).value();
  const AutoscaledRun again = ServeFluidAutoscaled(model, BatchingLimits{}, d, slo, policy).value();
  EXPECT_EQ(run.lives.size(), again.lives.size());
  EXPECT_DOUBLE_EQ(run.replica_seconds, again.replica_seconds);
  EXPECT_DOUBLE_EQ(run.run.attainment, again.run.attainment);
  EXPECT_GT(run.scale_ups, 0);
  EXPECT_GT(run.scale_downs, 0);
  EXPECT_GE(run.run.attainment, 0.99);
  double held = 0;
  for (std::size_t i = 0; i < run.timeline.size(); ++i) {
    const ReplicaCount& c = run.timeline[i];
    EXPECT_GE(c.serving, 1);
    EXPECT_LE(c.serving + c.loading + c.draining, 12);
    if (i + 1 < run.timeline.size())
      held += (c.serving + c.loading + c.draining) * (run.timeline[i + 1].t_s - c.t_s);
  }
  // The timeline's integral is the lives' held time.
  EXPECT_NEAR(held, run.replica_seconds, 1e-6 * run.replica_seconds);
  std::int64_t routed = 0;
  for (const ReplicaLife& l : run.lives) {
    EXPECT_LE(l.added_s, l.ready_s);
    EXPECT_LE(l.drained_s, l.gone_s);
    routed += l.routed;
  }
  EXPECT_NEAR(double(routed), double(run.run.requests), 0.001 * double(run.run.requests));
  // The replicas placed as asked serve the same: the as-placed replay agrees with the run.
  std::vector<ReplicaWindow> windows;
  for (const ReplicaLife& l : run.lives)
    if (l.drained_s > l.ready_s) windows.push_back({l.ready_s, l.drained_s});
  const PlacedServiceRun placed =
      ServeFluidInWindows(model, BatchingLimits{}, d, slo, windows).value();
  EXPECT_NEAR(placed.run.attainment, run.run.attainment, 1e-9);
}

}  // namespace
}  // namespace gpufleet
