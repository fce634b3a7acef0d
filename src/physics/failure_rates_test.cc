#include "physics/failure_rates.h"

#include <gtest/gtest.h>

#include <numeric>

namespace gpufleet {
namespace {

TEST(FailureRates, Llama3CountsAddUpToThePaper) {
  const auto& counts = Llama3Calibration::kCounts;
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), 0), 419);
  // 419 / (2,048 nodes x 54 days) = 0.0037887 per node-day; over the run's 110,592 node-days the
  // per-category rates give back the counts.
  EXPECT_NEAR(Llama3NodeFailureRatePerDay(), 0.0037887, 1e-7);
  const auto rates = Llama3RatesPerNodeDay();
  EXPECT_NEAR(rates[0] * 2048 * 54, 196, 1e-9);  // gpu
  EXPECT_NEAR(std::accumulate(rates.begin(), rates.end(), 0.0), Llama3NodeFailureRatePerDay(),
              1e-15);
}

TEST(FailureRates, NamesAndScopes) {
  for (int i = 0; i < kFailureCategories; ++i) {
    const auto c = static_cast<FailureCategory>(i);
    EXPECT_EQ(ParseFailureCategory(FailureCategoryName(c)), c);
  }
  EXPECT_FALSE(ParseFailureCategory("cosmic-ray"));
  EXPECT_EQ(ScopeOf(FailureCategory::kNetwork), FailureScope::kLeaf);
  EXPECT_EQ(ScopeOf(FailureCategory::kSoftware), FailureScope::kJobsOnly);
  EXPECT_EQ(ScopeOf(FailureCategory::kHbm), FailureScope::kNode);
}

}  // namespace
}  // namespace gpufleet
