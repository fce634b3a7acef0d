#include "physics/step_time.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "physics/layer_compute.h"
#include "physics/training_memory.h"

namespace gpufleet {
namespace {

// alpha-beta costs (REFERENCE.md "alpha-beta model"; Thakur, Rabenseifner & Gropp 2005) of p
// ranks, n bytes per rank's buffer, per-direction bandwidth beta (bytes/s).
double RingAllReduce(int p, double n, double beta, double alpha) {
  if (p <= 1) return 0;
  return 2.0 * (p - 1) * alpha + 2.0 * (p - 1) / p * n / beta;
}
// Reduce-scatter and all-gather of a buffer of n bytes in total.
double RingReduceScatter(int p, double n, double beta, double alpha) {
  if (p <= 1) return 0;
  return (p - 1) * alpha + static_cast<double>(p - 1) / p * n / beta;
}

struct Tiers {
  double beta, alpha;
};
Tiers TierOf(const LinkFigures& links, const GroupSpan& span) {
  return {EffectiveBandwidth(links, span), TierAlphaSeconds(span.tier)};
}

// The ranks that hold the same shard of the parameters (DP x CP of them), as NCCL reduces over
// them: `local` ranks inside an NVLink domain first, then `remote` ranks across the network each
// carrying 1/local of the buffer (physics/network.h, PlacementSpans). CP ranks join the local
// phase when their groups stay inside a domain, else the network ring.
struct DataParallelGroup {
  int local = 1, remote = 1;
  Tiers intra{1, 0}, inter{1, 0};
};
DataParallelGroup GroupOf(const TrainingJob& job, const LinkFigures& links,
                          const PlacementSpans& spans) {
  const Parallelism& par = job.parallel;
  const bool cp_local = par.cp > 1 && spans.cp.tier == Tier::kNvlink;
  DataParallelGroup g;
  g.local = spans.dp_local * (cp_local ? par.cp : 1);
  g.remote = par.dp * par.cp / g.local;
  if (spans.dp_local > 1) g.intra = TierOf(links, spans.dp_local_span);
  if (cp_local) {
    const Tiers cp = TierOf(links, spans.cp);
    g.intra = spans.dp_local > 1
                  ? Tiers{std::min(g.intra.beta, cp.beta), std::max(g.intra.alpha, cp.alpha)}
                  : cp;
  }
  g.inter = TierOf(links, spans.dp);
  return g;
}

// Reduce-scatter (or all-gather: the same cost) of n bytes per rank over the group.
double GroupReduceScatter(const DataParallelGroup& g, double n) {
  return RingReduceScatter(g.local, n, g.intra.beta, g.intra.alpha) +
         RingReduceScatter(g.remote, n / g.local, g.inter.beta, g.inter.alpha);
}

// Communication overlapped with the compute that produces (or consumes) it in `buckets` equal
// parts, one after another: the last bucket is always exposed, and what exceeds the compute.
double Exposed(double comm, double compute, double buckets) {
  if (!(comm > 0)) return 0;
  return std::max(comm / buckets, comm - compute * (buckets - 1) / buckets);
}

}  // namespace

const char* RecomputeName(Recompute r) {
  return r == Recompute::kFull ? "full" : r == Recompute::kSelective ? "selective" : "none";
}

std::optional<Recompute> ParseRecompute(std::string_view name) {
  for (Recompute r : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
    if (name == RecomputeName(r)) return r;
  }
  return std::nullopt;
}

double ModelFlopsPerToken(const TransformerModel& model) {
  return 6 * model.parameters +
         12.0 * model.layers * static_cast<double>(model.hidden) * model.seq_len;
}

const char* AttentionName(Attention a) { return a == Attention::kUnfused ? "unfused" : "flash"; }

std::optional<Attention> ParseAttention(std::string_view name) {
  for (Attention a : {Attention::kFlash, Attention::kUnfused}) {
    if (name == AttentionName(a)) return a;
  }
  return std::nullopt;
}

namespace {

// "1, 2, 4, 5, 8, 10, 16, 20, 40 and 80": the divisors of n (at most the first 24).
std::string DivisorsText(std::int64_t n) {
  std::vector<std::int64_t> small, large;
  for (std::int64_t d = 1; d * d <= n; ++d) {
    if (n % d != 0) continue;
    small.push_back(d);
    if (d != n / d) large.push_back(n / d);
  }
  small.insert(small.end(), large.rbegin(), large.rend());
  std::string out;
  const size_t shown = std::min<size_t>(small.size(), 24);
  for (size_t i = 0; i < shown; ++i) {
    out += i == 0 ? "" : i + 1 == shown && shown == small.size() ? " and " : ", ";
    out += std::to_string(small[i]);
  }
  return shown < small.size() ? out + ", ..." : out;
}

// A whole count, in digits ("4194304"). Counts beyond 64 bits (a batch of 2e19 tokens, which a
// spec may give) are printed from the double: the conversion would be undefined.
std::string Whole(double v) {
  if (std::fabs(v) < 9e18) return std::to_string(static_cast<std::int64_t>(v));
  char digits[512];
  std::snprintf(digits, sizeof digits, "%.0f", std::trunc(v));
  return digits;
}

}  // namespace

Status ValidateTrainingJob(const TrainingJob& job) {
  const TransformerModel& m = job.model;
  const Parallelism& p = job.parallel;
  if (!(m.parameters > 0)) return Error{"the model's parameter count must be positive"};
  if (m.layers < 1 || m.hidden < 1 || m.seq_len < 1) {
    return Error{"the model needs layers, hidden size and sequence length of at least 1"};
  }
  if (p.tp < 1 || p.cp < 1 || p.pp < 1 || p.dp < 1) {
    return Error{"every parallel degree (TP, CP, PP, DP) must be at least 1"};
  }
  if (!(job.implementation_efficiency > 0 &&
        job.implementation_efficiency <= kMaxImplementationEfficiency)) {
    return Error{"the implementation efficiency must be above 0 and at most 2 (1: as modelled)"};
  }
  if (job.zero < 0 || job.zero > kMaxZeroStage) {
    return Error{"the ZeRO stage must be 0, 1, 2 or 3"};
  }
  if (job.micro_batch < 1 || job.virtual_stages < 1) {
    return Error{"micro-batch size and virtual pipeline stages must be at least 1"};
  }
  // In 64 bits: each may be up to 10^8 (model files), and their product must not wrap.
  const std::int64_t stages = std::int64_t{p.pp} * job.virtual_stages;
  if (m.layers < stages) {
    return Error{"PP x virtual stages (" + std::to_string(stages) + ") exceeds the model's " +
                 std::to_string(m.layers) + " layers"};
  }
  // What a framework refuses (Megatron-LM's argument checks), each said with a way out. Layers
  // split evenly over the pipeline's chunks, or with one fewer in the first and the last stage
  // (Llama 3 405B: 126 layers on 16 stages; Megatron's first/last-stage layer counts).
  if (m.layers % stages != 0 && (m.layers + 2) % stages != 0) {
    return Error{
        "the model's " + std::to_string(m.layers) +
        " layers do not split evenly into PP x virtual stages = " + std::to_string(stages) +
        " pipeline chunks (nor with one layer fewer in the first and last stage): "
        "choose PP x virtual stages among " +
        DivisorsText(m.layers) + " (or of " + std::to_string(m.layers + 2) + ")"};
  }
  if (m.hidden % p.tp != 0) {
    return Error{"the hidden size " + std::to_string(m.hidden) + " does not divide among TP = " +
                 std::to_string(p.tp) + " ranks: choose TP among " + DivisorsText(m.hidden)};
  }
  if (m.heads > 0 && m.heads % p.tp != 0) {
    return Error{"the model's " + std::to_string(m.heads) +
                 " attention heads do not divide among " + "TP = " + std::to_string(p.tp) +
                 " ranks: choose TP among " + DivisorsText(m.heads)};
  }
  if (m.kv_heads > 0 && (m.kv_heads > m.heads || m.heads % m.kv_heads != 0)) {
    return Error{"the model's " + std::to_string(m.kv_heads) + " key/value heads must divide its " +
                 std::to_string(m.heads) + " attention heads (grouped-query attention)"};
  }
  if (p.cp > m.seq_len) return Error{"CP exceeds the sequence length"};
  if (p.cp > 1 && job.attention == Attention::kUnfused) {
    return Error{
        "context parallelism needs FlashAttention (Megatron-LM's CP runs on it): use "
        "attention: flash, or CP 1"};
  }
  const double sequences = job.global_batch_tokens / m.seq_len;
  if (!(sequences >= static_cast<double>(p.dp) * job.micro_batch)) {
    return Error{"the global batch of " + std::to_string(static_cast<std::int64_t>(sequences)) +
                 " sequences is smaller than DP x micro-batch (" +
                 std::to_string(std::int64_t{p.dp} * job.micro_batch) + ")"};
  }
  // A step is whole sequences, and each data-parallel replica takes whole micro-batches of them.
  const double whole = std::floor(sequences);
  if (whole != sequences) {
    return Error{"the global batch of " + Whole(job.global_batch_tokens) +
                 " tokens is not a whole number of " + std::to_string(m.seq_len) +
                 "-token sequences: use " + Whole(whole * m.seq_len) + " or " +
                 Whole((whole + 1) * m.seq_len) + " tokens"};
  }
  const double per_step = static_cast<double>(p.dp) * job.micro_batch;
  if (std::fmod(sequences, per_step) != 0) {
    const double fewer = std::floor(sequences / per_step) * per_step;
    return Error{"the global batch of " + Whole(sequences) +
                 " sequences does not divide into DP x micro-batch = " + Whole(per_step) +
                 " (whole micro-batches per replica): use " + Whole(fewer) + " or " +
                 Whole(fewer + per_step) + " sequences (" + Whole(fewer * m.seq_len) + " or " +
                 Whole((fewer + per_step) * m.seq_len) + " tokens), or a DP that divides " +
                 Whole(sequences / job.micro_batch)};
  }
  return Status::Ok();
}

StepTime EstimateStepTime(const TrainingJob& job, const GpuFigures& gpu, const LinkFigures& links,
                          const PlacementSpans& spans) {
  const TransformerModel& m = job.model;
  const Parallelism& par = job.parallel;
  const double tokens = job.global_batch_tokens;
  const double s = m.seq_len, h = m.hidden, b = job.micro_batch, v = job.virtual_stages;
  const double layers_per_stage = static_cast<double>(m.layers) / par.pp;

  StepTime out;
  out.model_flops = ModelFlopsPerToken(m) * tokens;
  out.micro_batches = tokens / s / (par.dp * b);
  const MicroBatchCompute compute = ComputeOfMicroBatch(job, gpu);
  out.compute_s = out.micro_batches * (compute.forward_s + compute.backward_s);
  out.gemm_s = out.micro_batches * compute.gemm_s;
  out.attention_s = out.micro_batches * compute.attention_s;
  out.elementwise_s = out.micro_batches * compute.memory_s;

  // TP: an all-reduce (or reduce-scatter + all-gather, the same volume, with sequence
  // parallelism) of the layer's activations after attention and after the MLP, forward and
  // backward, and again in a full recomputation's forward (Megatron-LM). Not overlapped.
  const double activations = b * (s / par.cp) * h * kActivationBytes;
  const Tiers tp = TierOf(links, spans.tp);
  const double tp_per_layer = job.recompute == Recompute::kFull ? 6 : 4;
  const double tp_mb =
      layers_per_stage * tp_per_layer * RingAllReduce(par.tp, activations, tp.beta, tp.alpha);

  // CP: all-gather of the other ranks' K and V per layer forward, reduce-scatter of their
  // gradients backward (Llama 3 §3.3.2); K/V are narrower than h with grouped-query attention.
  const double kv_width = (m.heads > 0 && m.kv_heads > 0) ? h * m.kv_heads / m.heads : h;
  const double kv = 2 * b * (s / par.cp) * kv_width * kActivationBytes;
  const Tiers cp = TierOf(links, spans.cp);
  const double cp_per_layer = job.recompute == Recompute::kFull ? 3 : 2;
  const double cp_mb =
      layers_per_stage * cp_per_layer * RingReduceScatter(par.cp, kv * par.cp, cp.beta, cp.alpha);

  // PP: each micro-batch's activations forward and their gradients backward cross each of a
  // stage's v chunk boundaries, split over the TP ranks (Megatron's scatter/gather).
  const Tiers pp = TierOf(links, spans.pp);
  const double pp_mb = par.pp > 1 ? 2 * v * (pp.alpha + activations / par.tp / pp.beta) : 0;

  // DP (docs/MODELS.md, "Data parallelism"): each GPU's shard of N / (TP x PP) parameters is
  // reduced over the DP x CP ranks that hold it, hierarchically where several share an NVLink
  // domain; what is sent, and when, depends on the ZeRO stage, and it overlaps the forward or
  // backward compute that produces or consumes it, bucket by bucket.
  const DataParallelGroup group = GroupOf(job, links, spans);
  const double shard = m.parameters / (static_cast<double>(par.tp) * par.pp);
  const double gradients = GroupReduceScatter(group, shard * kGradientBytes);
  const double parameters = GroupReduceScatter(group, shard * kParameterBytes);
  const double compute_mb = compute.forward_s + compute.backward_s;
  const double forward_mb = compute.forward_s;
  const double backward_mb = compute.backward_s;  // recomputation runs in the backward pass
  const double buckets = std::max(1.0, std::ceil(shard / kBucketParameters));
  const double layer_buckets = std::max(1.0, std::floor(layers_per_stage));
  double per_mb_exposed = 0, per_mb_total = 0, per_step_exposed = 0, per_step_total = 0;
  switch (job.zero) {
    case 0:  // all-reduce of the accumulated gradients under the last micro-batch's backward
      per_step_total = 2 * gradients;
      per_step_exposed = Exposed(2 * gradients, backward_mb, buckets);
      break;
    case 1:  // reduce-scatter under the last backward, all-gather under the next first forward
      per_step_total = gradients + parameters;
      per_step_exposed =
          Exposed(gradients, backward_mb, buckets) + Exposed(parameters, forward_mb, buckets);
      break;
    case 2:  // sharded gradients cannot accumulate: reduce-scattered after every backward
      per_mb_total = gradients;
      per_mb_exposed = Exposed(gradients, backward_mb, buckets);
      per_step_total = parameters;
      per_step_exposed = Exposed(parameters, forward_mb, buckets);
      break;
    default:  // 3: parameters gathered layer by layer for every forward and again for every
              // backward, gradients reduce-scattered after it
      per_mb_total = 2 * parameters + gradients;
      per_mb_exposed = Exposed(parameters, forward_mb, layer_buckets) +
                       Exposed(parameters + gradients, backward_mb, layer_buckets);
      break;
  }

  const double t_mb = compute_mb + tp_mb + cp_mb + pp_mb + per_mb_exposed;
  const double m_count = out.micro_batches;
  out.tp_s = m_count * tp_mb;
  out.cp_s = m_count * cp_mb;
  out.pp_s = m_count * pp_mb;
  out.bubble_s = (par.pp - 1) / v * t_mb;
  out.dp_total_s = per_step_total + m_count * per_mb_total;
  out.dp_s = per_step_exposed + m_count * per_mb_exposed;

  out.step_s = (m_count + (par.pp - 1) / v) * t_mb + per_step_exposed;
  // What the user knows of their stack: every part scaled alike, so the parts still add up.
  if (job.implementation_efficiency != 1) {
    const double k = 1 / job.implementation_efficiency;
    for (double* part :
         {&out.step_s, &out.compute_s, &out.gemm_s, &out.attention_s, &out.elementwise_s,
          &out.bubble_s, &out.tp_s, &out.cp_s, &out.pp_s, &out.dp_s, &out.dp_total_s})
      *part *= k;
  }
  return out;
}

PlacementSpans IdealSpans(const Parallelism& parallel, int domain_gpus) {
  auto span = [domain_gpus](std::int64_t extent) {
    GroupSpan g;
    if (extent > domain_gpus) g.tier = Tier::kLeaf;
    return g;
  };
  const std::int64_t tp = parallel.tp, cp = parallel.cp, pp = parallel.pp, dp = parallel.dp;
  PlacementSpans spans;
  if (tp > 1) spans.tp = span(tp);
  if (cp > 1) spans.cp = span(tp * cp);
  if (pp > 1) spans.pp = span(tp * cp * pp);
  // Data parallelism as NCCL runs it: the DP ranks of one domain reduce over NVLink, the rest
  // crosses the network (one leaf away) if the DP groups span more than one domain.
  spans.dp_local = DataParallelRanksPerDomain(parallel, domain_gpus);
  if (dp > spans.dp_local) spans.dp = span(tp * cp * pp * dp);
  return spans;
}

JobHardware HardwareOf(const Fleet& fleet, const Allocation& allocation) {
  JobHardware hw;
  const NodeId first = allocation.nodes.front().node;
  const NodeType& type = fleet.node_types()[static_cast<size_t>(fleet.NodeTypeOf(first))];
  const GpuModel& gpu = fleet.gpu_models()[static_cast<size_t>(fleet.NodeModel(first))];
  hw.gpu.peak_flops = gpu.bf16_tflops * 1e12;
  hw.gpu.hbm_bytes_s = gpu.hbm_tb_s * 1e12;
  hw.gpu.matmul_fraction = gpu.matmul_fraction;  // 0, not measured: layer_compute's default
  hw.gpu.sms = gpu.sms;
  hw.hbm_bytes = HbmBytes(gpu.hbm_gb);
  hw.domain_gpus = type.gpus_per_node * type.nodes_per_domain;
  hw.links = LinksOf(fleet, allocation);
  return hw;
}

double PlacementProgressRate(const Fleet& fleet, const Allocation& allocation,
                             const TrainingJob& job) {
  if (allocation.empty()) return 1;
  Result<PlacementSpans> actual = SpansOf(fleet, allocation, job.parallel);
  if (!actual.ok()) return 1;
  const JobHardware hw = HardwareOf(fleet, allocation);
  if (!(hw.gpu.peak_flops > 0)) return 1;  // a GPU without figures: nothing to compare
  const double ideal =
      EstimateStepTime(job, hw.gpu, hw.links, IdealSpans(job.parallel, hw.domain_gpus)).step_s;
  const double placed = EstimateStepTime(job, hw.gpu, hw.links, actual.value()).step_s;
  if (!(placed > 0)) return 1;
  return std::clamp(ideal / placed, 1e-9, 1.0);
}

}  // namespace gpufleet
