#include "cli/plan_serve_workload.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli/commands.h"
#include "cli/plan_serve_common.h"
#include "model/catalog.h"
#include "physics/serving_autoscale.h"
#include "physics/serving_service.h"
#include "report/report.h"
#include "spec/specs.h"
#include "trace/service_jobs.h"
#include "util/duration.h"
#include "util/fingerprint.h"
#include "util/text.h"
#include "workload/serving_demand.h"

namespace gpufleet::cli {
namespace {

constexpr const char* kCommand = "gpufleet plan serve: ";

// One service's answer: its run at the replicas chosen, or why no count within its limits meets
// its SLO.
struct Sized {
  const ServiceSpec* service = nullptr;
  int tp = 0;
  std::int64_t requests = 0;
  std::optional<ServiceRun> run;
  std::string unmet;  // the search's reason when no count within max_replicas meets the SLO
  double energy_j = 0;
  // The same demand with replicas that follow it within the same limits, from the fixed count.
  AutoscaledRun autoscaled;
  double load_s = 0;
  double target_outstanding = 0;
};

Result<Sized> Size(const ServiceSpec& s, std::uint64_t seed, double duration_s) {
  Result<std::vector<ServingRequest>> demand = ServiceRequests(s, seed, duration_s, "--duration");
  if (!demand.ok()) return demand.error();
  const std::vector<ServingRequest>& requests = demand.value();
  Result<ServiceSetup> setup = SetUpService(s, requests);
  if (!setup.ok()) return setup.error();
  const ReplicaModel& replica = setup.value().replica;
  const GpuModel* gpu = FindGpuModel(s.gpu_model);
  Sized out;
  out.service = &s;
  out.tp = s.gpus_per_replica;
  out.requests = std::ssize(requests);
  Result<ServiceRun> run =
      FewestReplicasMeeting(replica, s.batching, requests, s.slo, s.max_replicas);
  if (!run.ok() && run.code() != ErrorCode::kUnsatisfiable) return run.error();
  if (!run.ok()) {
    out.unmet = run.message();
  } else if (run.value().replicas < s.min_replicas) {
    // The service keeps its least number of replicas even when fewer would do.
    run = ServeOnReplicas(replica, s.batching, s.min_replicas, requests, s.slo);
    if (!run.ok()) return run.error();
  }
  if (run.ok()) {
    out.energy_j = ServiceItEnergyOnBuiltinServerJ(run.value(), out.tp, *gpu);
    out.run = std::move(run).value();
  }
  // The autoscaled service starts warm, as one already running: with the fixed count (the most
  // when none meets the SLO), then follows its load.
  AutoscalePolicy policy = setup.value().policy;
  policy.initial_replicas = out.run ? out.run->replicas : s.max_replicas;
  out.load_s = policy.load_s;
  out.target_outstanding = policy.target_outstanding;
  Result<AutoscaledRun> autoscaled = ServeAutoscaled(replica, s.batching, requests, s.slo, policy);
  if (!autoscaled.ok()) {
    return Error{s.loc.Prefix() + "service '" + s.name + "': " + autoscaled.message()};
  }
  out.autoscaled = std::move(autoscaled).value();
  return out;
}

nlohmann::ordered_json AutoscaledJson(const Sized& z) {
  const AutoscaledRun& a = z.autoscaled;
  nlohmann::ordered_json j;
  j["load_s"] = z.load_s;
  j["target_outstanding"] = z.target_outstanding;
  j["peak_replicas"] = a.run.replicas;
  j["replica_hours"] = a.replica_seconds / 3600;
  j["gpu_hours"] = a.replica_seconds * z.tp / 3600;
  j["slo_met"] = a.run.slo_met;
  j["attainment"] = a.run.attainment;
  j["ttft_at_slo_percentile_s"] = a.run.ttft.at_slo_percentile;
  j["tpot_at_slo_percentile_s"] = a.run.tpot.at_slo_percentile;
  j["scale_ups"] = a.scale_ups;
  j["scale_downs"] = a.scale_downs;
  j["timeline"] = nlohmann::ordered_json::array();
  for (const ReplicaCount& c : a.timeline) {
    j["timeline"].push_back(
        {{"t_s", c.t_s}, {"serving", c.serving}, {"loading", c.loading}, {"draining", c.draining}});
  }
  return j;
}

nlohmann::ordered_json Json(const Sized& z) {
  const ServiceSpec& s = *z.service;
  nlohmann::ordered_json j;
  j["name"] = s.name;
  j["model"] = s.served.model.name;
  j["gpu_model"] = s.gpu_model;
  j["precision"] = ServingPrecisionName(s.served.weights);
  j["kv_precision"] = ServingPrecisionName(s.served.kv_cache);
  j["tp"] = z.tp;
  j["min_replicas"] = s.min_replicas;
  j["max_replicas"] = s.max_replicas;
  j["requests"] = z.requests;
  j["slo"] = {{"ttft_s", s.slo.ttft_s}, {"tpot_s", s.slo.tpot_s}, {"percentile", s.slo.percentile}};
  if (!z.run) {
    j["slo_met"] = false;
    j["unmet"] = z.unmet;
    j["autoscaled"] = AutoscaledJson(z);
    return j;
  }
  const ServiceRun& v = *z.run;
  const int gpus = v.replicas * z.tp;
  const double tokens_s = v.span_s > 0 ? double(v.output_tokens) / v.span_s : 0;
  j["replicas"] = v.replicas;
  j["gpus"] = gpus;
  j["slo_met"] = v.slo_met;
  j["attainment"] = v.attainment;
  j["ttft"] = LatencyJson(v.ttft, true);
  j["tpot"] = LatencyJson(v.tpot, true);
  j["output_tokens"] = v.output_tokens;
  j["output_tokens_per_s_per_gpu"] = gpus > 0 ? tokens_s / gpus : 0;
  if (z.energy_j > 0 && v.output_tokens > 0) {
    j["it_energy_kwh"] = z.energy_j / 3.6e6;
    j["it_joules_per_output_token"] = z.energy_j / double(v.output_tokens);
  }
  j["gpu_hours"] = gpus * v.span_s / 3600;
  j["autoscaled"] = AutoscaledJson(z);
  return j;
}

// Fixed replicas against replicas that follow the load: GPU-hours held and the SLO kept.
void PrintAutoscaled(const std::vector<Sized>& sized) {
  std::printf(
      "\n  autoscaled (from the fixed count, within min and max; a replica loads before it "
      "serves):\n");
  std::printf("  %-14s %8s %13s %11s %11s %11s %6s %9s\n", "service", "load", "replicas", "GPU-h",
              "fixed GPU-h", "TTFT", "SLO", "attained");
  for (const Sized& z : sized) {
    const ServiceSpec& s = *z.service;
    const AutoscaledRun& a = z.autoscaled;
    int least = a.timeline.empty() ? 0 : a.timeline.front().serving;
    for (const ReplicaCount& c : a.timeline) least = std::min(least, c.serving);
    char replicas[32], load[16], fixed[24], ttft[24];
    std::snprintf(replicas, sizeof replicas, "%d-%d", least, a.run.replicas);
    std::snprintf(load, sizeof load, "%.0fs", z.load_s);
    if (z.run) {
      std::snprintf(fixed, sizeof fixed, "%.1f", z.run->replicas * z.tp * z.run->span_s / 3600);
    } else {
      std::snprintf(fixed, sizeof fixed, "-");
    }
    std::snprintf(ttft, sizeof ttft, "p%g %.2fs", s.slo.percentile, a.run.ttft.at_slo_percentile);
    std::printf("  %-14s %8s %13s %11.1f %11s %11s %6s %8.1f%%\n", s.name.c_str(), load, replicas,
                a.replica_seconds * z.tp / 3600, fixed, ttft, a.run.slo_met ? "met" : "MISSED",
                100 * a.run.attainment);
  }
}

void PrintTable(const std::vector<Sized>& sized) {
  std::printf("  %-14s %-14s %-11s %-14s %6s %11s %11s %11s %6s %9s %10s\n", "service", "model",
              "GPU x TP", "replicas", "GPUs", "requests", "TTFT", "TPOT", "SLO", "attained",
              "tok/s/GPU");
  for (const Sized& z : sized) {
    const ServiceSpec& s = *z.service;
    char gpu[32], limits[40];
    std::snprintf(gpu, sizeof gpu, "%s x %d", s.gpu_model.c_str(), z.tp);
    if (!z.run) {
      std::snprintf(limits, sizeof limits, "> %d", s.max_replicas);
      std::printf("  %-14s %-14s %-11s %-14s %6s %11s %11s %11s %6s\n", s.name.c_str(),
                  s.served.model.name.c_str(), gpu, limits, "-", Grouped(z.requests).c_str(), "-",
                  "-", "MISSED");
      std::printf("    %s\n", z.unmet.c_str());
      continue;
    }
    const ServiceRun& v = *z.run;
    std::snprintf(limits, sizeof limits, "%d (%d-%d)", v.replicas, s.min_replicas, s.max_replicas);
    char ttft[24], tpot[24];
    std::snprintf(ttft, sizeof ttft, "p%g %.2fs", s.slo.percentile, v.ttft.at_slo_percentile);
    std::snprintf(tpot, sizeof tpot, "p%g %.0fms", s.slo.percentile,
                  1000 * v.tpot.at_slo_percentile);
    const int gpus = v.replicas * z.tp;
    const double tokens_s = v.span_s > 0 ? double(v.output_tokens) / v.span_s : 0;
    std::printf("  %-14s %-14s %-11s %-14s %6d %11s %11s %11s %6s %8.1f%% %10s\n", s.name.c_str(),
                s.served.model.name.c_str(), gpu, limits, gpus, Grouped(z.requests).c_str(), ttft,
                tpot, v.slo_met ? "met" : "MISSED", 100 * v.attainment,
                Grouped(std::llround(gpus > 0 ? tokens_s / gpus : 0)).c_str());
  }
}

}  // namespace

int RunPlanServeWorkload(const ServeWorkloadArgs& a) {
  Result<WorkloadSpec> loaded = LoadWorkload(a.workload);
  if (!loaded.ok()) {
    std::cerr << loaded.message() << "\n";
    return kExitBadInput;
  }
  const WorkloadSpec& w = loaded.value();
  std::vector<size_t> chosen;  // indices into w.services
  std::vector<std::string> names;
  for (size_t i = 0; i < w.services.size(); ++i) {
    names.push_back(w.services[i].name);
    if (a.service.empty() || w.services[i].name == a.service) chosen.push_back(i);
  }
  if (w.services.empty()) {
    std::cerr << kCommand << a.workload << ": the workload has no services (docs/SPEC.md)\n";
    return kExitBadInput;
  }
  if (a.service_given && a.service.empty()) {
    std::cerr << kCommand << "--service: expected a service's name, got nothing\n";
    return kExitBadInput;
  }
  if (chosen.empty()) {
    std::cerr << kCommand << "--service: no service '" << a.service << "' in " << a.workload
              << "; it has: " << ListNames(names) << "\n";
    return kExitBadInput;
  }
  double duration_s = 0;
  if (!a.duration.empty()) {
    Result<double> d = FlagSeconds(a.duration, "--duration");
    if (!d.ok()) {
      std::cerr << kCommand << d.message() << "\n";
      return kExitBadInput;
    }
    duration_s = d.value();
  }
  if (a.seed_given) {
    const bool draws = std::any_of(chosen.begin(), chosen.end(), [&](size_t i) {
      const ServiceDemandSpec& d = w.services[i].demand;
      return d.trace_path.empty() && !d.seed;
    });
    if (!draws) {
      std::cerr << kCommand
                << "--seed: no service sized here draws from it (each has a trace or a seed "
                   "of its own)\n";
      return kExitBadInput;
    }
  }
  std::vector<Sized> sized;
  for (const size_t i : chosen) {
    // Each service draws from its own stream, keyed by its (unique) name: adding one, reordering
    // them or sizing one alone (--service) never changes another's requests.
    const std::uint64_t seed = ServiceSeed(a.seed, w.services[i].name);
    if (w.services[i].fluid_window_s > 0) {
      std::cerr << kCommand << "note: service '" << w.services[i].name
                << "' is served fluid in sim and plan capacity; it is sized here request by "
                   "request\n";
    }
    Result<Sized> z = Size(w.services[i], seed, duration_s);
    if (!z.ok()) {
      std::cerr << kCommand << z.message() << "\n";
      return kExitBadInput;
    }
    sized.push_back(std::move(z).value());
  }
  bool all_met = true;
  for (const Sized& z : sized) all_met = all_met && z.run && z.run->slo_met;
  if (a.json) {
    nlohmann::ordered_json j;
    j["workload"] = a.workload;
    j["duration_s"] = duration_s;
    j["services"] = nlohmann::ordered_json::array();
    for (const Sized& z : sized) j["services"].push_back(Json(z));
    std::cout << j.dump(2) << "\n";
  } else {
    std::printf("gpufleet plan serve: %s of %s%s\n", Counted(std::ssize(sized), "service").c_str(),
                a.workload.c_str(),
                duration_s > 0 ? (" over " + HumanSeconds(duration_s)).c_str() : "");
    PrintTable(sized);
    PrintAutoscaled(sized);
  }
  return all_met ? kExitOk : kExitFailure;
}

}  // namespace gpufleet::cli
