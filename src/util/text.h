// Small text helpers shared by every layer that writes for people.
#pragma once

#include <cstdint>
#include <string>

namespace gpufleet {

// Thousands separators: 1234567 -> "1,234,567".
inline std::string Grouped(std::int64_t n) {
  const std::string digits = std::to_string(n);
  const size_t first = n < 0 ? 1 : 0;  // after the sign
  std::string out = digits.substr(0, first);
  for (size_t i = first; i < digits.size(); ++i) {
    if (i > first && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace gpufleet
