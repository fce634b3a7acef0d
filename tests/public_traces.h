// Where the public traces are for the tests that read them: $GPUFLEET_TRACES, else
// ../shared/traces beside the source tree. Tests skip, saying so, where a trace is absent.
#pragma once

#include <cstdlib>
#include <string>

namespace gpufleet::testing {

inline std::string PublicTracesDir() {
  if (const char* env = std::getenv("GPUFLEET_TRACES"); env != nullptr && *env != '\0') return env;
  return std::string(GPUFLEET_SOURCE_DIR) + "/../shared/traces";
}

}  // namespace gpufleet::testing
