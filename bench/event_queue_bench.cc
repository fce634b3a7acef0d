// Event-engine throughput on a synthetic no-op workload: push and pop events that do nothing,
// with a steady population of pending events as a busy simulation has.
#include <benchmark/benchmark.h>

#include "sim/event_queue.h"
#include "util/rng.h"

namespace gpufleet {
namespace {

void BM_EventQueueNoop(benchmark::State& state) {
  const auto population = static_cast<int>(state.range(0));
  EventQueue q;
  Rng rng(7);
  for (int i = 0; i < population; ++i)
    q.Push(static_cast<SimTime>(rng.Next() % 1'000'000), EventKind::kNoop, i, 0);
  std::int64_t processed = 0;
  for (auto _ : state) {
    // One event out, one event in at a random later time: the heap keeps its size.
    const Event e = q.Pop();
    q.Push(e.time + 1 + static_cast<SimTime>(rng.Next() % 100'000), EventKind::kNoop, e.a, 0);
    ++processed;
  }
  state.SetItemsProcessed(processed);
}
BENCHMARK(BM_EventQueueNoop)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

}  // namespace
}  // namespace gpufleet
