// The options that tell a client command (and the agent) where the server is and which token to
// send; internal to cli/ (it names the client layer, a private dependency).
#pragma once

#include <CLI/CLI.hpp>

#include "client/client_config.h"

namespace gpufleet::cli {

// --server, --token, --token-file, --cacert; `token_role` names the token's role in the help
// ("agent").
inline void AddClientOptions(CLI::App* cmd, client::ClientFlags& flags,
                             const std::string& token_role = "") {
  cmd->add_option("--server", flags.server,
                  "The server's URL, http:// or https:// (default: $GPUFLEET_SERVER, the config "
                  "file's server:, else http://127.0.0.1:7070).");
  cmd->add_option("--token", flags.token,
                  "The bearer " + (token_role.empty() ? std::string() : token_role + " ") +
                      "token (default: $GPUFLEET_TOKEN, then the config file's token: or "
                      "token_file:). On the command line it is visible to other users: prefer "
                      "--token-file or the environment.");
  cmd->add_option("--token-file", flags.token_file, "A file holding the bearer token.");
  cmd->add_option("--cacert", flags.cacert,
                  "For an https:// server whose certificate a private CA signed: that CA's "
                  "certificate, PEM (default: $GPUFLEET_CACERT, then the config file's cacert:, "
                  "else the system's CAs). The certificate is always verified.");
}

}  // namespace gpufleet::cli
