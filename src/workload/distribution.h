// Seeded distributions for workload generators: fixed, weighted choice, lognormal and an empirical
// quantile table. Values are doubles; the caller rounds to GPUs, milliseconds or indices.
#pragma once

#include <utility>
#include <vector>

#include "util/rng.h"

namespace gpufleet {

class Distribution {
 public:
  enum class Kind { kFixed, kChoice, kLognormal, kEmpirical };

  static Distribution Fixed(double value);
  // Weights need not sum to one; they must be non-negative with a positive sum.
  static Distribution Choice(std::vector<double> values, std::vector<double> weights);
  // exp(N(ln median, sigma²)), clamped to [min, max].
  static Distribution Lognormal(double median, double sigma, double min, double max);
  // Inverse CDF through points (cumulative probability, value), probabilities rising from 0 to 1.
  // `log_scale` interpolates between points geometrically, as heavy-tailed tables want.
  static Distribution Empirical(std::vector<std::pair<double, double>> points, bool log_scale);

  double Sample(Rng& rng) const;
  double Mean() const;  // exact for fixed/choice/empirical-linear; numerical otherwise
  // The least and the most a sample can be: a choice's values of positive weight, a lognormal's
  // bounds, an empirical table's ends.
  double Min() const;
  double Max() const;
  Kind kind() const { return kind_; }

 private:
  Kind kind_ = Kind::kFixed;
  std::vector<double> values_;
  std::vector<double> cumulative_;  // choice: running weight sums; empirical: probabilities
  double a_ = 0, b_ = 0, min_ = 0, max_ = 0;
  bool log_scale_ = false;
};

}  // namespace gpufleet
