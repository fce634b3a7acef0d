#include "cli/output_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/interrupt.h"

namespace gpufleet::cli {

OutputFile::~OutputFile() { Discard(); }

bool OutputFile::Open(const std::string& path) {
  path_ = path;
  error_.clear();
  if (path.empty()) return true;
  if (path == "-") {
    open_ = true;
    return true;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error_ = "cannot write '" + path + "': it is a directory";
    return false;
  }
  const std::filesystem::path p(path);
  const std::string dir = p.has_parent_path() ? p.parent_path().string() + "/" : std::string();
  temporary_ = dir + "." + p.filename().string() + ".gpufleet-" + std::to_string(getpid()) + ".tmp";
  slot_ = RegisterTemporaryFile(temporary_.c_str());
  errno = 0;
  file_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!file_) {
    error_ = "cannot write '" + path + "'" +
             (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string());
    UnregisterTemporaryFile(slot_);
    slot_ = -1;
    temporary_.clear();
    return false;
  }
  open_ = true;
  return true;
}

std::ostream& OutputFile::stream() { return is_stdout() ? std::cout : file_; }

bool OutputFile::Commit() {
  if (!open_) return true;
  if (is_stdout()) {
    std::cout.flush();
    open_ = false;
    if (!std::cout) {
      error_ = "writing to standard output failed";
      return false;
    }
    return true;
  }
  file_.close();
  if (!file_) {
    error_ = "writing '" + path_ + "' failed (disk full?); the old file, if any, is kept";
    Discard();
    return false;
  }
  if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
    error_ = "cannot replace '" + path_ + "': " + std::strerror(errno);
    Discard();
    return false;
  }
  UnregisterTemporaryFile(slot_);
  slot_ = -1;
  temporary_.clear();
  open_ = false;
  return true;
}

void OutputFile::Discard() {
  if (file_.is_open()) file_.close();
  if (!temporary_.empty()) std::remove(temporary_.c_str());
  UnregisterTemporaryFile(slot_);
  slot_ = -1;
  temporary_.clear();
  open_ = false;
}

}  // namespace gpufleet::cli
