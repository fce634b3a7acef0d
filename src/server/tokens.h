// Bearer tokens of the control plane (issue 10, "Security"): who a request is from. The tokens
// file holds, per line, a name, a role and the SHA-256 of the token - never the token itself, so
// that a copy of the file (a backup, a config repository) lets no one in:
//
//   # NAME       ROLE              SHA-256 OF THE TOKEN (64 hex digits)
//   alice        tenant:research   15ce835cb88472ad10c4e1b14cf3826cd285cb8e18663b55805003cc754edb74
//   agents       agent             e865da30c1156c9f8fdbf064f426c74e61d966f27e2f6a8468b0d32bb2787346
//   ops          admin             706c07494b2629e3515b4280bbad805f12e0dd36feeaa883fe75b9c1d46b30c4
//
// (The hashes above are of random tokens, made by `gpufleet token new`.) A tenant's token acts on
// that tenant's jobs only; an agent's reaches the agent endpoints only; an admin's reaches
// everything. A token shorter than kMinTokenBytes lets no one in, whatever the file says: an
// unsalted fast hash protects only a token that cannot be guessed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/result.h"

namespace gpufleet {

enum class Role : std::uint8_t { kTenant, kAgent, kAdmin };

struct Identity {
  std::string name;  // the token's name in the file: logs and audit say who
  Role role = Role::kTenant;
  std::string tenant;  // for kTenant only
};

inline constexpr size_t kMinTokenBytes = 32;

using Sha256Digest = std::array<unsigned char, 32>;
Sha256Digest Sha256(std::string_view bytes);
std::string HexOf(const Sha256Digest& digest);

class TokenTable {
 public:
  // Reads a tokens file; errors name file:line:column, the field and what was expected.
  static Result<TokenTable> Load(const std::string& path);
  // The same from the file's text; `name` stands for the file in errors.
  static Result<TokenTable> Parse(std::string_view text, const std::string& name);

  // Who `token` (as sent after "Bearer ") stands for; nullptr when no one (and for any token
  // shorter than kMinTokenBytes).
  const Identity* Authenticate(std::string_view token) const;
  size_t size() const { return by_digest_.size(); }
  // The tenants the file names (tenant:NAME roles), sorted, each once.
  std::vector<std::string> Tenants() const;

 private:
  struct DigestHash {
    size_t operator()(const Sha256Digest& d) const;
  };
  std::unordered_map<Sha256Digest, Identity, DigestHash> by_digest_;
};

// A tokens-file line for `name`, `role` and `token`, checked as Parse reads it: one line, one
// identity, the token lets in exactly that name and role (a name holding a newline, a '#' or a
// space is refused, never written).
Result<std::string> TokenLine(std::string_view name, std::string_view role, std::string_view token);

// A new token: 32 random bytes from the system's cryptographic generator, written as
// "gft_" and 64 hex digits (the prefix lets secret scanners and people recognise one).
Result<std::string> NewToken();

}  // namespace gpufleet
