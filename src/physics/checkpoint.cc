#include "physics/checkpoint.h"

#include <cmath>

namespace gpufleet {

double YoungInterval(double write_s, double mtbf_s) { return std::sqrt(2 * write_s * mtbf_s); }

double DalyInterval(double write_s, double mtbf_s) {
  if (write_s >= 2 * mtbf_s) return mtbf_s;
  const double x = write_s / (2 * mtbf_s);
  return std::sqrt(2 * write_s * mtbf_s) * (1 + std::sqrt(x) / 3 + x / 9) - write_s;
}

double ExpectedEttr(double interval_s, double write_s, double restart_s, double mtbf_s) {
  // expm1 keeps the small-exponent case exact to the last digits.
  return interval_s /
         (mtbf_s * std::exp(restart_s / mtbf_s) * std::expm1((interval_s + write_s) / mtbf_s));
}

}  // namespace gpufleet
