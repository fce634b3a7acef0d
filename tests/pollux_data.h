// The Pollux study's public data for tests (../shared/traces/pollux-osdi21, or
// $GPUFLEET_TRACES/pollux-osdi21). Tests that need it skip with a message when it is absent.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "trace/pollux.h"

namespace gpufleet::testing {

inline std::string PolluxDataDir() {
  if (const char* env = std::getenv("GPUFLEET_TRACES"); env != nullptr && *env != '\0')
    return std::string(env) + "/pollux-osdi21";
  return std::string(GPUFLEET_SOURCE_DIR) + "/../shared/traces/pollux-osdi21";
}

inline bool HavePolluxData() {
  return std::filesystem::exists(PolluxDataDir() + "/nd_throughput_table.csv");
}

// The six applications, loaded once for the whole test binary (null when the data is absent).
inline const PolluxApplications* PolluxApps() {
  static const PolluxApplications* apps = []() -> const PolluxApplications* {
    if (!HavePolluxData()) return nullptr;
    Result<PolluxApplications> loaded = LoadPolluxApplications(
        PolluxDataDir() + "/profiles", PolluxDataDir() + "/nd_throughput_table.csv");
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.message();
      return nullptr;
    }
    return new PolluxApplications(std::move(loaded).value());
  }();
  return apps;
}

}  // namespace gpufleet::testing

// Skips the current test when the study's data is not available.
#define REQUIRE_POLLUX_DATA()                                                                     \
  if (::gpufleet::testing::PolluxApps() == nullptr) {                                             \
    GTEST_SKIP() << "the Pollux study's data is not in " << ::gpufleet::testing::PolluxDataDir()  \
                 << " (set GPUFLEET_TRACES to the folder of the public traces to run this test)"; \
  }                                                                                               \
  const PolluxApplications& apps = *::gpufleet::testing::PolluxApps()
