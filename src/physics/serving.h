// One inference replica of a dense transformer (docs/MODELS.md, "Serving"): the time of one
// forward pass of a continuous batch - prompt tokens being prefilled beside sequences decoding
// one token each - on `tp` GPUs of one NVLink domain (tensor parallelism), and how many tokens of
// KV cache fit beside the weights.
//
//   iteration = max(compute, memory) + TP all-reduces
//   compute   = (2 N T + 4 L d a) / (TP x peak x e)      T tokens in the pass, a (query, key) pairs
//   memory    = (weights / TP + KV read and written / TP) / (HBM x e_hbm)
//
// with N the parameters, L the layers, d the attention width (heads x head size), e the fitted
// serving GEMM efficiency and e_hbm the achieved fraction of HBM bandwidth. Prefill is therefore
// bound by compute, decode by HBM bandwidth (every step reads all weights and every running
// sequence's KV cache) until the batch is large enough to make it compute-bound.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "model/catalog.h"
#include "physics/step_time.h"
#include "util/result.h"

namespace gpufleet {

// The number format of the weights (and the GEMMs' math) or of the KV cache.
enum class ServingPrecision : std::uint8_t { kBf16, kFp8 };
// "bf16", "fp8"; and back (nullopt for any other word).
const char* ServingPrecisionName(ServingPrecision p);
std::optional<ServingPrecision> ParseServingPrecision(std::string_view name);
double BytesPerValue(ServingPrecision p);

struct ServedModel {
  TransformerModel model;  // parameters, layers, hidden, heads, kv_heads
  ServingPrecision weights = ServingPrecision::kFp8;
  ServingPrecision kv_cache = ServingPrecision::kFp8;
};

// Fraction of the precision's dense peak that a serving iteration's GEMMs reach: fitted to the
// calibration points (MLPerf Inference v4.1 Llama-2-70B on 8 H100; TensorRT-LLM Llama-70B on one
// H200; docs/MODELS.md, "Serving"), both throughput-bound at large batches.
inline constexpr double kServingGemmEfficiency = 0.44;
// Achieved fraction of HBM bandwidth when a decode step streams the weights and the KV cache: an
// assumption (memory-bound kernels reach 80-90% of the line rate), not fitted - no decode-bound
// calibration point is published with its configuration.
inline constexpr double kServingHbmEfficiency = 0.8;
// Fraction of HBM the weights and the KV cache may fill: the rest holds activations, the CUDA
// context and the allocator's slack (vLLM's gpu_memory_utilization default, 0.9).
inline constexpr double kServingUsableHbm = 0.9;

// What one forward pass of a replica runs.
struct ReplicaIteration {
  std::int64_t prefill_tokens = 0;  // prompt tokens computed in this pass (whole prompts or chunks)
  // (query, key) pairs of those tokens under the causal mask: a chunk of c tokens after s already
  // in the cache has c s + c (c + 1) / 2.
  double prefill_attention_pairs = 0;  // ChunkAttentionPairs summed over the chunks
  std::int64_t decodes = 0;            // sequences producing one token each
  std::int64_t decode_context = 0;  // tokens those decodes attend to (and read), their own included
};

// The (query, key) pairs of a prompt chunk of `chunk` tokens after `cached` already in the cache,
// under the causal mask.
inline double ChunkAttentionPairs(std::int64_t chunk, std::int64_t cached) {
  const double c = static_cast<double>(chunk);
  return c * static_cast<double>(cached) + c * (c + 1) / 2;
}

struct IterationTime {
  double seconds = 0;
  double compute_s = 0;        // GEMMs and attention at the serving GEMM rate
  double memory_s = 0;         // weights and KV cache at HBM bandwidth
  double communication_s = 0;  // the TP all-reduces (two per layer), not overlapped
};

class ReplicaModel {
 public:
  // The model on `tp` GPUs of `gpu`: an error if the GPU has no peak at the weights' precision,
  // if TP does not divide the model's KV heads (nor TP a multiple of them), or if the weights
  // leave no room for one sequence's KV cache of `min_context` tokens.
  static Result<ReplicaModel> Make(const ServedModel& served, const GpuModel& gpu, int tp,
                                   std::int64_t min_context = 1);

  IterationTime Iteration(const ReplicaIteration& pass) const;
  // The same for a pass of mean load, whose counts need not be whole (serving_fluid.h): the time
  // is affine in each count (piecewise, through the max of compute and memory).
  IterationTime MeanIteration(double prefill_tokens, double prefill_pairs, double decodes,
                              double decode_context) const;

  int tp() const { return tp_; }
  double weight_bytes_per_gpu() const { return weight_bytes_per_gpu_; }
  double kv_bytes_per_token_per_gpu() const { return kv_bytes_per_token_per_gpu_; }
  // Tokens whose KV cache fits in the usable HBM beside the weights, summed over the sequences.
  std::int64_t kv_capacity_tokens() const { return kv_capacity_tokens_; }

 private:
  ReplicaModel() = default;
  int tp_ = 1;
  double parameters_ = 0;
  int layers_ = 0;
  double attention_width_ = 0;  // heads x head size
  double hidden_ = 0;
  double flops_s_ = 0;         // per GPU, at the serving GEMM rate
  double hbm_bytes_s_ = 0;     // per GPU, achieved
  double nvlink_bytes_s_ = 0;  // per GPU and direction, achieved
  double weight_bytes_per_gpu_ = 0;
  double kv_bytes_per_token_per_gpu_ = 0;
  std::int64_t kv_capacity_tokens_ = 0;
};

}  // namespace gpufleet
