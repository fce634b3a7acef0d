// Random JSON bodies, with whitespace anywhere JSON allows it and strings of any character
// (escaped or not, a surrogate pair included): every valid object is read with the values JSON
// gives it, and each error is at its key's or value's line and column - the places the tree
// builder's cursor (spec/json_body.cc) follows the parser to.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spec/specs.h"

namespace gpufleet {
namespace {

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Text of characters YAML treats specially as well as plain ones: quotes, backslashes, control
// characters, DEL, NEL (U+0085), the line separator (U+2028), a byte order mark, characters
// beyond U+FFFF (a surrogate pair when escaped).
std::string RandomText(size_t max_length) {
  const size_t length = *rc::gen::inRange<size_t>(0, max_length + 1);
  std::string out;
  for (size_t i = 0; i < length; ++i) {
    AppendUtf8(out, *rc::gen::element<char32_t>(
                        U'a', U'Z', U'0', U' ', U'"', U'\\', U'/', U':', U'#', U'\'', U'{', U']',
                        U',', U'-', U'\t', U'\n', U'\x01', U'\x7f', U'\u0085', U'\u00e9', U'\u2028',
                        U'\ufeff', U'\u6f22', U'\U0001F600', U'\U0010FFFF'));
  }
  return out;
}

// A JSON string token, with JSON's escapes (\u and surrogate pairs) or raw UTF-8.
std::string StringToken(const std::string& text) {
  const bool ascii = *rc::gen::arbitrary<bool>();
  return nlohmann::json(text).dump(-1, ' ', ascii);
}

std::string Space() {
  return *rc::gen::element<std::string>("", "", " ", "\n", "\t", "\r\n", "\r", " \n  ");
}

// Any JSON value, nested a few levels.
std::string ValueToken(int depth) {
  switch (*rc::gen::inRange(0, depth > 2 ? 4 : 6)) {
    case 0:
      return *rc::gen::element<std::string>("0", "-1.5e+3", "12345678901234567890", "true", "false",
                                            "null");
    case 1:
    case 2:
    case 3:
      return StringToken(RandomText(8));
    case 4: {
      std::string list = "[" + Space();
      for (int i = *rc::gen::inRange(0, 3); i > 0; --i)
        list += ValueToken(depth + 1) + Space() + (i > 1 ? "," + Space() : "");
      return list + "]";
    }
    default: {
      std::string object = "{" + Space();
      for (int i = *rc::gen::inRange(0, 3); i > 0; --i) {
        object += StringToken(RandomText(4)) + Space() + ":" + Space() + ValueToken(depth + 1) +
                  Space() + (i > 1 ? "," + Space() : "");
      }
      return object + "}";
    }
  }
}

// Line and column of a byte, as errors count them (bytes; lines at '\n').
std::string Place(const std::string& body, size_t byte) {
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < byte; ++i) {
    if (body[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "request:" + std::to_string(line) + ":" + std::to_string(byte - line_start + 1) + ": ";
}

RC_GTEST_PROP(JobRequestProperties, AnyJsonObjectReadsWithJsonsValuesAndPlaces, ()) {
  // The known fields (GPUs sometimes as a string, which is refused) and some unknown keys (a few
  // longer than a YAML key may be), in a random order.
  const std::string name = RandomText(6);
  const bool quoted_gpus = *rc::gen::inRange(0, 4) == 0;
  std::vector<std::pair<std::string, std::string>> fields = {
      {StringToken("name"), StringToken(name)},
      {StringToken("gpus"), quoted_gpus ? StringToken("8") : "8"},
      {StringToken("estimate"), StringToken("1h")},
      {StringToken("command"), StringToken("true")}};
  const int unknown = *rc::gen::inRange(0, 3);
  for (int i = 0; i < unknown; ++i) {
    const bool long_key = *rc::gen::inRange(0, 8) == 0;
    fields.push_back({StringToken("x" + RandomText(long_key ? 1500 : 6)), ValueToken(0)});
  }
  for (size_t i = fields.size(); i > 1; --i)
    std::swap(fields[i - 1], fields[*rc::gen::inRange<size_t>(0, i)]);

  std::string body = (*rc::gen::inRange(0, 8) == 0 ? "\xEF\xBB\xBF" : "") + Space() + "{";
  std::vector<size_t> unknown_at;
  size_t gpus_at = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    body += Space();
    if (fields[i].first[1] == 'x') unknown_at.push_back(body.size());
    body += fields[i].first + Space() + ":" + Space();
    if (fields[i].first == "\"gpus\"") gpus_at = body.size();
    body += fields[i].second + Space();
    if (i + 1 < fields.size()) body += ",";
  }
  body += "}" + Space();
  RC_ASSERT(nlohmann::json::accept(body));

  const Result<JobRequestSpec> r = ParseJobRequest(body, "request");
  const std::string message = r.ok() ? "" : r.message();
  RC_LOG() << body << "\n---\n" << message << "\n";
  for (size_t at : unknown_at) RC_ASSERT(message.find(Place(body, at) + "field '") != message.npos);
  if (quoted_gpus) {
    RC_ASSERT(message.find(Place(body, gpus_at) +
                           "field 'gpus': expected a whole number, got a string") != message.npos);
  }
  const bool good_name = !name.empty() && name.size() <= 128 &&
                         name.find_first_of(std::string("\t\n\x01\x7f", 4)) == std::string::npos;
  if (unknown_at.empty() && good_name && !quoted_gpus) {
    RC_ASSERT(r.ok());
    RC_ASSERT(r.value().job.job.name == name);
    RC_ASSERT(r.value().job.job.gpus == 8);
  } else {
    RC_ASSERT(!r.ok());
  }
}

}  // namespace
}  // namespace gpufleet
