// The --model argument of the plan commands: a built-in model preset or a model file.
#pragma once

#include <string>

#include "physics/model_preset.h"
#include "util/result.h"

namespace gpufleet::cli {

// The built-in models' names, for help and messages.
std::string PresetNames();
// A preset by name, else the model file at that path; an error naming both kinds otherwise.
Result<ModelPreset> ResolveModel(const std::string& arg);

}  // namespace gpufleet::cli
