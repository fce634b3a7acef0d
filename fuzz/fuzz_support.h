// What the fuzz targets share (docs/RELIABILITY.md): a scratch folder for readers that take a
// path, inputs split into several files, and the contract every reader of untrusted input keeps
// - it returns an error value or a result, never throws past its edge and never aborts, and its
// errors say which file they are about.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gpufleet::fuzz {

// The input libFuzzer hands a target, as text.
inline std::string_view Input(const std::uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A folder of this process's own under $GPUFLEET_FUZZ_TMPDIR (default /dev/shm, else /tmp), made
// on first use and removed at exit.
const std::string& ScratchDir();
// Writes `data` to ScratchDir()/name (creating folders on the way) and returns the path.
std::string WriteScratch(const std::string& name, std::string_view data);
// Empties ScratchDir()/name (a folder), so that files of an earlier input do not linger.
std::string FreshScratchDir(const std::string& name);

// Inputs that stand for several files separate them by a line `%%`: "a\n%%\nb" is {"a", "b"}.
inline constexpr std::string_view kFileSeparator = "\n%%\n";
std::vector<std::string_view> SplitFiles(std::string_view input);

// Stops the run with a report that libFuzzer saves as a crash: `reader` broke its contract.
[[noreturn]] void Broken(const char* reader, const std::string& what);

// The error of a reader that failed: not empty, and naming `file` (the path it was given, or the
// name standing for it).
void CheckError(const char* reader, const std::string& message, std::string_view file);

// Runs `read` and turns an exception that escapes it into a contract violation.
template <typename F>
void NeverThrows(const char* reader, F&& read) {
  try {
    read();
  } catch (const std::exception& e) {
    Broken(reader, std::string("an exception escaped: ") + e.what());
  } catch (...) {
    Broken(reader, "an exception escaped (not a std::exception)");
  }
}

}  // namespace gpufleet::fuzz
