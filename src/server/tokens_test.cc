#include "server/tokens.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace gpufleet {
namespace {

// SHA-256 of three made-up tokens of 38 bytes and more (printf %s TOKEN | sha256sum).
const std::string kAlice = HexOf(Sha256("alice-secret-0123456789abcdef-0123456789"));
const std::string kAgents = HexOf(Sha256("agent-secret-0123456789abcdef-0123456789"));
const std::string kOps = HexOf(Sha256("ops-secret-0123456789abcdef-0123456789"));

TEST(Tokens, Sha256IsTheStandardOne) {
  // FIPS 180-2, appendix B.1: SHA-256("abc").
  EXPECT_EQ(HexOf(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // And of nothing (the well-known e3b0c442... value).
  EXPECT_EQ(HexOf(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Tokens, EachTokenIsItsIdentity) {
  const std::string file =
      "# who         role             sha256\n"
      "alice   tenant:research  " +
      kAlice +
      "\n"
      "\n"
      "agents\tagent\t" +
      kAgents +
      "   # every agent of site a\n"
      "ops admin " +
      kOps + "\r\n";
  Result<TokenTable> t = TokenTable::Parse(file, "tokens");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t.value().size(), 3u);
  const Identity* alice = t.value().Authenticate("alice-secret-0123456789abcdef-0123456789");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->role, Role::kTenant);
  EXPECT_EQ(alice->tenant, "research");
  ASSERT_NE(t.value().Authenticate("agent-secret-0123456789abcdef-0123456789"), nullptr);
  EXPECT_EQ(t.value().Authenticate("agent-secret-0123456789abcdef-0123456789")->role, Role::kAgent);
  EXPECT_EQ(t.value().Authenticate("ops-secret-0123456789abcdef-0123456789")->role, Role::kAdmin);
  // Not a token, the empty one, the hash itself, a prefix: no one.
  EXPECT_EQ(t.value().Authenticate("alice-secret-0123456789abcdef-012345678X"), nullptr);
  EXPECT_EQ(t.value().Authenticate(""), nullptr);
  EXPECT_EQ(t.value().Authenticate(kAlice), nullptr);
  EXPECT_EQ(t.value().Authenticate("alice-secret-0123456789abcdef-012345678"), nullptr);
}

TEST(Tokens, UppercaseHexAndAByteOrderMarkAreAccepted) {
  std::string upper = kOps;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Result<TokenTable> t = TokenTable::Parse("\xEF\xBB\xBFops admin " + upper + "\n", "tokens");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_NE(t.value().Authenticate("ops-secret-0123456789abcdef-0123456789"), nullptr);
}

TEST(Tokens, BadLinesAreLocatedErrors) {
  struct Case {
    std::string text, error;
  };
  const std::vector<Case> cases = {
      {"alice tenant:research\n",
       "tokens:1:1: expected three fields, NAME ROLE SHA256 (the SHA-256 of the token in 64 hex "
       "digits), got 2"},
      {"# ok\nal/ice admin " + kOps + "\n",
       "tokens:2:1: field 'name': expected letters, digits, '.', '_' or '-' (at most 128), got "
       "'al/ice'"},
      {"alice tenant: " + kOps + "\n",
       "tokens:1:7: field 'role': expected tenant:NAME, agent or admin, got 'tenant:'"},
      {"alice root " + kOps + "\n",
       "tokens:1:7: field 'role': expected tenant:NAME, agent or admin, got 'root'"},
      {"alice tenant:a\x01 " + kOps + "\n",
       "tokens:1:7: field 'role': expected tenant:NAME, agent or admin, got 'tenant:a\\x01'"},
      {"alice admin gft_0123\n",
       "tokens:1:13: field 'sha256': expected the SHA-256 of the token as 64 hex digits (the "
       "file holds no tokens, only their hashes: `gpufleet token new` prints both), got "
       "'gft_0123'"},
      {"alice admin " + kOps + "\nbob admin " + kOps + "\n",
       "tokens:2:11: field 'sha256': the same token hash as an earlier line: one token, one "
       "identity"},
      {"alice admin " + kOps + "\nalice agent " + kAgents + "\n",
       "tokens:2:1: field 'name': 'alice' is named twice"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Result<TokenTable> t = TokenTable::Parse(c.text, "tokens");
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.message(), c.error);
  }
}

TEST(Tokens, LoadNamesTheFile) {
  testing::ScratchDir dir;
  const std::string path = dir.Write("tokens", "ops admin " + kOps + "\n");
  Result<TokenTable> t = TokenTable::Load(path);
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_NE(t.value().Authenticate("ops-secret-0123456789abcdef-0123456789"), nullptr);
  Result<TokenTable> missing = TokenTable::Load(dir.Path("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), dir.Path("nope") + ": no such file");
  Result<TokenTable> bad = TokenTable::Load(dir.Write("bad", "x y z\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message().rfind(dir.Path("bad") + ":1:3: field 'role'", 0), 0u) << bad.message();
}

// An unsalted fast hash protects only a token that cannot be guessed: a short one lets no one
// in, even when the file holds its hash.
TEST(Tokens, AShortTokenLetsNoOneIn) {
  Result<TokenTable> t = TokenTable::Parse("ops admin " + HexOf(Sha256("bar")) + "\n", "tokens");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ(t.value().Authenticate("bar"), nullptr);
}

TEST(Tokens, TokenLinesSayOneThing) {
  const std::string token = NewToken().value();
  Result<std::string> line = TokenLine("alice", "tenant:research", token);
  ASSERT_TRUE(line.ok()) << line.message();
  EXPECT_EQ(line.value(), "alice tenant:research " + HexOf(Sha256(token)) + "\n");
  EXPECT_FALSE(TokenLine("#alice", "agent", token).ok());                      // a comment
  EXPECT_FALSE(TokenLine("a\nb agent " + kOps + "\nc", "agent", token).ok());  // two lines
  EXPECT_FALSE(TokenLine("alice", "root", token).ok());
  EXPECT_FALSE(TokenLine("alice", "agent", "short").ok());
}

TEST(Tokens, NewTokensAreLongRandomAndUsable) {
  const std::string a = NewToken().value(), b = NewToken().value();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 4u + 64u);  // "gft_" and 32 bytes in hex
  EXPECT_EQ(a.rfind("gft_", 0), 0u);
  Result<TokenTable> t = TokenTable::Parse("new tenant:t " + HexOf(Sha256(a)) + "\n", "tokens");
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_NE(t.value().Authenticate(a), nullptr);
  EXPECT_EQ(t.value().Authenticate(b), nullptr);
}

}  // namespace
}  // namespace gpufleet
