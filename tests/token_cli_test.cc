// `gpufleet token new`, end to end: the token on stdout, its tokens-file line on stderr, and the
// line lets exactly that token in when the server reads the file.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>

#include "cli_run.h"
#include "server/tokens.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using testing::Quote;
using testing::ReadFile;
using testing::RunGpufleet;

TEST(TokenCli, NewTokenAndItsLineLetItIn) {
  testing::ScratchDir dir;
  const std::string tokens = dir.Path("tokens"), out = dir.Path("token");
  for (const char* who : {"--name alice --role tenant:research", "--name ops --role admin"}) {
    const int status = std::system(
        (Quote(GPUFLEET_BINARY) + " token new " + who + " >" + Quote(out) + " 2>>" + Quote(tokens))
            .c_str());
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(tokens);
  }
  const std::string ops_token = ReadFile(out);
  ASSERT_EQ(ops_token.size(), 4u + 64u + 1u) << ops_token;  // gft_, 64 hex digits, newline
  EXPECT_EQ(ReadFile(tokens).find(ops_token.substr(0, 68)), std::string::npos)
      << "the file holds the token itself";
  Result<TokenTable> table = TokenTable::Load(tokens);
  ASSERT_TRUE(table.ok()) << table.message();
  EXPECT_EQ(table.value().size(), 2u);
  const Identity* ops = table.value().Authenticate(ops_token.substr(0, 68));
  ASSERT_NE(ops, nullptr);
  EXPECT_EQ(ops->name, "ops");
  EXPECT_EQ(ops->role, Role::kAdmin);
}

TEST(TokenCli, ABadRoleIsRefusedAsTheServerWouldRefuseIt) {
  const auto [code, text] = RunGpufleet("token new --name alice --role root");
  EXPECT_EQ(code, 2) << text;
  EXPECT_NE(text.find("field 'role': expected tenant:NAME, agent or admin, got 'root'"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace gpufleet
