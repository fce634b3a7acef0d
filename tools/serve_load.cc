// The load generator of scripts/bench-serve and scripts/bench-hollow, against a `gpufleet serve` on
// loopback. Two modes:
//
// Closed loop (scripts/bench-serve): C concurrent keep-alive connections, each sending POST
// /v1/jobs (or another request) back to back - the next only after the answer, as a client that
// waits for its acknowledgement does - and the figures: requests answered per second, latency
// percentiles, answers by status.
//
// Open loop (scripts/bench-hollow --steady): submissions at a fixed rate for a fixed time, the
// i-th due at start + i / rate whatever the answers before it took, and optionally reads of the
// submitted jobs (GET /v1/jobs/{id}) at their own rate. A request's latency runs from the time it
// was due, not from when a free connection sent it: a slow server makes the requests behind the
// slow one late, and that lateness is counted (no coordinated omission). Each kind has its own
// pool of connections; a pool too small for the server's latency shows as latency, not as a lower
// rate.
//
// Usage: gpufleet_serve_load PORT TOKEN CONNECTIONS REQUESTS [PATH] [BODY]
//        gpufleet_serve_load PORT TOKEN --rate N --duration SECONDS [--reads N]
//                            [--connections C] [--body JSON]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
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

// Sends `request` and reads one answer; its status (0: the connection failed). The answer's body
// goes to `body` when given.
int RoundTrip(Connection& c, const std::string& request, std::string* body = nullptr) {
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
        if (body != nullptr) body->assign(c.buffer, head_end + 4, length);
        c.buffer.erase(0, head_end + 4 + length);
        return status;
      }
    }
    const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
    if (n <= 0) return 0;
    c.buffer.append(chunk, static_cast<size_t>(n));
  }
}

using Clock = std::chrono::steady_clock;

// A request on a keep-alive connection: POST with `body` (and an idempotency key) or GET.
std::string HttpRequest(bool post, const std::string& path, const std::string& token,
                        const std::string& key, const std::string& body) {
  std::string req = (post ? "POST " : "GET ") + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n";
  if (!post) return req + "\r\n";
  return req + "Content-Type: application/json\r\nIdempotency-Key: " + key +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The p-th quantile of sorted latencies, in milliseconds.
double Quantile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  return 1e3 * sorted[std::min(sorted.size() - 1,
                               static_cast<size_t>(p * static_cast<double>(sorted.size())))];
}

// The CPU time this process has used, user and system, in seconds.
double CpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The "id" of a submission's answer ({"id": 17, ...}), or -1.
long long IdOf(const std::string& body) {
  const size_t at = body.find("\"id\":");
  if (at == std::string::npos) return -1;
  return std::strtoll(body.c_str() + at + 5, nullptr, 10);
}

// Requests of one kind at a fixed rate: the i-th is due at begin + i / rate.
struct Stream {
  explicit Stream(const char* n) : name(n) {}
  const char* name;
  double rate = 0;
  long total = 0;
  std::atomic<long> next{0};
  std::mutex mu;
  std::vector<std::pair<double, double>> done;  // (due, seconds from begin; latency, seconds)
  std::map<int, long> statuses;
  long unsent = 0;   // due more than kGiveUp ago when a connection came free: never sent
  long skipped = 0;  // reads due before the first submission was answered: nothing to read
};

// A request still unsent this long after it was due is dropped (and counted): the server is stuck.
constexpr std::chrono::seconds kGiveUp{30};

struct Paced {
  int port = 0;
  std::string token;
  std::string body = R"({"gpus": 1, "estimate": "1m", "duration": "20s", "command": "true"})";
  double duration = 60;
  int connections = 32;
  Stream submits{"submissions"};
  Stream reads{"reads (GET /v1/jobs/{id})"};
  Clock::time_point begin;
  // The ids this run's submissions got: reads pick one at random between them.
  std::atomic<long long> first_id{-1}, last_id{-1};

  void Worker(Stream& s, bool submit) {
    Connection c;
    std::vector<std::pair<double, double>> mine;
    std::map<int, long> my_statuses;
    long my_unsent = 0, my_skipped = 0;
    std::mt19937_64 random(std::random_device{}());
    std::string answer;
    const std::string run = std::to_string(::getpid());
    for (long i = s.next.fetch_add(1); i < s.total; i = s.next.fetch_add(1)) {
      const auto due = begin + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(i) / s.rate));
      if (Clock::now() > due + kGiveUp) {
        ++my_unsent;
        continue;
      }
      std::this_thread::sleep_until(due);
      std::string req;
      if (submit) {
        req = HttpRequest(true, "/v1/jobs", token, "paced-" + run + "-" + std::to_string(i), body);
      } else {
        const long long lo = first_id.load(), hi = last_id.load();
        if (lo < 0 || hi < lo) {
          ++my_skipped;
          continue;
        }
        const long long id = std::uniform_int_distribution<long long>(lo, hi)(random);
        req = HttpRequest(false, "/v1/jobs/" + std::to_string(id), token, "", "");
      }
      if (c.fd < 0 && !Connect(c, port)) {
        ::close(c.fd);
        c.fd = -1;
        my_statuses[0] += 1;
        continue;
      }
      const int status = RoundTrip(c, req, &answer);
      const auto now = Clock::now();
      mine.emplace_back(std::chrono::duration<double>(due - begin).count(),
                        std::chrono::duration<double>(now - due).count());
      my_statuses[status] += 1;
      if (status == 0) {
        ::close(c.fd);
        c.fd = -1;
        c.buffer.clear();
      } else if (submit && status / 100 == 2) {
        const long long id = IdOf(answer);
        long long expected = -1;
        first_id.compare_exchange_strong(expected, id);
        for (long long last = last_id.load();
             id > last && !last_id.compare_exchange_weak(last, id);) {
        }
      }
    }
    if (c.fd >= 0) ::close(c.fd);
    std::lock_guard<std::mutex> lock(s.mu);
    s.done.insert(s.done.end(), mine.begin(), mine.end());
    for (const auto& [st, n] : my_statuses) s.statuses[st] += n;
    s.unsent += my_unsent;
    s.skipped += my_skipped;
  }

  // Prints the stream's figures; its p99 in ms, and its errors (answers not 2xx, unsent) added.
  double Report(Stream& s, long& errors) {
    if (s.total == 0) return 0;
    std::vector<double> all;
    double last_due = 0;
    for (const auto& [due, latency] : s.done) {
      all.push_back(latency);
      last_due = std::max(last_due, due + latency);
    }
    std::sort(all.begin(), all.end());
    long failed = s.unsent;
    for (const auto& [st, n] : s.statuses) {
      if (st / 100 != 2) failed += n;
    }
    errors += failed;
    std::printf(
        "%s: %ld due at %.0f/s over %.0f s, %ld answered in %.1f s; latency from the due time "
        "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms; %ld errors\n",
        s.name, s.total, s.rate, duration, static_cast<long>(all.size()), last_due,
        Quantile(all, 0.5), Quantile(all, 0.9), Quantile(all, 0.99), Quantile(all, 0.999),
        all.empty() ? 0.0 : all.back() * 1e3, failed);
    // The p99 of each 10 s of due times: a server falling behind shows as a rising series.
    std::printf("  p99 by 10 s window (ms):");
    for (double w = 0; w < duration; w += 10) {
      std::vector<double> window;
      for (const auto& [due, latency] : s.done) {
        if (due >= w && due < w + 10) window.push_back(latency);
      }
      std::sort(window.begin(), window.end());
      std::printf(" %.1f", Quantile(window, 0.99));
    }
    std::printf("\n");
    for (const auto& [st, n] : s.statuses) std::printf("  status %d: %ld\n", st, n);
    if (s.skipped > 0)
      std::printf("  skipped (due before any submission was answered): %ld\n", s.skipped);
    if (s.unsent > 0)
      std::printf("  never sent (over %lld s late): %ld\n", static_cast<long long>(kGiveUp.count()),
                  s.unsent);
    return Quantile(all, 0.99);
  }

  int Run(double rate, double read_rate) {
    submits.rate = rate;
    submits.total = std::lround(rate * duration);
    reads.rate = read_rate;
    reads.total = read_rate > 0 ? std::lround(read_rate * duration) : 0;
    const int read_connections = read_rate > 0 ? std::max(1, connections / 4) : 0;
    begin = Clock::now() + std::chrono::milliseconds(100);  // every thread started by then
    std::vector<std::thread> threads;
    for (int t = 0; t < connections; ++t) threads.emplace_back([this] { Worker(submits, true); });
    for (int t = 0; t < read_connections; ++t)
      threads.emplace_back([this] { Worker(reads, false); });
    for (std::thread& t : threads) t.join();
    long errors = 0;
    const double submit_p99 = Report(submits, errors);
    const double read_p99 = Report(reads, errors);
    const double cpu = CpuSeconds();
    std::printf("load generator: %d + %d connections, CPU %.1f s (%.0f%% of one core)\n",
                connections, read_connections, cpu, 100 * cpu / duration);
    // One line for scripts.
    std::printf("RESULT submit_p99_ms=%.2f read_p99_ms=%.2f errors=%ld\n", submit_p99, read_p99,
                errors);
    return 0;
  }
};

int PacedMain(int port, const std::string& token, int argc, char** argv) {
  Paced p;
  p.port = port;
  p.token = token;
  double rate = 1000, read_rate = 0;
  for (int i = 0; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--rate") {
      rate = std::atof(value);
    } else if (flag == "--duration") {
      p.duration = std::atof(value);
    } else if (flag == "--reads") {
      read_rate = std::atof(value);
    } else if (flag == "--connections") {
      p.connections = std::max(1, std::atoi(value));
    } else if (flag == "--body") {
      p.body = value;
    } else {
      std::fprintf(stderr, "gpufleet_serve_load: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (argc % 2 != 0 || rate <= 0 || p.duration <= 0 || read_rate < 0) {
    std::fprintf(stderr, "gpufleet_serve_load: --rate, --duration, --reads need positive values\n");
    return 2;
  }
  return p.Run(rate, read_rate);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::strncmp(argv[3], "--", 2) == 0) {
    return PacedMain(std::atoi(argv[1]), argv[2], argc - 3, argv + 3);
  }
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: gpufleet_serve_load PORT TOKEN CONNECTIONS REQUESTS [PATH] [BODY]\n"
                 "       gpufleet_serve_load PORT TOKEN --rate N --duration SECONDS [--reads N]\n"
                 "                           [--connections C] [--body JSON]\n");
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
        const std::string req =
            HttpRequest(post, path, token,
                        "load-" + run + "-" + std::to_string(t) + "-" + std::to_string(i), body);
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
  std::printf("load generator CPU: %.1f s\n", CpuSeconds());
  return statuses.count(0) != 0 ? 1 : 0;
}
