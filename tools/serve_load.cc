// The load generator of scripts/bench-serve: C concurrent keep-alive connections to a `gpufleet
// serve` on loopback, each sending POST /v1/jobs (or another request) back to back - the next
// only after the answer, as a client that waits for its acknowledgement does - and the figures:
// requests answered per second, latency percentiles, answers by status.
//
// Usage: gpufleet_serve_load PORT TOKEN CONNECTIONS REQUESTS [PATH] [BODY]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Connection {
  int fd = -1;
  std::string buffer;
};

bool Connect(Connection& c, int port) {
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return false;
  int one = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

// Sends `request` and reads one answer; its status (0: the connection failed).
int RoundTrip(Connection& c, const std::string& request) {
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(c.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return 0;
    sent += static_cast<size_t>(n);
  }
  char chunk[16384];
  for (;;) {
    const size_t head_end = c.buffer.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const size_t cl = c.buffer.find("Content-Length: ");
      if (cl == std::string::npos || cl > head_end) return 0;
      const size_t length = std::strtoul(c.buffer.c_str() + cl + 16, nullptr, 10);
      if (c.buffer.size() >= head_end + 4 + length) {
        const int status = std::atoi(c.buffer.c_str() + 9);
        c.buffer.erase(0, head_end + 4 + length);
        return status;
      }
    }
    const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
    if (n <= 0) return 0;
    c.buffer.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: gpufleet_serve_load PORT TOKEN CONNECTIONS REQUESTS [PATH] [BODY]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::string token = argv[2];
  const int connections = std::max(1, std::atoi(argv[3]));
  const long requests = std::max(1L, std::atol(argv[4]));
  const std::string path = argc > 5 ? argv[5] : "/v1/jobs";
  const std::string body =
      argc > 6 ? argv[6] : R"({"gpus": 8, "estimate": "1h", "command": "python train.py"})";
  const bool post = path == "/v1/jobs" || argc > 6;

  // Keys unique to this run: a second run against the same server makes new jobs.
  const std::string run = std::to_string(::getpid());
  std::atomic<long> next{0};
  std::mutex mu;
  std::vector<double> latencies;
  std::map<int, long> statuses;
  std::vector<std::thread> threads;
  const auto begin = std::chrono::steady_clock::now();
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      Connection c;
      if (!Connect(c, port)) {
        std::lock_guard<std::mutex> lock(mu);
        statuses[0] += 1;
        return;
      }
      std::vector<double> mine;
      std::map<int, long> my_statuses;
      for (long i = next.fetch_add(1); i < requests; i = next.fetch_add(1)) {
        std::string req = (post ? "POST " : "GET ") + path +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n";
        if (post) {
          req += "Content-Type: application/json\r\nIdempotency-Key: load-" + std::to_string(t) +
                 "-" + std::to_string(i) + "\r\nContent-Length: " + std::to_string(body.size()) +
                 "\r\n\r\n" + body;
        } else {
          req += "\r\n";
        }
        const auto sent = std::chrono::steady_clock::now();
        const int status = RoundTrip(c, req);
        mine.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count());
        my_statuses[status] += 1;
        if (status == 0) break;
      }
      ::close(c.fd);
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      for (const auto& [s, n] : my_statuses) statuses[s] += n;
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    if (latencies.empty()) return 0.0;
    return latencies[std::min(latencies.size() - 1,
                              static_cast<size_t>(p * static_cast<double>(latencies.size())))];
  };
  std::printf(
      "%ld requests over %d connections in %.2f s: %.0f requests/s; latency p50 %.2f ms, "
      "p99 %.2f ms, max %.2f ms\n",
      static_cast<long>(latencies.size()), connections, seconds,
      static_cast<double>(latencies.size()) / seconds, pct(0.5) * 1e3, pct(0.99) * 1e3,
      latencies.empty() ? 0.0 : latencies.back() * 1e3);
  for (const auto& [s, n] : statuses) std::printf("  status %d: %ld\n", s, n);
  return statuses.count(0) != 0 ? 1 : 0;
}
