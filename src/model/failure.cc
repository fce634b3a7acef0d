#include "model/failure.h"

#include <array>

namespace gpufleet {
namespace {

constexpr std::array<const char*, kFailureCategories> kNames = {
    "gpu", "hbm", "host", "nic", "network", "software", "maintenance", "scripted", "outage", "spot"};

}  // namespace

const char* FailureCategoryName(FailureCategory c) { return kNames[static_cast<size_t>(c)]; }

std::optional<FailureCategory> ParseFailureCategory(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (name == kNames[i]) return static_cast<FailureCategory>(i);
  }
  return std::nullopt;
}

const char* RandomFailureCategoryNames() { return "gpu, hbm, host, nic, network, software"; }

FailureScope ScopeOf(FailureCategory c) {
  switch (c) {
    case FailureCategory::kNetwork:
      return FailureScope::kLeaf;
    case FailureCategory::kSoftware:
      return FailureScope::kJobsOnly;
    default:
      return FailureScope::kNode;
  }
}

}  // namespace gpufleet
