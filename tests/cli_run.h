// Runs the gpufleet binary for end-to-end tests: exit code and stdout with stderr.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace gpufleet::testing {

// `s` in single quotes for the shell.
inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `command` under sh: its exit code and stdout with stderr.
inline std::pair<int, std::string> RunShell(const std::string& command) {
  const std::string full = command + " 2>&1";
  FILE* p = popen(full.c_str(), "r");
  std::string out;
  char buf[512];
  while (p != nullptr && fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int status = p != nullptr ? pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, out};
}

inline std::pair<int, std::string> RunGpufleet(const std::string& args) {
  return RunShell(std::string(GPUFLEET_BINARY) + " " + args);
}

}  // namespace gpufleet::testing
