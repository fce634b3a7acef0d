// A generic dense transformer for `gpufleet plan train --model FILE` (docs/MODELS.md, "Model
// files"). Strict as the other specs: unknown keys and bad values are errors with
// file:line:column and the field.
#pragma once

#include <string>

#include "physics/model_preset.h"
#include "util/result.h"

namespace gpufleet {

Result<ModelPreset> LoadModelSpec(const std::string& file);
// `name` stands for the file name in error messages.
Result<ModelPreset> ParseModelSpec(const std::string& yaml, const std::string& name);

}  // namespace gpufleet
