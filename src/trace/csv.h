// A small CSV reader for trace files: a header row, comma-separated fields, optional double
// quotes. Every value is read through a named column, so that an error can say
// "file:line:column: field 'duration': expected ..., got '...'".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace gpufleet {

// What gpufleet reads from one trace or CSV file (docs/SPEC.md, "Limits"): larger files are
// refused before they are parsed, with the limit in the message, rather than found by running
// out of memory. Bytes below 2^31 also keep every line and column number inside an int.
inline constexpr std::int64_t kMaxCsvBytes = 2'000'000'000;
inline constexpr std::int64_t kMaxCsvLines = 10'000'000;

// The whole file, or an error when it cannot be opened or holds more than kMaxCsvBytes.
Result<std::string> ReadTraceFile(const std::string& path);

class CsvFile {
 public:
  // Reads the whole file; `separator` is ',' for CSV and '\t' for TSV. With `has_header` false,
  // columns are addressed by position and `names` gives them names for messages. A UTF-8 byte
  // order mark at the start is skipped. Files beyond kMaxCsvBytes or kMaxCsvLines are errors.
  static Result<CsvFile> Open(const std::string& path, char separator = ',', bool has_header = true,
                              std::vector<std::string> names = {});
  static CsvFile FromString(std::string text, std::string name, char separator = ',',
                            bool has_header = true, std::vector<std::string> names = {});

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  // Index of a column, or an error naming the file, the header line and the columns present.
  Result<int> Column(std::string_view name) const;
  std::optional<int> FindColumn(std::string_view name) const;

  // Advances to the next non-empty row; false at the end.
  bool Next();
  int line() const { return line_; }
  int fields() const { return static_cast<int>(fields_.size()); }
  std::string_view Field(int column) const;
  // "file:line:column: field 'name': " for the given column of the current row.
  std::string Where(int column) const;
  std::string WhereRow() const;  // "file:line: "
  std::string_view RawLine() const { return raw_; }
  // The current row opened a double quote and never closed it.
  bool unterminated_quote() const { return unterminated_quote_; }
  // Names the columns of a file without a header row (for messages).
  void SetHeader(std::vector<std::string> names) { header_ = std::move(names); }

 private:
  bool SplitCurrent();

  std::string path_;
  std::string text_;
  char separator_ = ',';
  std::vector<std::string> header_;
  size_t pos_ = 0;
  int line_ = 0;
  int header_line_ = 1;
  std::string_view raw_;
  std::vector<std::string> fields_;
  std::vector<int> columns_;  // 1-based character column where each field starts
  bool unterminated_quote_ = false;
};

// Typed reads of one field; errors are complete messages.
Result<double> ReadNumber(const CsvFile& f, int column);
Result<std::int64_t> ReadInteger(const CsvFile& f, int column);

}  // namespace gpufleet
