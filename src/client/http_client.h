// A small blocking HTTP/1.1 client (plain or over TLS) for the control plane's JSON API
// (docs/API.md), over one libcurl easy handle per object, so that consecutive requests reuse the
// connection (keep-alive). Not thread-safe: one object per thread. Every failure is a value naming
// the URL; nothing throws.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace gpufleet::client {

// A complete answer of the server, whatever its status.
struct HttpReply {
  int status = 0;
  std::string body;
};

struct RequestOptions {
  // Time to open the TCP connection; a server that is down fails fast.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  // Time for the whole exchange. A long-poll must allow more than the server's wait.
  std::chrono::milliseconds total_timeout{std::chrono::seconds(30)};
  // Called about once a second while the request is in flight (never from another thread).
  // Returning false abandons the request (it then fails with kUnavailable): the agent reaps its
  // jobs while it long-polls, and gives up the poll when asked to stop.
  std::function<bool()> while_waiting;
};

class HttpClient {
 public:
  // `base_url`: "http://host:port" or "https://host:port" (a trailing '/' is dropped); `token`:
  // sent as "Authorization: Bearer TOKEN" (empty: no header, for /healthz); `ca_file`: for
  // https, the PEM certificate(s) of the CA that signed the server's (a private CA; empty: the
  // system's CAs). The server's certificate and its name are always verified: a token must not
  // be sent to whoever answers.
  HttpClient(std::string base_url, std::string token, std::string ca_file = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `method` GET, POST, ...; `path` starts with '/' ("/v1/jobs?state=pending"); a non-empty
  // `body` is sent as application/json; `headers` are extra "Name: value" lines. A reply with any
  // status is a value; an error means no complete reply came (kUnavailable: the server could not
  // be reached or did not answer in time; kInvalidArgument: a request this client refuses to
  // send, such as a header with a line break).
  Result<HttpReply> Request(std::string_view method, std::string_view path,
                            std::string_view body = {},
                            const std::vector<std::string>& headers = {},
                            const RequestOptions& options = {});

  const std::string& base_url() const { return base_url_; }

 private:
  struct Handle;
  std::string base_url_;
  std::string token_;
  std::string ca_file_;
  std::unique_ptr<Handle> handle_;
};

// True for 200-299.
inline bool IsSuccess(const HttpReply& reply) { return reply.status >= 200 && reply.status < 300; }

// The Error of a reply that is not a success: the server's message verbatim when its body is the
// API's `{"error": {"code": ..., "message": ...}}`, else "HTTP STATUS: " and the start of the
// body; the code from the status (ErrorCodeForStatus).
Error ErrorFromReply(const HttpReply& reply);

// 400, 405, 413 and other 4xx: kInvalidArgument; 401, 403, 409: kFailedPrecondition (util has no
// code for authentication; the message says which it was); 404: kNotFound; 422: kUnsatisfiable;
// 500: kInternal; 503 and other 5xx: kUnavailable.
ErrorCode ErrorCodeForStatus(int status);

}  // namespace gpufleet::client
