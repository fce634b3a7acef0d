// Exponential backoff with jitter for retries against a server that is away: doubling from
// `initial` up to `cap`, each delay drawn uniformly from its upper half, so that the agents of a
// fleet that lost the server at the same moment do not come back at the same moment.
#pragma once

#include <algorithm>
#include <chrono>

namespace gpufleet::agent {

// The delay before retry number `attempt` (0 for the first retry); `unit_random` in [0, 1).
inline std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds initial,
                                              std::chrono::milliseconds cap, double unit_random) {
  std::chrono::milliseconds full = initial;
  for (int i = 0; i < attempt && full < cap; ++i) full *= 2;
  full = std::min(full, cap);
  const double jittered = static_cast<double>(full.count()) * (0.5 + 0.5 * unit_random);
  return std::chrono::milliseconds(static_cast<long long>(jittered));
}

}  // namespace gpufleet::agent
