#include "spec/distribution_field.h"

#include <utility>
#include <vector>

namespace gpufleet {
namespace {

std::optional<Distribution> ParseChoice(SpecReader& r, MapReader& m,
                                        const DistributionValues& element) {
  const YAML::Node values = m.Required("values");
  const YAML::Node weights = m.Get("weights");
  if (!values.IsDefined() || !r.ExpectSequence(values, m.Field("values"))) return std::nullopt;
  if (values.size() == 0) {
    r.Fail(values, m.Field("values"), "expected at least one value");
    return std::nullopt;
  }
  std::vector<double> vs, ws;
  bool good = true;
  for (size_t i = 0; i < values.size(); ++i) {
    auto v = element.read(values[i], m.Field("values") + "[" + std::to_string(i) + "]");
    good = good && v.has_value();
    vs.push_back(v.value_or(0));
  }
  if (weights.IsDefined()) {
    if (!r.ExpectSequence(weights, m.Field("weights"))) return std::nullopt;
    if (weights.size() != values.size()) {
      r.Fail(weights, m.Field("weights"),
             "expected as many weights as values (" + std::to_string(values.size()) + ")");
      return std::nullopt;
    }
    double sum = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      auto w = r.NonNegativeNumber(weights[i], m.Field("weights") + "[" + std::to_string(i) + "]");
      good = good && w.has_value();
      ws.push_back(w.value_or(0));
      sum += w.value_or(0);
    }
    if (good && sum <= 0) {
      r.Fail(weights, m.Field("weights"), "expected weights with a positive sum");
      return std::nullopt;
    }
  } else {
    ws.assign(vs.size(), 1.0);
  }
  if (!good) return std::nullopt;
  return Distribution::Choice(std::move(vs), std::move(ws));
}

std::optional<Distribution> ParseLognormal(SpecReader& r, MapReader& m,
                                           const DistributionValues& element) {
  auto median = element.read(m.Required("median"), m.Field("median"));
  auto sigma = r.NonNegativeNumber(m.Required("sigma"), m.Field("sigma"));
  const YAML::Node min_n = m.Get("min");
  const YAML::Node max_n = m.Get("max");
  std::optional<double> lo =
      min_n.IsDefined() ? element.read(min_n, m.Field("min")) : std::optional<double>(0.0);
  std::optional<double> hi =
      max_n.IsDefined() ? element.read(max_n, m.Field("max")) : std::optional<double>(1e300);
  if (!median || !sigma || !lo || !hi) return std::nullopt;
  if (*lo > *hi) {
    // Report where the user wrote something: at max when min is left at its default of 0.
    if (min_n.IsDefined()) {
      r.Fail(min_n, m.Field("min"), "expected min <= max");
    } else {
      r.Fail(max_n, m.Field("max"), "expected max >= min (0 when not given)");
    }
    return std::nullopt;
  }
  if (*median <= 0) {
    r.Fail(m.Get("median"), m.Field("median"), "expected a positive median");
    return std::nullopt;
  }
  if (!element.lognormal_needs_max.empty() && !max_n.IsDefined()) {
    // Its tail passes the values' bound, and draws above a lognormal's max are held at it: the
    // bound must be the user's, never a silent clamp.
    r.Fail(m.Get("median"), m.Field("max"), element.lognormal_needs_max);
    return std::nullopt;
  }
  return Distribution::Lognormal(*median, *sigma, *lo, *hi);
}

std::optional<Distribution> ParseEmpirical(SpecReader& r, MapReader& m,
                                           const DistributionValues& element) {
  const YAML::Node points = m.Required("points");
  const YAML::Node scale = m.Get("scale");
  bool log_scale = false;
  if (scale.IsDefined()) {
    auto s = r.String(scale, m.Field("scale"));
    if (s && *s == "log") {
      log_scale = true;
    } else if (s && *s != "linear") {
      r.Fail(scale, m.Field("scale"), "expected 'linear' or 'log', got '" + *s + "'");
    }
  }
  if (!points.IsDefined() || !r.ExpectSequence(points, m.Field("points"))) return std::nullopt;
  std::vector<std::pair<double, double>> pts;
  for (size_t i = 0; i < points.size(); ++i) {
    const std::string f = m.Field("points") + "[" + std::to_string(i) + "]";
    const YAML::Node p = points[i];
    if (!p.IsSequence() || p.size() != 2) {
      r.Fail(p, f, "expected a pair [cumulative probability, value]");
      return std::nullopt;
    }
    auto prob = r.Number(p[0], f + "[0]");
    auto value = element.read(p[1], f + "[1]");
    if (!prob || !value) return std::nullopt;
    if (*prob < 0 || *prob > 1 || (!pts.empty() && *prob < pts.back().first)) {
      r.Fail(p[0], f + "[0]", "expected cumulative probabilities rising from 0 to 1");
      return std::nullopt;
    }
    if (!pts.empty() && *value < pts.back().second) {
      r.Fail(p[1], f + "[1]", "expected values that do not decrease");
      return std::nullopt;
    }
    pts.emplace_back(*prob, *value);
  }
  if (pts.size() < 2 || pts.front().first != 0 || pts.back().first != 1) {
    r.Fail(points, m.Field("points"),
           "expected at least two points, the first at probability 0 and the last at 1");
    return std::nullopt;
  }
  return Distribution::Empirical(std::move(pts), log_scale);
}

}  // namespace

std::optional<Distribution> ReadDistribution(SpecReader& r, const YAML::Node& n,
                                             const std::string& field,
                                             const DistributionValues& element) {
  if (!n.IsDefined()) return std::nullopt;
  if (n.IsScalar()) {
    auto v = element.read(n, field);
    return v ? std::optional<Distribution>(Distribution::Fixed(*v)) : std::nullopt;
  }
  MapReader m(r, n, field);
  if (!m.valid()) return std::nullopt;
  const YAML::Node dist = m.Required("dist");
  if (!dist.IsDefined()) return std::nullopt;  // without a kind, the other keys mean nothing
  auto d = r.String(dist, m.Field("dist"));
  std::optional<Distribution> out;
  if (!d) {
    // reported
  } else if (*d == "fixed") {
    if (auto v = element.read(m.Required("value"), m.Field("value"))) out = Distribution::Fixed(*v);
  } else if (*d == "choice") {
    out = ParseChoice(r, m, element);
  } else if (*d == "lognormal" && !element.names) {
    out = ParseLognormal(r, m, element);
  } else if (*d == "empirical" && !element.names) {
    out = ParseEmpirical(r, m, element);
  } else {
    r.Fail(dist, m.Field("dist"),
           element.names ? "expected 'fixed' or 'choice' for names, got '" + *d + "'"
                         : "expected one of fixed, choice, lognormal, empirical, got '" + *d + "'");
  }
  m.Finish();
  return out;
}

}  // namespace gpufleet
