#include "physics/serving.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "physics/layer_compute.h"
#include "physics/network.h"
#include "physics/training_memory.h"

namespace gpufleet {

const char* ServingPrecisionName(ServingPrecision p) {
  return p == ServingPrecision::kBf16 ? "bf16" : "fp8";
}

std::optional<ServingPrecision> ParseServingPrecision(std::string_view name) {
  if (name == "bf16") return ServingPrecision::kBf16;
  if (name == "fp8") return ServingPrecision::kFp8;
  return std::nullopt;
}

double BytesPerValue(ServingPrecision p) { return p == ServingPrecision::kBf16 ? 2 : 1; }

Result<ReplicaModel> ReplicaModel::Make(const ServedModel& served, const GpuModel& gpu, int tp,
                                        std::int64_t min_context) {
  const TransformerModel& m = served.model;
  const std::string what = "model '" + m.name + "' on " + std::to_string(tp) + " " + gpu.name;
  if (tp < 1) return Error{what + ": tensor parallelism must be at least 1"};
  if (m.parameters <= 0 || m.layers <= 0 || m.hidden <= 0) {
    return Error{what + ": the model needs its parameters, layers and hidden size"};
  }
  const double peak_tflops =
      served.weights == ServingPrecision::kFp8 ? gpu.fp8_tflops : gpu.bf16_tflops;
  if (peak_tflops <= 0) {
    return Error{what + ": the GPU has no " + ServingPrecisionName(served.weights) + " peak"};
  }
  if (gpu.hbm_gb <= 0 || gpu.hbm_tb_s <= 0) {
    return Error{what + ": the GPU's HBM capacity and bandwidth are needed"};
  }
  const double heads = AttentionHeads(m);
  const double kv_heads = m.kv_heads > 0 ? m.kv_heads : heads;
  const double head_size = m.hidden / heads;
  // TP splits the KV heads; past their number each GPU keeps one (replicated).
  const int kv_heads_int = static_cast<int>(kv_heads);
  if (kv_heads_int % tp != 0 && tp % kv_heads_int != 0) {
    return Error{what + ": tensor parallelism " + std::to_string(tp) + " neither divides the " +
                 std::to_string(kv_heads_int) + " KV heads nor is a multiple of them"};
  }
  const double kv_heads_per_gpu = std::max(1.0, kv_heads / tp);

  ReplicaModel r;
  r.tp_ = tp;
  r.parameters_ = m.parameters;
  r.layers_ = m.layers;
  r.attention_width_ = heads * head_size;
  r.hidden_ = m.hidden;
  r.flops_s_ = peak_tflops * 1e12 * kServingGemmEfficiency;
  r.hbm_bytes_s_ = gpu.hbm_tb_s * 1e12 * kServingHbmEfficiency;
  // Per direction, as the training model takes it (physics/network.h).
  r.nvlink_bytes_s_ = (gpu.nvlink_gb_s > 0 ? gpu.nvlink_gb_s / 2 * 1e9 : 16e9) * kLinkEfficiency;
  r.weight_bytes_per_gpu_ = m.parameters * BytesPerValue(served.weights) / tp;
  // Keys and values of every layer.
  r.kv_bytes_per_token_per_gpu_ =
      2.0 * m.layers * kv_heads_per_gpu * head_size * BytesPerValue(served.kv_cache);
  const double free_bytes = HbmBytes(gpu.hbm_gb) * kServingUsableHbm - r.weight_bytes_per_gpu_;
  r.kv_capacity_tokens_ =
      free_bytes <= 0
          ? 0
          : static_cast<std::int64_t>(std::floor(free_bytes / r.kv_bytes_per_token_per_gpu_));
  if (r.kv_capacity_tokens_ < std::max<std::int64_t>(1, min_context)) {
    return Error{
        what + ": the weights (" + std::to_string(std::llround(r.weight_bytes_per_gpu_ / kGiB)) +
        " GiB per GPU) leave room for the KV cache of " + std::to_string(r.kv_capacity_tokens_) +
        " tokens, fewer than the " + std::to_string(std::max<std::int64_t>(1, min_context)) +
        " one sequence needs: use more GPUs per replica or a smaller precision"};
  }
  return r;
}

IterationTime ReplicaModel::Iteration(const ReplicaIteration& pass) const {
  return MeanIteration(static_cast<double>(pass.prefill_tokens), pass.prefill_attention_pairs,
                       static_cast<double>(pass.decodes), static_cast<double>(pass.decode_context));
}

IterationTime ReplicaModel::MeanIteration(double prefill_tokens, double prefill_pairs,
                                          double decodes, double decode_context) const {
  IterationTime t;
  const double tokens = prefill_tokens + decodes;
  if (tokens <= 0) return t;
  // Every token passes every weight matrix (2 FLOPs per parameter; the embedding counted as a
  // matrix, ~1.5% of a 70B model); each (query, key) pair costs 2 d for the scores and 2 d for
  // the weighted values in every layer.
  const double pairs = prefill_pairs + decode_context;
  const double flops = 2 * parameters_ * tokens + 4.0 * layers_ * attention_width_ * pairs;
  t.compute_s = flops / tp_ / flops_s_;
  // The pass reads each GPU's shard of the weights once, the decodes' cached keys and values, and
  // writes those of every new token.
  const double bytes = weight_bytes_per_gpu_ + kv_bytes_per_token_per_gpu_ * decode_context +
                       kv_bytes_per_token_per_gpu_ * tokens;
  t.memory_s = bytes / hbm_bytes_s_;
  if (tp_ > 1) {
    // Two ring all-reduces per layer (after attention and after the MLP) of the pass's
    // activations, each 2 (TP - 1) steps of alpha plus 2 (TP - 1) / TP of the bytes per GPU.
    const double message = tokens * hidden_ * kActivationBytes;
    const double steps = 2.0 * (tp_ - 1);
    const double one =
        steps * TierAlphaSeconds(Tier::kNvlink) + steps / tp_ * message / nvlink_bytes_s_;
    t.communication_s = 2.0 * layers_ * one;
  }
  t.seconds = std::max(t.compute_s, t.memory_s) + t.communication_s;
  return t;
}

}  // namespace gpufleet
