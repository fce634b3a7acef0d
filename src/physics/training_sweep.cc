#include "physics/training_sweep.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace gpufleet {
namespace {

std::vector<int> PowersOfTwoUpTo(int limit) {
  std::vector<int> out;
  for (int v = 1; v <= limit; v *= 2) out.push_back(v);
  return out;
}

}  // namespace

SweepSpace DefaultSweepSpace(const TrainingJob& base, int gpus, int domain_gpus) {
  SweepSpace s;
  s.tp = PowersOfTwoUpTo(std::max(1, std::min(domain_gpus, gpus)));
  s.cp = PowersOfTwoUpTo(std::min(32, gpus));
  for (int pp = 1; pp <= std::min(base.model.layers, gpus); ++pp) {
    if (gpus % pp == 0) s.pp.push_back(pp);
  }
  s.virtual_stages = {1, 2, 4, 8};
  s.zero = {0, 1, 2, 3};
  s.micro_batch = {1, 2, 4, 8};
  s.recompute = {Recompute::kNone, Recompute::kSelective, Recompute::kFull};
  return s;
}

SweepResult SweepTrainingPlans(const Fleet& fleet, const Allocation& allocation,
                               const TrainingJob& base, int gpus, const SweepSpace& space,
                               size_t keep) {
  SweepResult result;
  const JobHardware hw = HardwareOf(fleet, allocation);
  if (!(hw.gpu.peak_flops > 0)) return result;  // a GPU without figures: nothing to price
  // Spans depend on the parallel degrees only: once per (TP, CP, PP).
  std::map<std::tuple<int, int, int>, PlacementSpans> spans_of;
  std::vector<SweepPlan> plans;
  for (int tp : space.tp) {
    for (int cp : space.cp) {
      for (int pp : space.pp) {
        const std::int64_t inner = std::int64_t{tp} * cp * pp;
        const std::int64_t per_parallel = static_cast<std::int64_t>(space.virtual_stages.size()) *
                                          static_cast<std::int64_t>(space.zero.size()) *
                                          static_cast<std::int64_t>(space.micro_batch.size()) *
                                          static_cast<std::int64_t>(space.recompute.size());
        result.considered += per_parallel;
        if (gpus % inner != 0) {
          result.refused_by_framework += per_parallel;
          continue;
        }
        TrainingJob job = base;
        job.recompute_auto = false;
        job.parallel = {tp, cp, pp, static_cast<int>(gpus / inner)};
        const PlacementSpans* spans = nullptr;
        for (int v : space.virtual_stages) {
          for (int zero : space.zero) {
            for (int mb : space.micro_batch) {
              for (Recompute r : space.recompute) {
                job.virtual_stages = v;
                job.zero = zero;
                job.micro_batch = mb;
                job.recompute = r;
                // One chunk per stage is the only choice without a pipeline.
                if ((pp == 1 && v > 1) || !ValidateTrainingJob(job).ok()) {
                  ++result.refused_by_framework;
                  continue;
                }
                SweepPlan plan;
                plan.memory = MemoryPerGpu(job);
                plan.fit = FitOf(plan.memory, hw.hbm_bytes);
                if (plan.fit == MemoryFit::kDoesNotFit) {
                  ++result.refused_by_memory;
                  continue;
                }
                if (spans == nullptr) {
                  auto [it, fresh] = spans_of.try_emplace({tp, cp, pp});
                  if (fresh) it->second = SpansOf(fleet, allocation, job.parallel).value();
                  spans = &it->second;
                }
                plan.job = job;
                plan.step = EstimateStepTime(job, hw.gpu, hw.links, *spans);
                plan.mfu = plan.step.model_flops / plan.step.step_s / (gpus * hw.gpu.peak_flops);
                ++result.feasible;
                plans.push_back(plan);
              }
            }
          }
        }
      }
    }
  }
  std::stable_sort(plans.begin(), plans.end(), [](const SweepPlan& a, const SweepPlan& b) {
    return a.step.step_s < b.step.step_s;
  });
  if (plans.size() > keep) plans.resize(keep);
  result.best = std::move(plans);
  return result;
}

}  // namespace gpufleet
