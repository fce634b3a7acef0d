// Strict reading of YAML specs. Every problem becomes an error that names the file, line and
// column, the field (as a path such as `sites[0].power_budget_mw`) and what was expected. Unknown
// keys are errors, never ignored. Errors are collected so that a user sees all of them at once.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"
#include "util/time.h"
#include "workload/workload.h"

namespace gpufleet {

class SpecReader {
 public:
  explicit SpecReader(std::string file) : file_(std::move(file)) {}

  // Reads and parses the file; a syntax error is recorded and an empty node returned.
  YAML::Node Load();
  YAML::Node LoadString(const std::string& text);

  void Fail(const YAML::Node& at, const std::string& field, const std::string& what);
  void FailAtLine(int line, int column, const std::string& what);
  bool ok() const { return errors_.empty(); }
  size_t error_count() const { return errors_.size() + errors_not_shown_; }
  // All errors, one per line.
  std::string Errors() const;
  SourceLoc Loc(const YAML::Node& at, const std::string& field = "") const;
  // yaml-cpp places an empty value (`key:` with nothing after it) at the next token, often the
  // next line; MapReader records the key's position so that errors point at the right line.
  void RememberEmptyValue(const YAML::Node& value, const YAML::Node& key);
  const std::string& file() const { return file_; }
  // A path the spec names, relative to the spec file unless absolute.
  std::string RelativeToFile(const std::string& path) const;
  // The input is JSON `text` (a request body), its nodes built from a JSON parser's values by
  // LoadJsonObject (spec/json_body.h), not read by yaml-cpp: each node's tag (JsonTag) holds its
  // JSON type and the byte where it starts, from which Loc gives its line and column. A number or
  // whole number is then read only from a JSON number and a string or a duration only from a JSON
  // string, so that `"gpus": "8"` is refused with the field's type; a YAML file reads a scalar
  // from its text, quoted or not, as it always has. The type lives in the readers below, which
  // every field goes through, so that no second list of fields and types can drift from the rules.
  void ReadJson(std::string_view text);
  static std::string JsonTag(bool is_string, size_t byte);
  // An error at a byte of the JSON text.
  void FailAtByte(size_t byte, const std::string& what);

  // Scalars. Each returns nullopt after recording an error, or silently for an absent node
  // (MapReader::Required has reported a missing field already; optional ones may be absent).
  std::optional<std::string> String(const YAML::Node& n, const std::string& field);
  std::optional<double> Number(const YAML::Node& n, const std::string& field);
  std::optional<double> PositiveNumber(const YAML::Node& n, const std::string& field);
  std::optional<double> NonNegativeNumber(const YAML::Node& n, const std::string& field);
  std::optional<std::int64_t> Integer(const YAML::Node& n, const std::string& field);
  std::optional<std::int64_t> PositiveInteger(const YAML::Node& n, const std::string& field);
  // Numbers with bounds (docs/SPEC.md, "Limits"): a value outside [lo, hi] is an error that names
  // the range; `what` says what the value is ("GPUs", "a share of each GPU in milli-GPU").
  std::optional<double> NumberIn(const YAML::Node& n, const std::string& field, double lo,
                                 double hi, const std::string& what);
  std::optional<std::int64_t> IntegerIn(const YAML::Node& n, const std::string& field,
                                        std::int64_t lo, std::int64_t hi, const std::string& what);
  // A number in the spec's unit converted to an integer of a finer one (cores to milli-cores:
  // scale 1000), rounded to the nearest; the result must lie in [lo, hi] of the finer unit, and
  // the error gives the range in the spec's unit.
  std::optional<std::int64_t> ScaledInteger(const YAML::Node& n, const std::string& field,
                                            double scale, std::int64_t lo, std::int64_t hi,
                                            const std::string& what);
  std::optional<SimTime> Duration(const YAML::Node& n, const std::string& field);
  std::optional<SimTime> PositiveDuration(const YAML::Node& n, const std::string& field);
  // A sequence, or nullopt with an error.
  bool ExpectSequence(const YAML::Node& n, const std::string& field);

 private:
  static constexpr size_t kMaxErrorsShown = 100;
  static constexpr size_t kMaxErrorBytes = 2000;
  void Add(std::string error);
  // False after an error when the input is JSON and `n` is not of `json_type` ("a string" or "a
  // number"); `expected` names the field's type.
  bool HasJsonType(const YAML::Node& n, const std::string& field, const char* json_type,
                   const char* expected);
  std::pair<int, int> JsonLineAndColumn(size_t byte) const;

  std::string file_;
  bool json_ = false;
  std::vector<size_t> json_line_starts_;  // the byte after each '\n' of the JSON text
  std::vector<std::string> errors_;
  size_t errors_not_shown_ = 0;
  std::vector<std::pair<YAML::Mark, YAML::Mark>> empty_value_keys_;
};

// A mapping whose keys are checked: Get marks a key as known; Finish reports the others.
class MapReader {
 public:
  MapReader(SpecReader& r, const YAML::Node& node, std::string path);
  bool valid() const { return valid_; }
  // The value, or an undefined node when absent.
  YAML::Node Get(const std::string& key);
  // The value; an error "missing required field" when absent.
  YAML::Node Required(const std::string& key);
  std::string Field(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  // Reports every key that was not asked for, listing the keys that are accepted.
  void Finish();

 private:
  SpecReader& r_;
  YAML::Node node_;
  std::string path_;
  bool valid_ = false;
  std::vector<std::string> known_;
};

}  // namespace gpufleet
