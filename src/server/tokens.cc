#include "server/tokens.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <unordered_set>
#include <vector>

#include "util/input_file.h"
#include "util/text.h"

namespace gpufleet {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Lower-case hex of `n` bytes: a digest's, or a new token's.
std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}
// A tokens file is a few lines per tenant and agent pool; a larger one is a wrong file.
constexpr std::int64_t kMaxFileBytes = 16 << 20;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsName(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!IsNameChar(c)) return false;
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Sha256Digest> ParseDigest(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Sha256Digest d{};
  for (size_t i = 0; i < 32; ++i) {
    const int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return d;
}

// A field of a line and the column it starts at (1-based).
struct Field {
  std::string_view text;
  size_t column;
};

std::vector<Field> SplitFields(std::string_view line) {
  std::vector<Field> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size() || line[i] == '#') break;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    out.push_back({line.substr(start, i - start), start + 1});
  }
  return out;
}

}  // namespace

Sha256Digest Sha256(std::string_view bytes) {
  Sha256Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d.data());
  return d;
}

std::string HexOf(const Sha256Digest& digest) { return Hex(digest.data(), digest.size()); }

size_t TokenTable::DigestHash::operator()(const Sha256Digest& d) const {
  // The digest is already uniformly distributed: its first bytes are a hash.
  size_t h = 0;
  std::memcpy(&h, d.data(), sizeof h);
  return h;
}

Result<TokenTable> TokenTable::Load(const std::string& path) {
  Result<std::ifstream> opened = OpenInputFile(path);
  if (!opened.ok()) return opened.error();
  // Read in chunks, counting: a pipe has no size to check beforehand.
  std::string text;
  char buf[1 << 14];
  while (opened.value().read(buf, sizeof buf) || opened.value().gcount() > 0) {
    text.append(buf, static_cast<size_t>(opened.value().gcount()));
    if (text.size() > static_cast<size_t>(kMaxFileBytes))
      return Error{path + ": larger than 16 MiB; expected a tokens file (a line per token)"};
  }
  return Parse(text, path);
}

Result<TokenTable> TokenTable::Parse(std::string_view text, const std::string& name) {
  TokenTable table;
  std::unordered_set<std::string> names;
  size_t line_no = 0;
  size_t at = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") at = 3;  // a byte-order mark, as editors may write
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::vector<Field> f = SplitFields(line);
    if (f.empty()) continue;
    auto where = [&](const Field& field, const char* what) {
      return name + ":" + std::to_string(line_no) + ":" + std::to_string(field.column) +
             ": field '" + what + "': ";
    };
    if (f.size() != 3) {
      return Error{name + ":" + std::to_string(line_no) + ":1: expected three fields, NAME ROLE " +
                   "SHA256 (the SHA-256 of the token in 64 hex digits), got " +
                   std::to_string(f.size())};
    }
    Identity id;
    if (!IsName(f[0].text)) {
      return Error{where(f[0], "name") +
                   "expected letters, digits, '.', '_' or '-' (at most 128), got " +
                   QuotedExcerpt(f[0].text)};
    }
    id.name = std::string(f[0].text);
    if (!names.insert(id.name).second)
      return Error{where(f[0], "name") + "'" + id.name + "' is named twice"};
    const std::string_view role = f[1].text;
    if (role == "agent") {
      id.role = Role::kAgent;
    } else if (role == "admin") {
      id.role = Role::kAdmin;
    } else if (role.substr(0, 7) == "tenant:" && IsName(role.substr(7))) {
      id.role = Role::kTenant;
      id.tenant = std::string(role.substr(7));
    } else {
      return Error{where(f[1], "role") + "expected tenant:NAME, agent or admin, got " +
                   QuotedExcerpt(role)};
    }
    const std::optional<Sha256Digest> digest = ParseDigest(f[2].text);
    if (!digest) {
      return Error{where(f[2], "sha256") +
                   "expected the SHA-256 of the token as 64 hex digits (the file holds no "
                   "tokens, only their hashes: `gpufleet token new` prints both), got " +
                   QuotedExcerpt(f[2].text)};
    }
    if (!table.by_digest_.emplace(*digest, std::move(id)).second) {
      return Error{where(f[2], "sha256") +
                   "the same token hash as an earlier line: one token, one identity"};
    }
  }
  return table;
}

const Identity* TokenTable::Authenticate(std::string_view token) const {
  if (token.size() < kMinTokenBytes) return nullptr;
  // Looked up by the token's SHA-256: how long the lookup takes depends on the digest, which an
  // attacker cannot steer toward a stored one (that would need a preimage), so the lookup's
  // timing says nothing about the tokens. That, not a constant-time comparison, is the defence.
  const auto it = by_digest_.find(Sha256(token));
  return it == by_digest_.end() ? nullptr : &it->second;
}

Result<std::string> TokenLine(std::string_view name, std::string_view role,
                              std::string_view token) {
  if (token.size() < kMinTokenBytes)
    return Error{"a token of at least " + std::to_string(kMinTokenBytes) + " bytes"};
  const std::string line =
      std::string(name) + " " + std::string(role) + " " + HexOf(Sha256(token)) + "\n";
  Result<TokenTable> t = TokenTable::Parse(line, "--name/--role");
  if (!t.ok()) return t.error();
  const Identity* who = t.value().Authenticate(token);
  // One line, and it names what was asked: a name that is a comment or holds a second line
  // would make the file say something else.
  if (t.value().size() != 1 || who == nullptr || who->name != name ||
      std::count(line.begin(), line.end(), '\n') != 1) {
    return Error{"--name: expected letters, digits, '.', '_' or '-', got " + QuotedExcerpt(name)};
  }
  return line;
}

Result<std::string> NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return Error{"cannot draw a token: the system's random generator failed",
                 ErrorCode::kUnavailable};
  return "gft_" + Hex(bytes, sizeof bytes);
}

std::vector<std::string> TokenTable::Tenants() const {
  std::vector<std::string> out;
  for (const auto& [digest, who] : by_digest_) {
    if (who.role == Role::kTenant) out.push_back(who.tenant);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace gpufleet
