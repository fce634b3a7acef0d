// Reading fleet and workload specs (YAML). The reference for both formats is docs/SPEC.md.
#pragma once

#include <string>

#include "model/fleet.h"
#include "util/result.h"
#include "workload/workload.h"

namespace gpufleet {

Result<Fleet> LoadFleet(const std::string& file);
// `name` stands for the file name in error messages.
Result<Fleet> ParseFleet(const std::string& yaml, const std::string& name);

// The failure model `failure_model: {rates: llama3}` describes: Llama 3's rates by category, the
// default repair times and restart overhead (docs/MODELS.md, "Failures").
FailureModelSpec DefaultFailureModel();
Result<WorkloadSpec> LoadWorkload(const std::string& file);
Result<WorkloadSpec> ParseWorkload(const std::string& yaml, const std::string& name);

}  // namespace gpufleet

namespace gpufleet {

enum class SpecKind { kFleet, kWorkload };
// A fleet has `sites`; a workload has `jobs` or `generators`. Syntax errors are reported here too.
Result<SpecKind> DetectSpecKind(const std::string& file);

}  // namespace gpufleet
