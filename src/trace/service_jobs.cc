#include "trace/service_jobs.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "model/catalog.h"
#include "physics/serving_fluid_autoscale.h"
#include "trace/azure_llm.h"
#include "util/fingerprint.h"
#include "util/rng.h"
#include "util/text.h"
#include "workload/fluid_demand.h"
#include "workload/job_source.h"
#include "workload/serving_demand.h"

namespace gpufleet {
namespace {

// A replica's times in milliseconds: within a demand's span, far inside SimTime.
SimTime Ms(double seconds) {
  Result<SimTime> ms = SecondsToMs(seconds);
  return ms.ok() ? ms.value() : 0;
}

// A service is running when the run starts: with the replicas its first ten minutes need (the
// fewest that meet its SLO over them; its most when none does), within its limits. Cold, at
// min_replicas, a service would start by missing its SLO until the autoscaler catches up.
Result<int> WarmReplicas(const ServiceSpec& s, const ReplicaModel& replica,
                         const std::vector<ServingRequest>& requests) {
  constexpr double kWarmWindowS = 600;
  const double until = requests.front().arrival_s + kWarmWindowS;
  const auto end = std::find_if(requests.begin(), requests.end(),
                                [&](const ServingRequest& r) { return r.arrival_s > until; });
  const std::vector<ServingRequest> first(requests.begin(), end);
  Result<ServiceRun> fewest =
      FewestReplicasMeeting(replica, s.batching, first, s.slo, s.max_replicas);
  if (!fewest.ok() && fewest.code() != ErrorCode::kUnsatisfiable) return fewest.error();
  return std::clamp(fewest.ok() ? fewest.value().replicas : s.max_replicas, s.min_replicas,
                    s.max_replicas);
}

// A demand with no end of its own - generated, or a trace that repeats - lasts the run's duration,
// which it then needs.
Status CheckDemandHasAnEnd(const ServiceSpec& s, double duration_s, const std::string& flag) {
  const ServiceDemandSpec& d = s.demand;
  if (duration_s > 0 || (!d.trace_path.empty() && !d.repeat)) return Status::Ok();
  return Error{d.loc.Prefix() + "service '" + s.name +
               (d.trace_path.empty() ? "' generates its requests" : "' repeats its trace") +
               ": give " + flag + " (how long the demand lasts)"};
}

}  // namespace

Result<std::vector<ServingRequest>> ServiceRequests(const ServiceSpec& s, std::uint64_t seed,
                                                    double duration_s,
                                                    const std::string& duration_flag) {
  const ServiceDemandSpec& d = s.demand;
  if (Status st = CheckDemandHasAnEnd(s, duration_s, duration_flag); !st.ok())
    return Error{st.message(), st.code()};
  Result<std::vector<ServingRequest>> requests = std::vector<ServingRequest>{};
  if (!d.trace_path.empty() && d.repeat) {
    requests = LoadAzureLlmTrace(d.trace_path, {d.rate_scale, 0});
    if (requests.ok() && !requests.value().empty()) {
      const double period = RepeatPeriod(requests.value());
      if (RepeatedCount(requests.value(), period, duration_s) > kMaxServiceRequests) {
        // `sim` and `plan capacity` can serve it fluid; `plan serve` sizes request by request.
        return Error{
            d.loc.Prefix() + "service '" + s.name + "': its trace repeated over " + duration_flag +
            " makes more than 20M requests: give a shorter " + duration_flag +
            (duration_flag == "--until" ? " or serve it fluid (fluid: {window: 60s})" : "")};
      }
      requests = RepeatRequests(requests.value(), period, duration_s);
    }
  } else if (!d.trace_path.empty()) {
    requests = LoadAzureLlmTrace(d.trace_path, {d.rate_scale, duration_s});
  } else if (d.rate.peak_rps * duration_s > kMaxServiceRequests) {
    // Bounded at the peak rate: a diurnal demand may spend the whole duration near its peak.
    return Error{d.loc.Prefix() + "service '" + s.name + "': up to " +
                 Grouped(std::llround(d.rate.peak_rps * duration_s)) + " requests over " +
                 duration_flag + " at its peak rate; at most 20M: give a shorter " + duration_flag};
  } else {
    Rng rng(d.seed ? *d.seed : seed);
    requests = PoissonRequests(d.rate, duration_s, d.prompt_tokens, d.output_tokens, rng);
  }
  if (requests.ok() && requests.value().empty()) {
    return Error{d.loc.Prefix() + "service '" + s.name + "': its demand holds no request" +
                 (duration_s > 0 ? " within " + duration_flag : "")};
  }
  return requests;
}

Result<FluidDemand> ServiceFluidDemand(const ServiceSpec& s, std::uint64_t seed, double duration_s,
                                       const std::string& duration_flag) {
  const ServiceDemandSpec& d = s.demand;
  if (Status st = CheckDemandHasAnEnd(s, duration_s, duration_flag); !st.ok())
    return Error{st.message(), st.code()};
  // Each window costs memory and a few evaluations of the load model: bounded.
  if (duration_s / s.fluid_window_s > kMaxFluidWindows) {
    return Error{d.loc.Prefix() + "service '" + s.name + "': " +
                 Grouped(std::llround(duration_s / s.fluid_window_s)) + " fluid windows over " +
                 duration_flag + "; at most 1,000,000: take a longer fluid window"};
  }
  FluidDemand demand;
  if (!d.trace_path.empty()) {
    Result<std::vector<ServingRequest>> requests =
        LoadAzureLlmTrace(d.trace_path, {d.rate_scale, 0});
    if (!requests.ok()) return requests.error();
    if (requests.value().empty()) {
      return Error{d.loc.Prefix() + "service '" + s.name + "': its trace holds no request"};
    }
    std::vector<ServingRequest>& trace = requests.value();
    const double period = RepeatPeriod(trace);
    // Cut at the horizon unless it repeats within it: the mix is of the requests the run sees.
    if (duration_s > 0 && (!d.repeat || duration_s <= period)) {
      std::erase_if(trace, [&](const ServingRequest& r) { return r.arrival_s >= duration_s; });
      if (trace.empty()) {
        return Error{d.loc.Prefix() + "service '" + s.name +
                     "': its trace holds no request within " + duration_flag};
      }
    }
    // Without a duration, a second past the last arrival: the windows count arrivals before it,
    // and the last window is not a sliver whose rate would be its few requests over nothing.
    const double horizon = duration_s > 0 ? duration_s : trace.back().arrival_s + 1;
    if (horizon / s.fluid_window_s > kMaxFluidWindows) {
      return Error{d.loc.Prefix() + "service '" + s.name +
                   "': its trace spans more than 1,000,000 fluid windows; take a longer window"};
    }
    demand = BinnedFluidDemand(trace, horizon, s.fluid_window_s, d.repeat ? period : 0);
  } else {
    Rng rng(d.seed ? *d.seed : seed);
    demand = GeneratedFluidDemand(d.rate, duration_s, s.fluid_window_s, d.prompt_tokens,
                                  d.output_tokens, rng);
  }
  double requests = 0;
  for (const FluidWindow& w : demand.windows) requests += w.requests;
  if (requests <= 0) {
    return Error{d.loc.Prefix() + "service '" + s.name + "': its demand holds no request" +
                 (duration_s > 0 ? " within " + duration_flag : "")};
  }
  return demand;
}

std::uint64_t ServiceSeed(std::uint64_t run_seed, const std::string& name) {
  return Rng::Stream(run_seed, Fnv1a64(name)).Next();
}

namespace {

// The replica with room for `largest` tokens and the policy with its load target at a mean
// context of `context` tokens.
Result<ServiceSetup> SetUp(const ServiceSpec& s, std::int64_t largest, double context) {
  const GpuModel* gpu = FindGpuModel(s.gpu_model);
  if (gpu == nullptr) return Error{s.gpu_model_loc.Prefix() + "unknown GPU model"};
  Result<ReplicaModel> replica = ReplicaModel::Make(s.served, *gpu, s.gpus_per_replica, largest);
  if (!replica.ok()) {
    return Error{s.loc.Prefix() + "service '" + s.name + "': " + replica.message()};
  }
  AutoscalePolicy policy = s.scaling.policy;
  policy.load_s = ReplicaLoadSeconds(replica.value(), s.scaling.startup_s, s.scaling.load_gb_s);
  policy.target_outstanding = s.scaling.target_outstanding
                                  ? *s.scaling.target_outstanding
                                  : TargetOutstanding(replica.value(), s.batching, context,
                                                      s.slo.tpot_s, policy.scale_up_at);
  return ServiceSetup{std::move(replica).value(), policy};
}

}  // namespace

Result<ServiceSetup> SetUpService(const ServiceSpec& s,
                                  const std::vector<ServingRequest>& requests) {
  double context = 0;  // the mean over the requests of prompt + half the output
  for (const ServingRequest& r : requests) context += r.prompt_tokens + r.output_tokens / 2.0;
  context /= double(std::max<std::size_t>(1, requests.size()));
  return SetUp(s, LargestRequestTokens(requests), context);
}

Result<ServiceSetup> SetUpService(const ServiceSpec& s, const RequestMix& mix) {
  return SetUp(s, mix.largest_tokens, mix.mean_prompt + mix.mean_output / 2);
}

std::vector<JobSpec> ReplicaJobs(const ServiceSpec& s, const AutoscaledRun& run, double load_s,
                                 std::int32_t warm, ModelId model, std::int32_t index,
                                 SimTime until) {
  // The horizon a replica may hold until, as far as anyone knows when it is asked for.
  SimTime horizon = until;
  if (horizon == kNever) {
    horizon = 0;
    for (const ReplicaLife& life : run.lives) horizon = std::max(horizon, Ms(life.gone_s));
  }
  // How hard a replica's GPUs work, for their power: the share of its held time in passes (a
  // pass draws as busy, docs/MODELS.md, "Serving"), over the service's replicas.
  const double busy = run.replica_seconds > 0 ? run.run.busy_s / run.replica_seconds : 1;
  std::vector<JobSpec> jobs;
  jobs.reserve(run.lives.size());
  for (std::size_t k = 0; k < run.lives.size(); ++k) {
    const ReplicaLife& life = run.lives[k];
    JobSpec j;
    j.name = s.name + "/replica-" + std::to_string(k + 1);
    j.submit = std::cmp_less(k, warm) ? 0 : Ms(life.added_s);
    // It leaves when the autoscaler let it go, however late it was placed; its work is its life.
    j.leave_at = std::max(j.submit + 1, Ms(life.gone_s));
    j.duration = j.leave_at - j.submit;
    // The autoscaler does not know when it will let a replica go: it may hold until the end.
    j.estimate = std::max({SimTime{1}, j.duration, horizon - j.submit});
    // Interrupted, a replica is placed again and reloads its weights (the restart) before it
    // serves; it keeps nothing else (its "progress" only says how long it served).
    j.checkpoint_interval = kSecond;
    j.restart_overhead = Ms(load_s);
    j.power_utilization = static_cast<float>(std::clamp(busy, 0.0, 1.0));
    j.gpus = s.gpus_per_replica;
    j.gpu_model = model;
    j.topology = s.topology;
    j.priority = s.priority;
    j.tenant = s.tenant;
    j.service = index;
    jobs.push_back(std::move(j));
  }
  return jobs;
}

double ReplicasItEnergyJ(const SimulatedService& s, double held_gpu_seconds, double busy_s) {
  if (s.gpus_per_node < 1) return 0;
  return s.node.idle_w / s.gpus_per_node * held_gpu_seconds + s.node.per_busy_gpu_w * s.tp * busy_s;
}

Result<PlacedServiceRun> ServeAsPlaced(const SimulatedService& s,
                                       const std::vector<std::vector<ReplicaRunSpan>>& runs,
                                       const std::vector<ArrivalPeriod>& periods) {
  const std::vector<ReplicaLife>& lives = s.run.lives;
  if (runs.size() != lives.size()) {
    return Error{"service '" + s.name + "': runs of " + std::to_string(runs.size()) +
                 " replicas for " + std::to_string(lives.size())};
  }
  // A start within a millisecond of the decision is on time (the simulator counts milliseconds).
  constexpr double kOnTimeS = 1e-3;
  std::vector<ReplicaWindow> windows;
  for (std::size_t k = 0; k < lives.size(); ++k) {
    const ReplicaLife& life = lives[k];
    const double submitted_s = std::cmp_less(k, s.warm) ? 0 : life.added_s;
    // The job's leave, in the simulator's milliseconds: a run that lasted until then ran to the
    // drain (the rounding would cut up to half a millisecond off it).
    const double leave_s = ToSeconds(Ms(life.gone_s));
    for (std::size_t n = 0; n < runs[k].size(); ++n) {
      const ReplicaRunSpan& run = runs[k][n];
      const double from = n == 0 && run.from_s <= submitted_s + kOnTimeS
                              ? life.ready_s
                              : std::max(life.ready_s, run.from_s + s.setup.policy.load_s);
      const double until =
          run.until_s >= leave_s ? life.drained_s : std::min(run.until_s, life.drained_s);
      // Cut short before its leave, it loses what it held then (draining or not).
      const double cut = run.until_s < leave_s ? run.cut_s : HUGE_VAL;
      if (until > from) windows.push_back({from, until, std::max(cut, until)});
    }
  }
  if (s.fluid) {
    return ServeFluidInWindows(s.setup.replica, s.batching, s.fluid_demand, s.slo, windows,
                               periods);
  }
  return ServeInWindows(s.setup.replica, s.batching, s.requests, s.slo, windows, periods);
}

namespace {

// A fluid service's demand and its autoscaler's run, starting warm (as WarmReplicas: its first ten
// minutes' replicas).
Result<AutoscaledService> AutoscaleFluid(const ServiceSpec& s, std::uint64_t seed,
                                         double duration_s) {
  Result<FluidDemand> demand = ServiceFluidDemand(s, seed, duration_s, "--until");
  if (!demand.ok()) return demand.error();
  Result<ServiceSetup> setup = SetUpService(s, demand.value().mix);
  if (!setup.ok()) return setup.error();
  AutoscalePolicy policy = setup.value().policy;
  const int warm = FluidReplicasAtStart(setup.value().replica, s.batching, demand.value(), s.slo,
                                        600, s.min_replicas, s.max_replicas);
  policy.initial_replicas = warm;
  Result<AutoscaledRun> run =
      ServeFluidAutoscaled(setup.value().replica, s.batching, demand.value(), s.slo, policy);
  if (!run.ok()) return Error{s.loc.Prefix() + "service '" + s.name + "': " + run.message()};
  return AutoscaledService{{},   std::move(setup).value(), warm, std::move(run).value(),
                           true, std::move(demand).value()};
}

}  // namespace

Result<std::vector<AutoscaledService>> AutoscaleServices(const WorkloadSpec& spec,
                                                         std::uint64_t seed, SimTime until) {
  std::vector<AutoscaledService> out;
  const double duration_s = until != kNever ? ToSeconds(until) : 0;
  for (const ServiceSpec& s : spec.services) {
    if (s.fluid_window_s > 0) {
      Result<AutoscaledService> fluid = AutoscaleFluid(s, ServiceSeed(seed, s.name), duration_s);
      if (!fluid.ok()) return fluid.error();
      out.push_back(std::move(fluid).value());
      continue;
    }
    Result<std::vector<ServingRequest>> requests =
        ServiceRequests(s, ServiceSeed(seed, s.name), duration_s, "--until");
    if (!requests.ok()) return requests.error();
    Result<ServiceSetup> setup = SetUpService(s, requests.value());
    if (!setup.ok()) return setup.error();
    AutoscalePolicy policy = setup.value().policy;
    Result<int> warm = WarmReplicas(s, setup.value().replica, requests.value());
    if (!warm.ok()) return Error{s.loc.Prefix() + "service '" + s.name + "': " + warm.message()};
    policy.initial_replicas = warm.value();
    Result<AutoscaledRun> run =
        ServeAutoscaled(setup.value().replica, s.batching, requests.value(), s.slo, policy);
    if (!run.ok()) return Error{s.loc.Prefix() + "service '" + s.name + "': " + run.message()};
    out.push_back({std::move(requests).value(),
                   std::move(setup).value(),
                   warm.value(),
                   std::move(run).value(),
                   false,
                   {}});
  }
  return out;
}

Result<std::vector<SimulatedService>> AppendServices(BoundWorkload& workload,
                                                     const WorkloadSpec& spec, const Fleet& fleet,
                                                     SimTime until,
                                                     std::vector<AutoscaledService> autoscaled) {
  if (autoscaled.size() != spec.services.size()) {
    return Error{"the services autoscaled (" + std::to_string(autoscaled.size()) +
                     ") are not the spec's (" + std::to_string(spec.services.size()) + ")",
                 ErrorCode::kInternal};
  }
  std::vector<SimulatedService> out;
  std::vector<JobSpec> jobs;
  for (std::size_t i = 0; i < spec.services.size(); ++i) {
    const ServiceSpec& s = spec.services[i];
    AutoscaledService& a = autoscaled[i];
    const ModelId model = fleet.FindModel(s.gpu_model);
    if (model == kAnyModel) return Error{s.gpu_model_loc.Prefix() + "not in the fleet"};
    std::vector<JobSpec> replicas = ReplicaJobs(s, a.run, a.setup.policy.load_s, a.warm, model,
                                                static_cast<std::int32_t>(i), until);
    jobs.insert(jobs.end(), std::make_move_iterator(replicas.begin()),
                std::make_move_iterator(replicas.end()));
    SimulatedService simulated{s.name,
                               s.gpus_per_replica,
                               s.priority,
                               a.warm,
                               std::move(a.requests),
                               std::move(a.setup),
                               s.batching,
                               s.slo,
                               std::move(a.run),
                               {},
                               0,
                               a.fluid,
                               std::move(a.fluid_demand)};
    const GpuModel& gpu = fleet.gpu_models()[static_cast<size_t>(model)];
    for (const NodeType& type : fleet.node_types()) {
      if (type.gpu != gpu.name) continue;
      simulated.node = NodePowerOf(type, gpu);
      simulated.gpus_per_node = type.gpus_per_node;
      break;
    }
    out.push_back(std::move(simulated));
  }
  if (!jobs.empty()) {
    std::vector<std::unique_ptr<JobSource>> sources;
    // Replicas first: asked for at the same time as a job, a replica is seen first.
    sources.push_back(std::make_unique<VectorJobSource>(std::move(jobs)));
    sources.push_back(std::move(workload.source));
    workload.source = std::make_unique<MergedSource>(std::move(sources));
  }
  return out;
}

Result<std::vector<SimulatedService>> AppendServices(BoundWorkload& workload,
                                                     const WorkloadSpec& spec, const Fleet& fleet,
                                                     std::uint64_t seed, SimTime until) {
  Result<std::vector<AutoscaledService>> autoscaled = AutoscaleServices(spec, seed, until);
  if (!autoscaled.ok()) return autoscaled.error();
  return AppendServices(workload, spec, fleet, until, std::move(autoscaled).value());
}

std::vector<double> GpuHoursBySite(const std::vector<std::vector<ReplicaRunSpan>>& runs,
                                   double gpu_hours, size_t sites) {
  std::vector<double> hours(sites, 0);
  double all = 0;
  for (const std::vector<ReplicaRunSpan>& replica : runs) {
    for (const ReplicaRunSpan& r : replica) {
      if (r.site < 0 || static_cast<size_t>(r.site) >= sites) continue;
      hours[static_cast<size_t>(r.site)] += r.until_s - r.from_s;
      all += r.until_s - r.from_s;
    }
  }
  for (double& h : hours) h = all > 0 ? gpu_hours * h / all : 0;
  return hours;
}

}  // namespace gpufleet
