// Fields read alike by a workload's jobs, generators and services: GPU counts and shares,
// priorities, host resources, GPU model names, topology constraints, tenants and models. Each
// reader returns nullopt after recording an error that names the field and what was expected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/job.h"
#include "physics/model_preset.h"
#include "spec/yaml_reader.h"

namespace gpufleet {

// Priorities stay well inside 32 bits, so that arithmetic on them never wraps.
inline constexpr std::int64_t kMaxPriority = 1'000'000'000;

// A job's GPUs: 1 to kMaxJobGpus.
std::optional<std::int32_t> ReadGpus(SpecReader& r, const YAML::Node& n, const std::string& field);
// A share of each GPU in milli-GPU, 1 to 1000.
std::optional<std::int32_t> ReadGpuMilli(SpecReader& r, const YAML::Node& n,
                                         const std::string& field);
// -kMaxPriority to kMaxPriority.
std::optional<std::int64_t> ReadPriority(SpecReader& r, const YAML::Node& n,
                                         const std::string& field);
// Host CPU cores and memory (GB) of a whole job, in the units jobs hold them (milli-cores, MiB).
std::optional<std::int64_t> ReadCpuMilli(SpecReader& r, const YAML::Node& n,
                                         const std::string& field);
std::optional<std::int64_t> ReadMemoryMib(SpecReader& r, const YAML::Node& n,
                                          const std::string& field);
// A GPU model of the catalogue, in any case; the catalogue's spelling is returned.
std::optional<std::string> ReadGpuModelName(SpecReader& r, const YAML::Node& n,
                                            const std::string& field);
std::optional<Topology> ReadTopology(SpecReader& r, const YAML::Node& n, const std::string& field);
// The index of a declared tenant.
std::optional<std::int32_t> ReadTenantRef(SpecReader& r, const YAML::Node& n,
                                          const std::string& field,
                                          const std::vector<Tenant>& tenants);
// A built-in model preset by name, else a model file (docs/MODELS.md, "Model files") relative to
// the spec.
std::optional<ModelPreset> ReadModelReference(SpecReader& r, const YAML::Node& n,
                                              const std::string& field);

}  // namespace gpufleet
