// The body is parsed once, by nlohmann's SAX parser, and the YAML tree the rules read is built
// from its events - yaml-cpp never parses it. Parsing the body again with yaml-cpp for its marks
// would refuse valid JSON (a surrogate-pair escape, a line break between a key and its colon, a
// key over 1024 characters) and cost about 50 ms a megabyte, five times nlohmann's parse. A
// yaml-cpp node's mark cannot be set, so each node's tag carries its JSON type and the byte where
// it starts (SpecReader::JsonTag). The events carry no position: a cursor walks the body's tokens
// in step with them. The parser reports each token after reading it whole, so the text up to its
// end is JSON the cursor can step over without checks of its own.
#include "spec/json_body.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

namespace gpufleet {
namespace {

// A request is one level deep (two with a gpu_model list) and holds a few dozen values. The caps
// keep a hostile body cheap: the tree and the rules cost about a microsecond a value (a megabyte
// of `[1,1,...]` would take a second), and the cap on nesting bounds any reader that recurses.
constexpr size_t kMaxDepth = 32;
constexpr size_t kMaxValues = 10'000;
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Where the first value starts: after whitespace and a byte order mark, which JSON allows.
size_t FirstValueAt(std::string_view json) {
  size_t i = json.substr(0, 3) == kByteOrderMark ? 3 : 0;
  while (i < json.size() && IsJsonSpace(json[i])) ++i;
  return i;
}

// The parser's own words, without its prefix and position ("[json.exception.parse_error.101]
// parse error at line 1, column 2: ").
std::string ParserMessage(const std::string& what) {
  const size_t column = what.find("column ");
  const size_t colon = column == std::string::npos ? column : what.find(": ", column);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

struct JsonError {
  size_t byte;
  std::string what;
};

// Builds the tree from the parser's events; stops at the first error (the parser's, or a body
// that is no object or goes past the caps).
class JsonTreeBuilder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit JsonTreeBuilder(std::string_view body) : body_(body), next_(FirstValueAt(body)) {}
  const YAML::Node& root() const { return root_; }
  const std::optional<JsonError>& error() const { return error_; }

  bool null() override { return Value(Kind::kNull, "null"); }
  bool boolean(bool) override { return Value(Kind::kLiteral, "a boolean"); }
  bool number_integer(number_integer_t) override { return Value(Kind::kLiteral, "a number"); }
  bool number_unsigned(number_unsigned_t) override { return Value(Kind::kLiteral, "a number"); }
  bool number_float(number_float_t, const string_t&) override {
    return Value(Kind::kLiteral, "a number");
  }
  bool string(string_t& text) override { return Value(Kind::kString, "a string", &text); }
  bool binary(binary_t&) override { return Fail(Token(), "expected JSON, got binary data"); }
  bool key(string_t& text) override {
    key_.reset(YAML::Node(text));  // not `=`, which would rewrite the key before it
    key_.SetTag(SpecReader::JsonTag(true, Token()));
    return true;
  }
  bool start_object(std::size_t) override { return Value(Kind::kObject, "an object"); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Value(Kind::kArray, "an array"); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::json::exception& e) override {
    // `position` counts the bytes read, the one that failed (or the end) included.
    return Fail(std::min(position > 0 ? position - 1 : 0, body_.size()),
                "expected JSON: " + ParserMessage(e.what()));
  }

 private:
  enum class Kind { kNull, kLiteral, kString, kObject, kArray };

  // Where the token just reported starts; the cursor moves past it (and past the commas, colons
  // and whitespace before it).
  size_t Token() {
    auto next_is = [&](std::string_view chars) {
      return next_ < body_.size() && chars.find(body_[next_]) != std::string_view::npos;
    };
    while (next_is(" \t\n\r,:")) ++next_;
    const size_t start = next_;
    if (next_is("\"")) {
      for (++next_; next_ < body_.size() && body_[next_] != '"';)
        next_ += body_[next_] == '\\' ? 2 : 1;
      ++next_;
    } else if (next_is("{}[]")) {
      ++next_;
    } else {  // a number, true, false or null
      while (next_ < body_.size() && !next_is(" \t\n\r,:]}")) ++next_;
    }
    next_ = std::min(next_, body_.size());
    return start;
  }

  // A value at the next token: checked against the caps, tagged with its JSON type and place, and
  // put in its object or array. A number, true or false keeps its text as written (`text`
  // absent), as a YAML scalar would.
  bool Value(Kind kind, const char* what, const std::string* text = nullptr) {
    const size_t at = Token();
    const bool opens = kind == Kind::kObject || kind == Kind::kArray;
    if (stack_.empty() && kind != Kind::kObject)
      return Fail(at, std::string("expected a JSON object, got ") + what);
    if (opens && stack_.size() == kMaxDepth)
      return Fail(at, "expected at most 32 levels of nesting");
    if (++values_ > kMaxValues)
      return Fail(at, "expected at most 10,000 values; a request holds a few dozen");
    YAML::Node node = NewNode(kind, text ? *text : body_.substr(at, next_ - at));
    node.SetTag(SpecReader::JsonTag(kind == Kind::kString, at));
    if (stack_.empty()) {
      root_ = node;
    } else if (stack_.back().IsMap()) {
      stack_.back().force_insert(key_, node);  // a duplicate key too: MapReader refuses it
    } else {
      stack_.back().push_back(node);
    }
    if (opens) stack_.push_back(node);
    return true;
  }

  static YAML::Node NewNode(Kind kind, std::string_view text) {
    switch (kind) {
      case Kind::kNull:
        return YAML::Node(YAML::NodeType::Null);
      case Kind::kObject:
        return YAML::Node(YAML::NodeType::Map);
      case Kind::kArray:
        return YAML::Node(YAML::NodeType::Sequence);
      case Kind::kLiteral:
      case Kind::kString:
        break;
    }
    return YAML::Node(std::string(text));
  }

  bool Close() {
    Token();
    stack_.pop_back();
    return true;
  }

  bool Fail(size_t byte, std::string what) {
    error_ = JsonError{byte, std::move(what)};
    return false;
  }

  std::string_view body_;
  size_t next_;
  YAML::Node root_;
  std::vector<YAML::Node> stack_;  // the open objects and arrays, innermost last
  YAML::Node key_;                 // in an object, the key of the value to come
  size_t values_ = 0;
  std::optional<JsonError> error_;
};

}  // namespace

YAML::Node LoadJsonObject(SpecReader& r, const std::string& body) {
  r.ReadJson(body);
  std::optional<JsonError> error;
  JsonTreeBuilder builder(body);
  if (FirstValueAt(body) == body.size()) {
    error = JsonError{body.size(), "expected a JSON object, got an empty body"};
  } else {
    try {
      nlohmann::json::sax_parse(body, &builder, nlohmann::json::input_format_t::json,
                                /*strict=*/true, /*ignore_comments=*/false);
      error = builder.error();
    } catch (const nlohmann::json::exception& e) {  // the parser reports through `builder`
      error = JsonError{0, "expected JSON: " + ParserMessage(e.what())};
    }
  }
  if (error) {
    r.FailAtByte(error->byte, error->what);
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return builder.root();
}

}  // namespace gpufleet
