#include "server/live_job.h"

#include <array>

namespace gpufleet {
namespace {
constexpr std::array<const char*, kLiveStates> kNames = {
    "pending", "starting", "running", "stopping", "completed", "failed", "cancelled"};
}  // namespace

const char* LiveStateName(LiveState s) { return kNames[static_cast<size_t>(s)]; }

std::optional<LiveState> LiveStateNamed(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (name == kNames[i]) return static_cast<LiveState>(i);
  }
  return std::nullopt;
}

}  // namespace gpufleet
