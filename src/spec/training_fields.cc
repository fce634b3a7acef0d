#include "spec/training_fields.h"

#include <string>

#include "physics/step_time.h"

namespace gpufleet {

void ReadZeroStage(SpecReader& r, MapReader& m, int& out) {
  const YAML::Node n = m.Get("zero");
  if (!n.IsDefined()) return;
  if (auto v = r.Integer(n, m.Field("zero"))) {
    if (*v < 0 || *v > kMaxZeroStage) {
      r.Fail(n, m.Field("zero"), "expected a ZeRO stage 0, 1, 2 or 3, got " + std::to_string(*v));
    } else {
      out = static_cast<int>(*v);
    }
  }
}

void ReadAttention(SpecReader& r, MapReader& m, Attention& out) {
  const YAML::Node n = m.Get("attention");
  if (!n.IsDefined()) return;
  if (auto v = r.String(n, m.Field("attention"))) {
    if (std::optional<Attention> parsed = ParseAttention(*v)) {
      out = *parsed;
    } else {
      r.Fail(n, m.Field("attention"), "expected flash or unfused, got '" + *v + "'");
    }
  }
}

}  // namespace gpufleet
