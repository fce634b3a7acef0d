#include "workload/distribution.h"

#include <algorithm>
#include <cmath>

namespace gpufleet {

Distribution Distribution::Fixed(double value) {
  Distribution d;
  d.kind_ = Kind::kFixed;
  d.a_ = value;
  return d;
}

Distribution Distribution::Choice(std::vector<double> values, std::vector<double> weights) {
  Distribution d;
  d.kind_ = Kind::kChoice;
  d.values_ = std::move(values);
  double sum = 0;
  for (double w : weights) d.cumulative_.push_back(sum += w);
  return d;
}

Distribution Distribution::Lognormal(double median, double sigma, double min, double max) {
  Distribution d;
  d.kind_ = Kind::kLognormal;
  d.a_ = std::log(median);
  d.b_ = sigma;
  d.min_ = min;
  d.max_ = max;
  return d;
}

Distribution Distribution::Empirical(std::vector<std::pair<double, double>> points,
                                     bool log_scale) {
  Distribution d;
  d.kind_ = Kind::kEmpirical;
  d.log_scale_ = log_scale;
  for (const auto& [p, v] : points) {
    d.cumulative_.push_back(p);
    d.values_.push_back(v);
  }
  return d;
}

double Distribution::Sample(Rng& rng) const {
  switch (kind_) {
    case Kind::kFixed:
      return a_;
    case Kind::kChoice: {
      const double u = rng.Uniform() * cumulative_.back();
      const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
      const size_t i = std::min(static_cast<size_t>(it - cumulative_.begin()), values_.size() - 1);
      return values_[i];
    }
    case Kind::kLognormal:
      return std::clamp(std::exp(a_ + b_ * rng.Normal()), min_, max_);
    case Kind::kEmpirical: {
      const double u = rng.Uniform();
      const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
      if (it == cumulative_.begin()) return values_.front();
      if (it == cumulative_.end()) return values_.back();
      const size_t hi = static_cast<size_t>(it - cumulative_.begin());
      const size_t lo = hi - 1;
      const double span = cumulative_[hi] - cumulative_[lo];
      const double f = span > 0 ? (u - cumulative_[lo]) / span : 0;
      if (log_scale_) {
        return std::exp(std::log(values_[lo]) +
                        f * (std::log(values_[hi]) - std::log(values_[lo])));
      }
      return values_[lo] + f * (values_[hi] - values_[lo]);
    }
  }
  return 0;
}

double Distribution::Mean() const {
  switch (kind_) {
    case Kind::kFixed:
      return a_;
    case Kind::kChoice: {
      double sum = 0, prev = 0;
      for (size_t i = 0; i < values_.size(); ++i) {
        sum += values_[i] * (cumulative_[i] - prev);
        prev = cumulative_[i];
      }
      return sum / cumulative_.back();
    }
    case Kind::kLognormal:
    case Kind::kEmpirical: {
      // Deterministic numerical mean: a fixed stream, large enough for three significant digits.
      Rng rng(12345);
      double sum = 0;
      constexpr int kSamples = 200000;
      for (int i = 0; i < kSamples; ++i) sum += Sample(rng);
      return sum / kSamples;
    }
  }
  return 0;
}

namespace {

// The least (or, with `largest`, the most) of a choice's values that have a probability above 0.
double DrawnChoiceExtreme(const std::vector<double>& values, const std::vector<double>& cumulative,
                          bool largest) {
  double extreme = largest ? -HUGE_VAL : HUGE_VAL, prev = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (cumulative[i] > prev)
      extreme = largest ? std::max(extreme, values[i]) : std::min(extreme, values[i]);
    prev = cumulative[i];
  }
  return extreme;
}

}  // namespace

double Distribution::Min() const {
  switch (kind_) {
    case Kind::kFixed:
      return a_;
    case Kind::kLognormal:
      return min_;
    case Kind::kEmpirical: {
      // The last point at probability 0: those before it are never drawn.
      size_t i = 0;
      while (i + 1 < cumulative_.size() && cumulative_[i + 1] <= 0) ++i;
      return values_[i];
    }
    case Kind::kChoice:
      break;
  }
  return DrawnChoiceExtreme(values_, cumulative_, false);
}

double Distribution::Max() const {
  switch (kind_) {
    case Kind::kFixed:
      return a_;
    case Kind::kLognormal:
      return max_;
    case Kind::kEmpirical: {
      // The first point at probability 1: those after it are never drawn.
      size_t i = 0;
      while (i + 1 < cumulative_.size() && cumulative_[i] < 1) ++i;
      return values_[i];
    }
    case Kind::kChoice:
      break;
  }
  return DrawnChoiceExtreme(values_, cumulative_, true);
}

}  // namespace gpufleet
