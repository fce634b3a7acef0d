#include "physics/training_plan.h"

#include <bit>
#include <limits>

#include "physics/checkpoint.h"
#include "physics/power.h"

namespace gpufleet {
namespace {

constexpr double kJoulesPerMwh = 3.6e9;

// IT power of the job's nodes and the facility power over each node's site design PUE; the cost
// per hour where every site has a tariff.
struct JobPower {
  double it_w = 0, facility_w = 0, usd_per_s = 0;
  bool priced = true;
};
JobPower PowerOf(const Fleet& fleet, const Allocation& allocation) {
  JobPower p;
  for (const NodeGpus& ng : allocation.nodes) {
    const NodeType& type = fleet.node_types()[static_cast<size_t>(fleet.NodeTypeOf(ng.node))];
    const GpuModel& gpu = fleet.gpu_models()[static_cast<size_t>(fleet.NodeModel(ng.node))];
    const double w = NodePowerOf(type, gpu).Watts(std::popcount(ng.mask));
    const Site& site = fleet.sites()[static_cast<size_t>(fleet.SiteOf(ng.node))];
    p.it_w += w;
    p.facility_w += w * site.cooling.design_pue;
    if (site.tariff_usd_per_mwh) {
      p.usd_per_s += w * site.cooling.design_pue / kJoulesPerMwh * *site.tariff_usd_per_mwh;
    } else {
      p.priced = false;
    }
  }
  return p;
}

}  // namespace

Result<TrainingPlan> PlanTraining(const Fleet& fleet, const Allocation& allocation,
                                  const TrainingJob& asked, double tokens,
                                  const FailureAssumptions& failures) {
  if (Status s = ValidateTrainingJob(asked); !s.ok()) return Error{s.message()};
  if (!(tokens > 0)) return Error{"the number of training tokens must be positive"};
  if (!(failures.node_failures_per_day >= 0)) {
    return Error{"the node failure rate must be at least 0"};
  }
  Result<PlacementSpans> spans = SpansOf(fleet, allocation, asked.parallel);
  if (!spans.ok()) return spans.error();

  TrainingPlan plan;
  plan.spans = spans.value();
  const JobHardware hw = HardwareOf(fleet, allocation);
  Result<TrainingJob> fitted = asked.recompute_auto
                                   ? WithLeastRecomputeThatFits(asked, hw.hbm_bytes)
                                   : Result<TrainingJob>(asked);
  if (!fitted.ok()) return fitted.error();
  const TrainingJob& job = fitted.value();
  if (Status s = CheckMemoryFits(job, hw.hbm_bytes); !s.ok()) return Error{s.message()};
  plan.recompute = job.recompute;
  plan.memory = MemoryPerGpu(job);
  plan.hbm_bytes = hw.hbm_bytes;
  plan.memory_fit = FitOf(plan.memory, hw.hbm_bytes);
  plan.peak_flops = hw.gpu.peak_flops;
  if (!(plan.peak_flops > 0)) return Error{"the GPU model has no BF16 peak in the catalogue"};
  plan.links = hw.links;
  plan.step = EstimateStepTime(job, hw.gpu, plan.links, plan.spans);
  plan.ideal_step_s =
      EstimateStepTime(job, hw.gpu, plan.links, IdealSpans(job.parallel, hw.domain_gpus)).step_s;
  const double gpus = static_cast<double>(job.parallel.Gpus());
  plan.tokens = tokens;
  plan.tokens_per_s = job.global_batch_tokens / plan.step.step_s;
  plan.mfu = plan.step.model_flops / plan.step.step_s / (gpus * plan.peak_flops);
  plan.failure_free_s = tokens / plan.tokens_per_s;

  plan.nodes = static_cast<int>(allocation.nodes.size());
  const double failures_per_s = plan.nodes * failures.node_failures_per_day / 86400;
  plan.checkpoint_bytes = kCheckpointBytesPerParameter * job.model.parameters;
  plan.checkpoint_write_s = plan.checkpoint_bytes / kCheckpointBytesPerSecond;
  if (failures_per_s > 0) {
    plan.mtbf_s = 1 / failures_per_s;
    plan.checkpoint_interval_s =
        failures.checkpoint_interval_s.value_or(DalyInterval(plan.checkpoint_write_s, plan.mtbf_s));
    plan.ettr = ExpectedEttr(plan.checkpoint_interval_s, plan.checkpoint_write_s,
                             failures.restart_s, plan.mtbf_s);
  } else {
    // Nothing fails: no checkpoint is needed unless an interval is given, which then only costs
    // its writes.
    plan.mtbf_s = std::numeric_limits<double>::infinity();
    plan.checkpoint_interval_s =
        failures.checkpoint_interval_s.value_or(std::numeric_limits<double>::infinity());
    plan.ettr =
        failures.checkpoint_interval_s
            ? plan.checkpoint_interval_s / (plan.checkpoint_interval_s + plan.checkpoint_write_s)
            : 1;
  }
  plan.wall_s = plan.failure_free_s / plan.ettr;
  plan.gpu_hours = gpus * plan.wall_s / 3600;
  plan.interruptions = plan.wall_s * failures_per_s;

  const JobPower power = PowerOf(fleet, allocation);
  plan.it_power_w = power.it_w;
  plan.energy_mwh = power.it_w * plan.wall_s / kJoulesPerMwh;
  plan.facility_energy_mwh = power.facility_w * plan.wall_s / kJoulesPerMwh;
  if (power.priced) plan.cost_usd = power.usd_per_s * plan.wall_s;
  return plan;
}

}  // namespace gpufleet
