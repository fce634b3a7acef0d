#include "cli/validators.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "util/checked_number.h"
#include "util/text.h"

namespace gpufleet::cli {
namespace {

std::string Got(const std::string& text) { return ", got '" + text + "'"; }

// A bound for people: whole numbers grouped (1,000,000), others as written.
std::string Bound(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return Grouped(static_cast<std::int64_t>(v));
  return ShownNumber(v);
}

std::optional<std::int64_t> ParseSigned(const std::string& text) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text[0] == '+') return std::nullopt;
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::uint64_t> ParseUnsigned(const std::string& text) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end) return std::nullopt;
  return v;
}

CLI::Validator WholeNumber(std::int64_t min, std::int64_t max) {
  const std::string range = "from " + Grouped(min) + " to " + Grouped(max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        const std::optional<std::int64_t> v = ParseSigned(text);
        if (!v || *v < min || *v > max) return "expected a whole number " + range + Got(text);
        return {};
      },
      "INT " + range, "whole number");
}

CLI::Validator PositiveCount() { return WholeNumber(1, std::numeric_limits<std::int32_t>::max()); }

CLI::Validator Seed() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (!ParseUnsigned(text)) {
          return "expected a whole number from 0 to 18,446,744,073,709,551,615" + Got(text);
        }
        return {};
      },
      "UINT64", "seed");
}

CLI::Validator NonNegativeReal() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double v = 0;
        const char* end = text.data() + text.size();
        const auto [p, ec] = std::from_chars(text.data(), end, v);
        if (text.empty() || ec != std::errc() || p != end || !std::isfinite(v) || v < 0) {
          return "expected a number of at least 0" + Got(text);
        }
        return {};
      },
      "NUMBER >= 0", "non-negative number");
}

CLI::Validator RealIn(double min, double max, bool above_min) {
  const std::string range = std::string(above_min ? "above " : "from ") + Bound(min) +
                            (above_min ? " and at most " : " to ") + Bound(max);
  return CLI::Validator(
      [min, max, above_min, range](std::string& text) -> std::string {
        double v = 0;
        const char* end = text.data() + text.size();
        const auto [p, ec] = std::from_chars(text.data(), end, v);
        const bool low = above_min ? !(v > min) : !(v >= min);
        if (text.empty() || ec != std::errc() || p != end || !std::isfinite(v) || low || v > max) {
          return "expected a number " + range + Got(text);
        }
        return {};
      },
      "NUMBER " + range, "number in range");
}

}  // namespace gpufleet::cli
