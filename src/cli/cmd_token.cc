// gpufleet token new: a bearer token for `gpufleet serve` and the line of the tokens file that
// lets it in (server/tokens.h). The token goes to stdout alone, so that a script can keep it
// (`T=$(gpufleet token new --name alice --role tenant:research 2>>tokens)`); the line, which holds
// only its hash, goes to stderr for the tokens file.
#include <iostream>

#include "cli/commands.h"
#include "server/tokens.h"

namespace gpufleet::cli {
namespace {

int RunNew(const std::string& name, const std::string& role) {
  // The line must parse as the server will read it: check name and role the same way.
  Result<std::string> token = NewToken();
  if (!token.ok()) {
    std::cerr << "gpufleet token new: " << token.message() << "\n";
    return kExitFailure;
  }
  const std::string line = name + " " + role + " " + HexOf(Sha256(token.value()));
  if (Result<TokenTable> check = TokenTable::Parse(line + "\n", "--name/--role"); !check.ok()) {
    std::cerr << "gpufleet token new: " << check.message() << "\n";
    return kExitBadInput;
  }
  std::cout << token.value() << "\n";
  std::cerr << line << "\n";
  return kExitOk;
}

}  // namespace

Runner AddTokenCommand(CLI::App& app) {
  CLI::App* token = app.add_subcommand("token", "Bearer tokens of the control plane.");
  token->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>();
  CLI::App* make = token->add_subcommand(
      "new",
      "Make a token: the token on stdout (give it to its user; it is not kept anywhere), and on\n"
      "stderr the line for the tokens file (NAME ROLE SHA256: the hash only).");
  make->add_option("--name", *name, "Who the token is for (letters, digits, '.', '_', '-').")
      ->required();
  make->add_option("--role", *role, "tenant:NAME, agent or admin.")->required();
  make->footer(
      "Example:\n  gpufleet token new --name alice --role tenant:research 2>>tokens > alice.token");
  return [name, role] { return RunNew(*name, *role); };
}

}  // namespace gpufleet::cli
