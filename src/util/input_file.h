// Opening a file a user named. On Linux a folder opens for reading and reads as nothing, so a
// reader that only checked the stream would call a folder "an empty file" (issue 11 item 15);
// every reader of a named file opens it here and says what is wrong with the path instead.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "util/result.h"

namespace gpufleet {

inline Result<std::ifstream> OpenInputFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) return Error{path + ": no such file", ErrorCode::kNotFound};
  if (fs::is_directory(st)) return Error{path + ": is a folder; expected a file"};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot open file (no permission to read it?)"};
  return in;
}

}  // namespace gpufleet
