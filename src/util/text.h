// Small text helpers shared by every layer that writes for people.
#pragma once

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

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

// Names people type in any case (GPU models: "H100", "h100"): compared and stored lower case.
inline std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace gpufleet
