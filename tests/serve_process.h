// For the control plane's tests: `gpufleet serve` as a real process on a loopback port, and a
// small blocking HTTP/1.1 client (one connection per call) to talk to it.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/tokens.h"
#include "temp_dir.h"

namespace gpufleet::testing {

struct HttpResult {
  int status = 0;  // 0: no answer (connection refused or closed)
  std::string body;
  std::string headers;
};

// Polls `done` every 50 ms until it holds or `limit` has passed; whether it held.
inline bool Eventually(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// One request on a fresh connection to 127.0.0.1:port ("Connection: close").
inline HttpResult HttpCall(int port, const std::string& method, const std::string& target,
                           const std::string& body = "", const std::string& token = "",
                           const std::vector<std::string>& extra_headers = {}) {
  HttpResult out;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return out;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  for (const std::string& h : extra_headers) req += h + "\r\n";
  if (!body.empty() || method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  size_t sent = 0;
  while (sent < req.size()) {
    const ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string answer;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t head_end = answer.find("\r\n\r\n");
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) return out;
  out.status = std::stoi(answer.substr(9, 3));
  out.headers = answer.substr(0, head_end);
  out.body = answer.substr(head_end + 4);
  return out;
}

// Starts `args` (argv[0] a path) with stdout and stderr to `log`; its pid.
inline pid_t Spawn(std::vector<std::string> args, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// `gpufleet serve` with a fleet, a tokens file and a state file in `dir`, on any free port.
class ServerProcess {
 public:
  ServerProcess(const ScratchDir& dir, const std::string& fleet, const std::string& tokens,
                const std::string& state, std::vector<std::string> extra = {}, int port = 0)
      : log_(dir.Path("serve-" + std::to_string(++starts_) + ".log")) {
    std::vector<std::string> args = {GPUFLEET_BINARY, "serve",
                                     "--fleet",       fleet,
                                     "--tokens",      tokens,
                                     "--state",       "sqlite:" + state,
                                     "--listen",      "127.0.0.1:" + std::to_string(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = Spawn(std::move(args), log_);
    // The port, from the line the server prints once it listens.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string text = Log();
      // "listening on http://127.0.0.1:PORT", or https:// with --tls-cert.
      const size_t listening = text.find("listening on http");
      const size_t at = text.find("://127.0.0.1:", listening);
      if (listening != std::string::npos && at != std::string::npos) {
        port_ = std::stoi(text.substr(at + 13));
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~ServerProcess() { Kill(SIGKILL); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  bool running() const { return pid_ > 0 && port_ > 0; }
  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Sends `signal` and waits for the process; its exit status (as waitpid gives it).
  int Kill(int signal) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  static inline int starts_ = 0;
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A tokens file with tenants research and vision, an agent and an admin; the tokens by name.
struct Tokens {
  std::string file, research, vision, agent, admin;
};
inline Tokens MakeTokens(const ScratchDir& dir) {
  Tokens t;
  std::string text;
  auto add = [&](const std::string& name, const std::string& role, std::string& token) {
    token = NewToken().value();
    text += TokenLine(name, role, token).value();
  };
  add("alice", "tenant:research", t.research);
  add("bob", "tenant:vision", t.vision);
  add("agents", "agent", t.agent);
  add("ops", "admin", t.admin);
  t.file = dir.Write("tokens", text);
  return t;
}

}  // namespace gpufleet::testing
