// The control plane's HTTP/1.1 server (Boost.Beast over Asio; docs/ARCHITECTURE.md, "The
// server"): keep-alive connections, each read and answered in order, a bounded body, and
// handlers that answer when they are ready - from any thread - so that a request waiting for the
// store's commit or the scheduler's thread holds no thread. Plain HTTP, or HTTPS only when given
// a TLS context (server/tls_context.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace gpufleet {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target before '?', percent-decoding left to the handler
  std::string query;   // after '?' (empty: none)
  std::string authorization;
  std::string idempotency_key;
  std::string body;
  std::string peer_address;  // the client's IP address
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, ...)
};

// Called once per request with the request and a responder to call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest, Responder)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7070;  // 0: any free port (tests)
  int threads = 2;
  std::uint64_t max_body_bytes = 1 << 20;
  std::chrono::seconds idle_timeout{75};  // a keep-alive connection with no request is closed
  // Set: every connection is TLS (MakeTlsServerContext), a client that speaks anything else fails
  // its handshake and is closed; null: plain HTTP.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // A TLS client that has not finished its handshake by then is closed (as idle_timeout does for
  // a request), so that connections that say nothing hold no memory.
  std::chrono::seconds handshake_timeout{10};
};

class HttpServer {
 public:
  // Binds and starts serving; an error names the address and why it cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();  // Stop(), then closes the connections
  // Stops serving: no handler is called after it returns, and answers given later are dropped.
  // Connections whose answer a handler still holds stay open until the handler lets go of its
  // responder, so stop the server, then whatever holds responders (the control plane), then
  // destroy the server.
  void Stop();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpufleet
