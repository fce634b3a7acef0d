#include "spec/model_spec.h"

#include "spec/training_fields.h"
#include "spec/yaml_reader.h"

namespace gpufleet {
namespace {

constexpr double kMaxParameters = 1e15;

// An optional positive integer field that must fit an int.
void ReadInt(SpecReader& r, MapReader& m, const std::string& key, int& out) {
  const YAML::Node n = m.Get(key);
  if (!n.IsDefined()) return;
  if (auto v = r.PositiveInteger(n, m.Field(key))) {
    if (*v > 100'000'000) {
      r.Fail(n, m.Field(key), "expected at most 100000000");
    } else {
      out = static_cast<int>(*v);
    }
  }
}

void ReadPositive(SpecReader& r, MapReader& m, const std::string& key, double& out) {
  const YAML::Node n = m.Get(key);
  if (n.IsDefined()) out = r.PositiveNumber(n, m.Field(key)).value_or(out);
}

Result<ModelPreset> Finish(SpecReader& r, const YAML::Node& root) {
  if (!r.ok()) return Error{r.Errors()};
  ModelPreset preset;
  preset.source = "model file";
  TrainingJob& job = preset.job;
  TransformerModel& model = job.model;
  MapReader m(r, root, "");
  if (auto name = r.String(m.Required("name"), "name")) model.name = *name;
  ReadPositive(r, m, "parameters", model.parameters);
  // The shape derived from the count must fit an int (10^15 parameters: hidden ~220,000).
  if (model.parameters > kMaxParameters) {
    r.Fail(m.Get("parameters"), "parameters", "expected at most 1e15 parameters");
    model.parameters = 0;
  }
  ReadInt(r, m, "layers", model.layers);
  ReadInt(r, m, "hidden", model.hidden);
  ReadInt(r, m, "heads", model.heads);
  ReadInt(r, m, "kv_heads", model.kv_heads);
  ReadInt(r, m, "ffn_hidden", model.ffn_hidden);
  if (const YAML::Node mlp = m.Get("mlp"); mlp.IsDefined()) {
    if (auto v = r.String(mlp, "mlp")) {
      if (*v == "swiglu" || *v == "gelu") {
        model.gated_mlp = *v == "swiglu";
      } else {
        r.Fail(mlp, "mlp",
               "expected gelu (two matrices) or swiglu (gated, three), got '" + *v + "'");
      }
    }
  }
  ReadInt(r, m, "vocab", model.vocab);
  const YAML::Node seq = m.Required("seq_len");
  ReadInt(r, m, "seq_len", model.seq_len);
  ReadPositive(r, m, "training_tokens", model.training_tokens);
  ReadPositive(r, m, "global_batch_tokens", job.global_batch_tokens);
  ReadInt(r, m, "tp", job.parallel.tp);
  ReadInt(r, m, "cp", job.parallel.cp);
  ReadInt(r, m, "pp", job.parallel.pp);
  job.parallel.dp = 0;  // from the GPU count
  ReadInt(r, m, "micro_batch", job.micro_batch);
  ReadInt(r, m, "virtual_stages", job.virtual_stages);
  ReadZeroStage(r, m, job.zero);
  ReadAttention(r, m, job.attention);
  if (const YAML::Node eff = m.Get("implementation_efficiency"); eff.IsDefined()) {
    if (std::optional<double> v = r.PositiveNumber(eff, "implementation_efficiency")) {
      if (*v > kMaxImplementationEfficiency) {
        r.Fail(eff, "implementation_efficiency",
               "expected a factor above 0 and at most 2 (1: as modelled)");
      } else {
        job.implementation_efficiency = *v;
      }
    }
  }
  const YAML::Node recompute = m.Get("recompute");
  if (auto v = r.String(recompute, "recompute")) {
    if (*v == "auto") {
      job.recompute_auto = true;
    } else if (std::optional<Recompute> parsed = ParseRecompute(*v)) {
      job.recompute = *parsed;
    } else {
      r.Fail(recompute, "recompute", "expected none, selective, full or auto, got '" + *v + "'");
    }
  }
  m.Finish();
  const bool has_shape = model.layers > 0 && model.hidden > 0;
  if ((model.layers > 0) != (model.hidden > 0)) {
    r.Fail(root, model.layers > 0 ? "hidden" : "layers",
           "layers and hidden go together (or give parameters alone)");
  } else if (!has_shape && model.parameters <= 0 && m.valid()) {
    r.Fail(root, "parameters", "give parameters, or layers and hidden, or all three");
  }
  if (model.kv_heads > 0 && model.heads == 0) {
    r.Fail(m.Get("kv_heads"), "kv_heads", "kv_heads needs heads");
  }
  if (model.seq_len > 0 && job.parallel.cp > model.seq_len) {
    r.Fail(seq, "seq_len", "shorter than cp");
  }
  if (!r.ok()) return Error{r.Errors()};
  if (model.parameters <= 0)
    model.parameters = DenseParameters(model.layers, model.hidden, model.vocab);
  if (!has_shape) ShapeFromParameters(model.parameters, model.layers, model.hidden);
  return preset;
}

}  // namespace

Result<ModelPreset> LoadModelSpec(const std::string& file) {
  SpecReader r(file);
  const YAML::Node root = r.Load();
  return Finish(r, root);
}

Result<ModelPreset> ParseModelSpec(const std::string& yaml, const std::string& name) {
  SpecReader r(name);
  const YAML::Node root = r.LoadString(yaml);
  return Finish(r, root);
}

}  // namespace gpufleet
