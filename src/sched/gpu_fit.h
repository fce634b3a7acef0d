// Which GPUs of one node a request takes: the rule both GPU-sharing placements share, the capacity
// index's (`gpufleet sim`) and the openb study's share policies (docs/ARCHITECTURE.md, "Two
// GPU-sharing placements").
#pragma once

#include <span>
#include <vector>

namespace gpufleet {

// Best fit GPU by GPU: the `count` GPUs with the least room (free milli-GPU) that still holds
// `milli`, lowest index on ties, tightest first. Fewer when fewer fit. A whole GPU (milli 1000)
// fits only an empty one, so whole GPUs come lowest index first.
std::vector<int> TightestGpus(std::span<const int> room, int milli, int count);

}  // namespace gpufleet
