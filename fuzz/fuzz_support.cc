#include "fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace gpufleet::fuzz {
namespace fs = std::filesystem;

const std::string& ScratchDir() {
  static const std::string dir = [] {
    // Memory (/dev/shm) when there is one: writing a file per input on a disk costs more than
    // reading it (ext4 flushes a file truncated and written again when it is closed).
    const char* tmp = std::getenv("GPUFLEET_FUZZ_TMPDIR");
    std::string base = tmp && *tmp ? tmp : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string pattern = base + "/gpufleet-fuzz-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("gpufleet fuzz: mkdtemp");
      std::abort();
    }
    static std::string removed_at_exit;
    removed_at_exit = pattern;
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(removed_at_exit, ec);
    });
    return pattern;
  }();
  return dir;
}

std::string WriteScratch(const std::string& name, std::string_view data) {
  const fs::path path = fs::path(ScratchDir()) / name;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::remove(path, ec);  // a new file, not one truncated (see ScratchDir)
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) {
    std::fprintf(stderr, "gpufleet fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path.string();
}

std::string FreshScratchDir(const std::string& name) {
  const fs::path path = fs::path(ScratchDir()) / name;
  std::error_code ec;
  fs::remove_all(path, ec);
  fs::create_directories(path, ec);
  return path.string();
}

std::vector<std::string_view> SplitFiles(std::string_view input) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t at = input.find(kFileSeparator);
    if (at == std::string_view::npos) break;
    out.push_back(input.substr(0, at));
    input.remove_prefix(at + kFileSeparator.size());
  }
  out.push_back(input);
  return out;
}

void Broken(const char* reader, const std::string& what) {
  std::fprintf(stderr, "\n*** %s broke the contract of a reader of untrusted input: %s\n", reader,
               what.c_str());
  std::fflush(stderr);
  std::abort();
}

void CheckError(const char* reader, const std::string& message, std::string_view file) {
  if (message.empty()) Broken(reader, "an error without a message");
  if (message.find(file) == std::string::npos) {
    Broken(reader, "an error that does not name its file '" + std::string(file) + "': " + message);
  }
}

}  // namespace gpufleet::fuzz
