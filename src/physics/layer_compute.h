// The compute of one micro-batch on one pipeline stage, per GPU, from the GPU's own figures
// (docs/MODELS.md, "Compute"): each GEMM of a layer on a roofline (its arithmetic intensity against
// the GPU's FLOP-to-byte balance) at a stated kernel efficiency, attention as its own term
// (FlashAttention's FLOPs at its own rate, or the unfused softmax's memory traffic), and the
// element-wise kernels (norms, residual adds, activation function) bound by HBM bandwidth. The
// fraction of peak a job reaches therefore depends on the GPU (an H100 has about twice an A100's
// FLOPs per byte of HBM bandwidth), on the matrix sizes and on the sequence length.
#pragma once

#include "physics/step_time.h"

namespace gpufleet {

// Fraction of the GPU's best measured matmul rate (GpuFigures::matmul_fraction of its peak) that
// the layers' GEMMs reach in the modelled stack, in whole waves of tiles; fitted once to the
// calibration set (Narayanan SC'21 and Korthikanti 2022 on A100; docs/MODELS.md, "Compute").
inline constexpr double kGemmKernelEfficiency = 0.81;
// A GPU whose best matmul rate was not measured: the lowest of those measured (H100 SXM, 0.801).
inline constexpr double kUnmeasuredMatmulFraction = 0.801;
// cuBLAS's largest output tile on Ampere and Hopper: a GEMM's output is cut into tiles of this
// size, one per SM at a time, and its last wave may leave SMs idle (wave quantization).
inline constexpr int kTileRows = 128, kTileColumns = 256;
// FlashAttention's rate relative to the modelled GEMM rate on the same GPU: 0.49 of A100's peak
// and 0.45 of H100's, inside what its papers measure forward and backward together
// (FlashAttention-2 on A100, 50-73% of peak forward and less backward; on H100 FlashAttention-2
// 35%, FlashAttention-3 up to 75% forward).
inline constexpr double kFlashAttentionRelativeRate = 0.7;
// FlashAttention's backward recomputes the scores: 2.5 times the forward's FLOPs (Dao 2023).
inline constexpr double kFlashBackwardFactor = 2.5;
// Element-wise HBM traffic of one layer's forward, in bf16 values per token: the two norms (read,
// write: 2 x 2 h), the two residual adds with their bias and dropout (read two, write one: 2 x 3 h)
// - replicated on every TP rank unless sequence parallelism splits them - and the activation
// function over the MLP's hidden width (read and write f, split by TP). The backward reads the
// saved input and the incoming gradient and writes the outgoing one: twice the forward.
inline constexpr double kNormAndResidualValues = 10;
inline constexpr double kActivationValuesPerFfn = 2;
// A gated MLP's activation (SwiGLU) reads the gate's and the up projection's f values each and
// writes f.
inline constexpr double kGatedActivationValuesPerFfn = 3;
inline constexpr double kElementwiseBackwardFactor = 2;
// The unfused attention core (Megatron-LM before FlashAttention): bytes per score (one per query,
// key and head) besides the two batched GEMMs' own reads and writes - forward: the fused
// scale-mask-softmax reads and writes it (4), dropout reads it, writes it and its 1-byte mask (5);
// backward: dropout's (5) and softmax's (read two, write one: 6).
inline constexpr double kUnfusedScoreBytesForward = 9;
inline constexpr double kUnfusedScoreBytesBackward = 11;

// One micro-batch on one stage, per GPU, in seconds: the forward, and the backward with whatever
// recomputation adds. The parts say where the time goes.
struct MicroBatchCompute {
  double forward_s = 0;
  double backward_s = 0;   // recomputation included
  double gemm_s = 0;       // the parameters' GEMMs (forward, backward, recomputed)
  double attention_s = 0;  // scores and their softmax, or FlashAttention
  double memory_s = 0;     // element-wise kernels at HBM bandwidth
};

// The model's attention heads, or heads of 128 when it gives none (the compute and the memory of
// the scores count them alike).
double AttentionHeads(const TransformerModel& model);

// Whether the TP ranks also split the norms and residual adds (sequence parallelism, Korthikanti
// 2022): always with FlashAttention; with the unfused core only alongside selective recomputation,
// as the paper introduced them together.
bool SequenceParallel(const TrainingJob& job);

// The job must validate and the GPU have a peak.
MicroBatchCompute ComputeOfMicroBatch(const TrainingJob& job, const GpuFigures& gpu);

}  // namespace gpufleet
