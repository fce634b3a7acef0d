// gpufleet token new: a bearer token for `gpufleet serve` and the line of the tokens file that
// lets it in (server/tokens.h). The token goes to stdout alone, so that a script can keep it; the
// line, which holds only the token's hash, is appended to the tokens file (--append), only when
// everything succeeded - errors go to stderr, never into the file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "server/tokens.h"

namespace gpufleet::cli {
namespace {

// Appends `line` to `path` in one write, creating the file readable by its owner only.
Status AppendLine(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{path + ": cannot open to append: " + std::strerror(errno)};
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int write_errno = errno;
  const bool closed = ::close(fd) == 0;
  if (n != static_cast<ssize_t>(line.size()) || !closed)
    return Error{path + ": cannot append the line: " + std::strerror(write_errno)};
  return Status::Ok();
}

int RunNew(const std::string& name, const std::string& role, const std::string& append) {
  Result<std::string> token = NewToken();
  if (!token.ok()) {
    std::cerr << "gpufleet token new: " << token.message() << "\n";
    return kExitFailure;
  }
  Result<std::string> line = TokenLine(name, role, token.value());
  if (!line.ok()) {
    std::cerr << "gpufleet token new: " << line.message() << "\n";
    return kExitBadInput;
  }
  if (append.empty()) {
    // Both on stdout: the token first, then the line for the tokens file.
    std::cout << token.value() << "\n" << line.value();
    return kExitOk;
  }
  if (Status s = AppendLine(append, line.value()); !s.ok()) {
    std::cerr << "gpufleet token new: " << s.message() << "\n";
    return kExitBadInput;
  }
  std::cout << token.value() << "\n";
  return kExitOk;
}

}  // namespace

Runner AddTokenCommand(CLI::App& app) {
  CLI::App* token = app.add_subcommand("token", "Bearer tokens of the control plane.");
  token->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>();
  auto append = std::make_shared<std::string>();
  CLI::App* make = token->add_subcommand(
      "new",
      "Make a token: the token on stdout (give it to its user; it is kept nowhere), and its line\n"
      "for the tokens file (NAME ROLE SHA256: the hash only) appended to --append FILE, or\n"
      "printed after the token without it.");
  make->add_option("--name", *name, "Who the token is for (letters, digits, '.', '_', '-').")
      ->required();
  make->add_option("--role", *role, "tenant:NAME, agent or admin.")->required();
  make->add_option("--append", *append,
                   "The tokens file to append the line to (created readable by its owner only); "
                   "written only when everything succeeded.");
  make->footer(
      "Example:\n  (umask 077; gpufleet token new --name alice --role tenant:research "
      "--append tokens > alice.token)");
  return [name, role, append] { return RunNew(*name, *role, *append); };
}

}  // namespace gpufleet::cli
