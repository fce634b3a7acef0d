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

// What a file held, for an error message: in quotes, at most `max` characters ("..." after),
// control bytes as \xNN, so that the message shows what is invisible and stays one short line.
inline std::string QuotedExcerpt(std::string_view text, size_t max = 40) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (text.size() > max ? "...'" : "'");
}

}  // namespace gpufleet
