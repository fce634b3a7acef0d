#include "trace/azure_llm.h"

#include <algorithm>
#include <limits>

#include "trace/csv.h"
#include "trace/datetime.h"

namespace gpufleet {
namespace {

// A token count: a whole number in [1, 2^31).
Result<std::int32_t> ReadTokens(const CsvFile& f, int column) {
  Result<std::int64_t> v = ReadInteger(f, column);
  if (!v.ok()) return v.error();
  if (v.value() < 1 || v.value() > std::numeric_limits<std::int32_t>::max()) {
    return Error{f.Where(column) + "expected a token count of at least 1, got " +
                 std::string(f.Field(column))};
  }
  return static_cast<std::int32_t>(v.value());
}

}  // namespace

Result<std::vector<ServingRequest>> LoadAzureLlmTrace(const std::string& path,
                                                      const AzureLlmOptions& options) {
  if (!(options.rate_scale > 0 && options.rate_scale <= 1e6)) {
    return Error{path + ": the rate scale must be in (0, 1e6]"};
  }
  if (!(options.duration_s >= 0)) return Error{path + ": the duration must not be negative"};
  Result<CsvFile> opened = CsvFile::Open(path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  int columns[3];
  const char* names[3] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
  for (int i = 0; i < 3; ++i) {
    Result<int> c = f.Column(names[i]);
    if (!c.ok()) return c.error();
    columns[i] = c.value();
  }
  struct Row {
    double at = 0;
    std::int32_t prompt = 0, output = 0;
  };
  std::vector<Row> rows;
  while (f.Next()) {
    if (f.unterminated_quote()) return Error{f.WhereRow() + "a quote is never closed"};
    if (f.fields() != static_cast<int>(f.header().size())) {
      return Error{f.WhereRow() + "expected " + std::to_string(f.header().size()) +
                   " fields as the header has, got " + std::to_string(f.fields())};
    }
    const std::optional<double> at = ParseDateTime(f.Field(columns[0]));
    if (!at) {
      return Error{f.Where(columns[0]) + "expected a timestamp such as 2023-11-16 " +
                   "18:17:03.9799600, got '" + std::string(f.Field(columns[0])) + "'"};
    }
    Result<std::int32_t> prompt = ReadTokens(f, columns[1]);
    if (!prompt.ok()) return prompt.error();
    Result<std::int32_t> output = ReadTokens(f, columns[2]);
    if (!output.ok()) return output.error();
    rows.push_back({*at, prompt.value(), output.value()});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.at < b.at; });
  std::vector<ServingRequest> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    const double arrival = (r.at - rows.front().at) / options.rate_scale;
    if (options.duration_s > 0 && arrival > options.duration_s) break;
    out.push_back({arrival, r.prompt, r.output});
  }
  return out;
}

}  // namespace gpufleet
