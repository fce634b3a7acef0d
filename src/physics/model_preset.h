// Built-in training jobs: published dense transformers with the parallelism and global batch of
// their published runs where known (docs/MODELS.md, "Model presets"). A generic model comes from
// a small YAML file instead (spec/model_spec.h).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "physics/step_time.h"

namespace gpufleet {

// A job description whose data-parallel degree is left to the GPU count (parallel.dp == 0).
struct ModelPreset {
  TrainingJob job;
  const char* source = "";  // where the figures come from
};

const std::vector<ModelPreset>& BuiltinModelPresets();

// The job on `gpus` GPUs: DP = gpus / (TP x CP x PP) when parallel.dp is 0, else TP x CP x PP x DP
// must equal gpus; then validated (ValidateTrainingJob). For the simulator, a workload's training
// job is a preset or model file plus its GPU count.
Result<TrainingJob> JobOnGpus(TrainingJob job, std::int64_t gpus);
const ModelPreset* FindModelPreset(std::string_view name);

// Parameter count of a GPT-style dense transformer from its shape: 12 L h^2 (attention 4h^2, MLP
// 8h^2 per layer) + V h (embedding, tied with the output layer) (Kaplan et al. 2020, Narayanan
// SC'21).
double DenseParameters(int layers, int hidden, int vocab);
// A shape for a parameter count alone: hidden / layers = 128 as GPT-3 175B (12,288 / 96), hidden a
// multiple of 128, 12 L h^2 = N.
void ShapeFromParameters(double parameters, int& layers, int& hidden);

}  // namespace gpufleet
