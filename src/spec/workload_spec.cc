// The workload spec: tenants, explicit jobs, seeded generators, inference services, scripted
// failures, maintenance windows and the failure model (docs/SPEC.md).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "physics/failure_rates.h"
#include "physics/model_preset.h"
#include "spec/distribution_field.h"
#include "spec/job_fields.h"
#include "spec/json_body.h"
#include "spec/model_spec.h"
#include "spec/service_fields.h"
#include "spec/specs.h"
#include "spec/training_fields.h"
#include "spec/yaml_reader.h"
#include "util/checked_number.h"
#include "util/text.h"

namespace gpufleet {
namespace {

// What the values of a distribution are.
enum class ValueKind {
  kGpus,
  kDuration,
  kNumber,
  kInteger,   // a priority
  kGpuMilli,  // a share of each GPU, 1..1000, as for a job
  kCores,     // host CPU cores of a job, as for a job
  kMemoryGb,  // host memory of a job, as for a job
  kName,
  kGpuModel
};

// The failure model's rates (per node and day) and its scale.
constexpr double kMaxFailureRate = 1'000'000;

class WorkloadParser {
 public:
  explicit WorkloadParser(SpecReader& r) : r_(r) {}

  // A job submitted through the control plane's API (ParseJobRequest): a job entry read with the
  // request's rules (request_ set).
  JobRequestSpec ParseRequest(const YAML::Node& root) {
    JobRequestSpec out;
    request_ = &out;
    ParseJob(root, "");
    request_ = nullptr;
    if (!spec_.jobs.empty()) out.job = std::move(spec_.jobs.back());
    return out;
  }

  WorkloadSpec Parse(const YAML::Node& root) {
    MapReader top(r_, root, "");
    ParseTenants(top.Get("tenants"));
    const YAML::Node jobs = top.Get("jobs");
    const YAML::Node generators = top.Get("generators");
    const YAML::Node failures = top.Get("failures");
    const YAML::Node maintenance = top.Get("maintenance");
    const YAML::Node services = top.Get("services");
    const YAML::Node outages = top.Get("outages");
    ParseFailureModel(top.Get("failure_model"));
    top.Finish();
    if (!top.valid()) return std::move(spec_);
    if (!jobs.IsDefined() && !generators.IsDefined() && !services.IsDefined()) {
      r_.Fail(root, "jobs", "a workload needs at least one of 'jobs', 'generators' or 'services'");
    }
    if (jobs.IsDefined() && r_.ExpectSequence(jobs, "jobs")) {
      for (size_t i = 0; i < jobs.size(); ++i) {
        const size_t errors = r_.error_count();
        ParseJob(jobs[i], "jobs[" + std::to_string(i) + "]");
        NoteItem(spec_.jobs, clean_jobs_, errors);
      }
    }
    if (generators.IsDefined() && r_.ExpectSequence(generators, "generators")) {
      for (size_t i = 0; i < generators.size(); ++i) {
        const size_t errors = r_.error_count();
        ParseGenerator(generators[i], "generators[" + std::to_string(i) + "]");
        NoteItem(spec_.generators, clean_generators_, errors);
      }
    }
    if (failures.IsDefined() && r_.ExpectSequence(failures, "failures")) {
      for (size_t i = 0; i < failures.size(); ++i) {
        const size_t errors = r_.error_count();
        ParseFailure(failures[i], "failures[" + std::to_string(i) + "]");
        NoteItem(spec_.failures, clean_failures_, errors);
      }
    }
    if (maintenance.IsDefined() && r_.ExpectSequence(maintenance, "maintenance")) {
      for (size_t i = 0; i < maintenance.size(); ++i) {
        const size_t errors = r_.error_count();
        ParseMaintenance(maintenance[i], "maintenance[" + std::to_string(i) + "]");
        NoteItem(spec_.maintenance, clean_maintenance_, errors);
      }
    }
    if (outages.IsDefined() && r_.ExpectSequence(outages, "outages")) {
      for (size_t i = 0; i < outages.size(); ++i) {
        const size_t errors = r_.error_count();
        ParseOutage(outages[i], "outages[" + std::to_string(i) + "]");
        NoteItem(spec_.outages, clean_outages_, errors);
      }
    }
    if (services.IsDefined() && r_.ExpectSequence(services, "services")) {
      for (size_t i = 0; i < services.size(); ++i) {
        const size_t errors = r_.error_count();
        const std::string path = "services[" + std::to_string(i) + "]";
        std::optional<ServiceSpec> service = ReadService(r_, services[i], path, spec_.tenants);
        if (!service) continue;
        for (const ServiceSpec& other : spec_.services) {
          if (!service->name.empty() && other.name == service->name) {
            const YAML::Node item = services[i];  // const: reading a key never adds it
            r_.Fail(item["name"], path + ".name", "duplicate service name '" + service->name + "'");
          }
        }
        spec_.services.push_back(std::move(*service));
        NoteItem(spec_.services, clean_services_, errors);
      }
    }
    return std::move(spec_);
  }

  // `spec` (what Parse returned) without the items that have errors of their own.
  WorkloadSpec CleanItems(WorkloadSpec spec) const {
    Keep(spec.jobs, clean_jobs_);
    Keep(spec.generators, clean_generators_);
    Keep(spec.failures, clean_failures_);
    Keep(spec.maintenance, clean_maintenance_);
    Keep(spec.outages, clean_outages_);
    Keep(spec.services, clean_services_);
    return spec;
  }

 private:
  // Whether the item just read (if one was added to `items`) came without errors.
  template <typename T>
  void NoteItem(const std::vector<T>& items, std::vector<bool>& clean, size_t errors_before) {
    if (items.size() > clean.size()) clean.push_back(r_.error_count() == errors_before);
  }
  template <typename T>
  static void Keep(std::vector<T>& items, const std::vector<bool>& clean) {
    std::vector<T> kept;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i < clean.size() && clean[i]) kept.push_back(std::move(items[i]));
    }
    items = std::move(kept);
  }

  void ParseTenants(const YAML::Node& list) {
    if (list.IsDefined() && r_.ExpectSequence(list, "tenants")) {
      for (size_t i = 0; i < list.size(); ++i) {
        MapReader m(r_, list[i], "tenants[" + std::to_string(i) + "]");
        Tenant t;
        t.name = r_.String(m.Required("name"), m.Field("name")).value_or("");
        const YAML::Node w = m.Get("weight");
        if (w.IsDefined()) t.weight = r_.PositiveNumber(w, m.Field("weight")).value_or(1);
        m.Finish();
        const bool duplicate = std::any_of(spec_.tenants.begin(), spec_.tenants.end(),
                                           [&](const Tenant& o) { return o.name == t.name; });
        if (!t.name.empty() && duplicate) {
          r_.Fail(list[i], m.Field("name"), "duplicate tenant '" + t.name + "'");
        }
        spec_.tenants.push_back(std::move(t));
      }
    }
    if (spec_.tenants.empty()) spec_.tenants.push_back(Tenant{"default", 1, std::nullopt});
  }

  void ParseJob(const YAML::Node& node, const std::string& path) {
    MapReader m(r_, node, path);
    if (!m.valid()) return;
    ExplicitJobSpec e;
    e.loc = r_.Loc(node, path);
    JobSpec& j = e.job;
    const YAML::Node name = m.Get("name");
    j.name = name.IsDefined() ? r_.String(name, m.Field("name")).value_or("")
             : request_       ? "job"
                              : "job-" + std::to_string(spec_.jobs.size() + 1);
    if (request_ && name.IsDefined()) {
      // A name from the network is shown in terminals and logs: no control characters (escape
      // sequences), and short.
      const bool control = std::any_of(j.name.begin(), j.name.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
      });
      if (control || j.name.size() > 128) {
        r_.Fail(name, m.Field("name"),
                "expected at most 128 characters without control characters, got " +
                    QuotedExcerpt(j.name));
      }
    }
    const YAML::Node submit = m.Get("submit");
    if (submit.IsDefined() && request_) {
      r_.Fail(submit, m.Field("submit"), "the server sets the submission time; leave it out");
    } else if (submit.IsDefined()) {
      j.submit = r_.Duration(submit, m.Field("submit")).value_or(0);
    }
    j.gpus = ReadGpus(r_, m.Required("gpus"), m.Field("gpus")).value_or(1);
    if (request_) {
      ParseRequestOnly(m);
      // A live job's run time is unknown: the estimate is what there is; a duration is what a
      // hollow agent pretends the job runs.
      j.estimate = r_.PositiveDuration(m.Required("estimate"), m.Field("estimate")).value_or(1);
      const YAML::Node duration = m.Get("duration");
      request_->duration_given = duration.IsDefined();
      j.duration = duration.IsDefined()
                       ? r_.PositiveDuration(duration, m.Field("duration")).value_or(j.estimate)
                       : j.estimate;
    } else {
      j.duration = r_.PositiveDuration(m.Required("duration"), m.Field("duration")).value_or(1);
      const YAML::Node estimate = m.Get("estimate");
      j.estimate = estimate.IsDefined()
                       ? r_.PositiveDuration(estimate, m.Field("estimate")).value_or(j.duration)
                       : j.duration;
    }
    const YAML::Node share = m.Get("gpu_milli");
    if (share.IsDefined())
      j.gpu_milli = ReadGpuMilli(r_, share, m.Field("gpu_milli")).value_or(kMilliPerGpu);
    const YAML::Node cpus = m.Get("cpus");
    if (cpus.IsDefined()) j.cpu_milli = ReadCpuMilli(r_, cpus, m.Field("cpus")).value_or(0);
    const YAML::Node memory = m.Get("memory_gb");
    if (memory.IsDefined())
      j.memory_mib = ReadMemoryMib(r_, memory, m.Field("memory_gb")).value_or(0);
    const YAML::Node priority = m.Get("priority");
    if (priority.IsDefined())
      j.priority =
          static_cast<std::int32_t>(ReadPriority(r_, priority, m.Field("priority")).value_or(0));
    const YAML::Node tenant = m.Get("tenant");
    if (tenant.IsDefined() && request_) {
      r_.Fail(tenant, m.Field("tenant"), "the tenant comes from the token; leave it out");
    } else if (tenant.IsDefined()) {
      j.tenant = ReadTenantRef(r_, tenant, m.Field("tenant"), spec_.tenants).value_or(0);
    }
    const YAML::Node model = m.Get("gpu_model");
    if (model.IsDefined() && model.IsSequence()) {
      // A set of models: the job runs on any of them (all its GPUs of one model).
      if (model.size() == 0)
        r_.Fail(model, m.Field("gpu_model"), "expected at least one GPU model");
      for (size_t i = 0; i < model.size(); ++i) {
        const std::string f = m.Field("gpu_model") + "[" + std::to_string(i) + "]";
        if (auto model_name = ReadGpuModelName(r_, model[i], f)) {
          e.gpu_models.push_back(*model_name);
          e.gpu_model_locs.push_back(r_.Loc(model[i], f));
        }
      }
    } else if (model.IsDefined()) {
      if (auto model_name = ReadGpuModelName(r_, model, m.Field("gpu_model"))) {
        e.gpu_models.push_back(*model_name);
        e.gpu_model_locs.push_back(r_.Loc(model, m.Field("gpu_model")));
      }
    }
    const YAML::Node topology = m.Get("topology");
    if (topology.IsDefined())
      j.topology = ReadTopology(r_, topology, m.Field("topology")).value_or(Topology::kAny);
    ParseCheckpointing(m, j.checkpoint_interval, j.checkpoint_write, j.checkpoint_size_gb,
                       j.restart_overhead);
    const YAML::Node training = m.Get("training");
    if (training.IsDefined() && request_) {
      r_.Fail(training, m.Field("training"),
              "not accepted by the API: a training job's model file would be read on the server");
    } else {
      ParseTraining(training, m.Field("training"), e);
    }
    ParsePowerUtilization(m, j.power_utilization);
    ParseDeadline(m, j);
    m.Finish();
    spec_.jobs.push_back(std::move(e));
  }

  // The fields only a request has.
  void ParseRequestOnly(MapReader& m) {
    const YAML::Node command = m.Required("command");
    if (!command.IsDefined()) return;
    const std::optional<std::string> c = r_.String(command, m.Field("command"));
    if (!c) return;
    if (c->find_first_not_of(" \t\r\n\v\f") == std::string::npos) {
      r_.Fail(command, m.Field("command"), "expected a command to run, got nothing");
    } else if (c->size() > kMaxCommandBytes) {
      r_.Fail(command, m.Field("command"),
              "expected at most 65,536 bytes; a longer script belongs in a file the command runs");
    } else if (c->find('\0') != std::string::npos) {
      r_.Fail(command, m.Field("command"), "expected text without NUL characters");
    } else {
      request_->command = *c;
    }
  }

  // One value of a distribution, as a double (GPUs, milliseconds, a number, or a name's index).
  std::optional<double> Value(const YAML::Node& n, const std::string& field, ValueKind kind,
                              const std::vector<std::string>& names) {
    switch (kind) {
      case ValueKind::kGpus: {
        auto v = ReadGpus(r_, n, field);
        return v ? std::optional<double>(*v) : std::nullopt;
      }
      case ValueKind::kDuration: {
        auto v = r_.PositiveDuration(n, field);
        return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
      }
      case ValueKind::kNumber:
        return r_.PositiveNumber(n, field);
      case ValueKind::kInteger: {
        auto v = ReadPriority(r_, n, field);
        return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
      }
      case ValueKind::kGpuMilli: {
        auto v = ReadGpuMilli(r_, n, field);
        return v ? std::optional<double>(*v) : std::nullopt;
      }
      // The value in the spec's unit (the generator scales its samples); checked as a job's.
      case ValueKind::kCores:
        return ReadCpuMilli(r_, n, field) ? r_.Number(n, field) : std::nullopt;
      case ValueKind::kMemoryGb:
        return ReadMemoryMib(r_, n, field) ? r_.Number(n, field) : std::nullopt;
      case ValueKind::kGpuModel: {
        // Models form an open list: each new catalogue name gets the next index.
        auto name = ReadGpuModelName(r_, n, field);
        if (!name) return std::nullopt;
        std::vector<std::string>& models = current_generator_->gpu_models;
        for (size_t i = 0; i < models.size(); ++i) {
          if (models[i] == *name) return static_cast<double>(i);
        }
        models.push_back(*name);
        current_generator_->gpu_model_locs.push_back(r_.Loc(n, field));
        return static_cast<double>(models.size() - 1);
      }
      case ValueKind::kName: {
        auto s = r_.String(n, field);
        if (!s) return std::nullopt;
        for (size_t i = 0; i < names.size(); ++i) {
          if (names[i] == *s) return static_cast<double>(i);
        }
        r_.Fail(n, field, "unknown name '" + *s + "'; expected one of: " + ListNames(names));
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // A scalar (fixed) or {dist: ...} of values of `kind` (spec/distribution_field.h).
  std::optional<Distribution> ParseDistribution(const YAML::Node& n, const std::string& field,
                                                ValueKind kind,
                                                const std::vector<std::string>& names = {}) {
    DistributionValues values;
    values.read = [&](const YAML::Node& v, const std::string& f) {
      return Value(v, f, kind, names);
    };
    values.names = kind == ValueKind::kName || kind == ValueKind::kGpuModel;
    if (kind == ValueKind::kGpuMilli) {
      values.lognormal_needs_max =
          "a lognormal share of each GPU needs a 'max' of at most 1000 (draws above it are held "
          "at it)";
    }
    return ReadDistribution(r_, n, field, values);
  }

  void ParseGenerator(const YAML::Node& node, const std::string& path) {
    MapReader m(r_, node, path);
    if (!m.valid()) return;
    GeneratorSpec g;
    g.loc = r_.Loc(node, path);
    const YAML::Node name = m.Get("name");
    g.name = name.IsDefined() ? r_.String(name, m.Field("name")).value_or("gen")
                              : "gen" + std::to_string(spec_.generators.size() + 1);
    const YAML::Node seed = m.Get("seed");
    if (seed.IsDefined()) {
      if (auto s = r_.Integer(seed, m.Field("seed"))) g.seed = static_cast<std::uint64_t>(*s);
    }
    const YAML::Node count = m.Get("count");
    if (count.IsDefined()) g.count = r_.PositiveInteger(count, m.Field("count"));
    const YAML::Node until = m.Get("until");
    if (until.IsDefined()) g.until = r_.PositiveDuration(until, m.Field("until"));
    if (!count.IsDefined() && !until.IsDefined()) {
      r_.Fail(node, m.Field("count"),
              "a generator needs 'count', 'until' or both, or it never ends");
    }
    const YAML::Node start = m.Get("start");
    if (start.IsDefined()) g.start = r_.Duration(start, m.Field("start")).value_or(0);
    ParseArrivals(m.Required("arrivals"), m.Field("arrivals"), g);
    if (auto d = ParseDistribution(m.Required("gpus"), m.Field("gpus"), ValueKind::kGpus))
      g.gpus = *d;
    if (auto d =
            ParseDistribution(m.Required("duration"), m.Field("duration"), ValueKind::kDuration))
      g.duration_ms = *d;
    if (auto d = ParseDistribution(m.Get("estimate_factor"), m.Field("estimate_factor"),
                                   ValueKind::kNumber))
      g.estimate_factor = *d;
    if (auto d = ParseDistribution(m.Get("priority"), m.Field("priority"), ValueKind::kInteger))
      g.priority = *d;
    std::vector<std::string> tenant_names;
    for (const auto& t : spec_.tenants) tenant_names.push_back(t.name);
    if (auto d =
            ParseDistribution(m.Get("tenant"), m.Field("tenant"), ValueKind::kName, tenant_names))
      g.tenant = *d;
    const YAML::Node model = m.Get("gpu_model");
    if (model.IsDefined()) {
      current_generator_ = &g;
      if (auto d = ParseDistribution(model, m.Field("gpu_model"), ValueKind::kGpuModel))
        g.gpu_model = *d;
      current_generator_ = nullptr;
    }
    ParseTopologyRules(m.Get("topology"), m.Field("topology"), g);
    if (auto d = ParseDistribution(m.Get("gpu_milli"), m.Field("gpu_milli"), ValueKind::kGpuMilli))
      g.gpu_milli = *d;
    if (auto d = ParseDistribution(m.Get("cpus"), m.Field("cpus"), ValueKind::kCores)) g.cpus = *d;
    if (auto d = ParseDistribution(m.Get("memory_gb"), m.Field("memory_gb"), ValueKind::kMemoryGb))
      g.memory_gb = *d;
    ParseCheckpointing(m, g.checkpoint_interval, g.checkpoint_write, g.checkpoint_size_gb,
                       g.restart_overhead);
    ParsePowerUtilization(m, g.power_utilization);
    const YAML::Node deadline_after = m.Get("deadline_after");
    if (deadline_after.IsDefined())
      g.deadline_after = r_.PositiveDuration(deadline_after, m.Field("deadline_after"));
    m.Finish();
    CheckJobCount(g, count.IsDefined() ? count : until,
                  m.Field(count.IsDefined() ? "count" : "until"));
    for (const auto& other : spec_.generators) {
      if (other.name == g.name)
        r_.Fail(node, m.Field("name"), "duplicate generator name '" + g.name + "'");
    }
    spec_.generators.push_back(std::move(g));
  }

  // The generators of a workload make at most kMaxGeneratedJobs in all (docs/SPEC.md, "Limits"):
  // `count`, or with `until` alone the jobs expected by then, so that a run never finds the
  // limit by running out of memory.
  void CheckJobCount(const GeneratorSpec& g, const YAML::Node& at, const std::string& field) {
    double jobs = g.count ? static_cast<double>(*g.count) : 0;
    if (g.until) {
      // Jobs submitted from `start` to `until` at the mean gap (one at `start` when evenly spaced).
      const double span = static_cast<double>(std::max<SimTime>(0, *g.until - g.start));
      const double expected = span / g.mean_interarrival_ms + 1;
      jobs = g.count ? std::min(jobs, expected) : expected;
    }
    generated_jobs_ += jobs;
    if (generated_jobs_ > static_cast<double>(kMaxGeneratedJobs)) {
      r_.Fail(at, field,
              "expected at most " + std::to_string(kMaxGeneratedJobs) +
                  " jobs from the workload's generators in all; this generator brings them to " +
                  ShownNumber(std::floor(generated_jobs_)) +
                  (g.count ? "" : " (the jobs expected from start to until)") +
                  ": give a smaller count, a shorter until or a longer mean_interarrival");
    }
  }

  void ParseArrivals(const YAML::Node& n, const std::string& field, GeneratorSpec& g) {
    if (!n.IsDefined()) return;
    MapReader m(r_, n, field);
    if (!m.valid()) return;
    const YAML::Node process = m.Get("process");
    if (process.IsDefined()) {
      auto p = r_.String(process, m.Field("process"));
      if (p && *p == "uniform") {
        g.poisson = false;
      } else if (p && *p != "poisson") {
        r_.Fail(process, m.Field("process"), "expected 'poisson' or 'uniform', got '" + *p + "'");
      }
    }
    const YAML::Node mean = m.Get("mean_interarrival");
    const YAML::Node rate = m.Get("rate_per_hour");
    if (mean.IsDefined() == rate.IsDefined()) {
      r_.Fail(n, m.Field("mean_interarrival"),
              "give exactly one of 'mean_interarrival' or 'rate_per_hour'");
    } else if (mean.IsDefined()) {
      if (auto v = r_.PositiveDuration(mean, m.Field("mean_interarrival")))
        g.mean_interarrival_ms = static_cast<double>(*v);
    } else if (auto v = r_.PositiveNumber(rate, m.Field("rate_per_hour"))) {
      g.mean_interarrival_ms = static_cast<double>(kHour) / *v;
    }
    m.Finish();
  }

  // `topology: pod`, or `topology: {by_gpus: [{up_to: 72, topology: nvlink}, ..., {topology:
  // pod}]}`.
  void ParseTopologyRules(const YAML::Node& n, const std::string& field, GeneratorSpec& g) {
    if (!n.IsDefined()) return;
    if (n.IsScalar()) {
      if (auto t = ReadTopology(r_, n, field)) g.topology.push_back({std::nullopt, *t});
      return;
    }
    MapReader m(r_, n, field);
    const YAML::Node rules = m.Required("by_gpus");
    m.Finish();
    if (!rules.IsDefined() || !r_.ExpectSequence(rules, m.Field("by_gpus"))) return;
    for (size_t i = 0; i < rules.size(); ++i) {
      const std::string f = m.Field("by_gpus") + "[" + std::to_string(i) + "]";
      MapReader rm(r_, rules[i], f);
      TopologyRule rule;
      const YAML::Node up_to = rm.Get("up_to");
      if (up_to.IsDefined()) rule.up_to_gpus = ReadGpus(r_, up_to, rm.Field("up_to"));
      rule.topology =
          ReadTopology(r_, rm.Required("topology"), rm.Field("topology")).value_or(Topology::kAny);
      rm.Finish();
      if (!g.topology.empty() && !g.topology.back().up_to_gpus) {
        r_.Fail(rules[i], f, "unreachable: the rule before it has no 'up_to' and takes every size");
      } else if (!g.topology.empty() && rule.up_to_gpus &&
                 *rule.up_to_gpus <= *g.topology.back().up_to_gpus) {
        r_.Fail(rules[i], rm.Field("up_to"),
                "expected 'up_to' values that increase from rule to rule");
      }
      g.topology.push_back(rule);
    }
  }

  // deadline: a time (from the run's start) or deadline_after: a time after the job's submission,
  // by which its work must be done; a job has one or neither. A deadline at or before the
  // submission can never be met: an error, not a job counted late.
  void ParseDeadline(MapReader& m, JobSpec& j) {
    const YAML::Node at = m.Get("deadline");
    const YAML::Node after = m.Get("deadline_after");
    if (!at.IsDefined() && !after.IsDefined()) return;
    if (request_) {
      const YAML::Node& given = at.IsDefined() ? at : after;
      r_.Fail(given, m.Field(at.IsDefined() ? "deadline" : "deadline_after"),
              "not accepted by the API: the control plane keeps no deadlines (they are the "
              "twin's, for gpufleet sim and plan capacity)");
      return;
    }
    if (at.IsDefined() && after.IsDefined()) {
      r_.Fail(after, m.Field("deadline_after"),
              "give 'deadline' (a time from the run's start) or 'deadline_after' (after the "
              "job's submission), not both");
      return;
    }
    if (after.IsDefined()) {
      if (auto d = r_.PositiveDuration(after, m.Field("deadline_after")))
        j.deadline = j.submit + *d;
      return;
    }
    const std::optional<SimTime> d = r_.Duration(at, m.Field("deadline"));
    if (!d) return;
    if (*d <= j.submit) {
      r_.Fail(at, m.Field("deadline"),
              "expected a time after the job's submission (submit: " +
                  std::to_string(j.submit / kSecond) +
                  "s): a deadline at or before it can never be met");
      return;
    }
    j.deadline = *d;
  }

  // power_utilization: how hard a job's GPUs work, from 0 (idle power) to 1 (TDP).
  void ParsePowerUtilization(MapReader& m, float& out) {
    const YAML::Node utilization = m.Get("power_utilization");
    if (!utilization.IsDefined()) return;
    const double u = r_.NonNegativeNumber(utilization, m.Field("power_utilization")).value_or(1);
    if (u > 1) {
      r_.Fail(utilization, m.Field("power_utilization"),
              "expected a fraction from 0 (GPUs at idle power) to 1 (at TDP)");
    } else {
      out = static_cast<float>(u);
    }
  }

  // training: {model: llama3-405b | FILE, tp, pp, cp, seq, zero, global_batch_tokens,
  // min_placement_rate}: a preset or model file (relative to the workload), the job's GPUs filling
  // DP.
  void ParseTraining(const YAML::Node& node, const std::string& path, ExplicitJobSpec& e) {
    if (!node.IsDefined()) return;
    MapReader m(r_, node, path);
    if (!m.valid()) return;
    std::optional<TrainingJob> job;
    if (std::optional<ModelPreset> preset =
            ReadModelReference(r_, m.Required("model"), m.Field("model"))) {
      job = preset->job;
    }
    auto degree = [&](const char* key, int& out) {
      const YAML::Node v = m.Get(key);
      if (!v.IsDefined()) return;
      if (auto d = r_.PositiveInteger(v, m.Field(key))) {
        if (*d > 1'000'000) {
          r_.Fail(v, m.Field(key), "expected at most 1000000");
        } else {
          out = static_cast<int>(*d);
        }
      }
    };
    TrainingJob t = job.value_or(TrainingJob{});
    degree("tp", t.parallel.tp);
    degree("pp", t.parallel.pp);
    degree("cp", t.parallel.cp);
    degree("seq", t.model.seq_len);
    ReadZeroStage(r_, m, t.zero);
    ReadAttention(r_, m, t.attention);
    const YAML::Node batch = m.Get("global_batch_tokens");
    if (batch.IsDefined()) {
      t.global_batch_tokens =
          r_.PositiveNumber(batch, m.Field("global_batch_tokens")).value_or(t.global_batch_tokens);
    }
    const YAML::Node floor = m.Get("min_placement_rate");
    if (floor.IsDefined()) {
      const double f = r_.PositiveNumber(floor, m.Field("min_placement_rate")).value_or(0);
      if (f > 1) {
        r_.Fail(floor, m.Field("min_placement_rate"),
                "expected a fraction of the ideal placement's speed, at most 1");
      } else {
        e.job.min_placement_rate = static_cast<float>(f);
      }
    }
    m.Finish();
    if (!job) return;
    if (t.global_batch_tokens <= 0) {
      r_.Fail(node, m.Field("global_batch_tokens"),
              "the model gives no global batch: expected 'global_batch_tokens'");
      return;
    }
    Result<TrainingJob> placed = JobOnGpus(std::move(t), e.job.gpus);
    if (!placed.ok()) {
      r_.Fail(node, path, placed.message());
      return;
    }
    e.training = std::move(placed).value();
  }

  // checkpoint_interval (a duration or `auto`), checkpoint_write, checkpoint_size_gb and
  // restart_overhead of a job or a generator.
  void ParseCheckpointing(MapReader& m, SimTime& interval, SimTime& write, float& size_gb,
                          SimTime& restart) {
    const YAML::Node ckpt = m.Get("checkpoint_interval");
    const YAML::Node w = m.Get("checkpoint_write");
    const YAML::Node size = m.Get("checkpoint_size_gb");
    const YAML::Node overhead = m.Get("restart_overhead");
    if (w.IsDefined()) write = r_.PositiveDuration(w, m.Field("checkpoint_write")).value_or(0);
    if (size.IsDefined()) {
      size_gb =
          static_cast<float>(r_.PositiveNumber(size, m.Field("checkpoint_size_gb")).value_or(0));
    }
    if (w.IsDefined() && size.IsDefined()) {
      r_.Fail(size, m.Field("checkpoint_size_gb"),
              "give either 'checkpoint_write' or 'checkpoint_size_gb', not both");
    }
    if (ckpt.IsDefined() && ckpt.IsScalar() && ckpt.Scalar() == "auto") {
      interval = kCheckpointAuto;
      if (!w.IsDefined() && !size.IsDefined()) {
        r_.Fail(ckpt, m.Field("checkpoint_interval"),
                "'auto' needs the time to write a checkpoint: give 'checkpoint_write' or "
                "'checkpoint_size_gb'");
      }
    } else if (ckpt.IsDefined()) {
      interval = r_.PositiveDuration(ckpt, m.Field("checkpoint_interval")).value_or(0);
    }
    if (overhead.IsDefined())
      restart = r_.Duration(overhead, m.Field("restart_overhead")).value_or(0);
  }

  // failure_model: {rates: llama3 | none, scale: 1, per_node_day: {gpu: ...}, repair: {gpu: 1d},
  // restart_overhead: 10m, seed: 7}
  void ParseFailureModel(const YAML::Node& node) {
    if (!node.IsDefined()) return;
    MapReader m(r_, node, "failure_model");
    if (!m.valid()) return;
    FailureModelSpec f = DefaultFailureModel();
    const YAML::Node rates = m.Get("rates");
    const std::string preset =
        rates.IsDefined() ? r_.String(rates, m.Field("rates")).value_or("") : "llama3";
    if (preset == "none") {
      f.per_node_day.assign(kRandomFailureCategories, 0);
    } else if (preset != "llama3") {
      r_.Fail(rates, m.Field("rates"),
              "expected 'llama3' (Llama 3 405B calibration) or 'none', got '" + preset + "'");
    }
    // Rates are bounded (docs/SPEC.md, "Limits") so that the fleet's total stays a finite number.
    const YAML::Node scale = m.Get("scale");
    if (scale.IsDefined()) {
      const double k =
          r_.NumberIn(scale, m.Field("scale"), 0, kMaxFailureRate, "a factor").value_or(1);
      for (double& rate : f.per_node_day) rate *= k;
    }
    ForEachCategory(
        m.Get("per_node_day"), m.Field("per_node_day"),
        [&](int c, const YAML::Node& v, const std::string& field) {
          if (auto rate = r_.NumberIn(v, field, 0, kMaxFailureRate, "failures per node and day"))
            f.per_node_day[static_cast<size_t>(c)] = *rate;
        });
    ForEachCategory(
        m.Get("repair"), m.Field("repair"),
        [&](int c, const YAML::Node& v, const std::string& field) {
          if (static_cast<FailureCategory>(c) == FailureCategory::kSoftware) {
            r_.Fail(v, field,
                    "software failures take no hardware down, so there is nothing to repair");
          } else if (auto d = ParseDistribution(v, field, ValueKind::kDuration)) {
            f.repair_ms[static_cast<size_t>(c)] = *d;
          }
        });
    const YAML::Node overhead = m.Get("restart_overhead");
    f.restart_overhead = overhead.IsDefined()
                             ? r_.Duration(overhead, m.Field("restart_overhead")).value_or(0)
                             : kDefaultRestartOverhead;
    const YAML::Node seed = m.Get("seed");
    if (seed.IsDefined()) {
      if (auto v = r_.Integer(seed, m.Field("seed"))) {
        if (*v < 0) {
          r_.Fail(seed, m.Field("seed"), "expected an unsigned integer");
        } else {
          f.seed = static_cast<std::uint64_t>(*v);
        }
      }
    }
    m.Finish();
    spec_.failure_model = std::move(f);
  }

  // A mapping from random failure categories to values.
  template <typename Fn>
  void ForEachCategory(const YAML::Node& node, const std::string& path, Fn fn) {
    if (!node.IsDefined()) return;
    if (!node.IsMap()) {
      r_.Fail(node, path,
              std::string("expected a mapping from categories (") + RandomFailureCategoryNames() +
                  ") to values");
      return;
    }
    for (const auto& kv : node) {
      const std::string name = kv.first.Scalar();
      const std::optional<FailureCategory> c = ParseFailureCategory(name);
      if (!c || static_cast<int>(*c) >= kRandomFailureCategories) {
        r_.Fail(kv.first, path + "." + name,
                std::string("unknown failure category; expected one of ") +
                    RandomFailureCategoryNames());
        continue;
      }
      fn(static_cast<int>(*c), kv.second, path + "." + name);
    }
  }

  void ParseMaintenance(const YAML::Node& node, const std::string& path) {
    MapReader m(r_, node, path);
    if (!m.valid()) return;
    MaintenanceWindow w;
    w.at = r_.Duration(m.Required("at"), m.Field("at")).value_or(0);
    const YAML::Node target = m.Required("target");
    w.target = r_.String(target, m.Field("target")).value_or("");
    if (target.IsDefined()) w.target_loc = r_.Loc(target, m.Field("target"));
    w.duration = r_.PositiveDuration(m.Required("duration"), m.Field("duration")).value_or(0);
    m.Finish();
    spec_.maintenance.push_back(std::move(w));
  }

  void ParseOutage(const YAML::Node& node, const std::string& path) {
    MapReader m(r_, node, path);
    if (!m.valid()) return;
    OutageSpec o;
    const YAML::Node provider = m.Get("provider");
    const YAML::Node site = m.Get("site");
    if (provider.IsDefined() == site.IsDefined()) {
      r_.Fail(node, path,
              "expected exactly one of 'provider' or 'site': what the outage takes down");
    } else if (provider.IsDefined()) {
      o.provider = r_.String(provider, m.Field("provider")).value_or("");
      o.target_loc = r_.Loc(provider, m.Field("provider"));
    } else {
      o.site = r_.String(site, m.Field("site")).value_or("");
      o.target_loc = r_.Loc(site, m.Field("site"));
    }
    o.at = r_.Duration(m.Required("at"), m.Field("at")).value_or(0);
    o.duration = r_.PositiveDuration(m.Required("for"), m.Field("for")).value_or(0);
    m.Finish();
    spec_.outages.push_back(std::move(o));
  }

  void ParseFailure(const YAML::Node& node, const std::string& path) {
    MapReader m(r_, node, path);
    if (!m.valid()) return;
    ScriptedFailure f;
    f.at = r_.Duration(m.Required("at"), m.Field("at")).value_or(0);
    const YAML::Node target = m.Required("target");
    f.target = r_.String(target, m.Field("target")).value_or("");
    if (target.IsDefined()) f.target_loc = r_.Loc(target, m.Field("target"));
    const YAML::Node repair = m.Get("repair_after");
    if (repair.IsDefined()) f.repair_after = r_.PositiveDuration(repair, m.Field("repair_after"));
    const YAML::Node category = m.Get("category");
    if (category.IsDefined()) {
      const std::string name = r_.String(category, m.Field("category")).value_or("");
      const std::optional<FailureCategory> c = ParseFailureCategory(name);
      if (c && static_cast<int>(*c) < kRandomFailureCategories) {
        f.category = *c;
      } else if (!name.empty()) {
        r_.Fail(category, m.Field("category"),
                std::string("expected one of ") + RandomFailureCategoryNames() + ", got '" + name +
                    "'");
      }
    }
    m.Finish();
    spec_.failures.push_back(std::move(f));
  }

  SpecReader& r_;
  WorkloadSpec spec_;
  std::vector<bool> clean_jobs_, clean_generators_, clean_failures_, clean_maintenance_,
      clean_services_, clean_outages_;
  GeneratorSpec* current_generator_ = nullptr;  // while its gpu_model list is being read
  JobRequestSpec* request_ = nullptr;           // while a request's job is being read
  double generated_jobs_ = 0;                   // by the generators read so far, at most
};

Result<WorkloadSpec> Finish(SpecReader& r, const YAML::Node& root) {
  if (!r.ok()) return Error{r.Errors()};
  WorkloadSpec spec = WorkloadParser(r).Parse(root);
  if (!r.ok()) return Error{r.Errors()};
  return spec;
}

}  // namespace

FailureModelSpec DefaultFailureModel() {
  FailureModelSpec f;
  const auto llama3 = Llama3RatesPerNodeDay();
  f.per_node_day.assign(llama3.begin(), llama3.end());
  for (int c = 0; c < kRandomFailureCategories; ++c) {
    f.repair_ms.push_back(Distribution::Fixed(
        static_cast<double>(DefaultRepairTime(static_cast<FailureCategory>(c)))));
  }
  f.restart_overhead = kDefaultRestartOverhead;
  return f;
}

Result<WorkloadSpec> LoadWorkload(const std::string& file) {
  SpecReader r(file);
  const YAML::Node root = r.Load();
  return Finish(r, root);
}

PartialWorkload LoadWorkloadAsFarAsItGoes(const std::string& file) {
  SpecReader r(file);
  const YAML::Node root = r.Load();
  PartialWorkload out;
  if (r.ok()) {
    WorkloadParser parser(r);
    out.spec = parser.CleanItems(parser.Parse(root));
  }
  out.errors = r.ok() ? "" : r.Errors();
  return out;
}

Result<JobRequestSpec> ParseJobRequest(const std::string& body, const std::string& name) {
  SpecReader r(name);
  const YAML::Node root = LoadJsonObject(r, body);
  if (!r.ok()) return Error{r.Errors()};
  JobRequestSpec request = WorkloadParser(r).ParseRequest(root);
  if (!r.ok()) return Error{r.Errors()};
  return request;
}

Result<WorkloadSpec> ParseWorkload(const std::string& yaml, const std::string& name) {
  SpecReader r(name);
  const YAML::Node root = r.LoadString(yaml);
  return Finish(r, root);
}

}  // namespace gpufleet
