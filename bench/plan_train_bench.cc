// `gpufleet plan train` without the printing, on the 403,200-GPU Stargate-class example: read and
// build the fleet, build the capacity index, place llama3-405b on 16,384 GPUs and plan the run.
// And the simulator's per-start call, PlacementProgressRate, for a 16,384-GPU gang placed on the
// fleet at 50% random occupancy (the scattered case: nearly every tray holds a free GPU). And the
// plan alone on a placement made once (issue 13: under 10 ms), and `plan train --sweep`'s every
// configuration of llama3-405b on the same 16,384 GPUs (issue 13: 10,000 plans under 10 s).
#include <benchmark/benchmark.h>

#include "bench_fleets.h"
#include "physics/model_preset.h"
#include "physics/training_plan.h"
#include "physics/training_sweep.h"
#include "spec/specs.h"

namespace gpufleet {
namespace {

TrainingJob Llama3On16k() {
  TrainingJob job = FindModelPreset("llama3-405b")->job;
  job.parallel.dp = 128;
  return job;
}

void BM_PlanTrainStargate16k(benchmark::State& state) {
  const std::string file =
      std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/stargate-abilene.yaml";
  const TrainingJob job = Llama3On16k();
  for (auto _ : state) {
    Result<Fleet> fleet = LoadFleet(file);
    CapacityIndex index(fleet.value());
    std::optional<Allocation> a = index.Place(16384, 0, Level::kFleet);
    Result<TrainingPlan> plan = PlanTraining(fleet.value(), *a, job, 15.6e12, {});
    if (!plan.ok()) {
      state.SkipWithError(plan.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(plan.value().step.step_s);
  }
}

void BM_ProgressRate16kScattered(benchmark::State& state) {
  const Fleet& fleet = StargateFleet();
  CapacityIndex index(fleet);
  OccupyHalfAtRandom(index, fleet);
  const Allocation a = index.Place(16384, 0, Level::kPod).value();
  const TrainingJob job = Llama3On16k();
  double rate = 0;
  for (auto _ : state) {
    rate = PlacementProgressRate(fleet, a, job);
    benchmark::DoNotOptimize(rate);
  }
  state.counters["rate"] = rate;
  state.counters["nodes"] = static_cast<double>(a.nodes.size());
}

void BM_PlanOnly16k(benchmark::State& state) {
  const Fleet& fleet = StargateFleet();
  CapacityIndex index(fleet);
  const Allocation a = index.Place(16384, 0, Level::kFleet).value();
  const TrainingJob job = Llama3On16k();
  for (auto _ : state) {
    Result<TrainingPlan> plan = PlanTraining(fleet, a, job, 15.6e12, {});
    benchmark::DoNotOptimize(plan.value().step.step_s);
  }
}

void BM_PlanSweep16k(benchmark::State& state) {
  const Fleet& fleet = StargateFleet();
  CapacityIndex index(fleet);
  const Allocation a = index.Place(16384, 0, Level::kFleet).value();
  const TrainingJob base = FindModelPreset("llama3-405b")->job;
  const SweepSpace space = DefaultSweepSpace(base, 16384, HardwareOf(fleet, a).domain_gpus);
  SweepResult r;
  for (auto _ : state) {
    r = SweepTrainingPlans(fleet, a, base, 16384, space, 10);
    benchmark::DoNotOptimize(r.best.front().step.step_s);
  }
  state.counters["considered"] = static_cast<double>(r.considered);
  state.counters["priced"] = static_cast<double>(r.feasible);
}

BENCHMARK(BM_PlanOnly16k)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_PlanSweep16k)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_PlanTrainStargate16k)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_ProgressRate16kScattered)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

}  // namespace
}  // namespace gpufleet
