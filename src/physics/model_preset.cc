#include "physics/model_preset.h"

#include <algorithm>
#include <cmath>

#include "util/checked_number.h"

namespace gpufleet {
namespace {

ModelPreset Preset(TransformerModel model, Parallelism parallel, int virtual_stages,
                   Recompute recompute, double global_batch_tokens, const char* source) {
  ModelPreset p;
  p.job.model = std::move(model);
  p.job.parallel = parallel;
  p.job.parallel.dp = 0;  // from the GPU count
  p.job.virtual_stages = virtual_stages;
  p.job.recompute = recompute;
  p.job.global_batch_tokens = global_batch_tokens;
  p.source = source;
  return p;
}

}  // namespace

const std::vector<ModelPreset>& BuiltinModelPresets() {
  // Fields of TransformerModel: name, N, L, h, heads, kv_heads, ffn, vocab, seq, training tokens,
  // gated MLP (Llama's SwiGLU).
  static const std::vector<ModelPreset> kPresets = {
      // Llama 3 (arXiv 2407.21783) Table 3: 32 layers, 4,096 hidden, 32 heads / 8 KV heads,
      // FFN 14,336, vocab 128,256; "over 15T tokens". Parallelism and the 4M-token batch (the
      // 405B run's first batch size) are our choice: the paper publishes none for 8B.
      Preset({"llama3-8b", 8.03e9, 32, 4096, 32, 8, 14336, 128256, 8192, 15e12, true}, {1, 1, 1, 0},
             1, Recompute::kNone, 512 * 8192.0,
             "Llama 3 Table 3; parallelism and 4M-token batch our choice"),
      // Llama 3 Table 3: 80 layers, 8,192 hidden, 64 heads / 8 KV heads, FFN 28,672. TP8 PP4,
      // the 4M-token batch and the 405B run's 4 interleaved chunks are our choice.
      Preset({"llama3-70b", 70.6e9, 80, 8192, 64, 8, 28672, 128256, 8192, 15e12, true},
             {8, 1, 4, 0}, 4, Recompute::kNone, 512 * 8192.0,
             "Llama 3 Table 3; parallelism and 4M-token batch our choice"),
      // Llama 3 Table 3: 126 layers, 16,384 hidden, 128 heads / 8 KV heads, FFN 53,248; Table 4:
      // TP8 CP1 PP16 (DP128 on 16,384 GPUs), 16M tokens per batch (2,048 sequences of 8,192);
      // 15.6T tokens (Llama 3.1 model card). The paper interleaves pipeline stages; 4 chunks
      // per stage is our assumption (it reproduces Table 4's 41% MFU, docs/MODELS.md).
      Preset({"llama3-405b", 405e9, 126, 16384, 128, 8, 53248, 128256, 8192, 15.6e12, true},
             {8, 1, 16, 0}, 4, Recompute::kNone, 2048 * 8192.0,
             "Llama 3 Tables 3-4, Llama 3.1 model card; 4 interleaved chunks our assumption"),
      // GPT-3 (Brown et al. 2020) Table 2.1: 96 layers, 12,288 hidden, 96 heads, context 2,048,
      // batch 3.2M tokens (1,536 sequences), 300B tokens, vocab 50,257. TP8 PP8 with selective
      // recomputation as Korthikanti 2022 Table 3.
      Preset({"gpt3-175b", 175e9, 96, 12288, 96, 0, 49152, 50257, 2048, 300e9}, {8, 1, 8, 0}, 1,
             Recompute::kSelective, 1536 * 2048.0,
             "GPT-3 Table 2.1; TP8 PP8 selective recomputation as Korthikanti 2022"),
  };
  return kPresets;
}

const ModelPreset* FindModelPreset(std::string_view name) {
  for (const ModelPreset& p : BuiltinModelPresets()) {
    if (p.job.model.name == name) return &p;
  }
  return nullptr;
}

Result<TrainingJob> JobOnGpus(TrainingJob job, std::int64_t gpus) {
  Parallelism& p = job.parallel;
  if (p.tp < 1 || p.cp < 1 || p.pp < 1 || p.dp < 0) {
    return Error{"every parallel degree (TP, CP, PP, DP) must be at least 1"};
  }
  // Each degree may be up to 10^8 (model files): the products are checked, never wrapped.
  const std::optional<std::int64_t> tp_cp = CheckedMul(p.tp, p.cp);
  const std::optional<std::int64_t> inner_or = tp_cp ? CheckedMul(*tp_cp, p.pp) : std::nullopt;
  const std::optional<std::int64_t> all =
      inner_or ? CheckedMul(*inner_or, std::max(p.dp, 1)) : std::nullopt;
  if (!all) {
    return Error{"TP x CP x PP x DP is beyond any GPU count (the job has " + std::to_string(gpus) +
                 " GPUs)"};
  }
  const std::int64_t inner = *inner_or;
  if (p.dp > 0 && *all != gpus) {
    return Error{"TP x CP x PP x DP = " + std::to_string(*all) + " but the job has " +
                 std::to_string(gpus) + " GPUs"};
  }
  if (p.dp == 0) {
    if (gpus < 1 || gpus % inner != 0) {
      return Error{std::to_string(gpus) +
                   " GPUs is not a multiple of TP x CP x PP = " + std::to_string(inner)};
    }
    p.dp = static_cast<int>(gpus / inner);
  }
  if (Status s = ValidateTrainingJob(job); !s.ok()) return Error{s.message()};
  return job;
}

double DenseParameters(int layers, int hidden, int vocab) {
  const double l = layers, h = hidden;
  return 12 * l * h * h + static_cast<double>(vocab) * h;
}

void ShapeFromParameters(double parameters, int& layers, int& hidden) {
  // 12 L h^2 = N with L = h / 128: h^3 = 128 N / 12.
  const double h = std::cbrt(128 * parameters / 12);
  hidden = std::max(128, static_cast<int>(std::lround(h / 128)) * 128);
  layers = std::max(1, static_cast<int>(std::lround(parameters / (12.0 * hidden * hidden))));
}

}  // namespace gpufleet
