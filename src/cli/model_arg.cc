#include "cli/model_arg.h"

#include <filesystem>
#include <vector>

#include "model/catalog.h"
#include "spec/model_spec.h"

namespace gpufleet::cli {

std::string PresetNames() {
  std::vector<std::string> names;
  for (const ModelPreset& p : BuiltinModelPresets()) names.push_back(p.job.model.name);
  return ListNames(names);
}

Result<ModelPreset> ResolveModel(const std::string& arg) {
  if (const ModelPreset* p = FindModelPreset(arg)) return *p;
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) return LoadModelSpec(arg);
  return Error{"--model: '" + arg + "' is neither a built-in model (" + PresetNames() +
               ") nor a model file"};
}

}  // namespace gpufleet::cli
