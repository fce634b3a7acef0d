#include "client/http_client.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "util/text.h"

namespace gpufleet::client {
namespace {

// A reply larger than this is refused rather than held in memory: the API's largest answer (a
// page of 1,000 jobs) is far smaller.
constexpr size_t kMaxReplyBytes = size_t{64} << 20;

// curl_global_init is not thread-safe and must run once before any handle exists.
bool GlobalInit() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; });
  return ok;
}

struct Transfer {
  std::string body;
  bool too_large = false;
  const std::function<bool()>* while_waiting = nullptr;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (transfer->body.size() + n > kMaxReplyBytes) {
    transfer->too_large = true;
    return 0;  // curl then fails with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, n);
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* transfer = static_cast<Transfer*>(user);
  if (transfer->while_waiting != nullptr && *transfer->while_waiting &&
      !(*transfer->while_waiting)()) {
    return 1;  // abort: curl fails with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

// A header value must not carry a line break: it would end the header and start another.
bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  bool Add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr) return false;
    list = next;
    return true;
  }
};

std::string Seconds(std::chrono::milliseconds ms) {
  return ms.count() % 1000 == 0 ? std::to_string(ms.count() / 1000) + " s"
                                : std::to_string(ms.count()) + " ms";
}

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

HttpClient::HttpClient(std::string base_url, std::string token, std::string ca_file)
    : base_url_(std::move(base_url)),
      token_(std::move(token)),
      ca_file_(std::move(ca_file)),
      handle_(std::make_unique<Handle>()) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  if (GlobalInit()) handle_->curl = curl_easy_init();
}

HttpClient::~HttpClient() = default;

Result<HttpReply> HttpClient::Request(std::string_view method, std::string_view path,
                                      std::string_view body,
                                      const std::vector<std::string>& headers,
                                      const RequestOptions& options) {
  const std::string url = base_url_ + std::string(path);
  const std::string what = std::string(method) + " " + url;
  if (handle_->curl == nullptr)
    return Error{what + ": cannot set up libcurl", ErrorCode::kInternal};
  if (HasLineBreak(method) || HasLineBreak(path) || HasLineBreak(token_))
    return Error{what + ": a line break in the method, path or token", ErrorCode::kInvalidArgument};

  HeaderList header_list;
  bool headers_ok = header_list.Add("Accept: application/json") &&
                    header_list.Add("Expect:");  // no "100-continue" round trip for bodies
  if (!token_.empty())
    headers_ok = headers_ok && header_list.Add("Authorization: Bearer " + token_);
  if (!body.empty()) headers_ok = headers_ok && header_list.Add("Content-Type: application/json");
  for (const std::string& h : headers) {
    if (HasLineBreak(h))
      return Error{what + ": header " + QuotedExcerpt(h) + " has a line break",
                   ErrorCode::kInvalidArgument};
    headers_ok = headers_ok && header_list.Add(h);
  }
  if (!headers_ok) return Error{what + ": out of memory for the headers", ErrorCode::kInternal};

  CURL* curl = handle_->curl;
  // A reset keeps the handle's open connections (keep-alive) and forgets the last request's
  // options, so that nothing of one request leaks into the next.
  curl_easy_reset(curl);
  Transfer transfer;
  transfer.while_waiting = &options.while_waiting;
  char curl_message[CURL_ERROR_SIZE] = {};
  const std::string method_text(method);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts: threads may call
  // libcurl's defaults, said here so that no change of them goes unseen: the peer's chain and
  // its name are checked.
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_file_.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.list);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_message);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, options.while_waiting ? 0L : 1L);
  if (method_text == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  }
  if (!body.empty() || method_text == "POST") {
    // Never a null pointer: with one, curl would read the body from stdin.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.empty() ? "" : body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }

  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    if (transfer.too_large)
      return Error{what + ": the reply is larger than 64 MiB", ErrorCode::kUnavailable};
    if (code == CURLE_ABORTED_BY_CALLBACK)
      return Error{what + ": abandoned while waiting for the answer", ErrorCode::kUnavailable};
    if (code == CURLE_OPERATION_TIMEDOUT)
      return Error{what + ": no complete answer within " + Seconds(options.total_timeout),
                   ErrorCode::kUnavailable};
    if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST) {
      // The system's reason ("Connection refused") says more than curl's summary.
      long os_errno = 0;
      curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
      const std::string reason = os_errno != 0 ? std::strerror(static_cast<int>(os_errno))
                                 : curl_message[0] != '\0' ? curl_message
                                                           : curl_easy_strerror(code);
      return Error{"cannot reach " + base_url_ + ": " + reason, ErrorCode::kUnavailable};
    }
    const std::string reason = curl_message[0] != '\0' ? curl_message : curl_easy_strerror(code);
    if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE) {
      // A TLS failure is kUnavailable, as an unreachable server: an agent keeps retrying while
      // a certificate is replaced.
      return Error{"cannot verify the certificate of " + base_url_ + ": " + reason + " (" +
                       (ca_file_.empty() ? "checked against the system's CAs; for a private CA "
                                           "give its certificate with --cacert or "
                                           "GPUFLEET_CACERT"
                                         : "checked against the CA file " + ca_file_) +
                       ")",
                   ErrorCode::kUnavailable};
    }
    if (code == CURLE_SSL_CONNECT_ERROR)
      return Error{"cannot reach " + base_url_ + ": TLS handshake failed: " + reason +
                       " (does it serve plain http://?)",
                   ErrorCode::kUnavailable};
    if (code == CURLE_GOT_NOTHING && base_url_.rfind("http://", 0) == 0)
      return Error{what + ": " + reason + " (if the server serves HTTPS, use https://)",
                   ErrorCode::kUnavailable};
    const ErrorCode error_code = code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL
                                     ? ErrorCode::kInvalidArgument
                                     : ErrorCode::kUnavailable;
    return Error{what + ": " + reason, error_code};
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return HttpReply{static_cast<int>(status), std::move(transfer.body)};
}

ErrorCode ErrorCodeForStatus(int status) {
  switch (status) {
    case 401:
    case 403:
    case 409:
      return ErrorCode::kFailedPrecondition;
    case 404:
      return ErrorCode::kNotFound;
    case 422:
      return ErrorCode::kUnsatisfiable;
    case 429:
      return ErrorCode::kResourceExhausted;
    case 500:
      return ErrorCode::kInternal;
    default:
      return status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument;
  }
}

Error ErrorFromReply(const HttpReply& reply) {
  const ErrorCode code = ErrorCodeForStatus(reply.status);
  const nlohmann::json doc = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    const auto error = doc.find("error");
    if (error != doc.end() && error->is_object()) {
      const auto message = error->find("message");
      if (message != error->end() && message->is_string() && !message->get<std::string>().empty())
        return Error{message->get<std::string>(), code};
    }
  }
  std::string message = "HTTP " + std::to_string(reply.status);
  if (!reply.body.empty()) message += ": " + QuotedExcerpt(reply.body, 200);
  return Error{message, code};
}

}  // namespace gpufleet::client
