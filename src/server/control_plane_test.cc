#include "server/control_plane.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "test_fleets.h"

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

// The twin rents an elastic site's nodes by itself; the control plane's nodes are its agents', so
// it refuses such a fleet at its start (any embedder, not only `gpufleet serve`), before it opens
// its store.
TEST(ControlPlaneStart, RefusesAFleetWithAnElasticSite) {
  const Fleet fleet = testing::MustParseFleet(
      "providers:\n"
      "  - {name: azure, kind: cloud, gpu_hour_usd: 4}\n"
      "sites:\n"
      "  - name: burst\n"
      "    provider: azure\n"
      "    power_budget_mw: 1\n"
      "    elastic: {provisioning: 10m, release_after_idle: 30m, rent_when_wait_exceeds: 1h}\n"
      "    domains: [{name: d, count: 2, node_type: dgx-h100}]\n");
  const std::filesystem::path db =
      std::filesystem::path(::testing::TempDir()) / "control_plane_elastic_refused.sqlite";
  std::filesystem::remove(db);
  Result<std::unique_ptr<ControlPlane>> plane =
      ControlPlane::Start(fleet, {"lab"}, db.string(), ControlPlaneOptions{}, SystemWallClock);
  ASSERT_FALSE(plane.ok());
  EXPECT_EQ(plane.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(plane.message().find("site 'burst' is elastic"), std::string::npos) << plane.message();
  EXPECT_FALSE(std::filesystem::exists(db));  // refused before the store was opened
}

}  // namespace
}  // namespace gpufleet
