// Step time of a dense transformer training job on its placement (docs/MODELS.md, "Step time").
//
//   step = (m + (PP-1)/v) x t_mb + exposed DP
//   t_mb = compute/m + TP + CP + PP communication of one micro-batch on one stage
//
// with m micro-batches per data-parallel replica and v interleaved chunks per stage (1F1B; the
// bubble is (PP-1)/(v m) of the pipeline's time), compute the micro-batch's kernels on the GPU's
// roofline (physics/layer_compute.h), and each collective priced by the alpha-beta model (Thakur
// et al. 2005) on the tier its groups span (physics/network.h). Calibrated against Narayanan et
// al. SC'21 Table 1 and Korthikanti et al. 2022 (docs/MODELS.md, "Calibration"): see
// step_time_test.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/allocation.h"
#include "model/fleet.h"
#include "physics/network.h"
#include "util/result.h"

namespace gpufleet {

// Activation recomputation: none; selective (the attention core's forward again, Korthikanti
// 2022); full (every layer's forward again, as Megatron-LM SC'21).
enum class Recompute : std::uint8_t { kNone, kSelective, kFull };
// "none", "selective", "full"; and back (nullopt for any other word).
const char* RecomputeName(Recompute r);
std::optional<Recompute> ParseRecompute(std::string_view name);

// The attention kernels (docs/MODELS.md, "Compute"): FlashAttention (Dao et al. 2022-2024; every
// current stack) or the unfused scores, softmax and dropout of Megatron-LM before it (the
// calibration runs of 2021-2022).
enum class Attention : std::uint8_t { kFlash, kUnfused };
// "flash", "unfused"; and back (nullopt for any other word).
const char* AttentionName(Attention a);
std::optional<Attention> ParseAttention(std::string_view name);

struct TransformerModel {
  std::string name;
  double parameters = 0;       // N
  int layers = 0;              // L
  int hidden = 0;              // h
  int heads = 0;               // attention heads; 0 unknown
  int kv_heads = 0;            // key/value heads (grouped-query attention); 0: as many as heads
  int ffn_hidden = 0;          // the MLP's width (its GEMMs' shapes); 0: 4h. N holds its FLOPs
  int vocab = 0;               // 0 unknown (its FLOPs are inside 6N anyway)
  int seq_len = 0;             // s, tokens per sequence
  double training_tokens = 0;  // the published training run's tokens; 0 unknown
  // A gated MLP (SwiGLU, as Llama's): three matrices h x f (gate, up) and f x h, where GPT's GeLU
  // MLP has two; f defaults to 8h/3 then (the same parameters as 4h ungated).
  bool gated_mlp = false;
};

struct TrainingJob {
  TransformerModel model;
  Parallelism parallel;
  int micro_batch = 1;     // sequences per micro-batch
  int virtual_stages = 1;  // interleaved pipeline chunks per stage (Narayanan SC'21)
  Recompute recompute = Recompute::kNone;
  Attention attention = Attention::kFlash;
  // `recompute: auto`: the planner sets `recompute` to the least that fits the GPU's memory
  // (physics/training_memory.h).
  bool recompute_auto = false;
  // ZeRO stage of the data parallelism (Rajbhandari et al. 2020; FSDP full-shard = 3): what the
  // DP ranks shard - 0 nothing (gradients all-reduced), 1 the optimizer state (Megatron's
  // distributed optimizer, the default), 2 and the gradients, 3 and the parameters.
  int zero = 1;
  double global_batch_tokens = 0;
  // How fast the job's software stack runs against the modelled one (docs/MODELS.md,
  // "Implementation efficiency"): every part of the step takes 1 / this as long. 1: as modelled;
  // below 1 a stack known to be slower, above 1 one known to be faster. In (0, 2].
  double implementation_efficiency = 1;
};
inline constexpr double kMaxImplementationEfficiency = 2;

// Model FLOPs per token: 6N (Kaplan et al. 2020) plus attention scores, 12 L h s (PaLM, Chowdhery
// et al. 2022, App. B; causal masking not discounted, as Megatron-LM counts). MFU counts these.
double ModelFlopsPerToken(const TransformerModel& model);

// A GPU's figures the step depends on.
struct GpuFigures {
  double peak_flops = 0;   // dense BF16, per GPU
  double hbm_bytes_s = 0;  // HBM bandwidth; 0 unknown: memory-bound terms are not charged
  // The measured best matmul rate over the peak (model/catalog.h; 0 not measured:
  // kUnmeasuredMatmulFraction), and the SMs a GEMM's tiles run on in waves (0 unknown: no wave
  // quantization charged).
  double matmul_fraction = 1;
  int sms = 0;
};

// Gradients are reduce-scattered in fp32 and parameters all-gathered in bf16 across data-parallel
// ranks each step (Llama 3 §3.3.2 reduce-scatters gradients in FP32; ZeRO/FSDP-style sharding).
inline constexpr double kGradientBytes = 4;
inline constexpr double kParameterBytes = 2;
inline constexpr double kActivationBytes = 2;  // bf16
inline constexpr int kMaxZeroStage = 3;
// Gradients are reduced in buckets of this many parameters as the backward pass produces them
// (Megatron-LM's DDP default bucket, 40M parameters); ZeRO-3 gathers and reduces one layer at a
// time (FSDP wraps each transformer layer). Only the last bucket's traffic cannot overlap.
inline constexpr double kBucketParameters = 40e6;

// Why a job description cannot be priced, or OK.
Status ValidateTrainingJob(const TrainingJob& job);

struct StepTime {
  double step_s = 0;
  double compute_s = 0;      // all micro-batches' kernels (physics/layer_compute.h), of which
  double gemm_s = 0;         //   the parameters' GEMMs,
  double attention_s = 0;    //   attention,
  double elementwise_s = 0;  //   and the element-wise kernels at HBM bandwidth
  double bubble_s = 0;       // pipeline fill and drain
  double tp_s = 0;           // exposed (all of it) over the step
  double cp_s = 0;           // exposed (all of it)
  double pp_s = 0;           // exposed (all of it)
  double dp_s = 0;           // exposed: what the overlapped forward and backward do not hide
  double dp_total_s = 0;     // before overlap, every micro-batch's included
  double micro_batches = 0;  // per data-parallel replica
  double model_flops = 0;    // per step, ModelFlopsPerToken x tokens
};

// The step on `gpu`s joined by `links`, with groups spanning `spans`. The job must validate and
// the GPU have a peak.
StepTime EstimateStepTime(const TrainingJob& job, const GpuFigures& gpu, const LinkFigures& links,
                          const PlacementSpans& spans);

// The spans of a packed placement on a non-blocking fabric: a dimension whose groups fit in one
// NVLink domain of `domain_gpus` stays on NVLink, the others cross one leaf, without congestion.
PlacementSpans IdealSpans(const Parallelism& parallel, int domain_gpus);

// The hardware under an allocation (not empty): its first node's GPU figures, HBM per GPU and
// NVLink domain size, and the slowest links among its nodes.
struct JobHardware {
  GpuFigures gpu;
  double hbm_bytes = 0;  // capacity per GPU; 0 unknown
  int domain_gpus = 0;
  LinkFigures links;
};
JobHardware HardwareOf(const Fleet& fleet, const Allocation& allocation);

// For the simulator, once per job start: ideal step time over the step time on this allocation,
// in (0, 1]. The job must validate and the allocation hold at least its TP x CP x PP x DP GPUs
// (else 1). No heap allocation; O(GPUs x levels) per parallel dimension.
double PlacementProgressRate(const Fleet& fleet, const Allocation& allocation,
                             const TrainingJob& job);

}  // namespace gpufleet
