#include "sim/round_engine.h"

#include <algorithm>

namespace gpufleet {

GpusPerNode GpusPerNodeOf(const GpuList& gpus) {
  // Runs of the same node, as the artifact counts them (allocations are built node by node).
  GpusPerNode p;
  for (size_t i = 0; i < gpus.size(); ++i) {
    if (i == 0 || gpus[i] != gpus[i - 1]) {
      p.push_back(1);
    } else {
      ++p.back();
    }
  }
  return p;
}

Result<RoundResult> RunRounds(const std::vector<RoundJob>& jobs, RoundPolicy& policy,
                              const RoundOptions& options, const RoundObserver& observer) {
  const RoundCluster& cluster = options.cluster;
  if (options.round <= 0) return Error{"round length: expected a positive duration"};
  for (const RoundJob& j : jobs) {
    if (!policy.SizesJobs() && (j.replicas < 1 || j.replicas > cluster.total_gpus())) {
      return Error{"job " + j.name + " asks for " + std::to_string(j.replicas) +
                   " GPUs; the cluster has " + std::to_string(cluster.total_gpus())};
    }
  }
  std::vector<JobProgress> progress;
  progress.reserve(jobs.size());
  for (const RoundJob& j : jobs) progress.emplace_back(j.app, j.batch_size);
  std::vector<GpuList> allocations(jobs.size()), next;
  std::vector<char> reallocated(jobs.size(), 0);
  std::vector<RoundJobView> active;
  std::vector<size_t> active_jobs;
  RoundResult result;
  size_t completed = 0;
  SimTime now = 0;
  while (completed < jobs.size()) {
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (progress[i].complete() || allocations[i].empty()) continue;
      if (Status s = progress[i].Advance(now, options.round); !s.ok())
        return Error{"job " + jobs[i].name + ": " + s.message()};
      if (progress[i].complete()) ++completed;
    }
    now += options.round;
    ++result.rounds;
    if (now > options.time_limit) {
      return Error{"the run did not finish by " + std::to_string(WholeSeconds(options.time_limit)) +
                   " s (" + std::to_string(jobs.size() - completed) + " jobs left)"};
    }
    active.clear();
    active_jobs.clear();
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (progress[i].complete()) {
        allocations[i].clear();  // completed jobs release their GPUs at the boundary
        continue;
      }
      if (jobs[i].submit > now) continue;
      active_jobs.push_back(i);
      active.push_back(RoundJobView{static_cast<int>(i), jobs[i].replicas, jobs[i].batch_size,
                                    jobs[i].app, progress[i].epoch(), &allocations[i]});
    }
    std::fill(reallocated.begin(), reallocated.end(), 0);
    if (!active.empty()) {
      Result<std::vector<GpuList>> decided = policy.Schedule(now, active, cluster);
      if (!decided.ok()) return decided.error();
      next = std::move(decided).value();
      for (size_t k = 0; k < active_jobs.size(); ++k) {
        const size_t i = active_jobs[k];
        if (next[k] == allocations[i]) continue;
        allocations[i] = std::move(next[k]);
        reallocated[i] = 1;
        if (!allocations[i].empty()) ++result.restarts;
        if (Status s = progress[i].Reallocate(GpusPerNodeOf(allocations[i]), options.restart_delay);
            !s.ok())
          return Error{"job " + jobs[i].name + ": " + s.message()};
      }
    }
    if (observer) observer(RoundState{now, &jobs, &progress, &allocations, &reallocated});
  }
  result.end_time = now;
  result.completion_time.reserve(jobs.size());
  for (const JobProgress& p : progress) result.completion_time.push_back(p.completion_time());
  return result;
}

}  // namespace gpufleet
