#include "physics/training_memory.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "physics/layer_compute.h"

namespace gpufleet {
namespace {

// Tokens x hidden of one micro-batch on one GPU (its CP share of the sequences).
double TokenHidden(const TrainingJob& job) {
  const double tokens = static_cast<double>(job.model.seq_len) / job.parallel.cp * job.micro_batch;
  return tokens * job.model.hidden;
}

// Bytes one layer stores per token and hidden unit (Korthikanti et al. 2022, §4), given the bytes
// of a whole layer without recomputation (`per_layer`: 34, or 22 with fused kernels). With
// sequence parallelism every stored tensor is split over the t TP ranks: per_layer / t; without
// it the norms' and dropouts' share (10 of 34) is held whole on every rank: 10 + 24 / t, scaled
// alike for the fused count. Full recomputation stores only the layer's input (2, over t with
// sequence parallelism). The unfused attention core also stores its scores, softmax and dropout
// mask without recomputation, 5 a s / (h t) more (a heads); FlashAttention never stores them (its
// backward recomputes them), so there "none" stores what "selective" does.
double BytesPerTokenHidden(const TrainingJob& job, double per_layer) {
  const double t = job.parallel.tp, h = job.model.hidden;
  const bool sp = SequenceParallel(job);
  if (job.recompute == Recompute::kFull) return kFullRecomputeBytesPerHidden / (sp ? t : 1);
  const double scale = per_layer / kActivationBytesPerHidden;
  double bytes = sp ? per_layer / t : scale * (10 + 24 / t);
  if (job.attention == Attention::kUnfused && job.recompute == Recompute::kNone) {
    bytes += 5 * AttentionHeads(job.model) * job.model.seq_len / (h * t);
  }
  return bytes;
}

// Layers on the first pipeline stage: L / PP, or one fewer when the first and the last stage
// each hold one layer less (Llama 3 405B: 126 layers on 16 stages, 7 on the first).
double FirstStageLayers(const TrainingJob& job) {
  const std::int64_t chunks = std::int64_t{job.parallel.pp} * job.virtual_stages;
  const double l = job.model.layers, pp = job.parallel.pp;
  if (job.model.layers % chunks == 0 || job.parallel.pp == 1) return l / pp;
  return (l + 2) / pp - 1;
}

// Micro-batches whose activations the first stage holds at once: PP in 1F1B (its warm-up), or
// PP + (PP - 1) / v with v interleaved chunks (Korthikanti's (1 + (p - 1) / (p v)) L layers),
// never more than there are.
double MicroBatchesInFlight(const TrainingJob& job) {
  const double m = job.global_batch_tokens / job.model.seq_len / job.parallel.dp / job.micro_batch;
  const double pp = job.parallel.pp, v = job.virtual_stages;
  return std::min(m, v == 1 ? pp : pp + (pp - 1) / v);
}

// "62.1 GiB", or "52.0-62.1 GiB" where the band matters.
std::string BandText(const TrainingMemory& memory) {
  if (memory.FusedTotal() == memory.Total()) return GibText(memory.Total());
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f-%.1f GiB", memory.FusedTotal() / kGiB,
                memory.Total() / kGiB);
  return buf;
}

std::string WithMemory(const std::string& change, const TrainingJob& job) {
  return change + " (" + BandText(MemoryPerGpu(job)) + ")";
}

// Single changes at the same GPU count that a framework would accept, in the order of what they
// usually cost in speed: sharding more, smaller micro-batches, then more model parallelism (DP
// halves), then recomputing every layer.
std::vector<std::string> ChangesThatFit(const TrainingJob& job, double hbm_bytes) {
  std::vector<std::string> out;
  auto consider = [&](const std::string& change, const TrainingJob& changed) {
    if (ValidateTrainingJob(changed).ok() &&
        FitOf(MemoryPerGpu(changed), hbm_bytes) != MemoryFit::kDoesNotFit) {
      out.push_back(WithMemory(change, changed));
    }
  };
  for (int stage = job.zero + 1; stage <= kMaxZeroStage; ++stage) {
    TrainingJob t = job;
    t.zero = stage;
    consider("ZeRO-" + std::to_string(stage), t);
  }
  if (job.micro_batch > 1) {
    TrainingJob t = job;
    t.micro_batch = job.micro_batch / 2;
    consider("micro-batch " + std::to_string(t.micro_batch), t);
  }
  if (job.parallel.dp % 2 == 0) {
    for (const auto& [name, degree] :
         {std::pair{"CP", &Parallelism::cp}, std::pair{"PP", &Parallelism::pp},
          std::pair{"TP", &Parallelism::tp}}) {
      TrainingJob t = job;
      t.parallel.*degree *= 2;
      t.parallel.dp /= 2;
      consider(std::string(name) + " " + std::to_string(t.parallel.*degree) + " (DP " +
                   std::to_string(t.parallel.dp) + ")",
               t);
    }
  }
  if (job.recompute != Recompute::kFull) {
    TrainingJob t = job;
    t.recompute = Recompute::kFull;
    consider("recompute: full", t);
  }
  return out;
}

}  // namespace

std::string GibText(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / kGiB);
  return buf;
}

TrainingMemory MemoryPerGpu(const TrainingJob& job) {
  const Parallelism& p = job.parallel;
  // Each GPU holds 1 / (TP x PP) of the parameters; ZeRO shards them further over the DP x CP
  // ranks that hold the same slice (Megatron's distributed optimizer shards over both).
  const double shard = job.model.parameters / (static_cast<double>(p.tp) * p.pp);
  const double sharding = static_cast<double>(p.dp) * p.cp;
  TrainingMemory mem;
  mem.weights = kParameterBytes * shard;
  mem.gradients = kGradientBytes * shard;
  mem.optimizer = kOptimizerBytes * shard;
  if (job.zero >= 1) mem.optimizer /= sharding;
  if (job.zero >= 2) mem.gradients /= sharding;
  if (job.zero >= 3) {
    // Sharded weights, plus the layer being computed and the next one being gathered (FSDP's
    // prefetch) in full.
    const double layer = shard / std::max(1.0, static_cast<double>(job.model.layers) / p.pp);
    mem.weights = mem.weights / sharding + 2 * kParameterBytes * layer;
  }
  const double stored = TokenHidden(job) * FirstStageLayers(job) * MicroBatchesInFlight(job);
  mem.activations = stored * BytesPerTokenHidden(job, kActivationBytesPerHidden);
  mem.activations_fused = stored * BytesPerTokenHidden(job, kFusedActivationBytesPerHidden);
  return mem;
}

MemoryFit FitOf(const TrainingMemory& memory, double hbm_bytes) {
  if (!(hbm_bytes > 0) || memory.Total() <= hbm_bytes) return MemoryFit::kFits;
  return memory.FusedTotal() <= hbm_bytes ? MemoryFit::kTight : MemoryFit::kDoesNotFit;
}

Status CheckMemoryFits(const TrainingJob& job, double hbm_bytes) {
  if (!(hbm_bytes > 0)) return Status::Ok();
  const TrainingMemory mem = MemoryPerGpu(job);
  if (FitOf(mem, hbm_bytes) != MemoryFit::kDoesNotFit) return Status::Ok();
  std::string message =
      "the plan does not fit in GPU memory: the first pipeline stage's GPUs need " + BandText(mem) +
      " of " + GibText(hbm_bytes) + " (" + GibText(mem.FusedTotal() - hbm_bytes) +
      " short even with fused kernels): weights " + GibText(mem.weights) + ", gradients " +
      GibText(mem.gradients) + ", optimizer state " + GibText(mem.optimizer) + ", activations " +
      BandText({0, 0, 0, mem.activations, mem.activations_fused, 0}) + ", CUDA and NCCL " +
      GibText(mem.reserve);
  const std::vector<std::string> fits = ChangesThatFit(job, hbm_bytes);
  if (fits.empty()) {
    message +=
        ". No single change of ZeRO stage, micro-batch, CP, PP, TP or recomputation fits at this "
        "GPU count: combine them, or use more GPUs or GPUs with more memory";
  } else {
    message += ". Changes that fit at this GPU count: ";
    for (size_t i = 0; i < fits.size(); ++i) message += (i ? "; " : "") + fits[i];
  }
  return Error{message};
}

Result<TrainingJob> WithLeastRecomputeThatFits(TrainingJob job, double hbm_bytes) {
  for (MemoryFit enough : {MemoryFit::kFits, MemoryFit::kTight}) {
    for (Recompute r : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
      job.recompute = r;
      if (FitOf(MemoryPerGpu(job), hbm_bytes) <= enough) return job;
    }
  }
  if (Status s = CheckMemoryFits(job, hbm_bytes); !s.ok()) {
    return Error{"recompute: auto: even full recomputation does not fit: " + s.message()};
  }
  return job;
}

}  // namespace gpufleet
