#include "cli/workload_check.h"

#include <algorithm>
#include <bit>
#include <cstdio>

#include "physics/training_memory.h"
#include "sched/scheduler.h"
#include "util/text.h"

namespace gpufleet::cli {
namespace {

// Jobs drawn from a generator to see which models it asks for and whether they can run.
constexpr int kSample = 4000;

std::vector<Tenant> SchedulerTenants(const WorkloadSpec& w) {
  return w.tenants.empty() ? std::vector<Tenant>{Tenant{"default", 1, std::nullopt}} : w.tenants;
}

// A scheduler that only answers Submit: whether a job could ever run on the empty fleet.
Scheduler MakeJudge(const Fleet& fleet, const WorkloadSpec& w) {
  SchedulerConfig config;
  config.policy = "fifo";
  Result<Scheduler> s = Scheduler::Create(fleet, config, SchedulerTenants(w));
  return std::move(s).value();  // fifo with the workload's own tenants is always accepted
}

// The workload reduced to one item of one of its lists (`list`: &WorkloadSpec::jobs, ...) and
// bound to the fleet: binding finds that item's errors alone, so that all are found at once.
template <typename T>
Result<BoundWorkload> BindAlone(const WorkloadSpec& w, std::vector<T> WorkloadSpec::*list,
                                const T& item, const Fleet& fleet) {
  WorkloadSpec one;
  one.tenants = w.tenants;
  (one.*list).push_back(item);
  return BindWorkload(one, fleet, 1);
}

// "file:line:column: jobs[i] 'name'", the entry's place in the spec where it is known.
std::string JobName(const WorkloadSpec& w, size_t i, const std::string& file) {
  const ExplicitJobSpec& e = w.jobs[i];
  const std::string& name = e.job.name;
  const std::string where = e.loc.line > 0 ? e.loc.file + ":" + std::to_string(e.loc.line) + ":" +
                                                 std::to_string(e.loc.column)
                                           : file;
  const std::string entry = e.loc.field.empty() ? "jobs[" + std::to_string(i) + "]" : e.loc.field;
  return where + ": " + entry + (name.empty() ? "" : " '" + name + "'");
}

std::string GeneratorName(const GeneratorSpec& g, const std::string& file) {
  const std::string where = g.loc.line > 0 ? g.loc.file + ":" + std::to_string(g.loc.line) + ":" +
                                                 std::to_string(g.loc.column)
                                           : file;
  return where + ": generator '" + g.name + "'";
}

// A training job against the HBM of each GPU model it may run on (docs/MODELS.md, "Memory"): an
// error when it fits none of them, a warning naming those it would not fit if placed there.
void CheckTrainingMemory(const TrainingJob& training, const JobSpec& job, const Fleet& fleet,
                         const std::string& name, FleetCheck& check) {
  std::vector<std::string> too_small;
  std::string refusal;
  bool fits_one = false;
  for (size_t m = 0; m < fleet.gpu_models().size(); ++m) {
    const ModelId id = static_cast<ModelId>(m);
    const bool eligible = job.gpu_model == kAnyModel
                              ? job.allowed_models == 0 || (job.allowed_models >> m & 1) != 0
                              : job.gpu_model == id;
    if (!eligible) continue;
    const GpuModel& gpu = fleet.gpu_models()[m];
    TrainingJob t = training;
    Status s = Status::Ok();
    if (t.recompute_auto) {
      Result<TrainingJob> fitted = WithLeastRecomputeThatFits(t, HbmBytes(gpu.hbm_gb));
      if (!fitted.ok()) s = Error{fitted.message()};
    } else {
      s = CheckMemoryFits(t, HbmBytes(gpu.hbm_gb));
    }
    if (s.ok()) {
      fits_one = true;
    } else {
      too_small.push_back(gpu.name);
      refusal = gpu.name + ": " + s.message();
    }
  }
  if (too_small.empty()) return;
  if (!fits_one) {
    check.errors.push_back(name + ": training job does not fit its GPUs' memory (" + refusal + ")");
  } else {
    check.warnings.push_back(name + ": training job would not fit the memory of " +
                             ListNames(too_small) + " GPUs if placed there (" + refusal + ")");
  }
}

}  // namespace

FleetCheck CheckAgainstFleet(const WorkloadSpec& w, const Fleet& fleet, const std::string& file) {
  FleetCheck check;
  Scheduler judge = MakeJudge(fleet, w);
  JobId next_id = 0;
  for (size_t i = 0; i < w.jobs.size(); ++i) {
    Result<BoundWorkload> b = BindAlone(w, &WorkloadSpec::jobs, w.jobs[i], fleet);
    if (!b.ok()) {
      check.errors.push_back(b.message());
      continue;
    }
    JobSpec job;
    if (!b.value().source->Next(job)) continue;
    if (w.jobs[i].training) {
      CheckTrainingMemory(*w.jobs[i].training, job, fleet, JobName(w, i, file), check);
    }
    const Status s = judge.Submit(next_id++, RequestFor(job), 0);
    if (!s.ok()) {
      check.errors.push_back(JobName(w, i, file) + ": " +
                             (s.code() == ErrorCode::kUnsatisfiable
                                  ? "can never run on this fleet: "
                                  : "is refused by the scheduler: ") +
                             s.message());
    }
  }
  for (size_t g = 0; g < w.generators.size(); ++g) {
    Result<BoundWorkload> b = BindAlone(w, &WorkloadSpec::generators, w.generators[g], fleet);
    if (!b.ok()) {
      check.errors.push_back(b.message());
      continue;
    }
    int drawn = 0, refused = 0;
    std::string example;
    JobSpec job;
    while (drawn < kSample && b.value().source->Next(job)) {
      ++drawn;
      const Status s = judge.Submit(next_id++, RequestFor(job), 0);
      if (!s.ok()) {
        ++refused;
        if (example.empty()) example = s.message();
      }
    }
    if (refused > 0) {
      char share[32];
      std::snprintf(share, sizeof share, "%.1f%%", 100.0 * refused / drawn);
      check.warnings.push_back(
          GeneratorName(w.generators[g], file) + ": " + share + " of its first " + Grouped(drawn) +
          " jobs can never run on this fleet and would be rejected (e.g. " + example + ")");
    }
  }
  for (const ScriptedFailure& f : w.failures) {
    if (Result<BoundWorkload> b = BindAlone(w, &WorkloadSpec::failures, f, fleet); !b.ok())
      check.errors.push_back(b.message());
  }
  for (const MaintenanceWindow& m : w.maintenance) {
    if (Result<BoundWorkload> b = BindAlone(w, &WorkloadSpec::maintenance, m, fleet); !b.ok())
      check.errors.push_back(b.message());
  }
  for (const OutageSpec& o : w.outages) {
    if (Result<BoundWorkload> b = BindAlone(w, &WorkloadSpec::outages, o, fleet); !b.ok())
      check.errors.push_back(b.message());
  }
  for (const ServiceSpec& s : w.services) {
    if (Result<BoundWorkload> b = BindAlone(w, &WorkloadSpec::services, s, fleet); !b.ok()) {
      check.errors.push_back(b.message());
    } else if (std::string e = ServicePlacementError(s, fleet); !e.empty()) {
      check.errors.push_back(e);
    }
  }
  return check;
}

OfferedLoad EstimateOfferedLoad(const WorkloadSpec& w, const Fleet& fleet) {
  OfferedLoad load;
  const size_t n = fleet.gpu_models().size();
  std::vector<std::int64_t> capacity(n, 0);
  for (NodeId node = 0; node < fleet.num_nodes(); ++node)
    capacity[static_cast<size_t>(fleet.NodeModel(node))] += fleet.NodeGpus(node);
  std::vector<double> gpu_ms(n, 0);  // GPU-time offered to each model
  // Spreads `amount` over the models a job may use (its own, a set, or any), by their GPUs.
  auto offer = [&](ModelId model, std::uint64_t allowed, double amount) {
    if (model != kAnyModel) {
      gpu_ms[static_cast<size_t>(model)] += amount;
      return;
    }
    double total = 0;
    for (size_t m = 0; m < n; ++m) {
      if (allowed == 0 || (allowed >> m & 1) != 0) total += static_cast<double>(capacity[m]);
    }
    if (total <= 0) return;
    for (size_t m = 0; m < n; ++m) {
      if (allowed == 0 || (allowed >> m & 1) != 0)
        gpu_ms[m] += amount * static_cast<double>(capacity[m]) / total;
    }
  };
  double window_ms = 0;
  for (const ExplicitJobSpec& e : w.jobs) {
    Result<BoundWorkload> b = BindAlone(w, &WorkloadSpec::jobs, e, fleet);
    JobSpec job;
    if (!b.ok() || !b.value().source->Next(job)) continue;
    const double share = static_cast<double>(job.gpu_milli) / kMilliPerGpu;
    offer(job.gpu_model, job.allowed_models,
          static_cast<double>(job.gpus) * share * static_cast<double>(job.duration));
    window_ms = std::max(window_ms, static_cast<double>(job.submit + job.duration));
  }
  for (const GeneratorSpec& g : w.generators) {
    // Expected jobs and the end of their arrivals: `count` jobs at the mean gap, cut at `until`.
    double jobs = g.count ? static_cast<double>(*g.count) : -1;
    double end = g.count ? static_cast<double>(g.start) + jobs * g.mean_interarrival_ms : 0;
    if (g.until) {
      const double by_until =
          std::max(0.0, static_cast<double>(*g.until - g.start)) / g.mean_interarrival_ms;
      if (jobs < 0 || by_until < jobs) {
        jobs = by_until;
        end = static_cast<double>(*g.until);
      }
    }
    window_ms = std::max(window_ms, end);
    const double per_job = g.gpus.Mean() * g.duration_ms.Mean() * g.gpu_milli.Mean() / kMilliPerGpu;
    // Which models its jobs ask for: the shares of a sample of them.
    Result<BoundWorkload> b = BindAlone(w, &WorkloadSpec::generators, g, fleet);
    if (!b.ok()) continue;
    std::vector<std::pair<std::pair<ModelId, std::uint64_t>, int>> asks;
    int drawn = 0;
    JobSpec job;
    while (drawn < kSample && b.value().source->Next(job)) {
      ++drawn;
      const auto key = std::make_pair(job.gpu_model, job.allowed_models);
      auto it =
          std::find_if(asks.begin(), asks.end(), [&](const auto& a) { return a.first == key; });
      if (it == asks.end()) {
        asks.push_back({key, 1});
      } else {
        ++it->second;
      }
    }
    for (const auto& [key, count] : asks)
      offer(key.first, key.second, jobs * per_job * count / drawn);
  }
  load.window_s = window_ms / 1000;
  for (size_t m = 0; m < n; ++m) {
    if (capacity[m] == 0) continue;
    const double busy = window_ms > 0 ? gpu_ms[m] / window_ms : 0;
    load.models.push_back({fleet.gpu_models()[m].name, capacity[m], busy});
    load.busy_gpus += busy;
    load.gpus += capacity[m];
  }
  return load;
}

namespace {

LabelledPod PodOf(const JobSpec& job, std::string label) {
  LabelledPod p;
  // The models it may run on, as the share policies' nodes are labelled (fleet model ids).
  if (job.gpu_model != kAnyModel) {
    p.request.models = {job.gpu_model};
  } else {
    for (int m = 0; m < 64; ++m) {
      if ((job.allowed_models >> m & 1) != 0) p.request.models.push_back(m);
    }
  }
  p.request.gpus = job.gpus;
  p.request.milli = job.gpu_milli;
  p.request.cpu_milli = job.cpu_milli;
  p.request.memory_mib = job.memory_mib;
  p.label = std::move(label);
  return p;
}

}  // namespace

std::string ServicePlacementError(const ServiceSpec& s, const Fleet& fleet) {
  const ModelId model = fleet.FindModel(s.gpu_model);
  // A replica's GPUs share one NVLink domain: the fleet's domains of the model (each a run of
  // nodes in NodeId order), the largest, and the replicas they hold side by side.
  std::int64_t largest = 0, domain = 0, fit = 0;
  TopoId current = -1;
  auto close_domain = [&] {
    largest = std::max(largest, domain);
    fit += domain / s.gpus_per_replica;
  };
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    if (fleet.NodeModel(n) != model) continue;
    const TopoId d = fleet.Ancestor(n, Level::kDomain);
    if (d != current) {
      close_domain();
      domain = 0;
      current = d;
    }
    domain += fleet.NodeGpus(n);
  }
  close_domain();
  SourceLoc at = s.loc;
  at.field = s.loc.field + ".gpus_per_replica";
  if (s.gpus_per_replica > largest) {
    return at.Prefix() + "service '" + s.name + "': a replica of " +
           std::to_string(s.gpus_per_replica) + " GPUs needs an NVLink domain that large; the " +
           "fleet's " + s.gpu_model + " domains hold at most " + std::to_string(largest);
  }
  if (s.min_replicas > fit) {
    at.field = s.loc.field + ".replicas";
    return at.Prefix() + "service '" + s.name + "': it keeps at least " +
           std::to_string(s.min_replicas) + " replicas; the fleet's " + s.gpu_model +
           " NVLink domains hold " + std::to_string(fit) + " replicas of " +
           std::to_string(s.gpus_per_replica) + " GPUs";
  }
  return "";
}

void SamplePods(const WorkloadSpec& w, const Fleet& fleet, std::uint64_t seed, size_t limit,
                std::vector<LabelledPod>& out) {
  Result<BoundWorkload> b = BindWorkload(w, fleet, seed);
  if (!b.ok()) return;  // the simulation's own binding reports why
  JobSpec job;
  for (size_t n = 0; n < limit && b.value().source->Next(job); ++n) {
    out.push_back(PodOf(job, job.gpu_model == kAnyModel
                                 ? std::string()
                                 : fleet.gpu_models()[static_cast<size_t>(job.gpu_model)].name));
  }
}

void SamplePods(const std::vector<JobSpec>& jobs, const std::vector<std::string>& models,
                size_t limit, std::vector<LabelledPod>& out) {
  for (size_t i = 0; i < jobs.size() && i < limit; ++i) {
    out.push_back(PodOf(jobs[i], i < models.size() ? models[i] : std::string()));
  }
}

}  // namespace gpufleet::cli
