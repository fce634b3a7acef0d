// Bearer tokens of the control plane (issue 10, "Security"): who a request is from. The tokens
// file holds, per line, a name, a role and the SHA-256 of the token - never the token itself, so
// that a copy of the file (a backup, a config repository) lets no one in:
//
//   # NAME       ROLE              SHA-256 OF THE TOKEN (64 hex digits)
//   alice        tenant:research   9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//   agents       agent             2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
//   ops          admin             fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9
//
// A tenant's token acts on that tenant's jobs only; an agent's reaches the agent endpoints only; an
// admin's reaches everything. `gpufleet token new` makes a token and its line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/result.h"

namespace gpufleet {

enum class Role : std::uint8_t { kTenant, kAgent, kAdmin };

struct Identity {
  std::string name;  // the token's name in the file: logs and audit say who
  Role role = Role::kTenant;
  std::string tenant;  // for kTenant only
};

using Sha256Digest = std::array<unsigned char, 32>;
Sha256Digest Sha256(std::string_view bytes);
std::string HexOf(const Sha256Digest& digest);

class TokenTable {
 public:
  // Reads a tokens file; errors name file:line:column, the field and what was expected.
  static Result<TokenTable> Load(const std::string& path);
  // The same from the file's text; `name` stands for the file in errors.
  static Result<TokenTable> Parse(std::string_view text, const std::string& name);

  // Who `token` (as sent after "Bearer ") stands for; nullptr when no one.
  const Identity* Authenticate(std::string_view token) const;
  size_t size() const { return by_digest_.size(); }

 private:
  struct DigestHash {
    size_t operator()(const Sha256Digest& d) const;
  };
  std::unordered_map<Sha256Digest, Identity, DigestHash> by_digest_;
};

// A new token: 32 random bytes from the system's cryptographic generator, written as
// "gft_" and 64 hex digits (the prefix lets secret scanners and people recognise one).
Result<std::string> NewToken();

}  // namespace gpufleet
