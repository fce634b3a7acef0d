// An output file that is written whole or not at all: the data goes to a temporary file beside
// the path, which replaces the path only on Commit. An interrupted or failed command leaves the
// old file as it was (the temporary is removed, also when a signal ends the process:
// interrupt.h). The path "-" is standard output, as Unix tools take it.
#pragma once

#include <fstream>
#include <ostream>
#include <string>

namespace gpufleet::cli {

class OutputFile {
 public:
  OutputFile() = default;
  ~OutputFile();  // removes the temporary unless committed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // An empty path opens nothing and succeeds. Otherwise creates the temporary; false, with the
  // reason in error(), when that is impossible (no such directory, no permission).
  bool Open(const std::string& path);
  bool is_open() const { return open_; }
  bool is_stdout() const { return path_ == "-"; }
  const std::string& path() const { return path_; }
  std::ostream& stream();

  // Flushes and closes the temporary and renames it to the path; false, with error(), on failure
  // (the temporary is then removed and the old file kept).
  bool Commit();
  const std::string& error() const { return error_; }

 private:
  void Discard();

  std::string path_, temporary_, error_;
  std::ofstream file_;
  bool open_ = false;
  int slot_ = -1;
};

}  // namespace gpufleet::cli
