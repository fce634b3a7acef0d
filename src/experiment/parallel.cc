#include "experiment/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace gpufleet {

void ParallelFor(std::size_t count, int threads, const std::function<void(std::size_t)>& body) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) body(i);
  };
  // No more threads than indices; the caller's thread is one of them.
  const std::size_t extra =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), count);
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < extra; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
}

}  // namespace gpufleet
