// Helpers of the spec-error tests: parse a fleet or workload from text and check that an error line
// starts at a hand-counted "file:line:column:" and names the field and what was expected.
#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "spec/specs.h"
#include "workload/workload.h"

namespace gpufleet::spec_test {

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

// True when one line of the message starts with `where` (e.g. "f.yaml:3:22:") and contains both
// `field` and `expected`.
inline ::testing::AssertionResult HasLine(const std::string& message, const std::string& where,
                                          const std::string& field, const std::string& expected) {
  for (const std::string& line : Lines(message)) {
    if (line.rfind(where, 0) == 0 && line.find(field) != std::string::npos &&
        line.find(expected) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no error line starting with \"" << where << "\" and containing \"" << field
         << "\" and \"" << expected << "\"; the errors were:\n"
         << message;
}

template <typename T>
::testing::AssertionResult IsError(const Result<T>& r, const std::string& where,
                                   const std::string& field, const std::string& expected) {
  if (r.ok())
    return ::testing::AssertionFailure() << "the spec was accepted; expected an error at " << where;
  return HasLine(r.message(), where, field, expected);
}

template <typename T>
size_t ErrorCount(const Result<T>& r) {
  return r.ok() ? 0 : Lines(r.message()).size();
}

inline Result<Fleet> F(const std::string& yaml) { return ParseFleet(yaml, "f.yaml"); }
inline Result<WorkloadSpec> W(const std::string& yaml) { return ParseWorkload(yaml, "w.yaml"); }

// Parses the workload (which must be valid) and binds it to the fleet (which must be valid).
inline Result<BoundWorkload> Bind(const std::string& fleet_yaml, const std::string& workload_yaml) {
  Result<Fleet> f = F(fleet_yaml);
  if (!f.ok()) return Error{"(test setup) bad fleet: " + f.message()};
  Result<WorkloadSpec> w = W(workload_yaml);
  if (!w.ok()) return Error{"(test setup) bad workload: " + w.message()};
  return BindWorkload(w.value(), f.value(), 1);
}

#define EXPECT_SPEC_ERROR(result, where, field, expected) \
  EXPECT_TRUE(IsError((result), (where), (field), (expected)))

}  // namespace gpufleet::spec_test
