// Runs the gpufleet binary for end-to-end tests: exit code and stdout with stderr.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <utility>

namespace gpufleet::testing {

inline std::pair<int, std::string> RunGpufleet(const std::string& args) {
  const std::string command = std::string(GPUFLEET_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(command.c_str(), "r");
  std::string out;
  char buf[512];
  while (p != nullptr && fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int status = p != nullptr ? pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, out};
}

}  // namespace gpufleet::testing
