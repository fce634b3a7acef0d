#include "sched/gpu_fit.h"

#include <algorithm>

namespace gpufleet {

std::vector<int> TightestGpus(std::span<const int> room, int milli, int count) {
  std::vector<int> out;
  if (count <= 0) return out;
  const auto n = static_cast<int>(room.size());
  if (count == 1) {  // a share of one GPU, the openb study's commonest pod: one pass
    int best = -1;
    for (int g = 0; g < n; ++g) {
      const int r = room[static_cast<size_t>(g)];
      if (r >= milli && (best < 0 || r < room[static_cast<size_t>(best)])) best = g;
    }
    if (best >= 0) out.push_back(best);
    return out;
  }
  for (int g = 0; g < n; ++g) {
    if (room[static_cast<size_t>(g)] >= milli) out.push_back(g);
  }
  // Stable: equal room keeps index order.
  std::stable_sort(out.begin(), out.end(), [&](int a, int b) {
    return room[static_cast<size_t>(a)] < room[static_cast<size_t>(b)];
  });
  if (static_cast<int>(out.size()) > count) out.resize(static_cast<size_t>(count));
  return out;
}

}  // namespace gpufleet
