// Optimus as configured in the Pollux study ("Optimus+Oracle+TunedJobs"; pollux-baselines.md
// §4.2): GPUs go one at a time to the job whose predicted step time falls the most, weighted by
// its remaining iterations. The prediction is the oracle's: the real profile on the packed
// placement, with the batch fixed at the job's B.
#include <algorithm>
#include <map>
#include <tuple>

#include "sched/round_policy.h"

namespace gpufleet {
namespace {

class Optimus final : public RoundPolicy {
 public:
  explicit Optimus(int gpus_per_node) : gpus_per_node_(gpus_per_node) {}

  bool SizesJobs() const override { return true; }

  Result<std::vector<GpuList>> Schedule(SimTime /*now*/, const std::vector<RoundJobView>& active,
                                        const RoundCluster& cluster) override {
    const size_t n = active.size();
    std::vector<double> remaining(n), gain(n, 0.0);
    std::vector<int> count(n, 0), max_replicas(n);
    for (size_t i = 0; i < n; ++i) {
      Result<double> r = Remaining(active[i]);
      if (!r.ok()) return r.error();
      remaining[i] = r.value();
      const Application& app = *active[i].app;
      max_replicas[i] = app.max_replicas_cap > 0 ? app.max_replicas_cap
                                                 : active[i].batch_size / app.min_local_bsz;
    }
    // The gain of one more GPU for job i, 0 when it may not grow or no GPU is left.
    auto marginal = [&](size_t i, int gpus_left) -> Result<double> {
      if (count[i] + 1 > max_replicas[i] || gpus_left < 1) return 0.0;
      Result<double> now = Predict(active[i], count[i]);
      if (!now.ok()) return now.error();
      Result<double> more = Predict(active[i], count[i] + 1);
      if (!more.ok()) return more.error();
      return (now.value() - more.value()) * remaining[i];
    };
    int gpus = cluster.total_gpus();
    for (size_t i = 0; i < n && gpus >= 1; ++i) {  // one GPU each, in workload order
      count[i] = 1;
      --gpus;
      Result<double> g = marginal(i, gpus);
      if (!g.ok()) return g.error();
      gain[i] = g.value();
    }
    while (gpus > 0) {
      // The first largest gain: ties go to workload order.
      const auto best =
          static_cast<size_t>(std::max_element(gain.begin(), gain.end()) - gain.begin());
      if (!(gain[best] > 0)) break;
      ++count[best];
      Result<double> g = marginal(best, gpus);
      if (!g.ok()) return g.error();
      gain[best] = g.value();
      --gpus;
    }
    // Keep allocations whose size is unchanged; place the others smallest first.
    std::vector<GpuList> out(n);
    std::vector<const GpuList*> kept;
    for (size_t i = 0; i < n; ++i) {
      if (count[i] > 0 && static_cast<int>(active[i].allocation->size()) == count[i]) {
        out[i] = *active[i].allocation;
        kept.push_back(active[i].allocation);
      }
    }
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return count[a] < count[b]; });
    std::vector<int> free_per_node = FreeGpusPerNode(cluster, kept);
    for (size_t i : order) {
      if (count[i] > 0 && out[i].empty()) out[i] = TakeMostFree(free_per_node, count[i]);
    }
    return out;
  }

 private:
  // Iterations left to the completion epoch (max_epochs − 1) at the job's batch size; 1 once
  // the job is in its last epoch.
  Result<double> Remaining(const RoundJobView& j) {
    const int last = j.app->max_epochs - 1;
    if (j.epoch >= last) return 1.0;
    Result<double> end = IterationsAfter(*j.app, j.batch_size, last);
    if (!end.ok()) return end.error();
    Result<double> done = IterationsAfter(*j.app, j.batch_size, j.epoch);
    if (!done.ok()) return done.error();
    return end.value() - done.value();
  }

  // Seconds per iteration on `gpus` packed GPUs; one GPU always accumulates at least once.
  Result<double> Predict(const RoundJobView& j, int gpus) {
    const auto key = std::make_tuple(j.app, j.batch_size, gpus);
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    const BatchConfig c =
        ConfigureBatch(*j.app, gpus, j.batch_size, SingleGpuAccumulation::kAlways);
    Result<ProfileStepTime> t =
        LookupStepTime(*j.app, PackedPlacement(gpus, gpus_per_node_), c.atomic_bsz);
    if (!t.ok()) return t.error();
    const double seconds = IterationSeconds(t.value(), c.accum_steps);
    memo_.emplace(key, seconds);
    return seconds;
  }

  int gpus_per_node_;
  std::map<std::tuple<const Application*, int, int>, double> memo_;
};

}  // namespace

std::unique_ptr<RoundPolicy> MakeOptimus(int gpus_per_node) {
  return std::make_unique<Optimus>(gpus_per_node);
}

}  // namespace gpufleet
