#include "cli/plan_sweep.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "physics/training_sweep.h"
#include "util/text.h"

namespace gpufleet::cli {
namespace {

nlohmann::ordered_json PlanRow(const SweepPlan& p, double global_batch_tokens) {
  const Parallelism& par = p.job.parallel;
  return {{"tp", par.tp},
          {"cp", par.cp},
          {"pp", par.pp},
          {"virtual_stages", p.job.virtual_stages},
          {"dp", par.dp},
          {"zero", p.job.zero},
          {"micro_batch", p.job.micro_batch},
          {"recompute", RecomputeName(p.job.recompute)},
          {"step_time_s", p.step.step_s},
          {"mfu", p.mfu},
          {"tokens_per_s", global_batch_tokens / p.step.step_s},
          {"memory_gib", p.memory.Total() / kGiB},
          {"memory_fused_gib", p.memory.FusedTotal() / kGiB},
          {"fit", p.fit == MemoryFit::kFits ? "fits" : "tight"}};
}

}  // namespace

int PrintSweep(const Fleet& fleet, const Allocation& allocation, const TrainingJob& base,
               const SweepRequest& request) {
  const JobHardware hw = HardwareOf(fleet, allocation);
  if (!(hw.gpu.peak_flops > 0)) {
    std::cerr << "gpufleet plan train --sweep: the GPU model has no BF16 peak in the catalogue\n";
    return kExitBadInput;
  }
  SweepSpace space = DefaultSweepSpace(base, request.gpus, hw.domain_gpus);
  if (request.tp) space.tp = {*request.tp};
  if (request.cp) space.cp = {*request.cp};
  if (request.pp) space.pp = {*request.pp};
  if (request.zero) space.zero = {*request.zero};
  if (request.recompute) space.recompute = {*request.recompute};
  const SweepResult r =
      SweepTrainingPlans(fleet, allocation, base, request.gpus, space, request.top);
  if (request.json) {
    nlohmann::ordered_json j;
    j["model"] = base.model.name;
    j["gpus"] = request.gpus;
    j["considered"] = r.considered;
    j["refused_by_framework"] = r.refused_by_framework;
    j["refused_by_memory"] = r.refused_by_memory;
    j["feasible"] = r.feasible;
    j["plans"] = nlohmann::ordered_json::array();
    for (const SweepPlan& p : r.best) j["plans"].push_back(PlanRow(p, base.global_batch_tokens));
    std::cout << j.dump(2) << "\n";
  } else {
    std::printf(
        "%s on %s GPUs: %s configurations, %s refused by the framework's rules, %s by memory; "
        "the %zu fastest of the %s that fit:\n",
        base.model.name.c_str(), Grouped(request.gpus).c_str(), Grouped(r.considered).c_str(),
        Grouped(r.refused_by_framework).c_str(), Grouped(r.refused_by_memory).c_str(),
        r.best.size(), Grouped(r.feasible).c_str());
    std::printf("  %4s %4s %3s %4s %2s %6s %4s %3s %-9s %9s %6s %12s  %s\n", "rank", "TP", "CP",
                "PP", "v", "DP", "ZeRO", "mb", "recompute", "step (s)", "MFU", "memory (GiB)",
                "fit");
    int rank = 0;
    for (const SweepPlan& p : r.best) {
      const Parallelism& par = p.job.parallel;
      char memory[32];
      std::snprintf(memory, sizeof memory, "%.1f-%.1f", p.memory.FusedTotal() / kGiB,
                    p.memory.Total() / kGiB);
      std::printf("  %4d %4d %3d %4d %2d %6d %4d %3d %-9s %9.3f %5.1f%% %12s  %s\n", ++rank, par.tp,
                  par.cp, par.pp, p.job.virtual_stages, par.dp, p.job.zero, p.job.micro_batch,
                  RecomputeName(p.job.recompute), p.step.step_s, 100 * p.mfu, memory,
                  p.fit == MemoryFit::kFits ? "fits" : "tight (fused kernels)");
    }
  }
  if (r.best.empty()) {
    std::cerr << "gpufleet plan train --sweep: no configuration of " << base.model.name << " fits "
              << request.gpus
              << " GPUs: use more GPUs or GPUs with more memory, or a smaller global batch\n";
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace gpufleet::cli
