// Where the client finds the server, its token and, for an https server with a private CA, the
// CA's certificate. Each value is taken from the first place that has it: the command line
// (--server, --token, --token-file, --cacert), the environment (GPUFLEET_SERVER, GPUFLEET_TOKEN,
// GPUFLEET_CACERT), the config file ($XDG_CONFIG_HOME/gpufleet/client.yaml, by default
// ~/.config/gpufleet/client.yaml: `server:`, `token:` or `token_file:`, `cacert:`); a server
// given nowhere is http://127.0.0.1:7070; a token given nowhere is an error that names all three
// places; a CA given nowhere is the system's CAs.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "util/result.h"

namespace gpufleet::client {

inline constexpr const char* kDefaultServer = "http://127.0.0.1:7070";

struct ClientConfig {
  std::string server;
  std::string token;
  std::string ca_file;  // empty: the system's CAs
};

// What the command line said; empty: not given.
struct ClientFlags {
  std::string server;
  std::string token;
  std::string token_file;
  std::string cacert;
};

// The environment, as a function so that tests need not change the process's.
using GetEnv = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> ProcessEnv(const std::string& name);

// The config file's path: $XDG_CONFIG_HOME/gpufleet/client.yaml, else
// $HOME/.config/gpufleet/client.yaml; empty when neither variable is set.
std::string ClientConfigPath(const GetEnv& env);

// Resolves the configuration as described at the top. A config file that does not exist is no
// error; one that cannot be read or has a line other than `key: value`, a comment or a blank is.
// So is a CA file that cannot be opened (named with where it was given).
Result<ClientConfig> ResolveClientConfig(const ClientFlags& flags, const GetEnv& env = ProcessEnv);

// The config file's keys (server, token, token_file, cacert) from its text: a YAML subset, one
// `key: value` per line, values optionally in quotes, `#` comments. Errors are "PATH:LINE: ...".
struct ConfigFileValues {
  std::string server;
  std::string token;
  std::string token_file;
  std::string cacert;
};
Result<ConfigFileValues> ParseClientConfigFile(const std::string& path, const std::string& text);

// A token file's token: its text without surrounding white space; empty or several words is an
// error naming the file.
Result<std::string> ReadTokenFile(const std::string& path);

}  // namespace gpufleet::client
