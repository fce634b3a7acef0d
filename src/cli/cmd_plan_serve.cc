// gpufleet plan serve: how many replicas a model's service needs to meet its SLO under a request
// trace or a steady Poisson load (docs/MODELS.md, "Serving").
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_arg.h"
#include "cli/plan_serve_common.h"
#include "cli/plan_serve_workload.h"
#include "cli/validators.h"
#include "model/catalog.h"
#include "physics/power.h"
#include "physics/serving_service.h"
#include "physics/training_memory.h"
#include "report/report.h"
#include "trace/azure_llm.h"
#include "trace/service_jobs.h"
#include "util/duration.h"
#include "util/text.h"
#include "workload/serving_demand.h"

namespace gpufleet::cli {
namespace {

constexpr const char* kCommand = "gpufleet plan serve: ";
// As a service's gpus_per_replica: GB200 NVL72's NVLink domain is the largest.
constexpr int kMaxTp = 72;
// The largest power of two the fewest-GPUs search tries.
constexpr int kMaxPowerOfTwoTp = 64;
// The largest TP the search tries: an 8-GPU server's NVLink domain.
constexpr int kMaxSearchedTp = 8;
constexpr double kMaxRate = 1e6;  // requests per second
constexpr int kMaxReplicas = 100'000;

struct ServeArgs {
  std::string model, gpu = "h100", precision = "fp8", kv_precision;
  int tp = 0;        // 0: the fewest GPUs (a power of two) that hold the model and its requests
  int replicas = 0;  // 0: the fewest meeting the SLO
  int max_replicas = 4096;
  std::string trace;  // azure-llm:FILE
  double rate_scale = 1;
  double rate = 0;          // requests/s of the generated demand (its peak when diurnal)
  double trough_rate = -1;  // below 0: steady
  std::string period = "1d", peak_at = "14h";
  int prompt_tokens = 1000, output_tokens = 200;
  std::string duration;  // of the demand; empty: the whole trace (the generator needs it)
  std::uint64_t seed = 1;
  std::string slo_ttft = "2s", slo_tpot = "50ms";
  double slo_percentile = 99;
  int max_batch = 256, max_tokens_per_pass = 8192;
  bool json = false;
};

int BadInput(const std::string& message) {
  std::cerr << kCommand << message << "\n";
  return kExitBadInput;
}

// The requests: the trace's, or Poisson arrivals of fixed-size requests.
Result<std::vector<ServingRequest>> Demand(const ServeArgs& a, double duration_s) {
  if (!a.trace.empty()) {
    constexpr std::string_view kPrefix = "azure-llm:";
    if (a.trace.rfind(kPrefix, 0) != 0) {
      return Error{"--trace: expected azure-llm:FILE (the Azure LLM inference trace's CSV), got '" +
                   a.trace + "'"};
    }
    return LoadAzureLlmTrace(a.trace.substr(kPrefix.size()), {a.rate_scale, duration_s});
  }
  if (a.rate <= 0)
    return Error{"give the demand: --trace azure-llm:FILE, or --rate with --duration"};
  if (duration_s <= 0) return Error{"--rate needs --duration (how long the load lasts)"};
  if (a.rate * duration_s > kMaxServiceRequests) {
    return Error{"--rate x --duration: at most 20M requests, got " +
                 Grouped(std::llround(a.rate * duration_s))};
  }
  RequestRate rate{a.rate, a.rate};
  if (a.trough_rate >= 0) {
    if (a.trough_rate > a.rate) return Error{"--trough-rate: above --rate (the peak)"};
    rate.trough_rps = a.trough_rate;
    Result<double> period = FlagSeconds(a.period, "--period");
    if (!period.ok()) return period.error();
    rate.period_s = period.value();
    Result<SimTime> peak_at = ParseDuration(a.peak_at);
    if (!peak_at.ok() || peak_at.value() < 0) {
      return Error{"--peak-at: " +
                   (peak_at.ok() ? "expected a duration of at least 0, got '" + a.peak_at + "'"
                                 : peak_at.message())};
    }
    rate.peak_at_s = ToSeconds(peak_at.value());
  }
  Rng rng(a.seed);
  return PoissonRequests(rate, duration_s, Distribution::Fixed(a.prompt_tokens),
                         Distribution::Fixed(a.output_tokens), rng);
}

// The replica: the given TP, or the smallest power of two up to 64 that holds the weights with
// room for the largest request's KV cache.
Result<ReplicaModel> Replica(const ServeArgs& a, const ServedModel& served, const GpuModel& gpu,
                             std::int64_t largest) {
  if (a.tp > 0) return ReplicaModel::Make(served, gpu, a.tp, largest);
  Result<ReplicaModel> last = Error{"no TP tried"};
  for (int tp = 1; tp <= kMaxPowerOfTwoTp; tp *= 2) {
    last = ReplicaModel::Make(served, gpu, tp, largest);
    if (last.ok()) return last;
  }
  return last;
}

int RunPlanServe(const ServeArgs& a) {
  Result<ModelPreset> preset = ResolveModel(a.model);
  if (!preset.ok()) return BadInput(preset.message());
  const GpuModel* gpu = FindGpuModel(Lowercase(a.gpu));
  if (gpu == nullptr) return BadInput("--gpu-model: unknown GPU model '" + a.gpu + "'");
  ServedModel served;
  served.model = preset.value().job.model;
  served.weights = *ParseServingPrecision(a.precision);
  served.kv_cache = *ParseServingPrecision(a.kv_precision.empty() ? a.precision : a.kv_precision);
  Result<double> ttft = FlagSeconds(a.slo_ttft, "--slo-ttft");
  if (!ttft.ok()) return BadInput(ttft.message());
  Result<double> tpot = FlagSeconds(a.slo_tpot, "--slo-tpot");
  if (!tpot.ok()) return BadInput(tpot.message());
  double duration_s = 0;
  if (!a.duration.empty()) {
    Result<double> d = FlagSeconds(a.duration, "--duration");
    if (!d.ok()) return BadInput(d.message());
    duration_s = d.value();
  }
  Result<std::vector<ServingRequest>> demand = Demand(a, duration_s);
  if (!demand.ok()) return BadInput(demand.message());
  const std::vector<ServingRequest>& requests = demand.value();
  if (requests.empty()) {
    return BadInput(a.trace.empty() ? "the demand holds no request: raise --rate or --duration"
                                    : a.trace + ": the trace holds no request" +
                                          (a.duration.empty() ? "" : " within --duration"));
  }
  if (a.max_tokens_per_pass < a.max_batch) {
    return BadInput("--max-tokens-per-pass: at least --max-batch (" + std::to_string(a.max_batch) +
                    "), so that the decodes of a full batch share one pass; got " +
                    std::to_string(a.max_tokens_per_pass));
  }
  const std::int64_t largest = LargestRequestTokens(requests);
  const ServiceLevel slo{ttft.value(), tpot.value(), a.slo_percentile};
  const BatchingLimits limits{a.max_batch, a.max_tokens_per_pass};
  Result<ReplicaModel> replica = Replica(a, served, *gpu, largest);
  if (!replica.ok()) return BadInput(replica.message());
  Result<ServiceRun> run =
      a.replicas > 0
          ? ServeOnReplicas(replica.value(), limits, a.replicas, requests, slo)
          : FewestReplicasMeeting(replica.value(), limits, requests, slo, a.max_replicas);
  if (a.tp == 0 && a.replicas == 0) {
    // Neither given: every larger TP up to kMaxSearchedTp competes on the GPUs it needs (ties to
    // the smaller TP); a larger replica batches more but pays all-reduces.
    for (int tp = replica.value().tp() * 2; tp <= kMaxSearchedTp; tp *= 2) {
      Result<ReplicaModel> other = ReplicaModel::Make(served, *gpu, tp, largest);
      if (!other.ok()) continue;
      Result<ServiceRun> other_run =
          FewestReplicasMeeting(other.value(), limits, requests, slo, a.max_replicas);
      if (!other_run.ok()) continue;
      if (!run.ok() ||
          other_run.value().replicas * tp < run.value().replicas * replica.value().tp()) {
        replica = std::move(other);
        run = std::move(other_run);
      }
    }
  }
  if (!run.ok()) {
    std::cerr << kCommand << run.message() << "\n";
    return run.code() == ErrorCode::kUnsatisfiable ? kExitFailure : kExitBadInput;
  }
  const ServiceRun& v = run.value();
  const ReplicaModel& r = replica.value();
  const double energy_j = ServiceItEnergyOnBuiltinServerJ(v, r.tp(), *gpu);
  const double joules_per_token = v.output_tokens > 0 ? energy_j / double(v.output_tokens) : 0;
  const int gpus = v.replicas * r.tp();
  const double tokens_s = v.span_s > 0 ? double(v.output_tokens) / v.span_s : 0;
  const double busy = v.span_s > 0 ? v.busy_s / (v.span_s * v.replicas) : 0;
  if (a.json) {
    nlohmann::ordered_json j;
    j["model"] = served.model.name;
    j["gpu_model"] = gpu->name;
    j["precision"] = ServingPrecisionName(served.weights);
    j["kv_precision"] = ServingPrecisionName(served.kv_cache);
    j["tp"] = r.tp();
    j["weight_gib_per_gpu"] = r.weight_bytes_per_gpu() / kGiB;
    j["kv_capacity_tokens"] = r.kv_capacity_tokens();
    j["requests"] = v.requests;
    j["prompt_tokens"] = v.prompt_tokens;
    j["output_tokens"] = v.output_tokens;
    j["span_s"] = v.span_s;
    j["arrival_window_s"] = v.arrival_window_s;
    j["replicas"] = v.replicas;
    j["replicas_searched"] = a.replicas == 0;
    j["gpus"] = gpus;
    j["slo"] = {{"ttft_s", slo.ttft_s}, {"tpot_s", slo.tpot_s}, {"percentile", slo.percentile}};
    j["slo_met"] = v.slo_met;
    j["attainment"] = v.attainment;
    j["ttft"] = LatencyJson(v.ttft, false);
    j["tpot"] = LatencyJson(v.tpot, false);
    j["output_tokens_per_s"] = tokens_s;
    j["output_tokens_per_s_per_gpu"] = gpus > 0 ? tokens_s / gpus : 0;
    j["busy_fraction"] = busy;
    j["peak_batch"] = v.peak_batch;
    if (energy_j > 0) {  // a GPU without a built-in server has no power model here
      j["it_energy_kwh"] = energy_j / 3.6e6;
      j["it_joules_per_output_token"] = joules_per_token;
    }
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("gpufleet plan serve: %s (%s, KV cache %s) on %s, TP %d\n", served.model.name.c_str(),
              ServingPrecisionName(served.weights), ServingPrecisionName(served.kv_cache),
              gpu->display.c_str(), r.tp());
  std::printf("  replica      %.1f GiB of weights per GPU; KV cache for %s tokens\n",
              r.weight_bytes_per_gpu() / kGiB, Grouped(r.kv_capacity_tokens()).c_str());
  std::printf(
      "  demand       %s over %s (%.1f/s), prompts %.0f and outputs %.0f tokens on average\n",
      Counted(v.requests, "request").c_str(), HumanSeconds(v.arrival_window_s).c_str(),
      v.arrival_window_s > 0 ? double(v.requests) / v.arrival_window_s : 0,
      double(v.prompt_tokens) / double(v.requests), double(v.output_tokens) / double(v.requests));
  std::printf("  replicas     %d (%s)%s\n", v.replicas, Counted(gpus, "GPU").c_str(),
              a.replicas > 0 ? ""
              : a.tp > 0     ? ": the fewest that meet the SLO"
                             : ": the fewest GPUs that meet the SLO, over TP up to 8");
  std::printf("  SLO          p%g TTFT <= %s and TPOT <= %s: %s; %.1f%% of requests met both\n",
              slo.percentile, a.slo_ttft.c_str(), a.slo_tpot.c_str(), v.slo_met ? "met" : "MISSED",
              100 * v.attainment);
  auto line = [](const char* name, const LatencySummary& s, double scale, const char* unit) {
    std::printf("  %-12s p50 %.1f %s   p90 %.1f %s   p99 %.1f %s   max %.1f %s\n", name,
                s.p50 * scale, unit, s.p90 * scale, unit, s.p99 * scale, unit, s.max * scale, unit);
  };
  line("TTFT", v.ttft, 1000, "ms");
  line("TPOT", v.tpot, 1000, "ms");
  std::printf("  throughput   %s output tokens/s, %s per GPU; replicas busy %.0f%% of the time\n",
              Grouped(std::llround(tokens_s)).c_str(),
              Grouped(std::llround(gpus > 0 ? tokens_s / gpus : 0)).c_str(), 100 * busy);
  if (energy_j > 0) {
    std::printf(
        "  energy       %.1f kWh IT over the span, %.2f J per output token (GPUs at their\n"
        "               busy draw in every pass: an upper bound for decode)\n",
        energy_j / 3.6e6, joules_per_token);
  }
  return kExitOk;
}

}  // namespace

Runner AddPlanServeCommand(CLI::App* plan) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* s = plan->add_subcommand(
      "serve",
      "An inference service: the replicas a model needs to meet its latency SLO under a request\n"
      "trace or a steady load, each replica timed pass by pass with continuous batching (prefill\n"
      "bound by compute, decode by HBM bandwidth, the batch by KV-cache memory), requests routed\n"
      "to the least loaded replica (docs/MODELS.md, \"Serving\").");
  auto workload = std::make_shared<ServeWorkloadArgs>();
  CLI::Option* from_workload =
      s->add_option("--workload", workload->workload,
                    "Size every service of this workload spec instead (its 'services', docs/\n"
                    "SPEC.md): each within its replicas' min and max, under its own demand, with\n"
                    "--duration, --seed, --service and --json; the other options are refused.");
  CLI::Option* service = s->add_option("--service", workload->service,
                                       "With --workload: only the service of this name.");
  service->needs(from_workload);
  std::vector<CLI::Option*> flags_only;
  flags_only.push_back(s->add_option(
      "--model", args->model,
      "Built-in model (" + PresetNames() + ") or a model file (YAML, docs/MODELS.md)."));
  flags_only.push_back(s->add_option("--gpu-model,--gpu", args->gpu, "GPU model, in any case.")
                           ->capture_default_str());
  flags_only.push_back(
      s->add_option(
           "--tp", args->tp,
           "GPUs per replica (tensor parallelism in one NVLink domain). Default: with\n"
           "--replicas, the fewest (a power of two) that hold the weights and the largest\n"
           "request's KV cache; without, the TP up to 8 whose replicas meet the SLO with\n"
           "the fewest GPUs.")
          ->check(CLI::Range(1, kMaxTp)));
  flags_only.push_back(
      s->add_option("--precision", args->precision, "Weights and GEMMs: fp8 or bf16.")
          ->capture_default_str()
          ->check(CLI::IsMember({"fp8", "bf16"})));
  flags_only.push_back(s->add_option("--kv-precision", args->kv_precision,
                                     "KV cache: fp8 or bf16 (default: as --precision).")
                           ->check(CLI::IsMember({"fp8", "bf16"})));
  CLI::Option* trace =
      s->add_option("--trace", args->trace,
                    "Demand from a request trace: azure-llm:FILE (the Azure LLM inference trace's\n"
                    "CSV: TIMESTAMP,ContextTokens,GeneratedTokens).");
  CLI::Option* rate_scale =
      s->add_option("--rate-scale", args->rate_scale,
                    "The trace's arrivals this many times as fast, above 0 and at most 1e6.")
          ->capture_default_str()
          ->check(RealIn(0, 1e6, true));
  CLI::Option* rate =
      s->add_option("--rate", args->rate,
                    "Without --trace: Poisson arrivals at this many requests per second (with\n"
                    "--duration, --prompt-tokens and --output-tokens).")
          ->check(RealIn(0, kMaxRate, true));
  CLI::Option* trough =
      s->add_option(
           "--trough-rate", args->trough_rate,
           "With --rate: a daily rhythm, the rate a cosine from this trough to --rate at its\n"
           "peak (default: a steady --rate).")
          ->check(RealIn(0, kMaxRate));
  CLI::Option* period =
      s->add_option("--period", args->period, "The rhythm's period.")->capture_default_str();
  CLI::Option* peak_at =
      s->add_option("--peak-at", args->peak_at, "When in the period the peak comes.")
          ->capture_default_str();
  CLI::Option* prompt =
      s->add_option("--prompt-tokens", args->prompt_tokens, "Prompt of each generated request.")
          ->capture_default_str()
          ->check(PositiveCount());
  CLI::Option* output =
      s->add_option("--output-tokens", args->output_tokens, "Output of each generated request.")
          ->capture_default_str()
          ->check(PositiveCount());
  s->add_option("--duration", args->duration,
                "How long the demand lasts, e.g. 10m (the trace: its first part; default the whole "
                "trace).");
  CLI::Option* seed = s->add_option("--seed", args->seed, "Seed of the generated arrivals.")
                          ->capture_default_str()
                          ->check(Seed());
  CLI::Option* replicas =
      s->add_option("--replicas", args->replicas,
                    "Serve on this many replicas, at most 100,000 (default: search the fewest\n"
                    "that meet the SLO).")
          ->check(CLI::Range(1, kMaxReplicas));
  CLI::Option* max_replicas =
      s->add_option("--max-replicas", args->max_replicas, "The search's limit, at most 100,000.")
          ->capture_default_str()
          ->check(CLI::Range(1, kMaxReplicas));
  flags_only.push_back(s->add_option("--slo-ttft", args->slo_ttft, "Target time to first token.")
                           ->capture_default_str());
  flags_only.push_back(s->add_option("--slo-tpot", args->slo_tpot, "Target time per output token.")
                           ->capture_default_str());
  flags_only.push_back(
      s->add_option("--slo-percentile", args->slo_percentile,
                    "The percentile both targets apply to, above 0 and at most 100.")
          ->capture_default_str()
          ->check(RealIn(0, 100, true)));
  flags_only.push_back(
      s->add_option("--max-batch", args->max_batch, "Sequences in one pass of a replica.")
          ->capture_default_str()
          ->check(PositiveCount()));
  flags_only.push_back(
      s->add_option("--max-tokens-per-pass", args->max_tokens_per_pass,
                    "Tokens one pass computes; longer prompts are prefilled in chunks.")
          ->capture_default_str()
          ->check(PositiveCount()));
  // Options of one kind of demand only: none is ever silently ignored.
  trace->excludes(rate);
  rate_scale->needs(trace);
  for (CLI::Option* o : {trough, prompt, output}) o->needs(rate);
  for (CLI::Option* o :
       {trace, rate_scale, rate, trough, period, peak_at, prompt, output, replicas, max_replicas})
    flags_only.push_back(o);
  // A workload's services bring their own model, GPUs, SLO and demand.
  for (CLI::Option* o : flags_only) o->excludes(from_workload);
  period->needs(trough);
  peak_at->needs(trough);
  replicas->excludes(max_replicas);
  s->add_flag("--json", args->json,
              "JSON: replicas, gpus, slo_met, attainment, ttft and tpot percentiles, "
              "throughput (docs/MODELS.md).");
  s->footer(
      "Examples:\n"
      "  gpufleet plan serve --model llama3-70b --gpu h100 --rate 20 --duration 10m\n"
      "  gpufleet plan serve --model llama3-70b --rate 40 --trough-rate 8 --duration 1d\n"
      "  gpufleet plan serve --model llama3-70b --trace "
      "azure-llm:AzureLLMInferenceTrace_conv.csv \\\n"
      "      --rate-scale 10 --duration 10m --slo-ttft 2s --slo-tpot 50ms\n"
      "  gpufleet plan serve --workload examples/workloads/serving.yaml --duration 1h");
  return [args, workload, seed, service, from_workload]() -> int {
    if (!from_workload->empty()) {
      workload->duration = args->duration;
      workload->seed = args->seed;
      workload->seed_given = !seed->empty();
      workload->service_given = !service->empty();
      workload->json = args->json;
      return RunPlanServeWorkload(*workload);
    }
    if (args->model.empty()) {
      std::cerr << kCommand << "give --model (or --workload with services)\n";
      return kExitBadInput;
    }
    if (!seed->empty() && args->rate <= 0) {
      std::cerr << kCommand << "--seed: only for generated demand (--rate) or --workload\n";
      return kExitBadInput;
    }
    return RunPlanServe(*args);
  };
}

}  // namespace gpufleet::cli
