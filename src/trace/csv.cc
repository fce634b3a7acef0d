#include "trace/csv.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "util/input_file.h"
#include "util/text.h"

namespace gpufleet {

Result<std::string> ReadTraceFile(const std::string& path) {
  Result<std::ifstream> opened = OpenInputFile(path);
  if (!opened.ok()) return opened.error();
  std::ifstream& in = opened.value();
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  auto too_large = [&] {
    return Error{path + ": larger than " + std::to_string(kMaxCsvBytes) +
                 " bytes, the most gpufleet reads from one file (docs/SPEC.md, \"Limits\")"};
  };
  if (!ec && size > static_cast<std::uintmax_t>(kMaxCsvBytes)) return too_large();
  std::string text;
  if (!ec) text.reserve(static_cast<size_t>(size));
  // Read in chunks, counting: a pipe or a growing file has no size to check beforehand.
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > static_cast<size_t>(kMaxCsvBytes)) return too_large();
  }
  return text;
}

CsvFile CsvFile::FromString(std::string text, std::string name, char separator, bool has_header,
                            std::vector<std::string> names) {
  CsvFile f;
  f.path_ = std::move(name);
  f.text_ = std::move(text);
  // A byte order mark (as spreadsheet programs write UTF-8) is not part of the first column name.
  if (f.text_.rfind("\xEF\xBB\xBF", 0) == 0) f.pos_ = 3;
  f.separator_ = separator;
  if (has_header && f.Next()) {
    f.header_line_ = f.line_;
    f.header_ = f.fields_;
    for (auto& h : f.header_) {
      while (!h.empty() && (h.back() == ' ' || h.back() == '\r')) h.pop_back();
      while (!h.empty() && h.front() == ' ') h.erase(h.begin());
    }
  } else {
    f.header_ = std::move(names);
  }
  return f;
}

Result<CsvFile> CsvFile::Open(const std::string& path, char separator, bool has_header,
                              std::vector<std::string> names) {
  Result<std::string> text = ReadTraceFile(path);
  if (!text.ok()) return text.error();
  // Lines are counted before anything is parsed: rows become jobs, and jobs take memory.
  const std::string& t = text.value();
  std::int64_t lines = t.empty() || t.back() == '\n' ? 0 : 1;  // the last line may lack its '\n'
  for (size_t at = t.find('\n'); at != std::string::npos; at = t.find('\n', at + 1)) ++lines;
  if (lines > kMaxCsvLines) {
    return Error{path + ":" + std::to_string(kMaxCsvLines + 1) + ": more than " +
                 std::to_string(kMaxCsvLines) +
                 " lines, the most gpufleet reads from one file (docs/SPEC.md, \"Limits\")"};
  }
  CsvFile f = FromString(std::move(text).value(), path, separator, has_header, std::move(names));
  if (has_header && f.header_.empty())
    return Error{path + ":1:1: expected a header row, got an empty file"};
  return f;
}

std::optional<int> CsvFile::FindColumn(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

Result<int> CsvFile::Column(std::string_view name) const {
  if (auto c = FindColumn(name)) return *c;
  std::string have;
  for (const auto& h : header_) have += (have.empty() ? "" : ",") + h;
  return Error{path_ + ":1:1: expected a column named '" + std::string(name) +
               "' in the header; it has: " + have};
}

bool CsvFile::Next() {
  while (pos_ < text_.size()) {
    const size_t end = text_.find('\n', pos_);
    const size_t stop = end == std::string::npos ? text_.size() : end;
    raw_ = std::string_view(text_).substr(pos_, stop - pos_);
    if (!raw_.empty() && raw_.back() == '\r') raw_.remove_suffix(1);
    pos_ = stop + 1;
    ++line_;
    if (raw_.empty()) continue;
    SplitCurrent();
    return true;
  }
  return false;
}

bool CsvFile::SplitCurrent() {
  fields_.clear();
  columns_.clear();
  unterminated_quote_ = false;
  std::string field;
  size_t i = 0;
  int start = 1;
  bool quoted = false;
  for (; i <= raw_.size(); ++i) {
    const char c = i < raw_.size() ? raw_[i] : separator_;
    if (quoted) {
      if (i == raw_.size()) {
        unterminated_quote_ = true;
        break;
      }
      if (c == '"' && i + 1 < raw_.size() && raw_[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == separator_) {
      fields_.push_back(std::move(field));
      columns_.push_back(start);
      field.clear();
      start = static_cast<int>(i) + 2;
    } else {
      field += c;
    }
  }
  if (unterminated_quote_) {
    fields_.push_back(std::move(field));
    columns_.push_back(start);
  }
  return !unterminated_quote_;
}

std::string_view CsvFile::Field(int column) const {
  if (column < 0 || column >= static_cast<int>(fields_.size())) return {};
  return fields_[static_cast<size_t>(column)];
}

std::string CsvFile::WhereRow() const { return path_ + ":" + std::to_string(line_) + ": "; }

std::string CsvFile::Where(int column) const {
  const int col = column >= 0 && column < static_cast<int>(columns_.size())
                      ? columns_[static_cast<size_t>(column)]
                      : static_cast<int>(raw_.size()) + 1;
  const std::string name = column >= 0 && column < static_cast<int>(header_.size())
                               ? header_[static_cast<size_t>(column)]
                               : "column " + std::to_string(column + 1);
  return path_ + ":" + std::to_string(line_) + ":" + std::to_string(col) + ": field '" + name +
         "': ";
}

// std::from_chars: no leading spaces, no hexadecimal, no locale.
Result<double> ReadNumber(const CsvFile& f, int column) {
  if (column >= f.fields()) {
    return Error{f.Where(column) + "missing: the row has " + std::to_string(f.fields()) +
                 " fields"};
  }
  const std::string_view s = f.Field(column);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return Error{f.Where(column) + "expected a number, got " + QuotedExcerpt(s)};
  }
  return v;
}

Result<std::int64_t> ReadInteger(const CsvFile& f, int column) {
  if (column >= f.fields()) {
    return Error{f.Where(column) + "missing: the row has " + std::to_string(f.fields()) +
                 " fields"};
  }
  const std::string_view s = f.Field(column);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) return v;
  // Some traces write integers as floats ("8.0").
  double d = 0;
  const auto [dend, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (!s.empty() && dec == std::errc() && dend == s.data() + s.size() && std::isfinite(d) &&
      d == std::floor(d) && std::fabs(d) < 9e15) {
    return static_cast<std::int64_t>(d);
  }
  return Error{f.Where(column) + "expected an integer, got " + QuotedExcerpt(s)};
}

}  // namespace gpufleet
