// Independent runs spread over threads: the virtual clusters of a replay, the (workload, policy,
// seed) runs of the openb study. Results do not depend on the thread count.
#pragma once

#include <cstddef>
#include <functional>

namespace gpufleet {

// Calls body(0), ..., body(count - 1), each once, on up to `threads` threads (the caller's among
// them); indices are handed out in increasing order as threads come free, so put the longest
// work first. The bodies run concurrently: each must write only what its index owns (slot i of
// a vector, say). Returns when all are done.
void ParallelFor(std::size_t count, int threads, const std::function<void(std::size_t)>& body);

}  // namespace gpufleet
