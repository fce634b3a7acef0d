// The serving model at the request level (docs/MODELS.md, "Serving"; docs/PERFORMANCE.md): an hour
// of Poisson requests (1,000 prompt and 200 output tokens) on Llama 3 70B, fp8, TP 2 on H100,
// routed to the least loaded of n replicas - 20 requests/s on 4 replicas and 320/s on 64, the
// same load per replica, so that the router's cost per request (it looks at every replica) shows.
#include <benchmark/benchmark.h>

#include "model/catalog.h"
#include "physics/model_preset.h"
#include "physics/serving_service.h"
#include "workload/serving_demand.h"

namespace gpufleet {
namespace {

void BM_ServeAnHour(benchmark::State& state) {
  const int replicas = static_cast<int>(state.range(0));
  ServedModel llama;
  llama.model = FindModelPreset("llama3-70b")->job.model;
  const ReplicaModel model = ReplicaModel::Make(llama, *FindGpuModel("h100"), 2).value();
  Rng rng(1);
  const double rate = 5.0 * replicas;
  const std::vector<ServingRequest> requests =
      PoissonRequests({rate, rate}, 3600, Distribution::Fixed(1000), Distribution::Fixed(200), rng);
  for (auto _ : state) {
    Result<ServiceRun> run = ServeOnReplicas(model, {}, replicas, requests, {});
    if (!run.ok()) {
      state.SkipWithError(run.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(run.value().ttft.p99);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(requests.size()));
  state.counters["requests"] = static_cast<double>(requests.size());
}
BENCHMARK(BM_ServeAnHour)->Arg(4)->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gpufleet
