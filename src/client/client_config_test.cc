#include "client/client_config.h"

#include <gtest/gtest.h>

#include <map>

#include "temp_dir.h"

namespace gpufleet::client {
namespace {

using gpufleet::testing::ScratchDir;

GetEnv FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ClientConfig, FlagsBeatEnvironmentBeatsFile) {
  ScratchDir dir;
  dir.Write("xdg/gpufleet/client.yaml", "server: http://file:1\ntoken: file-token\n");
  const GetEnv env = FakeEnv({{"XDG_CONFIG_HOME", dir.Path("xdg")},
                              {"GPUFLEET_SERVER", "http://env:2"},
                              {"GPUFLEET_TOKEN", "env-token"}});
  Result<ClientConfig> from_env = ResolveClientConfig({}, env);
  ASSERT_TRUE(from_env.ok()) << from_env.message();
  EXPECT_EQ(from_env.value().server, "http://env:2");
  EXPECT_EQ(from_env.value().token, "env-token");

  Result<ClientConfig> from_flags =
      ResolveClientConfig({"http://flag:3", "flag-token", "", ""}, env);
  ASSERT_TRUE(from_flags.ok());
  EXPECT_EQ(from_flags.value().server, "http://flag:3");
  EXPECT_EQ(from_flags.value().token, "flag-token");

  Result<ClientConfig> from_file =
      ResolveClientConfig({}, FakeEnv({{"XDG_CONFIG_HOME", dir.Path("xdg")}}));
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file.value().server, "http://file:1");
  EXPECT_EQ(from_file.value().token, "file-token");
}

TEST(ClientConfig, HomeConfigWithTokenFileAndDefaultServer) {
  ScratchDir dir;
  const std::string token_file = dir.Write("secret", "  gft_abc\n");
  dir.Write("home/.config/gpufleet/client.yaml",
            "# the lab's server\ntoken_file: \"" + token_file + "\"  # kept apart\n");
  Result<ClientConfig> config = ResolveClientConfig({}, FakeEnv({{"HOME", dir.Path("home")}}));
  ASSERT_TRUE(config.ok()) << config.message();
  EXPECT_EQ(config.value().server, kDefaultServer);
  EXPECT_EQ(config.value().token, "gft_abc");
}

TEST(ClientConfig, MissingTokenSaysWhereToPutOne) {
  Result<ClientConfig> config = ResolveClientConfig({}, FakeEnv({{"HOME", "/nonexistent"}}));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.message().find("no token"), std::string::npos);
  EXPECT_NE(config.message().find("GPUFLEET_TOKEN"), std::string::npos);
  EXPECT_NE(config.message().find("/nonexistent/.config/gpufleet/client.yaml"), std::string::npos);
}

TEST(ClientConfig, FileErrorsNameFileAndLine) {
  Result<ConfigFileValues> bad = ParseClientConfigFile("c.yaml", "server: x\nservr: y\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(),
            "c.yaml:2: unknown key 'servr' (keys: server, token, token_file, cacert)");
  Result<ConfigFileValues> quote = ParseClientConfigFile("c.yaml", "token: 'abc\n");
  ASSERT_FALSE(quote.ok());
  EXPECT_EQ(quote.message(), "c.yaml:1: field 'token': a quote that is not closed");
  Result<ConfigFileValues> no_colon = ParseClientConfigFile("c.yaml", "\n\njust words\n");
  ASSERT_FALSE(no_colon.ok());
  EXPECT_EQ(no_colon.message().substr(0, 9), "c.yaml:3:");
}

TEST(ClientConfig, CaFileFromFlagThenEnvironmentThenFile) {
  ScratchDir dir;
  const std::string flag_ca = dir.Write("flag.pem", "x"), env_ca = dir.Write("env.pem", "x"),
                    file_ca = dir.Write("file.pem", "x");
  dir.Write("xdg/gpufleet/client.yaml", "token: t\ncacert: " + file_ca + "\n");
  std::map<std::string, std::string> vars = {{"XDG_CONFIG_HOME", dir.Path("xdg")},
                                             {"GPUFLEET_CACERT", env_ca}};
  ClientFlags flags;
  flags.cacert = flag_ca;
  EXPECT_EQ(ResolveClientConfig(flags, FakeEnv(vars)).value().ca_file, flag_ca);
  EXPECT_EQ(ResolveClientConfig({}, FakeEnv(vars)).value().ca_file, env_ca);
  vars.erase("GPUFLEET_CACERT");
  EXPECT_EQ(ResolveClientConfig({}, FakeEnv(vars)).value().ca_file, file_ca);
  vars.erase("XDG_CONFIG_HOME");
  flags = {};
  flags.token = "t";
  EXPECT_EQ(ResolveClientConfig(flags, FakeEnv(vars)).value().ca_file, "")
      << "none given: the system's CAs";
}

TEST(ClientConfig, CaFileThatIsNotThereIsNamedWithWhereItWasGiven) {
  ScratchDir dir;
  ClientFlags flags;
  flags.token = "t";
  Result<ClientConfig> config =
      ResolveClientConfig(flags, FakeEnv({{"GPUFLEET_CACERT", dir.Path("absent.pem")}}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.message(), "GPUFLEET_CACERT: " + dir.Path("absent.pem") + ": no such file");
}

TEST(ClientConfig, TokenFileWithTwoWordsIsRefused) {
  ScratchDir dir;
  Result<std::string> token = ReadTokenFile(dir.Write("t", "gft_a gft_b\n"));
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.message().find("several words"), std::string::npos);
  EXPECT_FALSE(ReadTokenFile(dir.Path("absent")).ok());
}

}  // namespace
}  // namespace gpufleet::client
