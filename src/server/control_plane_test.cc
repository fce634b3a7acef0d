#include "server/control_plane.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace gpufleet {
namespace {

TEST(ScaledWallClock, StartsAtTheRealClockAndRunsScaleTimesFaster) {
  const WallClock clock = ScaledWallClock(1000, [] { return SimTime{1'000'000}; });
  const SimTime first = clock();
  // It starts where the real clock was (plus what elapsed since: far under a real second).
  EXPECT_GE(first, 1'000'000);
  EXPECT_LT(first, 1'000'000 + 1000 * kSecond);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // At least 20 ms of real time passed: at least 20 s of the clock's (less one for rounding).
  EXPECT_GE(clock() - first, 20 * kSecond - 1);
}

TEST(ScaledWallClock, NeverGoesBack) {
  const WallClock clock = ScaledWallClock(3.5);
  SimTime last = clock();
  for (int i = 0; i < 1000; ++i) {
    const SimTime now = clock();
    EXPECT_GE(now, last);
    last = now;
  }
}

}  // namespace
}  // namespace gpufleet
