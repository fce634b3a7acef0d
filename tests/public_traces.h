// Where the public traces are for the tests that read them: $GPUFLEET_TRACES, else
// ../shared/traces beside the source tree. Tests skip, saying so, where a trace is absent.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace gpufleet::testing {

inline std::string PublicTracesDir() {
  if (const char* env = std::getenv("GPUFLEET_TRACES"); env != nullptr && *env != '\0') return env;
  return std::string(GPUFLEET_SOURCE_DIR) + "/../shared/traces";
}

}  // namespace gpufleet::testing

// `var`: the path of the trace file `relative` under PublicTracesDir(); the test skips, saying
// why, where it is absent.
#define REQUIRE_TRACE_FILE(var, relative)                                                   \
  const std::string var = ::gpufleet::testing::PublicTracesDir() + "/" + (relative);        \
  if (!std::filesystem::exists(var)) {                                                      \
    GTEST_SKIP() << "public trace " << (relative) << " not found under "                    \
                 << ::gpufleet::testing::PublicTracesDir()                                  \
                 << " (set GPUFLEET_TRACES to the folder of the public traces to run this " \
                    "test)";                                                                \
  }                                                                                         \
  static_assert(true, "")
