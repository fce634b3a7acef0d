// Where something was written in a spec, for errors found after it was read.
#pragma once

#include <string>

namespace gpufleet {

// Where something was written, for errors found only once the fleet is known.
struct SourceLoc {
  std::string file;
  int line = 0, column = 0;
  std::string field;  // e.g. "jobs[3].gpu_model"
  // "file:line:column: field 'x': ", the start of every spec error.
  std::string Prefix() const {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
           (field.empty() ? "" : "field '" + field + "': ");
  }
};

}  // namespace gpufleet
