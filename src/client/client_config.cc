#include "client/client_config.h"

#include <cstdlib>
#include <sstream>
#include <utility>

#include "util/input_file.h"

namespace gpufleet::client {
namespace {

constexpr size_t kMaxFileBytes = 1 << 16;  // a config or token file is a few lines

Result<std::string> ReadSmallFile(const std::string& path) {
  Result<std::ifstream> in = OpenInputFile(path);
  if (!in.ok()) return in.error();
  std::string text(kMaxFileBytes + 1, '\0');
  in.value().read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.value().gcount()));
  if (text.size() > kMaxFileBytes)
    return Error{path + ": larger than 64 KiB; expected a few lines"};
  return text;
}

std::string Trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// A value as YAML writes a plain scalar here: quoted ('...' or "..."), or bare up to a comment.
Result<std::string> ScalarValue(std::string_view raw) {
  std::string value = Trim(raw);
  if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
    const size_t close = value.find(value.front(), 1);
    if (close == std::string::npos) return Error{"a quote that is not closed"};
    const std::string rest = Trim(std::string_view(value).substr(close + 1));
    if (!rest.empty() && rest.front() != '#') return Error{"text after the closing quote"};
    return value.substr(1, close - 1);
  }
  const size_t comment = value.find(" #");
  if (comment != std::string::npos) value = Trim(std::string_view(value).substr(0, comment));
  return value;
}

}  // namespace

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string ClientConfigPath(const GetEnv& env) {
  if (auto xdg = env("XDG_CONFIG_HOME"); xdg && !xdg->empty())
    return *xdg + "/gpufleet/client.yaml";
  if (auto home = env("HOME"); home && !home->empty())
    return *home + "/.config/gpufleet/client.yaml";
  return {};
}

Result<ConfigFileValues> ParseClientConfigFile(const std::string& path, const std::string& text) {
  ConfigFileValues values;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string where = path + ":" + std::to_string(number) + ": ";
    const std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const size_t colon = trimmed.find(':');
    if (colon == std::string::npos)
      return Error{where + "expected 'key: value' (keys: server, token, token_file, cacert)"};
    const std::string key = Trim(std::string_view(trimmed).substr(0, colon));
    Result<std::string> value = ScalarValue(std::string_view(trimmed).substr(colon + 1));
    if (!value.ok()) return Error{where + "field '" + key + "': " + value.message()};
    if (key == "server") {
      values.server = value.value();
    } else if (key == "token") {
      values.token = value.value();
    } else if (key == "token_file") {
      values.token_file = value.value();
    } else if (key == "cacert") {
      values.cacert = value.value();
    } else {
      return Error{where + "unknown key '" + key + "' (keys: server, token, token_file, cacert)"};
    }
  }
  return values;
}

Result<std::string> ReadTokenFile(const std::string& path) {
  Result<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.error();
  std::string token = Trim(text.value());
  if (token.empty()) return Error{path + ": empty; expected a token (gpufleet token new)"};
  if (token.find_first_of(" \t\r\n") != std::string::npos)
    return Error{path + ": expected one token, found several words"};
  return token;
}

Result<ClientConfig> ResolveClientConfig(const ClientFlags& flags, const GetEnv& env) {
  ConfigFileValues file;
  const std::string config_path = ClientConfigPath(env);
  if (!config_path.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(config_path, ec)) {
      Result<std::string> text = ReadSmallFile(config_path);
      if (!text.ok()) return text.error();
      Result<ConfigFileValues> parsed = ParseClientConfigFile(config_path, text.value());
      if (!parsed.ok()) return parsed.error();
      file = std::move(parsed).value();
    }
  }

  ClientConfig config;
  const std::optional<std::string> env_server = env("GPUFLEET_SERVER");
  config.server = !flags.server.empty()                ? flags.server
                  : env_server && !env_server->empty() ? *env_server
                  : !file.server.empty()               ? file.server
                                                       : std::string(kDefaultServer);

  const std::optional<std::string> env_token = env("GPUFLEET_TOKEN");
  if (!flags.token.empty()) {
    config.token = flags.token;
  } else if (!flags.token_file.empty()) {
    Result<std::string> token = ReadTokenFile(flags.token_file);
    if (!token.ok()) return token.error();
    config.token = token.value();
  } else if (env_token && !env_token->empty()) {
    config.token = *env_token;
  } else if (!file.token.empty()) {
    config.token = file.token;
  } else if (!file.token_file.empty()) {
    Result<std::string> token = ReadTokenFile(file.token_file);
    if (!token.ok()) return Error{config_path + ": token_file: " + token.message()};
    config.token = token.value();
  } else {
    return Error{
        "no token: give --token or --token-file, set GPUFLEET_TOKEN, or write 'token:' "
        "in " +
            (config_path.empty() ? std::string("~/.config/gpufleet/client.yaml") : config_path) +
            " (gpufleet token new makes one)",
        ErrorCode::kFailedPrecondition};
  }

  const std::optional<std::string> env_cacert = env("GPUFLEET_CACERT");
  const auto [ca_source, ca_file] = !flags.cacert.empty()
                                        ? std::pair{std::string("--cacert "), flags.cacert}
                                    : env_cacert && !env_cacert->empty()
                                        ? std::pair{std::string("GPUFLEET_CACERT: "), *env_cacert}
                                        : std::pair{config_path + ": cacert: ", file.cacert};
  if (!ca_file.empty()) {
    // Said here, once, rather than by libcurl at every request as "error setting certificate
    // file".
    Result<std::ifstream> in = OpenInputFile(ca_file);
    if (!in.ok()) return Error{ca_source + in.message(), in.code()};
    config.ca_file = ca_file;
  }
  return config;
}

}  // namespace gpufleet::client
