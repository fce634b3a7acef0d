#include "physics/failure_rates.h"

namespace gpufleet {
std::array<double, kRandomFailureCategories> Llama3RatesPerNodeDay() {
  std::array<double, kRandomFailureCategories> rates{};
  for (size_t i = 0; i < rates.size(); ++i) {
    rates[i] =
        Llama3Calibration::kCounts[i] / (Llama3Calibration::kNodes * Llama3Calibration::kDays);
  }
  return rates;
}

double Llama3NodeFailureRatePerDay() {
  return Llama3Calibration::kUnexpected / (Llama3Calibration::kNodes * Llama3Calibration::kDays);
}

SimTime DefaultRepairTime(FailureCategory c) {
  switch (c) {
    case FailureCategory::kGpu:
    case FailureCategory::kHbm:
      return kDay;
    case FailureCategory::kHost:
      return 12 * kHour;
    case FailureCategory::kNic:
      return 4 * kHour;
    case FailureCategory::kNetwork:
      return 2 * kHour;
    default:
      return 0;
  }
}

}  // namespace gpufleet
