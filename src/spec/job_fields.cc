#include "spec/job_fields.h"

#include <filesystem>

#include "model/catalog.h"
#include "spec/model_spec.h"
#include "util/text.h"

namespace gpufleet {

std::optional<std::int32_t> ReadGpus(SpecReader& r, const YAML::Node& n, const std::string& field) {
  auto v = r.PositiveInteger(n, field);
  if (v && *v > kMaxJobGpus) {
    r.Fail(n, field, "expected at most 10000000 GPUs");
    return std::nullopt;
  }
  return v ? std::optional<std::int32_t>(static_cast<std::int32_t>(*v)) : std::nullopt;
}

std::optional<std::int32_t> ReadGpuMilli(SpecReader& r, const YAML::Node& n,
                                         const std::string& field) {
  auto v = r.Integer(n, field);
  if (v && (*v < 1 || *v > kMilliPerGpu)) {
    r.Fail(n, field, "expected a share of each GPU in milli-GPU, from 1 to 1000");
    return std::nullopt;
  }
  return v ? std::optional<std::int32_t>(static_cast<std::int32_t>(*v)) : std::nullopt;
}

std::optional<std::int64_t> ReadPriority(SpecReader& r, const YAML::Node& n,
                                         const std::string& field) {
  auto v = r.Integer(n, field);
  if (v && (*v > kMaxPriority || *v < -kMaxPriority)) {
    r.Fail(n, field, "expected a priority between -1000000000 and 1000000000");
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> ReadCpuMilli(SpecReader& r, const YAML::Node& n,
                                         const std::string& field) {
  return r.ScaledInteger(n, field, 1000, 0, kMaxJobCpuMilli, "host CPU cores");
}

std::optional<std::int64_t> ReadMemoryMib(SpecReader& r, const YAML::Node& n,
                                          const std::string& field) {
  return r.ScaledInteger(n, field, 1024, 0, kMaxJobMemoryMib, "host memory in GB");
}

std::optional<std::string> ReadGpuModelName(SpecReader& r, const YAML::Node& n,
                                            const std::string& field) {
  auto name = r.String(n, field);
  if (!name) return std::nullopt;
  const GpuModel* model = FindGpuModel(*name);
  if (model == nullptr) {
    std::vector<std::string> known;
    for (const auto& g : BuiltinGpuModels()) known.push_back(g.name);
    r.Fail(n, field, "unknown GPU model '" + *name + "'; expected one of: " + ListNames(known));
    return std::nullopt;
  }
  return model->name;
}

std::optional<Topology> ReadTopology(SpecReader& r, const YAML::Node& n, const std::string& field) {
  auto name = r.String(n, field);
  if (!name) return std::nullopt;
  auto t = ParseTopology(*name);
  if (!t) r.Fail(n, field, "expected one of nvlink, leaf, pod, site, any, got '" + *name + "'");
  return t;
}

std::optional<std::int32_t> ReadTenantRef(SpecReader& r, const YAML::Node& n,
                                          const std::string& field,
                                          const std::vector<Tenant>& tenants) {
  auto name = r.String(n, field);
  if (!name) return std::nullopt;
  std::vector<std::string> known;
  for (size_t i = 0; i < tenants.size(); ++i) {
    if (tenants[i].name == *name) return static_cast<std::int32_t>(i);
    known.push_back(tenants[i].name);
  }
  r.Fail(n, field, "unknown tenant '" + *name + "'; declared tenants: " + ListNames(known));
  return std::nullopt;
}

std::optional<ModelPreset> ReadModelReference(SpecReader& r, const YAML::Node& n,
                                              const std::string& field) {
  if (!n.IsDefined()) return std::nullopt;
  const std::string name = r.String(n, field).value_or("");
  if (name.empty()) return std::nullopt;
  if (const ModelPreset* preset = FindModelPreset(name)) return *preset;
  const std::filesystem::path file = r.RelativeToFile(name);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    std::vector<std::string> names;
    for (const ModelPreset& p : BuiltinModelPresets()) names.push_back(p.job.model.name);
    r.Fail(
        n, field,
        "expected a built-in model (" + ListNames(names) + ") or a model file, got '" + name + "'");
    return std::nullopt;
  }
  Result<ModelPreset> loaded = LoadModelSpec(file.string());
  if (!loaded.ok()) {
    r.Fail(n, field, loaded.message());
    return std::nullopt;
  }
  return std::move(loaded).value();
}

}  // namespace gpufleet
