// `gpufleet token new`, end to end: the token on stdout, its tokens-file line appended to the
// file, and the line lets exactly that token in when the server reads the file.
#include <gtest/gtest.h>
#include <sys/stat.h>

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
  const std::string tokens = dir.Path("tokens");
  std::string ops_token;
  for (const char* who : {"--name alice --role tenant:research", "--name ops --role admin"}) {
    const auto [code, out] =
        RunGpufleet(std::string("token new ") + who + " --append " + Quote(tokens));
    ASSERT_EQ(code, 0) << out;
    ops_token = out.substr(0, out.find('\n'));
  }
  ASSERT_EQ(ops_token.size(), 4u + 64u) << ops_token;  // gft_ and 64 hex digits
  EXPECT_EQ(ReadFile(tokens).find(ops_token), std::string::npos) << "the file holds the token";
  struct stat st {};
  ASSERT_EQ(::stat(tokens.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<TokenTable> table = TokenTable::Load(tokens);
  ASSERT_TRUE(table.ok()) << table.message();
  EXPECT_EQ(table.value().size(), 2u);
  const Identity* ops = table.value().Authenticate(ops_token);
  ASSERT_NE(ops, nullptr);
  EXPECT_EQ(ops->name, "ops");
  EXPECT_EQ(ops->role, Role::kAdmin);
}

// A name or role that would make the file say something else (a second line, a comment) is
// refused, and nothing - no error either - goes into the tokens file.
TEST(TokenCli, NothingButTheLineEverReachesTheFile) {
  testing::ScratchDir dir;
  const std::string tokens = dir.Path("tokens");
  const std::string injected =
      "bob admin 706c07494b2629e3515b4280bbad805f12e0dd36feeaa883fe75b9c1d46b30c4\nbob2";
  for (const std::string& args :
       {"--name " + Quote(injected) + " --role agent", std::string("--name '#x' --role agent"),
        std::string("--name alice --role root"), std::string("--role agent")}) {
    SCOPED_TRACE(args);
    const auto [code, out] = RunGpufleet("token new " + args + " --append " + Quote(tokens));
    EXPECT_EQ(code, 2) << out;
  }
  EXPECT_EQ(ReadFile(tokens), "");
  const auto [code, out] = RunGpufleet("token new --name alice --role root");
  EXPECT_NE(out.find("field 'role': expected tenant:NAME, agent or admin, got 'root'"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace gpufleet
