#include "spec/yaml_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "util/checked_number.h"
#include "util/duration.h"
#include "util/input_file.h"

namespace gpufleet {
namespace {

std::string Shown(const YAML::Node& n) {
  if (n.IsScalar()) {
    // Quote at most 40 characters, with control bytes escaped: the input may be anything.
    std::string out = "'";
    const std::string& v = n.Scalar();
    for (size_t i = 0; i < v.size() && i < 40; ++i) {
      const auto c = static_cast<unsigned char>(v[i]);
      if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + (v.size() > 40 ? "...'" : "'");
  }
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}

// A JSON node's tag (SpecReader::JsonTag): '!' for a string, '?' for anything else (the
// non-specific tags YAML gives a quoted and a plain scalar), then the byte where the value starts.
bool IsJsonString(const YAML::Node& n) { return n.Tag().compare(0, 1, "!") == 0; }

std::string JsonTypeOf(const YAML::Node& n) {
  if (n.IsSequence()) return "an array";
  if (n.IsMap()) return "an object";
  if (!n.IsScalar()) return "null";
  if (IsJsonString(n)) return "a string";
  return n.Scalar() == "true" || n.Scalar() == "false" ? "a boolean" : "a number";
}

// yaml-cpp reports a tab in indentation as whatever it then fails to parse ("illegal block
// entry", "end of map not found"): name the tab when the failing line or the one before it has
// one in its indentation.
std::string TabHint(const std::string& text, int error_line) {
  int line = 0;
  size_t start = 0;
  while (start <= text.size() && line <= error_line) {
    if (line >= error_line - 1) {
      for (size_t i = start; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i) {
        if (text[i] == '\t') {
          return " (line " + std::to_string(line + 1) +
                 " is indented with a tab; YAML indents with spaces only)";
        }
      }
    }
    const size_t nl = text.find('\n', start);
    if (nl == std::string::npos) break;
    start = nl + 1;
    ++line;
  }
  return "";
}

}  // namespace

YAML::Node SpecReader::Load() {
  Result<std::ifstream> opened = OpenInputFile(file_);
  if (!opened.ok()) {
    errors_.push_back(opened.message());
    return YAML::Node();
  }
  std::ifstream& in = opened.value();
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadString(ss.str());
}

YAML::Node SpecReader::LoadString(const std::string& text) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) {
      FailAtLine(1, 1, "expected a mapping of top-level fields, got " + Shown(root));
      return YAML::Node();
    }
    return root;
  } catch (const YAML::Exception& e) {
    FailAtLine(e.mark.line + 1, e.mark.column + 1,
               "YAML syntax error: " + e.msg + TabHint(text, e.mark.line));
    return YAML::Node();
  }
}

void SpecReader::ReadJson(std::string_view text) {
  json_ = true;
  json_line_starts_ = {0};
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') json_line_starts_.push_back(i + 1);
  }
}

std::string SpecReader::JsonTag(bool is_string, size_t byte) {
  return (is_string ? "!" : "?") + std::to_string(byte);
}

std::pair<int, int> SpecReader::JsonLineAndColumn(size_t byte) const {
  // Columns count bytes, as yaml-cpp's marks of a YAML file do.
  const auto line = std::upper_bound(json_line_starts_.begin(), json_line_starts_.end(), byte) - 1;
  return {static_cast<int>(line - json_line_starts_.begin()) + 1,
          static_cast<int>(byte - *line) + 1};
}

void SpecReader::FailAtByte(size_t byte, const std::string& what) {
  const auto [line, column] = JsonLineAndColumn(byte);
  FailAtLine(line, column, what);
}

SourceLoc SpecReader::Loc(const YAML::Node& at, const std::string& field) const {
  if (json_ && at.Tag().size() > 1) {  // a node LoadJsonObject built, its place in its tag
    const auto [line, column] = JsonLineAndColumn(std::strtoull(at.Tag().c_str() + 1, nullptr, 10));
    return SourceLoc{file_, line, column, field};
  }
  YAML::Mark m = at.Mark();
  if (at.IsDefined() && at.IsNull()) {
    for (const auto& [value, key] : empty_value_keys_) {
      if (value.pos == m.pos) m = key;
    }
  }
  return SourceLoc{file_, m.line + 1, m.column + 1, field};
}

void SpecReader::RememberEmptyValue(const YAML::Node& value, const YAML::Node& key) {
  empty_value_keys_.emplace_back(value.Mark(), key.Mark());
}

void SpecReader::Fail(const YAML::Node& at, const std::string& field, const std::string& what) {
  Add(Loc(at, field).Prefix() + what);
}

void SpecReader::FailAtLine(int line, int column, const std::string& what) {
  Add(file_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what);
}

// Every error counts, but a hostile input (a request of 100,000 unknown keys) must not make the
// answer a hundred times its size: the first kMaxErrorsShown are kept, each at most
// kMaxErrorBytes long, and the rest counted.
void SpecReader::Add(std::string error) {
  if (errors_.size() >= kMaxErrorsShown) {
    ++errors_not_shown_;
    return;
  }
  if (error.size() > kMaxErrorBytes) error = error.substr(0, kMaxErrorBytes) + "...";
  errors_.push_back(std::move(error));
}

std::string SpecReader::Errors() const {
  std::string out;
  for (const auto& e : errors_) {
    if (!out.empty()) out += '\n';
    out += e;
  }
  if (errors_not_shown_ > 0)
    out += "\n... and " + std::to_string(errors_not_shown_) + " more errors";
  return out;
}

bool SpecReader::HasJsonType(const YAML::Node& n, const std::string& field, const char* json_type,
                             const char* expected) {
  if (!json_ || JsonTypeOf(n) == json_type) return true;
  Fail(n, field, std::string("expected ") + expected + ", got " + JsonTypeOf(n));
  return false;
}

std::optional<std::string> SpecReader::String(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined()) return std::nullopt;  // absence is the caller's to report
  if (!HasJsonType(n, field, "a string", "a string")) return std::nullopt;
  if (!n.IsScalar() || n.Scalar().empty()) {
    Fail(n, field, "expected a non-empty string, got " + Shown(n));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<double> SpecReader::Number(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined()) return std::nullopt;  // absence is the caller's to report
  if (!HasJsonType(n, field, "a number", "a number")) return std::nullopt;
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(v)) return v;
  }
  Fail(n, field, "expected a number, got " + Shown(n));
  return std::nullopt;
}

std::optional<double> SpecReader::PositiveNumber(const YAML::Node& n, const std::string& field) {
  std::optional<double> v = Number(n, field);
  if (v && *v <= 0) {
    Fail(n, field, "expected a positive number, got " + Shown(n));
    return std::nullopt;
  }
  return v;
}

std::optional<double> SpecReader::NonNegativeNumber(const YAML::Node& n, const std::string& field) {
  std::optional<double> v = Number(n, field);
  if (v && *v < 0) {
    Fail(n, field, "expected a number >= 0, got " + Shown(n));
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> SpecReader::Integer(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined()) return std::nullopt;  // absence is the caller's to report
  if (!HasJsonType(n, field, "a number", "a whole number")) return std::nullopt;
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size() && errno == 0) return v;
  }
  Fail(n, field, "expected an integer, got " + Shown(n));
  return std::nullopt;
}

std::optional<std::int64_t> SpecReader::PositiveInteger(const YAML::Node& n,
                                                        const std::string& field) {
  std::optional<std::int64_t> v = Integer(n, field);
  if (v && *v <= 0) {
    Fail(n, field, "expected a positive integer, got " + Shown(n));
    return std::nullopt;
  }
  return v;
}

std::optional<double> SpecReader::NumberIn(const YAML::Node& n, const std::string& field, double lo,
                                           double hi, const std::string& what) {
  std::optional<double> v = Number(n, field);
  if (v && !InRange(*v, lo, hi)) {
    Fail(n, field,
         "expected " + what + " from " + ShownNumber(lo) + " to " + ShownNumber(hi) + ", got " +
             Shown(n));
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> SpecReader::IntegerIn(const YAML::Node& n, const std::string& field,
                                                  std::int64_t lo, std::int64_t hi,
                                                  const std::string& what) {
  std::optional<std::int64_t> v = Integer(n, field);
  if (v && (*v < lo || *v > hi)) {
    Fail(n, field,
         "expected " + what + " from " + std::to_string(lo) + " to " + std::to_string(hi) +
             ", got " + Shown(n));
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> SpecReader::ScaledInteger(const YAML::Node& n, const std::string& field,
                                                      double scale, std::int64_t lo,
                                                      std::int64_t hi, const std::string& what) {
  std::optional<double> v = Number(n, field);
  if (!v) return std::nullopt;
  Result<std::int64_t> scaled = ScaledInRange(*v, scale, lo, hi, what);
  if (!scaled.ok()) {
    Fail(n, field, scaled.message());
    return std::nullopt;
  }
  return scaled.value();
}

std::optional<SimTime> SpecReader::Duration(const YAML::Node& n, const std::string& field) {
  if (!n.IsDefined()) return std::nullopt;  // absence is the caller's to report
  if (!HasJsonType(n, field, "a string", "a duration such as \"90s\", \"12h\" or \"0\" (a string)"))
    return std::nullopt;
  if (!n.IsScalar()) {
    Fail(n, field, "expected a duration such as 90s, 30m, 12h or 30d, got " + Shown(n));
    return std::nullopt;
  }
  Result<SimTime> d = ParseDuration(n.Scalar());
  if (!d.ok()) {
    Fail(n, field, d.message());
    return std::nullopt;
  }
  return d.value();
}

std::optional<SimTime> SpecReader::PositiveDuration(const YAML::Node& n, const std::string& field) {
  std::optional<SimTime> d = Duration(n, field);
  if (d && *d <= 0) {
    Fail(n, field, "expected a positive duration, got " + Shown(n));
    return std::nullopt;
  }
  return d;
}

bool SpecReader::ExpectSequence(const YAML::Node& n, const std::string& field) {
  if (n.IsSequence()) return true;
  Fail(n, field, "expected a list, got " + Shown(n));
  return false;
}

MapReader::MapReader(SpecReader& r, const YAML::Node& node, std::string path)
    : r_(r), node_(node), path_(std::move(path)) {
  if (!node.IsMap()) {
    r_.Fail(node, path_.empty() ? "(top level)" : path_,
            "expected a mapping of fields, got " + Shown(node));
    return;
  }
  valid_ = true;
  // yaml-cpp keeps duplicate keys; a spec must not. A set, not a scan of the keys seen: a
  // request body of 100,000 keys must not cost 10^10 comparisons.
  std::unordered_set<std::string> seen;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (!seen.insert(key).second) r_.Fail(kv.first, Field(key), "duplicate key");
  }
}

YAML::Node MapReader::Get(const std::string& key) {
  known_.push_back(key);
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) {
      if (kv.second.IsNull()) r_.RememberEmptyValue(kv.second, kv.first);
      return kv.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node MapReader::Required(const std::string& key) {
  YAML::Node v = Get(key);
  if (valid_ && !v.IsDefined()) r_.Fail(node_, Field(key), "missing required field");
  return v;
}

void MapReader::Finish() {
  if (!valid_) return;
  std::string accepted;  // listed once, not once per unknown key (a request may hold thousands)
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    if (accepted.empty()) {
      std::vector<std::string> listed;
      for (const auto& k : known_) {
        if (std::find(listed.begin(), listed.end(), k) != listed.end()) continue;
        listed.push_back(k);
        accepted += (accepted.empty() ? "" : ", ") + k;
      }
    }
    r_.Fail(kv.first, Field(key), "unknown key; expected one of: " + accepted);
  }
}

std::string SpecReader::RelativeToFile(const std::string& path) const {
  const std::filesystem::path given(path);
  return (given.is_absolute() ? given : std::filesystem::path(file_).parent_path() / given)
      .string();
}

}  // namespace gpufleet
