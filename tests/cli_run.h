// Runs the gpufleet binary for end-to-end tests: exit code and stdout with stderr.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
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

// The data an HTML page of gpufleet embeds (its gpufleet-report script element); discarded (is
// that) when the page has none or it is not JSON.
inline nlohmann::json PageData(const std::string& html) {
  const std::string open = "<script id=\"gpufleet-report\" type=\"application/json\">";
  const size_t begin = html.find(open);
  if (begin == std::string::npos) return nlohmann::json(nlohmann::json::value_t::discarded);
  const size_t end = html.find("</script>", begin);
  return nlohmann::json::parse(html.substr(begin + open.size(), end - begin - open.size()), nullptr,
                               false);
}

// The block of a page of figures (report/figures_page.h) with this id; null when none has it.
inline nlohmann::json PageBlock(const nlohmann::json& page, const std::string& id) {
  for (const nlohmann::json& b : page["blocks"])
    if (b.value("id", "") == id) return b;
  return nullptr;
}

}  // namespace gpufleet::testing
