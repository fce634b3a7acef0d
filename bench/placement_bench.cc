// Gang placement on the 403,200-GPU Stargate-class example fleet at 50% random occupancy: every
// GPU is taken with probability 1/2, independently, before timing starts. Each iteration times one
// Place() (manual timing); the release that restores the state is not timed.
#include <benchmark/benchmark.h>

#include <chrono>

#include "bench_fleets.h"
#include "sched/capacity_index.h"

namespace gpufleet {
namespace {

void PlaceGang(benchmark::State& state, int gpus, Level constraint) {
  const Fleet& fleet = StargateFleet();
  CapacityIndex index(fleet);
  OccupyHalfAtRandom(index, fleet);
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    std::optional<Allocation> a = index.Place(gpus, 0, constraint);
    const auto stop = std::chrono::steady_clock::now();
    if (!a || a->Gpus() != gpus) {
      state.SkipWithError("placement failed");
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
    index.Release(*a);
  }
  state.counters["free_gpus"] = static_cast<double>(index.FreeGpus());
}

void BM_Place16kPod(benchmark::State& state) { PlaceGang(state, 16384, Level::kPod); }
void BM_Place2304Leaf(benchmark::State& state) { PlaceGang(state, 2304, Level::kLeaf); }
void BM_Place72Nvlink(benchmark::State& state) { PlaceGang(state, 36, Level::kDomain); }
void BM_Place1Any(benchmark::State& state) { PlaceGang(state, 1, Level::kFleet); }

// Repetitions give the median of per-repetition means; the target is the median.
BENCHMARK(BM_Place16kPod)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(15)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_Place2304Leaf)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_Place72Nvlink)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_Place1Any)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

}  // namespace
}  // namespace gpufleet
