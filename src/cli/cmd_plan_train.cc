// gpufleet plan train: a training run priced on its placement (docs/MODELS.md, "Training plans").
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/html_output.h"
#include "cli/model_arg.h"
#include "cli/plan_sweep.h"
#include "cli/validators.h"
#include "model/ideal_fleet.h"
#include "physics/model_preset.h"
#include "physics/training_plan.h"
#include "report/figures_page.h"
#include "report/report.h"
#include "sched/capacity_index.h"
#include "spec/model_spec.h"
#include "util/duration.h"
#include "util/text.h"

namespace gpufleet::cli {
namespace {

// Beyond this a plan "does not finish": its figures would be thousands of years long.
constexpr double kLongestPlannedRunS = 100.0 * 365 * 86400;

// Ranges of the options whose values would otherwise print inf or 300-digit numbers: far beyond
// any published run (Llama 3: 15.6T tokens, 16M per step, 0.0038 interruptions per node-day).
constexpr double kMaxTokens = 1e15;
constexpr double kMaxGlobalBatchTokens = 1e12;
constexpr double kMaxNodeFailureRate = 10;

struct TrainArgs {
  std::string fleet, model, gpu;
  int gpus = 0;
  int tp = 0, pp = 0, dp = 0, cp = 0, seq = 0;  // 0: not given, the model's default
  std::string global_batch_tokens, tokens;
  std::string checkpoint_interval = "auto", restart_overhead = "10m";
  double node_failure_rate = kLlama3NodeFailuresPerDay;
  double implementation_efficiency = 0;  // 0: not given, the model's (1 unless its file says)
  int zero = -1;                         // -1: not given, the model's (1 unless its file says)
  std::string recompute;                 // empty: the model's
  std::string attention;                 // empty: the model's
  std::string html;                      // the page, or empty
  bool json = false;
  bool sweep = false;
  int top = 10;
};

constexpr const char* kCommand = "gpufleet plan train: ";

int BadInput(const std::string& message) {
  std::cerr << kCommand << message << "\n";
  return kExitBadInput;
}

// "15.6T", "300B", "16M", "4096", "1e12": a count with an optional decimal suffix K, M, B or G, T.
std::optional<double> ParseCount(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double scale = 1;
  std::string digits = text;
  switch (text.back()) {
    case 'K':
    case 'k':
      scale = 1e3;
      break;
    case 'M':
      scale = 1e6;
      break;
    case 'B':
    case 'G':
      scale = 1e9;
      break;
    case 'T':
      scale = 1e12;
      break;
    default:
      break;
  }
  if (scale != 1) digits.pop_back();
  char* end = nullptr;
  const double v = std::strtod(digits.c_str(), &end);
  if (digits.empty() || end != digits.c_str() + digits.size() || !std::isfinite(v) || v <= 0) {
    return std::nullopt;
  }
  return v * scale;
}

// The model's defaults with the command line's overrides, DP as given or 0.
Result<TrainingJob> WithOverrides(const TrainArgs& a, TrainingJob job) {
  if (a.tp > 0) job.parallel.tp = a.tp;
  if (a.pp > 0) job.parallel.pp = a.pp;
  if (a.cp > 0) job.parallel.cp = a.cp;
  if (a.seq > 0) job.model.seq_len = a.seq;
  if (!a.global_batch_tokens.empty()) {
    std::optional<double> b = ParseCount(a.global_batch_tokens);
    if (!b || *b > kMaxGlobalBatchTokens) {
      return Error{
          "--global-batch-tokens: expected a positive count such as 16M or 4194304, at "
          "most 1T, got '" +
          a.global_batch_tokens + "'"};
    }
    job.global_batch_tokens = *b;
  }
  if (job.global_batch_tokens <= 0) {
    return Error{"--global-batch-tokens is required: the model file gives no global batch"};
  }
  if (a.dp > 0) job.parallel.dp = a.dp;
  if (a.implementation_efficiency > 0) job.implementation_efficiency = a.implementation_efficiency;
  if (a.zero >= 0) job.zero = a.zero;
  if (!a.attention.empty()) job.attention = ParseAttention(a.attention).value_or(job.attention);
  if (!a.recompute.empty()) {
    job.recompute_auto = a.recompute == "auto";
    job.recompute = ParseRecompute(a.recompute).value_or(Recompute::kNone);
  }
  return job;
}

// The model's defaults with the command line's overrides; DP fills the GPUs.
Result<TrainingJob> BuildJob(const TrainArgs& a, const TrainingJob& model) {
  Result<TrainingJob> job = WithOverrides(a, model);
  if (!job.ok()) return job;
  return JobOnGpus(std::move(job).value(), a.gpus);
}

// --sweep: the fixed dimensions from the command line, the rest swept.
SweepRequest SweepOf(const TrainArgs& a) {
  SweepRequest r;
  r.gpus = a.gpus;
  if (a.tp > 0) r.tp = a.tp;
  if (a.cp > 0) r.cp = a.cp;
  if (a.pp > 0) r.pp = a.pp;
  if (a.zero >= 0) r.zero = a.zero;
  r.recompute = ParseRecompute(a.recompute);  // auto (or nothing) sweeps all three
  r.top = static_cast<size_t>(a.top);
  r.json = a.json;
  return r;
}

Result<FailureAssumptions> BuildFailures(const TrainArgs& a) {
  FailureAssumptions f;
  if (!(a.node_failure_rate >= 0) || !std::isfinite(a.node_failure_rate)) {
    return Error{"--node-failure-rate: expected failures per node-day, at least 0"};
  }
  f.node_failures_per_day = a.node_failure_rate;
  Result<SimTime> restart = ParseDuration(a.restart_overhead);
  if (!restart.ok() || restart.value() < 0) {
    return Error{"--restart-overhead: " +
                 (restart.ok() ? std::string("expected a duration >= 0") : restart.message())};
  }
  f.restart_s = ToSeconds(restart.value());
  if (a.checkpoint_interval != "auto") {
    Result<SimTime> d = ParseDuration(a.checkpoint_interval);
    if (!d.ok() || d.value() <= 0) {
      return Error{"--checkpoint-interval: expected auto or a positive duration" +
                   (d.ok() ? std::string() : ": " + d.message())};
    }
    f.checkpoint_interval_s = ToSeconds(d.value());
  }
  return f;
}

// The fleet to place on and the GPU model to use.
struct PlanFleet {
  Fleet fleet;
  ModelId model = 0;
};
Result<PlanFleet> BuildFleet(const TrainArgs& a) {
  if (a.fleet.empty()) {
    // Built-in names are lower case; people type "H100" too.
    Result<Fleet> f = IdealFleet(a.gpu.empty() ? "h100" : Lowercase(a.gpu), a.gpus);
    if (!f.ok()) return Error{"--gpu-model: " + f.message()};
    return PlanFleet{std::move(f).value(), 0};
  }
  Result<Fleet> f = LoadAnyFleet(a.fleet);
  if (!f.ok()) return f.error();
  std::vector<std::string> models;
  for (const GpuModel& m : f.value().gpu_models()) models.push_back(m.name);
  ModelId model = 0;
  if (!a.gpu.empty()) {
    model = f.value().FindModel(a.gpu);  // in any case
    if (model == kAnyModel) {
      return Error{"--gpu-model: the fleet has no '" + a.gpu +
                   "' GPUs; it has: " + ListNames(models)};
    }
  } else if (models.size() != 1) {
    return Error{"the fleet has several GPU models (" + ListNames(models) +
                 "); choose one with --gpu-model"};
  }
  return PlanFleet{std::move(f).value(), model};
}

std::string Sci(double v, const char* unit) {
  char buf[48];
  const char* prefixes[] = {"", " K", " M", " B", " T", " Q"};  // thousand ... quadrillion
  int i = 0;
  while (std::abs(v) >= 1000 && i < 5) {
    v /= 1000;
    ++i;
  }
  std::snprintf(buf, sizeof buf, "%.3g%s%s", v, prefixes[i], unit);
  return buf;
}

nlohmann::ordered_json SpanJson(const GroupSpan& s) {
  return {{"tier", TierName(s.tier)},
          {"oversubscription", s.oversubscription},
          {"congestion", s.congestion}};
}

const char* FitName(MemoryFit fit) {
  return fit == MemoryFit::kFits ? "fits" : fit == MemoryFit::kTight ? "tight" : "does not fit";
}

// Per GPU of the first pipeline stage, in GiB; activations as the model's band (docs/MODELS.md,
// "Memory").
nlohmann::ordered_json MemoryJson(const TrainingJob& job, const TrainingPlan& p) {
  const TrainingMemory& m = p.memory;
  return {{"recompute", RecomputeName(p.recompute)},
          {"recompute_auto", job.recompute_auto},
          {"weights_gib", m.weights / kGiB},
          {"gradients_gib", m.gradients / kGiB},
          {"optimizer_gib", m.optimizer / kGiB},
          {"activations_gib", m.activations / kGiB},
          {"activations_fused_gib", m.activations_fused / kGiB},
          {"reserve_gib", m.reserve / kGiB},
          {"total_gib", m.Total() / kGiB},
          {"total_fused_gib", m.FusedTotal() / kGiB},
          {"hbm_gib", p.hbm_bytes / kGiB},
          {"fit", FitName(p.memory_fit)}};
}

nlohmann::ordered_json PlanJson(const TrainArgs& a, const TrainingJob& job, const GpuModel& gpu,
                                const TrainingPlan& p) {
  nlohmann::ordered_json j;
  j["model"] = job.model.name;
  j["parameters"] = job.model.parameters;
  j["gpu"] = gpu.name;
  j["gpus"] = a.gpus;
  j["nodes"] = p.nodes;
  j["parallelism"] = {{"tp", job.parallel.tp},
                      {"cp", job.parallel.cp},
                      {"pp", job.parallel.pp},
                      {"dp", job.parallel.dp},
                      {"micro_batch", job.micro_batch},
                      {"virtual_stages", job.virtual_stages},
                      {"micro_batches", p.step.micro_batches},
                      {"zero", job.zero}};
  j["global_batch_tokens"] = job.global_batch_tokens;
  j["implementation_efficiency"] = job.implementation_efficiency;
  j["attention"] = AttentionName(job.attention);
  j["placement"] = {{"tp", SpanJson(p.spans.tp)},        {"cp", SpanJson(p.spans.cp)},
                    {"pp", SpanJson(p.spans.pp)},        {"dp", SpanJson(p.spans.dp)},
                    {"dp_per_domain", p.spans.dp_local}, {"rate", p.ideal_step_s / p.step.step_s}};
  j["memory"] = MemoryJson(job, p);
  j["step_time_s"] = p.step.step_s;
  j["step"] = {{"compute_s", p.step.compute_s},
               {"gemm_s", p.step.gemm_s},
               {"attention_s", p.step.attention_s},
               {"elementwise_s", p.step.elementwise_s},
               {"bubble_s", p.step.bubble_s},
               {"tp_s", p.step.tp_s},
               {"cp_s", p.step.cp_s},
               {"pp_s", p.step.pp_s},
               {"dp_exposed_s", p.step.dp_s},
               {"dp_total_s", p.step.dp_total_s}};
  j["mfu"] = p.mfu;
  j["tokens_per_s"] = p.tokens_per_s;
  j["tokens"] = p.tokens;
  j["failure_free_days"] = p.failure_free_s / 86400;
  j["days"] = p.wall_s / 86400;
  j["gpu_hours"] = p.gpu_hours;
  j["it_power_mw"] = p.it_power_w / 1e6;
  j["energy_mwh"] = p.energy_mwh;
  j["facility_energy_mwh"] = p.facility_energy_mwh;
  j["cost_usd"] = p.cost_usd ? nlohmann::ordered_json(*p.cost_usd) : nullptr;
  // Infinite (nothing fails) is null.
  auto finite = [](double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nullptr; };
  j["mtbf_s"] = finite(p.mtbf_s);
  j["interruptions"] = p.interruptions;
  j["checkpoint_bytes"] = p.checkpoint_bytes;
  j["checkpoint_write_s"] = p.checkpoint_write_s;
  j["checkpoint_interval_s"] = finite(p.checkpoint_interval_s);
  j["ettr"] = p.ettr;
  return j;
}

// `node_type`: the ideal fleet's, to say what it is made of.
void PrintText(const TrainArgs& a, const TrainingJob& job, const GpuModel& gpu,
               const std::string& node_type, const TrainingPlan& p) {
  const TransformerModel& m = job.model;
  std::printf("%s: %.4gB parameters, %d layers, hidden %d, sequence %d, on %d %s\n", m.name.c_str(),
              m.parameters / 1e9, m.layers, m.hidden, m.seq_len, a.gpus, gpu.display.c_str());
  if (a.fleet.empty()) {
    std::printf("  fleet           ideal: %s nodes, non-blocking rail-optimised fabric, PUE %.2g\n",
                node_type.c_str(), kIdealDesignPue);
  } else {
    std::printf("  fleet           %s\n", a.fleet.c_str());
  }
  std::printf(
      "  parallelism     TP %d  CP %d  PP %d (%d chunk%s)  DP %d (ZeRO-%d); %.4g micro-batches of "
      "%d\n",
      job.parallel.tp, job.parallel.cp, job.parallel.pp, job.virtual_stages,
      job.virtual_stages == 1 ? "" : "s", job.parallel.dp, job.zero, p.step.micro_batches,
      job.micro_batch);
  auto span = [](const char* name, int degree, const GroupSpan& s) {
    std::printf(" %s %s", name, degree > 1 ? TierName(s.tier) : "-");
    if (s.oversubscription > 1 || s.congestion > 1) {
      std::printf(" (1:%g, congestion %.2f)", s.oversubscription, s.congestion);
    }
  };
  std::printf("  placement      ");
  span("TP", job.parallel.tp, p.spans.tp);
  span(" CP", job.parallel.cp, p.spans.cp);
  span(" PP", job.parallel.pp, p.spans.pp);
  span(" DP", job.parallel.dp, p.spans.dp);
  if (p.spans.dp_local > 1) std::printf(" (%d DP ranks per NVLink domain)", p.spans.dp_local);
  std::printf("; %d nodes; %.3f of the ideal placement's speed\n", p.nodes,
              p.ideal_step_s / p.step.step_s);
  std::printf(
      "  step time       %.3f s  (compute %.3f, bubble %.3f, TP %.3f, CP %.3f, PP %.3f, DP %.3f "
      "exposed of %.3f)\n",
      p.step.step_s, p.step.compute_s, p.step.bubble_s, p.step.tp_s, p.step.cp_s, p.step.pp_s,
      p.step.dp_s, p.step.dp_total_s);
  std::printf(
      "  compute         GEMMs %.3f s, %s attention %.3f s, element-wise %.3f s (model FLOPs "
      "at %.0f%% of peak while computing)\n",
      p.step.gemm_s, AttentionName(job.attention), p.step.attention_s, p.step.elementwise_s,
      100 * p.step.model_flops / job.parallel.Gpus() / p.peak_flops / p.step.compute_s);
  if (job.implementation_efficiency != 1) {
    std::printf(
        "  implementation  %.3g x the modelled stack's speed (every part of the step "
        "scaled; %s)\n",
        job.implementation_efficiency,
        a.implementation_efficiency > 0 ? "--implementation-efficiency" : "the model file");
  }
  const TrainingMemory& mem = p.memory;
  std::printf(
      "  memory          %.1f-%.1f GiB of %.0f GiB per GPU (weights %.1f, gradients %.1f, "
      "optimizer %.1f, activations %.1f-%.1f, CUDA and NCCL %.1f); recompute %s%s\n",
      mem.FusedTotal() / kGiB, mem.Total() / kGiB, p.hbm_bytes / kGiB, mem.weights / kGiB,
      mem.gradients / kGiB, mem.optimizer / kGiB, mem.activations_fused / kGiB,
      mem.activations / kGiB, mem.reserve / kGiB, RecomputeName(p.recompute),
      job.recompute_auto ? " (auto)" : "");
  if (p.memory_fit == MemoryFit::kTight) {
    std::printf(
        "  warning         fits only with fused, memory-saving kernels: Korthikanti's count of "
        "the activations needs %.1f GiB (docs/MODELS.md, \"Memory\")\n",
        mem.Total() / kGiB);
  }
  std::printf("  MFU             %.1f%%\n", 100 * p.mfu);
  std::printf("  tokens/s        %s\n", Sci(p.tokens_per_s, "").c_str());
  // Failures so frequent that little work survives between them (an MTBF near the restart
  // time) give a wall time of thousands of years, or none: say the run does not finish rather
  // than print a number of 200 digits.
  const bool finishes = std::isfinite(p.wall_s) && p.wall_s <= kLongestPlannedRunS;
  if (finishes) {
    std::printf("  training        %s tokens: %.1f days without failures, %.1f days with them\n",
                Sci(p.tokens, "").c_str(), p.failure_free_s / 86400, p.wall_s / 86400);
    std::printf("  GPU-hours       %s\n", Sci(p.gpu_hours, "").c_str());
    std::printf("  energy          IT %.0f MWh (%.2f MW), facility %.0f MWh\n", p.energy_mwh,
                p.it_power_w / 1e6, p.facility_energy_mwh);
  } else {
    std::printf(
        "  training        %s tokens: %.1f days without failures; with them it does not "
        "finish in 100 years (failures undo the work between them: ETTR %.3g)\n",
        Sci(p.tokens, "").c_str(), p.failure_free_s / 86400, p.ettr);
    std::printf("  GPU-hours       without end\n");
    std::printf("  energy          without end (%.2f MW of IT power)\n", p.it_power_w / 1e6);
  }
  if (p.cost_usd && !finishes) {
    std::printf("  electricity     without end\n");
  } else if (p.cost_usd) {
    std::printf("  electricity     $%s\n", Sci(*p.cost_usd, "").c_str());
  } else {
    std::printf("  electricity     no tariff given for the site\n");
  }
  if (std::isfinite(p.mtbf_s)) {
    const std::string interruptions =
        finishes ? Grouped(static_cast<std::int64_t>(p.interruptions + 0.5)) + " interruptions"
                 : std::string("interruptions without end");
    std::printf("  failures        MTBF %s (%d nodes x %.5f per node-day); %s\n",
                HumanSeconds(p.mtbf_s).c_str(), p.nodes, a.node_failure_rate,
                interruptions.c_str());
  } else {
    std::printf("  failures        none (--node-failure-rate 0)\n");
  }
  const std::string interval = std::isfinite(p.checkpoint_interval_s)
                                   ? "every " + HumanSeconds(p.checkpoint_interval_s) +
                                         (a.checkpoint_interval == "auto" ? " (Daly)" : " (fixed)")
                                   : std::string("none needed");
  std::printf("  checkpoints     %.4g GB written in %.1f s, %s, restart %s; ETTR %.3f\n",
              p.checkpoint_bytes / 1e9, p.checkpoint_write_s, interval.c_str(),
              HumanSeconds(ToSeconds(ParseDuration(a.restart_overhead).value())).c_str(), p.ettr);
}

// The plan as JSON (--json, and the record of the HTML page).
nlohmann::ordered_json PlanJson(const TrainArgs& a, const TrainingJob& job, const GpuModel& gpu,
                                const TrainingPlan& p);

// The same run with its data parallelism scaled by 1/16 ... 8 (TP, CP, PP and the global batch
// kept), each placed and planned as the command would: the figures people read to choose a
// size. Sizes the batch, the fleet or the model refuse are left out.
struct ScalingPoint {
  int gpus = 0;
  std::optional<double> days, failure_free_days, gpu_hours;
  double mfu = 0, ettr = 0;
};
std::vector<ScalingPoint> ScalingSweep(const TrainArgs& a, const TrainingJob& base,
                                       const ModelPreset& preset, double tokens,
                                       const FailureAssumptions& failures, const PlanFleet& fleet) {
  std::vector<ScalingPoint> points;
  const int per_replica = base.parallel.tp * base.parallel.cp * base.parallel.pp;
  for (int k = -4; k <= 3; ++k) {
    const int dp = k < 0 ? base.parallel.dp >> -k : base.parallel.dp << k;
    if (dp < 1 || (k < 0 && (dp << -k) != base.parallel.dp)) continue;
    if (static_cast<double>(dp) * per_replica > 1 << 24) continue;
    TrainArgs b = a;
    b.tp = base.parallel.tp;
    b.cp = base.parallel.cp;
    b.pp = base.parallel.pp;
    b.dp = dp;
    b.gpus = dp * per_replica;
    Result<TrainingJob> job = BuildJob(b, preset.job);
    if (!job.ok()) continue;
    // The ideal fleet is made for the job's size; a given fleet is the same for every size.
    Result<PlanFleet> ideal = a.fleet.empty() ? BuildFleet(b) : Result<PlanFleet>(Error{""});
    if (a.fleet.empty() && !ideal.ok()) continue;
    const PlanFleet& on = a.fleet.empty() ? ideal.value() : fleet;
    CapacityIndex index(on.fleet);
    std::optional<Allocation> allocation = index.Place(b.gpus, on.model, Level::kFleet);
    if (!allocation) continue;
    Result<TrainingPlan> plan = PlanTraining(on.fleet, *allocation, job.value(), tokens, failures);
    if (!plan.ok()) continue;
    const TrainingPlan& p = plan.value();
    ScalingPoint point;
    point.gpus = b.gpus;
    const bool finishes = std::isfinite(p.wall_s) && p.wall_s <= kLongestPlannedRunS;
    if (finishes) {
      point.days = p.wall_s / 86400;
      point.gpu_hours = p.gpu_hours;
    }
    point.failure_free_days = p.failure_free_s / 86400;
    point.mfu = p.mfu;
    point.ettr = p.ettr;
    points.push_back(point);
  }
  return points;
}

// The page of --html: the inputs, the plan's figures, where a step's time goes, the run at other
// sizes, and ETTR against the checkpoint interval.
FiguresPage PlanPage(const TrainArgs& a, const TrainingJob& job, const GpuModel& gpu,
                     const TrainingPlan& p, double restart_s,
                     const std::vector<ScalingPoint>& sizes) {
  std::string command =
      "gpufleet plan train --model " + a.model + " --gpus " + std::to_string(a.gpus);
  if (!a.fleet.empty()) command += " --fleet " + a.fleet;
  if (!a.gpu.empty()) command += " --gpu-model " + a.gpu;
  FiguresPage page(
      "Training plan: " + job.model.name + " on " + Grouped(a.gpus) + " " + gpu.display, command);
  using ojson = nlohmann::ordered_json;
  const bool finishes = std::isfinite(p.wall_s) && p.wall_s <= kLongestPlannedRunS;
  auto finite_if = [finishes](double v) { return finishes ? ojson(v) : ojson(nullptr); };
  page.Figures(
      "inputs", "The run",
      {{"model", job.model.name},
       {"parameters (B)", job.model.parameters / 1e9},
       {"GPU", gpu.display},
       {"GPUs", a.gpus},
       {"nodes", p.nodes},
       {"fleet",
        a.fleet.empty() ? std::string("ideal (non-blocking rail-optimised fabric)") : a.fleet},
       {"parallelism",
        "TP " + std::to_string(job.parallel.tp) + ", CP " + std::to_string(job.parallel.cp) +
            ", PP " + std::to_string(job.parallel.pp) + ", DP " + std::to_string(job.parallel.dp)},
       {"micro-batches per step", p.step.micro_batches},
       {"global batch (tokens)", job.global_batch_tokens},
       {"implementation efficiency", job.implementation_efficiency},
       {"tokens to train on", p.tokens}});
  page.Figures("plan", "The plan",
               {{"step time (s)", p.step.step_s},
                {"MFU", p.mfu},
                {"tokens/s", p.tokens_per_s},
                {"days without failures", p.failure_free_s / 86400},
                {"days", finite_if(p.wall_s / 86400)},
                {"GPU-hours", finite_if(p.gpu_hours)},
                {"IT power (MW)", p.it_power_w / 1e6},
                {"IT energy (MWh)", finite_if(p.energy_mwh)},
                {"facility energy (MWh)", finite_if(p.facility_energy_mwh)},
                {"electricity (USD)", p.cost_usd && finishes ? ojson(*p.cost_usd) : ojson(nullptr)},
                {"MTBF of the job (s)", p.mtbf_s},
                {"interruptions", finite_if(p.interruptions)},
                {"checkpoint (GB)", p.checkpoint_bytes / 1e9},
                {"checkpoint write (s)", p.checkpoint_write_s},
                {"checkpoint interval (s)", p.checkpoint_interval_s},
                {"ETTR", p.ettr},
                {"memory per GPU, fused kernels (GiB)", p.memory.FusedTotal() / kGiB},
                {"memory per GPU, Korthikanti's count (GiB)", p.memory.Total() / kGiB},
                {"HBM per GPU (GiB)", p.hbm_bytes / kGiB},
                {"recompute", RecomputeName(p.recompute)}});
  const double step = p.step.step_s;
  auto share = [step](double s) { return step > 0 ? ojson(s / step) : ojson(nullptr); };
  page.Table("step", "Where a step's time goes", {"part", "seconds", "share of the step"},
             {{"compute", p.step.compute_s, share(p.step.compute_s)},
              {"pipeline bubble", p.step.bubble_s, share(p.step.bubble_s)},
              {"tensor-parallel communication", p.step.tp_s, share(p.step.tp_s)},
              {"context-parallel communication", p.step.cp_s, share(p.step.cp_s)},
              {"pipeline sends", p.step.pp_s, share(p.step.pp_s)},
              {"data-parallel communication, exposed", p.step.dp_s, share(p.step.dp_s)},
              {"(data-parallel communication in all)", p.step.dp_total_s, share(p.step.dp_total_s)},
              {"step", step, 1.0}});
  if (sizes.size() >= 2) {
    FiguresPage::Plot days;
    days.id = "days-by-gpus";
    days.title = "Days to train at other sizes (data parallelism scaled)";
    days.unit = "days";
    days.x_label = "GPUs (log scale)";
    days.x_name = "GPUs";
    days.log_x = true;
    FiguresPage::Plot efficiency = days;
    days.unit = "days (log scale)";
    days.log_y = true;
    efficiency.id = "mfu-by-gpus";
    efficiency.title = "MFU and ETTR at other sizes";
    efficiency.unit = "fraction";
    FiguresPage::Line with{"days", {}, false}, without{"days without failures", {}, true};
    FiguresPage::Line mfu{"MFU", {}, false}, ettr{"ETTR", {}, true};
    for (const ScalingPoint& s : sizes) {
      days.x.push_back(s.gpus);
      efficiency.x.push_back(s.gpus);
      with.values.push_back(s.days);
      without.values.push_back(s.failure_free_days);
      mfu.values.push_back(s.mfu);
      ettr.values.push_back(s.ettr);
    }
    days.lines = {with, without};
    efficiency.lines = {mfu, ettr};
    page.AddPlot(std::move(days));
    page.AddPlot(std::move(efficiency));
  }
  if (std::isfinite(p.mtbf_s)) {
    page.AddPlot(EttrAgainstInterval(p.checkpoint_write_s, restart_s, p.mtbf_s));
  } else {
    page.Note("Nothing fails (--node-failure-rate 0): no checkpoint interval to choose.");
  }
  page.Record(PlanJson(a, job, gpu, p));
  return page;
}

int RunTrain(const TrainArgs& a) {
  if (!a.html.empty() && !HtmlPagesPossible(kCommand)) return kExitFailure;
  if (a.gpus < 1) return BadInput("--gpus: expected a positive number of GPUs");
  Result<ModelPreset> preset = ResolveModel(a.model);
  if (!preset.ok()) return BadInput(preset.message());
  if (a.sweep) {
    if (!a.html.empty() || a.dp > 0)
      return BadInput("--sweep chooses DP and prints no page: drop --dp and --html");
    Result<TrainingJob> base = WithOverrides(a, preset.value().job);
    if (!base.ok()) return BadInput(base.message());
    Result<PlanFleet> fleet = BuildFleet(a);
    if (!fleet.ok()) return BadInput(fleet.message());
    CapacityIndex index(fleet.value().fleet);
    std::optional<Allocation> allocation = index.Place(a.gpus, fleet.value().model, Level::kFleet);
    if (!allocation) return BadInput("the fleet cannot place " + std::to_string(a.gpus) + " GPUs");
    return PrintSweep(fleet.value().fleet, *allocation, base.value(), SweepOf(a));
  }
  Result<TrainingJob> job = BuildJob(a, preset.value().job);
  if (!job.ok()) return BadInput(job.message());
  Result<FailureAssumptions> failures = BuildFailures(a);
  if (!failures.ok()) return BadInput(failures.message());
  double tokens = job.value().model.training_tokens;
  if (!a.tokens.empty()) {
    std::optional<double> t = ParseCount(a.tokens);
    if (!t || *t > kMaxTokens) {
      return BadInput(
          "--tokens: expected a positive count such as 15.6T or 300B, at most 1000T, "
          "got '" +
          a.tokens + "'");
    }
    tokens = *t;
  }
  if (!(tokens > 0)) return BadInput("--tokens is required: the model gives no training tokens");

  Result<PlanFleet> fleet = BuildFleet(a);
  if (!fleet.ok()) return BadInput(fleet.message());
  const Fleet& f = fleet.value().fleet;
  const ModelId model = fleet.value().model;
  CapacityIndex index(f);
  // The scheduler's placement: best fit in the smallest subtree that holds the gang.
  std::optional<Allocation> allocation = index.Place(a.gpus, model, Level::kFleet);
  if (!allocation) {
    return BadInput("the fleet cannot place " + std::to_string(a.gpus) + " " +
                    f.gpu_models()[static_cast<size_t>(model)].name + " GPUs (it has " +
                    std::to_string(index.Capacity(Level::kFleet, model)) + ")");
  }
  Result<TrainingPlan> plan = PlanTraining(f, *allocation, job.value(), tokens, failures.value());
  if (!plan.ok()) return BadInput(plan.message());
  const GpuModel& gpu = f.gpu_models()[static_cast<size_t>(model)];
  if (!a.html.empty()) {
    const std::vector<ScalingPoint> sizes =
        ScalingSweep(a, job.value(), preset.value(), tokens, failures.value(), fleet.value());
    if (!WriteFiguresPage(
            a.html, PlanPage(a, job.value(), gpu, plan.value(), failures.value().restart_s, sizes),
            kCommand))
      return kExitFailure;
    if (a.html == "-") return kExitOk;
  }
  if (a.json) {
    std::cout << PlanJson(a, job.value(), gpu, plan.value()).dump(2) << "\n";
  } else {
    const NodeId first = allocation->nodes.front().node;
    PrintText(a, job.value(), gpu, f.node_types()[static_cast<size_t>(f.NodeTypeOf(first))].name,
              plan.value());
  }
  return kExitOk;
}

}  // namespace

Runner AddPlanTrainCommand(CLI::App* plan) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* t = plan->add_subcommand(
      "train",
      "A training run on its placement: step time (compute, pipeline bubble, exposed TP/CP/PP/DP\n"
      "communication on the network tiers the placement spans), MFU, tokens/s, days, GPU-hours,\n"
      "IT and facility energy, electricity cost, expected interruptions, the checkpoint interval\n"
      "and the effective training time ratio (docs/MODELS.md).");
  t->add_option("--fleet", args->fleet,
                "Fleet spec to place the job on with the scheduler's placement (default: an ideal\n"
                "fleet of --gpu-model in 8-GPU nodes on a non-blocking rail-optimised fabric).");
  t->add_option("--model", args->model,
                "Built-in model (" + PresetNames() + ") or a model file (YAML, docs/MODELS.md).")
      ->required();
  t->add_option("--gpus", args->gpus, "GPUs of the job.")->required()->check(PositiveCount());
  t->add_option("--gpu-model,--gpu", args->gpu,
                "GPU model, in any case (default: the fleet's only model; h100 without --fleet;\n"
                "--gpu: the old name).");
  t->add_option("--tp", args->tp, "Tensor-parallel degree (default: the model's).")
      ->check(PositiveCount());
  t->add_option("--pp", args->pp, "Pipeline-parallel degree (default: the model's).")
      ->check(PositiveCount());
  t->add_option("--dp", args->dp, "Data-parallel degree (default: GPUs / (TP x CP x PP)).")
      ->check(PositiveCount());
  t->add_option("--cp", args->cp, "Context-parallel degree (default: the model's).")
      ->check(PositiveCount());
  t->add_option("--seq", args->seq, "Sequence length in tokens (default: the model's).")
      ->check(PositiveCount());
  t->add_option("--global-batch-tokens", args->global_batch_tokens,
                "Tokens per step, e.g. 16M, at most 1T (default: the model's).");
  t->add_option("--tokens", args->tokens,
                "Tokens to train on, e.g. 15.6T or 300B, at most 1000T (default: the model's\n"
                "published run).");
  t->add_option("--checkpoint-interval", args->checkpoint_interval,
                "auto (Daly's optimum for the job's MTBF) or a duration such as 30m.")
      ->capture_default_str();
  t->add_option("--restart-overhead", args->restart_overhead,
                "Time from a failure to training again (detection, restart, load).")
      ->capture_default_str();
  t->add_option("--node-failure-rate", args->node_failure_rate,
                "Interruptions per node-day, from 0 to 10 (default: Llama 3, 419 / (2,048 nodes x "
                "54 days)).")
      ->capture_default_str()
      ->check(RealIn(0, kMaxNodeFailureRate));
  t->add_option("--implementation-efficiency", args->implementation_efficiency,
                "How fast your training stack runs against the modelled one, above 0 and at most\n"
                "2: every part of the step takes 1 / this as long (default: the model file's\n"
                "implementation_efficiency, else 1). Say what you know, e.g. 0.8 for a stack\n"
                "measured 20% slower than Megatron-LM (docs/MODELS.md).")
      ->check(RealIn(0, kMaxImplementationEfficiency, true));
  t->add_option("--recompute", args->recompute,
                "Activation recomputation: none, selective, full, or auto - the least that fits\n"
                "the GPU's memory (default: the model's).")
      ->check(CLI::IsMember({"none", "selective", "full", "auto"}));
  t->add_option("--attention", args->attention,
                "Attention kernels: flash (FlashAttention, every current stack) or unfused (the\n"
                "scores, softmax and dropout in HBM, Megatron-LM before 2023) (default: the\n"
                "model file's attention, else flash).")
      ->check(CLI::IsMember({"flash", "unfused"}));
  t->add_option("--zero", args->zero,
                "ZeRO stage of the data parallelism: 0 (gradients all-reduced), 1 (optimizer\n"
                "state sharded, Megatron's distributed optimizer), 2 (and gradients), 3 (and\n"
                "parameters: FSDP full-shard) (default: the model file's zero, else 1).")
      ->check(CLI::Range(0, kMaxZeroStage));
  t->add_flag("--sweep", args->sweep,
              "Plan every configuration instead - TP, CP, PP, interleaved chunks, ZeRO stage,\n"
              "micro-batch and recomputation (those given on the command line stay fixed) - on\n"
              "the same placement, and print the fastest that fit (docs/MODELS.md, \"Sweeps\").");
  t->add_option("--top", args->top, "With --sweep: how many configurations to print.")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  t->add_flag("--json", args->json,
              "JSON: step_time_s, mfu, tokens_per_s, days, gpu_hours, energy_mwh,\n"
              "facility_energy_mwh, cost_usd, interruptions, checkpoint_interval_s, ettr, ...");
  t->add_option("--html", args->html,
                "Also write one self-contained HTML page: the plan, where a step's time goes, the\n"
                "run at other sizes (DP scaled by 1/16 to 8) and ETTR against the checkpoint\n"
                "interval. '-': standard output.");
  t->footer(
      "Example:\n  gpufleet plan train --model llama3-405b --gpus 16384\n"
      "  gpufleet plan train --fleet examples/fleets/stargate-abilene.yaml --model gpt3-175b "
      "--gpus 4096 --json");
  return [args] { return RunTrain(*args); };
}

}  // namespace gpufleet::cli
