// What a training job holds in each GPU's memory, and whether it fits (docs/MODELS.md, "Memory"):
// weights, gradients and optimizer state by precision and ZeRO stage, plus the activations the
// pipeline's first stage keeps for its micro-batches in flight (Korthikanti et al. 2022, with
// sequence parallelism), against the GPU's HBM.
#pragma once

#include <cstdint>
#include <string>

#include "physics/step_time.h"
#include "util/result.h"

namespace gpufleet {

inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
// Held outside the model's tensors: the CUDA context and NCCL's buffers (an assumption: ~0.5 GiB
// each on H100-class GPUs; allocator fragmentation is not counted).
inline constexpr double kMemoryReserveBytes = 1 * kGiB;
// Bytes per parameter: bf16 weights, fp32 gradients (the main-gradient buffer that the reduction
// reads), and Adam's fp32 master weights and two moments.
inline constexpr double kOptimizerBytes = 12;

// Activations stored per layer, token and TP rank, in bytes (docs/MODELS.md, "Memory"):
// Korthikanti's 34 h for a GPT-3-style layer (with sequence parallelism; FlashAttention stores no
// attention scores), of which fused kernels that recompute the norms' outputs and the MLP's
// activation function and drop dropout's masks store 22 h (Megatron-core's selective `layernorm`
// and `mlp` recomputation; its extra FLOPs are elementwise and neglected) - the model's stated
// band - and 2 h (the layer's input) with full recomputation.
inline constexpr double kActivationBytesPerHidden = 34;
inline constexpr double kFusedActivationBytesPerHidden = 22;
inline constexpr double kFullRecomputeBytesPerHidden = 2;

// Bytes on the busiest GPU (the first pipeline stage's). Activations are a band: `activations`
// by Korthikanti's count, `activations_fused` with fused, memory-saving kernels.
struct TrainingMemory {
  double weights = 0, gradients = 0, optimizer = 0, activations = 0, activations_fused = 0;
  double reserve = kMemoryReserveBytes;
  double Total() const { return weights + gradients + optimizer + activations + reserve; }
  double FusedTotal() const {
    return weights + gradients + optimizer + activations_fused + reserve;
  }
};

// The job must validate.
TrainingMemory MemoryPerGpu(const TrainingJob& job);

// Where a job's memory falls against the HBM: below the band, inside it (it fits only with
// fused, memory-saving kernels: planned, with a warning), or above it (refused).
enum class MemoryFit : std::uint8_t { kFits, kTight, kDoesNotFit };
MemoryFit FitOf(const TrainingMemory& memory, double hbm_bytes);

// A catalogue HBM figure (the vendors' "80 GB", "141 GB") in bytes: the figure is GiB-sized
// (nvidia-smi shows 79.6 GiB on an "80 GB" H100 and 140.4 GiB on a "141 GB" H200).
inline double HbmBytes(double hbm_gb) { return hbm_gb * kGiB; }

// OK unless the job does not fit `hbm_bytes` per GPU even with fused kernels (0: unknown, not
// checked); else what does not fit by how much, and the changes that would fit at the same GPU
// count (recomputation, ZeRO stage, micro-batch, CP, TP, PP), each with its memory.
Status CheckMemoryFits(const TrainingJob& job, double hbm_bytes);

// For `recompute: auto`: the job with the least recomputation (none, selective, full) that fits
// by Korthikanti's count, else the least that fits with fused kernels, else the refusal of full
// recomputation.
Result<TrainingJob> WithLeastRecomputeThatFits(TrainingJob job, double hbm_bytes);

// "62.1 GiB".
std::string GibText(double bytes);

}  // namespace gpufleet
