#include "physics/layer_compute.h"

#include <algorithm>
#include <cmath>

namespace gpufleet {
namespace {

// Arithmetic intensity of a bf16 GEMM of m x k by k x n (FLOPs per byte): 2mkn FLOPs over 2 bytes
// for each value of the two inputs and the output read or written once. The same for the two
// backward GEMMs of the same shape (the formula is symmetric in m, k and n).
double Intensity(double m, double k, double n) { return m * k * n / (m * k + k * n + m * n); }

// How much longer than at the kernel efficiency a GEMM of this intensity takes: 1 when it is
// compute-bound, else the GPU's balance at that efficiency over the intensity (the roofline).
double RooflineFactor(double intensity, double balance) {
  return balance > 0 ? std::max(1.0, balance / intensity) : 1.0;
}

// The share of the SMs a GEMM with a rows x cols output keeps busy: its tiles run in waves of
// `sms`, the last one perhaps part full (1 when the SM count is unknown).
double WaveUtilization(double rows, double cols, int sms) {
  if (sms <= 0) return 1;
  const double tiles = std::ceil(rows / kTileRows) * std::ceil(cols / kTileColumns);
  return tiles / (std::ceil(tiles / sms) * sms);
}

// How much longer than at full waves the forward GEMM m x k x n takes (its output m x n), and its
// two backward GEMMs together (the input's gradient, output m x k, and the weight's, k x n; each
// as many FLOPs as the forward): 1 / utilization, and the mean of the two.
double ForwardWaveFactor(double m, double n, int sms) { return 1 / WaveUtilization(m, n, sms); }
double BackwardWaveFactor(double m, double k, double n, int sms) {
  return (1 / WaveUtilization(m, k, sms) + 1 / WaveUtilization(k, n, sms)) / 2;
}

}  // namespace

double AttentionHeads(const TransformerModel& model) {
  return model.heads > 0 ? model.heads : model.hidden / 128.0;
}

bool SequenceParallel(const TrainingJob& job) {
  return job.parallel.tp > 1 &&
         (job.attention == Attention::kFlash || job.recompute == Recompute::kSelective);
}

MicroBatchCompute ComputeOfMicroBatch(const TrainingJob& job, const GpuFigures& gpu) {
  const TransformerModel& model = job.model;
  const Parallelism& par = job.parallel;
  const double t = par.tp, h = model.hidden, s = model.seq_len;
  const double tokens = static_cast<double>(job.micro_batch) * s / par.cp;  // this GPU's rows
  const double layers = static_cast<double>(model.layers) / par.pp;
  const double ffn =
      model.ffn_hidden > 0 ? model.ffn_hidden : (model.gated_mlp ? 8 * h / 3 : 4 * h);
  const double mlp_in = model.gated_mlp ? 2 * ffn : ffn;  // a gated MLP's gate and up together
  const double kv_width =
      (model.heads > 0 && model.kv_heads > 0) ? h * model.kv_heads / model.heads : h;
  const double head_dim = h / AttentionHeads(model);
  // Large GEMMs' rate, FLOP/s. A matmul fraction of 0 means "not measured": never a zero rate.
  const double matmul_fraction =
      gpu.matmul_fraction > 0 ? gpu.matmul_fraction : kUnmeasuredMatmulFraction;
  const double rate = gpu.peak_flops * matmul_fraction * kGemmKernelEfficiency;
  const double bandwidth = gpu.hbm_bytes_s;
  // FLOPs per byte the GPU can feed at the kernel efficiency: above it a GEMM is compute-bound.
  const double balance = bandwidth > 0 ? rate / bandwidth : 0;
  auto memory_time = [bandwidth](double bytes) { return bandwidth > 0 ? bytes / bandwidth : 0; };

  // The parameters' GEMMs: 2N FLOPs per token forward, on this stage's share of the layers and
  // this TP rank's share of each. Each of the layer's four GEMMs is bound either by its memory
  // traffic (the roofline) or by its compute in waves of tiles, whichever takes longer; weighted
  // by FLOPs (the embedding and the logits take the layers' factor).
  struct Gemm {
    double k, n;
  };
  const Gemm layer_gemms[] = {
      {h, (h + 2 * kv_width) / t},  // query, key and value projection
      {h / t, h},                   // attention output projection
      {h, mlp_in / t},              // MLP in (gate and up, for a gated MLP)
      {ffn / t, h},                 // MLP out
  };
  double forward_weighted = 0, backward_weighted = 0, weights = 0;
  for (const Gemm& g : layer_gemms) {
    const double roofline = RooflineFactor(Intensity(tokens, g.k, g.n), balance);
    forward_weighted += g.k * g.n * std::max(roofline, ForwardWaveFactor(tokens, g.n, gpu.sms));
    backward_weighted +=
        g.k * g.n * std::max(roofline, BackwardWaveFactor(tokens, g.k, g.n, gpu.sms));
    weights += g.k * g.n;
  }
  const double gemm_flops = 2 * model.parameters / (t * par.pp) * tokens;
  const double gemm_forward = gemm_flops / rate * forward_weighted / weights;
  const double gemm_backward = 2 * gemm_flops / rate * backward_weighted / weights;

  // Attention: q x s scores per head for this GPU's q = tokens queries against the sequence's s
  // keys (context parallelism gathers them), heads split by TP.
  const double scores = tokens * s * (h / head_dim) / t * layers;
  const double score_flops = 4 * scores * head_dim;  // Q K^T and P V, forward
  double attention_forward = 0, attention_backward = 0, attention_recompute = 0;
  if (job.attention == Attention::kFlash) {
    // Causal: FlashAttention skips the masked half of the blocks. Its HBM traffic is its inputs
    // and outputs (the scores stay on chip): forward reads Q, K, V and writes O; backward reads
    // Q, K, V, O and O's gradient and writes the gradients of Q, K and V. It is bound by
    // whichever takes longer - its FLOPs except for very short sequences.
    const double flops_forward = score_flops / 2 / (rate * kFlashAttentionRelativeRate);
    const double io_values = tokens * layers / t;
    attention_forward =
        std::max(flops_forward, memory_time(io_values * (2 * h + 2 * kv_width) * kActivationBytes));
    attention_backward =
        std::max(kFlashBackwardFactor * flops_forward,
                 memory_time(io_values * (4 * h + 4 * kv_width) * kActivationBytes));
    // The scores are never stored, so only a full recomputation runs the forward again.
    if (job.recompute == Recompute::kFull) attention_recompute = attention_forward;
  } else {
    // Every score computed (masking does not skip), the two batched GEMMs per head of intensity
    // q x d x s, and the softmax and dropout at HBM bandwidth.
    const double per_sequence_queries = s / par.cp;
    const double bmm =
        score_flops / rate * RooflineFactor(Intensity(per_sequence_queries, head_dim, s), balance);
    attention_forward = bmm + memory_time(kUnfusedScoreBytesForward * scores);
    attention_backward = 2 * bmm + memory_time(kUnfusedScoreBytesBackward * scores);
    // Selective recomputation is exactly this: the attention core's forward again.
    if (job.recompute != Recompute::kNone) attention_recompute = attention_forward;
  }

  // Element-wise kernels at HBM bandwidth.
  const double norm_values = kNormAndResidualValues * h / (SequenceParallel(job) ? t : 1);
  const double elementwise_forward = memory_time(
      tokens * layers *
      (norm_values +
       (model.gated_mlp ? kGatedActivationValuesPerFfn : kActivationValuesPerFfn) * ffn / t) *
      kActivationBytes);

  const double forward = gemm_forward + attention_forward + elementwise_forward;
  const bool full = job.recompute == Recompute::kFull;
  MicroBatchCompute out;
  out.forward_s = forward;
  out.backward_s = gemm_backward + attention_backward + attention_recompute +
                   kElementwiseBackwardFactor * elementwise_forward +
                   (full ? gemm_forward + elementwise_forward : 0);
  out.gemm_s = gemm_backward + (full ? 2 : 1) * gemm_forward;
  out.attention_s = attention_forward + attention_backward + attention_recompute;
  out.memory_s = (1 + kElementwiseBackwardFactor + (full ? 1 : 0)) * elementwise_forward;
  return out;
}

}  // namespace gpufleet
