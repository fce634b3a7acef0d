// Fields of a training job read alike by model files and workloads' `training:` blocks.
#pragma once

#include "physics/step_time.h"
#include "spec/yaml_reader.h"

namespace gpufleet {

// `zero`, when present: a ZeRO stage 0 to 3 (TrainingJob::zero), else an error naming the field.
void ReadZeroStage(SpecReader& r, MapReader& m, int& out);
// `attention`, when present: flash or unfused (TrainingJob::attention), else an error naming it.
void ReadAttention(SpecReader& r, MapReader& m, Attention& out);

}  // namespace gpufleet
