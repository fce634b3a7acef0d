// Tiresias as configured in the Pollux study (tiresias.py of the artifact; pollux-baselines.md
// §4.1): discretized 2D-LAS whose queues are split by executed GPU-time = wall time while
// admitted × requested GPUs (restart delays included), with starvation promotion off.
#include <algorithm>

#include "sched/round_policy.h"

namespace gpufleet {
namespace {

class Tiresias final : public RoundPolicy {
 public:
  explicit Tiresias(std::vector<std::int64_t> thresholds)
      : thresholds_(std::move(thresholds)), queues_(thresholds_.size() + 1) {}

  Result<std::vector<GpuList>> Schedule(SimTime now, const std::vector<RoundJobView>& active,
                                        const RoundCluster& cluster) override {
    // Where each active job is in `active`; jobs that are no longer active leave the queues.
    int max_id = 0;
    for (const RoundJobView& j : active) max_id = std::max(max_id, j.id);
    if (static_cast<int>(state_.size()) <= max_id) state_.resize(static_cast<size_t>(max_id) + 1);
    position_.assign(state_.size(), -1);
    for (size_t i = 0; i < active.size(); ++i)
      position_[static_cast<size_t>(active[i].id)] = static_cast<int>(i);
    for (std::vector<int>& queue : queues_) {
      std::erase_if(queue, [&](int id) { return position_[static_cast<size_t>(id)] < 0; });
    }
    for (const RoundJobView& j : active) {
      State& s = state_[static_cast<size_t>(j.id)];
      if (!s.known) {  // new: pending at the end of the first queue, in workload order
        s.known = true;
        queues_[0].push_back(j.id);
      }
    }
    // Executed time grows by the wall time since the last call for jobs admitted then; a job
    // crossing a threshold moves to the end of the next queue (in workload order this round).
    for (const RoundJobView& j : active) {
      State& s = state_[static_cast<size_t>(j.id)];
      if (s.running) s.executed += now - s.last_check;
      s.last_check = now;
      while (s.queue < thresholds_.size() && s.executed * j.replicas >= thresholds_[s.queue]) {
        std::erase(queues_[s.queue], j.id);
        ++s.queue;
        queues_[s.queue].push_back(j.id);
      }
    }
    // Admission by GPU count only, queue by queue: a job that no longer fits is preempted,
    // and smaller jobs behind a blocked one may go ahead.
    std::vector<GpuList> out(active.size());
    std::vector<const GpuList*> kept;
    int free = cluster.total_gpus();
    for (const std::vector<int>& queue : queues_) {
      for (int id : queue) {
        State& s = state_[static_cast<size_t>(id)];
        const RoundJobView& j = active[static_cast<size_t>(position_[static_cast<size_t>(id)])];
        s.running = j.replicas <= free;
        if (!s.running) continue;
        free -= j.replicas;
        if (!j.allocation->empty()) {
          out[static_cast<size_t>(position_[static_cast<size_t>(id)])] = *j.allocation;
          kept.push_back(j.allocation);  // admitted jobs never migrate
        }
      }
    }
    std::vector<int> free_per_node = FreeGpusPerNode(cluster, kept);
    for (const std::vector<int>& queue : queues_) {
      for (int id : queue) {
        const auto i = static_cast<size_t>(position_[static_cast<size_t>(id)]);
        if (state_[static_cast<size_t>(id)].running && out[i].empty())
          out[i] = TakeMostFree(free_per_node, active[i].replicas);
      }
    }
    return out;
  }

 private:
  struct State {
    bool known = false;
    bool running = false;  // admitted at the last call
    SimTime executed = 0;
    SimTime last_check = 0;
    size_t queue = 0;
  };
  std::vector<std::int64_t> thresholds_;  // GPU-milliseconds
  std::vector<std::vector<int>> queues_;
  std::vector<State> state_;   // by job id
  std::vector<int> position_;  // job id → index in `active`, -1 if not active
};

}  // namespace

std::unique_ptr<RoundPolicy> MakeTiresias(std::vector<std::int64_t> thresholds_gpu_ms) {
  return std::make_unique<Tiresias>(std::move(thresholds_gpu_ms));
}

}  // namespace gpufleet
