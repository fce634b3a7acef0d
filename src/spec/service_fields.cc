#include "spec/service_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "model/catalog.h"
#include "spec/distribution_field.h"
#include "spec/job_fields.h"
#include "util/text.h"

namespace gpufleet {
namespace {

constexpr double kMaxRequestRate = 1e6;  // requests per second
constexpr std::string_view kAzureLlmPrefix = "azure-llm:";

// A distribution of token counts: whole numbers from 1 to kMaxRequestTokens; a lognormal's tail
// must be bounded by the user's `max`.
std::optional<Distribution> ReadTokens(SpecReader& r, const YAML::Node& n,
                                       const std::string& field) {
  DistributionValues tokens;
  tokens.read = [&r](const YAML::Node& v, const std::string& f) -> std::optional<double> {
    auto t = r.IntegerIn(v, f, 1, kMaxRequestTokens, "tokens");
    return t ? std::optional<double>(static_cast<double>(*t)) : std::nullopt;
  };
  tokens.lognormal_needs_max =
      "a lognormal number of tokens needs a 'max' (the longest request the service takes)";
  return ReadDistribution(r, n, field, tokens);
}

std::optional<ServingPrecision> ReadPrecision(SpecReader& r, const YAML::Node& n,
                                              const std::string& field) {
  auto name = r.String(n, field);
  if (!name) return std::nullopt;
  auto p = ParseServingPrecision(*name);
  if (!p) r.Fail(n, field, "expected fp8 or bf16, got '" + *name + "'");
  return p;
}

// replicas: 4 (a fixed count) or {min: 1, max: 64}.
void ReadReplicas(SpecReader& r, const YAML::Node& n, const std::string& field, ServiceSpec& s) {
  if (!n.IsDefined()) return;
  if (n.IsScalar()) {
    auto v = r.IntegerIn(n, field, 1, kMaxServiceReplicas, "replicas");
    s.min_replicas = s.max_replicas = static_cast<std::int32_t>(v.value_or(1));
    return;
  }
  MapReader m(r, n, field);
  if (!m.valid()) return;
  const YAML::Node min = m.Get("min");
  std::optional<std::int64_t> least, most;
  if (min.IsDefined()) {
    least = r.IntegerIn(min, m.Field("min"), 1, kMaxServiceReplicas, "replicas");
    s.min_replicas = static_cast<std::int32_t>(least.value_or(1));
  }
  const YAML::Node max = m.Required("max");
  most = r.IntegerIn(max, m.Field("max"), 1, kMaxServiceReplicas, "replicas");
  s.max_replicas = static_cast<std::int32_t>(most.value_or(1));
  m.Finish();
  // Only between two values read: a bad max is reported once, as itself.
  if (least && most && *least > *most) r.Fail(min, m.Field("min"), "expected min <= max");
}

// slo: {ttft: 2s, tpot: 50ms, percentile: 99}.
void ReadSlo(SpecReader& r, const YAML::Node& n, const std::string& field, ServiceSpec& s) {
  if (!n.IsDefined()) return;
  s.slo_loc = r.Loc(n, field);
  MapReader m(r, n, field);
  if (!m.valid()) return;
  if (auto t = r.PositiveDuration(m.Required("ttft"), m.Field("ttft")))
    s.slo.ttft_s = ToSeconds(*t);
  if (auto t = r.PositiveDuration(m.Required("tpot"), m.Field("tpot")))
    s.slo.tpot_s = ToSeconds(*t);
  const YAML::Node percentile = m.Get("percentile");
  if (percentile.IsDefined()) {
    auto p = r.NumberIn(percentile, m.Field("percentile"), 0, 100, "a percentile");
    if (p && *p <= 0) {
      r.Fail(percentile, m.Field("percentile"), "expected a percentile above 0, at most 100");
    } else if (p) {
      s.slo.percentile = *p;
    }
  }
  m.Finish();
}

void ReadBatching(SpecReader& r, const YAML::Node& n, const std::string& field, ServiceSpec& s) {
  if (!n.IsDefined()) return;
  MapReader m(r, n, field);
  if (!m.valid()) return;
  const YAML::Node batch = m.Get("max_batch");
  if (batch.IsDefined()) {
    s.batching.max_batch = static_cast<std::int32_t>(
        r.IntegerIn(batch, m.Field("max_batch"), 1, 1'000'000, "sequences").value_or(1));
  }
  const YAML::Node tokens = m.Get("max_tokens_per_pass");
  if (tokens.IsDefined()) {
    s.batching.max_tokens_per_pass = static_cast<std::int32_t>(
        r.IntegerIn(tokens, m.Field("max_tokens_per_pass"), 1, 100'000'000, "tokens")
            .value_or(s.batching.max_batch));
  }
  m.Finish();
  if (Status ok = CheckBatchingLimits(s.batching); !ok.ok()) r.Fail(n, field, ok.message());
}

// autoscaling: {interval: 30s, scale_up_at: 0.8, target_outstanding: 24, scale_down_after: 5m,
// startup: 30s, load_gb_s: 2}, each optional.
void ReadScaling(SpecReader& r, const YAML::Node& n, const std::string& field, ServiceSpec& s) {
  if (!n.IsDefined()) return;
  MapReader m(r, n, field);
  if (!m.valid()) return;
  AutoscalePolicy& p = s.scaling.policy;
  auto fraction = [&](const char* key, double& out) {
    const YAML::Node v = m.Get(key);
    if (!v.IsDefined()) return;
    if (auto f = r.NumberIn(v, m.Field(key), 0, 1, "a fraction of the SLO targets")) {
      if (*f <= 0) {
        r.Fail(v, m.Field(key), "expected a fraction above 0, at most 1");
      } else {
        out = *f;
      }
    }
  };
  fraction("scale_up_at", p.scale_up_at);
  const YAML::Node target = m.Get("target_outstanding");
  if (target.IsDefined()) {
    s.scaling.target_outstanding =
        r.NumberIn(target, m.Field("target_outstanding"), 1, 1e6, "requests per replica");
  }
  auto duration = [&](const char* key, double& out, bool positive) {
    const YAML::Node v = m.Get(key);
    if (!v.IsDefined()) return;
    auto d = positive ? r.PositiveDuration(v, m.Field(key)) : r.Duration(v, m.Field(key));
    if (d && *d < 0) {
      r.Fail(v, m.Field(key), "expected a duration of at least 0");
    } else if (d) {
      out = ToSeconds(*d);
    }
  };
  duration("interval", p.interval_s, true);
  // A look costs a pass over the replicas and the requests in flight; finer than a second says
  // nothing more about a load that replicas take a minute to follow.
  if (const YAML::Node v = m.Get("interval"); v.IsDefined() && p.interval_s < 1) {
    r.Fail(v, m.Field("interval"), "expected an interval of at least 1s");
  }
  duration("scale_down_after", p.scale_down_after_s, false);
  duration("startup", s.scaling.startup_s, false);
  const YAML::Node bandwidth = m.Get("load_gb_s");
  if (bandwidth.IsDefined()) {
    auto b = r.NumberIn(bandwidth, m.Field("load_gb_s"), 0, 1e6, "GB/s per GPU");
    if (b && *b <= 0) {
      r.Fail(bandwidth, m.Field("load_gb_s"), "expected a bandwidth above 0 GB/s");
    } else if (b) {
      s.scaling.load_gb_s = *b;
    }
  }
  m.Finish();
}

// demand: {trace: azure-llm:FILE, rate_scale: 10} or {rate: 40, trough_rate: 8, period: 1d,
// peak_at: 14h, prompt_tokens: D, output_tokens: D, seed: 7}.
void ReadDemand(SpecReader& r, const YAML::Node& n, const std::string& field, ServiceSpec& s) {
  if (!n.IsDefined()) return;
  ServiceDemandSpec& d = s.demand;
  d.loc = r.Loc(n, field);
  MapReader m(r, n, field);
  if (!m.valid()) return;
  const YAML::Node trace = m.Get("trace");
  const YAML::Node rate = m.Get("rate");
  // The fields of the other kind of demand are refused, never ignored.
  const char* trace_only[] = {"rate_scale", "repeat"};
  const char* generated_only[] = {"trough_rate",   "period",        "peak_at",
                                  "prompt_tokens", "output_tokens", "seed"};
  if (trace.IsDefined() == rate.IsDefined()) {
    r.Fail(n, field,
           "give exactly one of 'trace' (azure-llm:FILE) or 'rate' (generated requests per "
           "second)");
    // The other keys are known; which of them belong is told once the kind is.
    for (const char* key : trace_only) m.Get(key);
    for (const char* key : generated_only) m.Get(key);
    m.Finish();
    return;
  }
  if (trace.IsDefined()) {
    for (const char* key : generated_only) {
      if (const YAML::Node v = m.Get(key); v.IsDefined())
        r.Fail(v, m.Field(key), "only for generated demand ('rate'), not with 'trace'");
    }
    if (auto text = r.String(trace, m.Field("trace"))) {
      if (text->rfind(kAzureLlmPrefix, 0) != 0) {
        r.Fail(
            trace, m.Field("trace"),
            "expected azure-llm:FILE (the Azure LLM inference trace's CSV), got '" + *text + "'");
      } else {
        d.trace_path = r.RelativeToFile(text->substr(kAzureLlmPrefix.size()));
        std::error_code ec;
        if (!std::filesystem::is_regular_file(d.trace_path, ec)) {
          r.Fail(trace, m.Field("trace"), "no such file: '" + d.trace_path + "'");
        }
      }
    }
    const YAML::Node scale = m.Get("rate_scale");
    if (scale.IsDefined()) {
      auto k = r.NumberIn(scale, m.Field("rate_scale"), 0, kMaxRequestRate, "a factor");
      if (k && *k <= 0) {
        r.Fail(scale, m.Field("rate_scale"), "expected a factor above 0");
      } else if (k) {
        d.rate_scale = *k;
      }
    }
    const YAML::Node repeat = m.Get("repeat");
    if (repeat.IsDefined()) {
      const std::optional<std::string> text = r.String(repeat, m.Field("repeat"));
      if (text && (*text == "true" || *text == "false")) {
        d.repeat = *text == "true";
      } else if (text) {
        r.Fail(repeat, m.Field("repeat"), "expected true or false, got '" + *text + "'");
      }
    }
    m.Finish();
    return;
  }
  for (const char* key : trace_only) {
    if (const YAML::Node v = m.Get(key); v.IsDefined())
      r.Fail(v, m.Field(key), "only with 'trace'; a generated demand gives its 'rate'");
  }
  if (auto peak = r.NumberIn(rate, m.Field("rate"), 0, kMaxRequestRate, "requests per second")) {
    if (*peak <= 0) {
      r.Fail(rate, m.Field("rate"), "expected a rate above 0 requests per second");
    } else {
      d.rate.peak_rps = d.rate.trough_rps = *peak;
    }
  }
  const YAML::Node trough = m.Get("trough_rate");
  const YAML::Node period = m.Get("period");
  const YAML::Node peak_at = m.Get("peak_at");
  if (trough.IsDefined()) {
    if (auto t = r.NonNegativeNumber(trough, m.Field("trough_rate"))) {
      if (d.rate.peak_rps > 0 && *t > d.rate.peak_rps) {
        r.Fail(trough, m.Field("trough_rate"), "expected at most 'rate' (the peak)");
      } else {
        d.rate.trough_rps = *t;
      }
    }
    if (period.IsDefined()) {
      if (auto p = r.PositiveDuration(period, m.Field("period"))) d.rate.period_s = ToSeconds(*p);
    }
    if (peak_at.IsDefined()) {
      if (auto p = r.Duration(peak_at, m.Field("peak_at"))) {
        if (*p < 0 || ToSeconds(*p) >= d.rate.period_s) {
          r.Fail(peak_at, m.Field("peak_at"), "expected a time within the period, from 0");
        } else {
          d.rate.peak_at_s = ToSeconds(*p);
        }
      }
    }
  } else {
    for (const auto& [v, key] : {std::pair{period, "period"}, std::pair{peak_at, "peak_at"}}) {
      if (v.IsDefined())
        r.Fail(v, m.Field(key), "only for a diurnal demand: give 'trough_rate' too");
    }
  }
  if (auto t = ReadTokens(r, m.Required("prompt_tokens"), m.Field("prompt_tokens")))
    d.prompt_tokens = *t;
  if (auto t = ReadTokens(r, m.Required("output_tokens"), m.Field("output_tokens")))
    d.output_tokens = *t;
  const YAML::Node seed = m.Get("seed");
  if (seed.IsDefined()) {
    if (auto v = r.IntegerIn(seed, m.Field("seed"), 0, INT64_MAX, "a seed"))
      d.seed = static_cast<std::uint64_t>(*v);
  }
  m.Finish();
}

// fluid: {window: 60s}: the service served in aggregate, by windows of 1 s to 1 d (default 1 min).
void ReadFluid(SpecReader& r, const YAML::Node& n, const std::string& field, ServiceSpec& s) {
  if (!n.IsDefined()) return;
  MapReader m(r, n, field);
  if (!m.valid()) return;
  s.fluid_window_s = 60;
  const YAML::Node window = m.Get("window");
  if (window.IsDefined()) {
    if (auto w = r.PositiveDuration(window, m.Field("window"))) {
      if (*w < kSecond || *w > kDay) {
        r.Fail(window, m.Field("window"), "expected a window from 1s to 1d");
      } else {
        s.fluid_window_s = ToSeconds(*w);
      }
    }
  }
  m.Finish();
}

// The replica must hold the weights and the largest request; an idle replica must meet the SLO for
// the smallest request. Called only on a service read without errors.
void CheckPhysics(SpecReader& r, const YAML::Node& node, MapReader& m, const ServiceSpec& s) {
  const GpuModel* gpu = FindGpuModel(s.gpu_model);
  if (gpu == nullptr) return;  // reported
  const bool generated = s.demand.trace_path.empty();
  // Token counts are drawn as doubles and rounded (workload/serving_demand.h).
  const auto largest =
      generated ? std::llround(s.demand.prompt_tokens.Max() + s.demand.output_tokens.Max()) : 1;
  Result<ReplicaModel> replica = ReplicaModel::Make(s.served, *gpu, s.gpus_per_replica, largest);
  if (!replica.ok()) {
    r.Fail(m.Get("gpus_per_replica").IsDefined() ? m.Get("gpus_per_replica") : node,
           m.Field("gpus_per_replica"), replica.message());
    return;
  }
  // The smallest request: no request is served faster, so if it misses the SLO alone on an idle
  // replica, no count of replicas meets it. A trace's smallest is not known until it is read: the
  // smallest possible stands for it (and the run checks the whole trace).
  ServingRequest smallest;
  smallest.prompt_tokens =
      generated ? static_cast<std::int32_t>(std::max(1.0, std::round(s.demand.prompt_tokens.Min())))
                : 1;
  smallest.output_tokens = 2;  // a TPOT needs two output tokens
  const bool has_tpot = !generated || std::llround(s.demand.output_tokens.Max()) >= 2;
  const IdleLatency idle = IdleLatencyBound(replica.value(), s.batching, {smallest}, 100);
  const YAML::Node slo = m.Get("slo");
  char text[320];
  if (idle.ttft_s > s.slo.ttft_s) {
    std::snprintf(text, sizeof text,
                  "no replica meets it, even idle: the smallest request (%d prompt tokens) takes "
                  "%.3f s to its first token alone on an idle replica, against %.3f s",
                  smallest.prompt_tokens, idle.ttft_s, s.slo.ttft_s);
    r.Fail(slo["ttft"], s.slo_loc.field + ".ttft", text);
  } else if (has_tpot && idle.tpot_s > s.slo.tpot_s) {
    std::snprintf(text, sizeof text,
                  "no replica meets it, even idle: one decode step of the smallest request alone "
                  "on an idle replica takes %.4f s, against %.4f s",
                  idle.tpot_s, s.slo.tpot_s);
    r.Fail(slo["tpot"], s.slo_loc.field + ".tpot", text);
  }
}

}  // namespace

std::optional<ServiceSpec> ReadService(SpecReader& r, const YAML::Node& node,
                                       const std::string& path,
                                       const std::vector<Tenant>& tenants) {
  MapReader m(r, node, path);
  if (!m.valid()) return std::nullopt;
  const size_t errors_before = r.error_count();
  ServiceSpec s;
  s.loc = r.Loc(node, path);
  const YAML::Node name = m.Required("name");
  s.name = r.String(name, m.Field("name")).value_or("");
  if (auto model = ReadModelReference(r, m.Required("model"), m.Field("model")))
    s.served.model = model->job.model;
  const YAML::Node precision = m.Get("precision");
  if (precision.IsDefined()) {
    s.served.weights = ReadPrecision(r, precision, m.Field("precision")).value_or(s.served.weights);
  }
  s.served.kv_cache = s.served.weights;
  const YAML::Node kv = m.Get("kv_cache");
  if (kv.IsDefined()) {
    s.served.kv_cache = ReadPrecision(r, kv, m.Field("kv_cache")).value_or(s.served.kv_cache);
  }
  const YAML::Node gpu_model = m.Required("gpu_model");
  s.gpu_model = ReadGpuModelName(r, gpu_model, m.Field("gpu_model")).value_or("");
  if (gpu_model.IsDefined()) s.gpu_model_loc = r.Loc(gpu_model, m.Field("gpu_model"));
  s.gpus_per_replica =
      static_cast<std::int32_t>(r.IntegerIn(m.Required("gpus_per_replica"),
                                            m.Field("gpus_per_replica"), 1, kMaxReplicaGpus, "GPUs")
                                    .value_or(1));
  const YAML::Node topology = m.Get("topology");
  if (topology.IsDefined()) {
    auto t = ReadTopology(r, topology, m.Field("topology"));
    if (t && *t != Topology::kNvlink) {
      r.Fail(topology, m.Field("topology"),
             "expected nvlink: a replica's tensor parallelism runs within one NVLink domain");
    }
  }
  ReadReplicas(r, m.Required("replicas"), m.Field("replicas"), s);
  ReadSlo(r, m.Required("slo"), m.Field("slo"), s);
  ReadBatching(r, m.Get("batching"), m.Field("batching"), s);
  ReadScaling(r, m.Get("autoscaling"), m.Field("autoscaling"), s);
  const YAML::Node priority = m.Get("priority");
  if (priority.IsDefined()) {
    s.priority =
        static_cast<std::int32_t>(ReadPriority(r, priority, m.Field("priority")).value_or(0));
  }
  const YAML::Node tenant = m.Get("tenant");
  if (tenant.IsDefined())
    s.tenant = ReadTenantRef(r, tenant, m.Field("tenant"), tenants).value_or(0);
  ReadDemand(r, m.Required("demand"), m.Field("demand"), s);
  ReadFluid(r, m.Get("fluid"), m.Field("fluid"), s);
  m.Finish();
  s.scaling.policy.min_replicas = s.min_replicas;
  s.scaling.policy.max_replicas = s.max_replicas;
  if (r.error_count() == errors_before) CheckPhysics(r, node, m, s);
  return s;
}

}  // namespace gpufleet
