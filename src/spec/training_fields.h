// Fields of a training job read alike by model files and workloads' `training:` blocks.
#pragma once

#include "spec/yaml_reader.h"

namespace gpufleet {

// `zero`, when present: a ZeRO stage 0 to 3 (TrainingJob::zero), else an error naming the field.
void ReadZeroStage(SpecReader& r, MapReader& m, int& out);

}  // namespace gpufleet
