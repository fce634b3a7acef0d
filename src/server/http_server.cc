#include "server/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

namespace gpufleet {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Whether the server still takes answers: a handler may answer after the server stopped (the
// control plane finishing its tasks); then the answer is dropped instead of being posted to an
// io_context that is gone.
struct Liveness {
  std::mutex mu;
  bool alive = true;
};

std::string ErrorBody(const char* code, const std::string& message) {
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) escaped += c;
  }
  return std::string("{\"error\": {\"code\": \"") + code + "\", \"message\": \"" + escaped +
         "\"}}\n";
}

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection. The stream is a template parameter, not a virtual interface or a variant, so
// that plain HTTP compiles to what it was before TLS existed: the TLS steps (a handshake first,
// close_notify last) are `if constexpr` and cost the plain path nothing.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `stream_args`: the socket, and for TLS the context.
  template <typename... StreamArgs>
  Session(const HttpHandler& handler, const HttpServerOptions& options,
          std::shared_ptr<Liveness> liveness, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        handler_(handler),
        options_(options),
        liveness_(std::move(liveness)) {}

  void Run() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Start(); });
  }

 private:
  // The TCP stream, whose timer bounds every step.
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void Start() {
    if constexpr (kTls) {
      Tcp().expires_after(options_.handshake_timeout);
      // A failed handshake (a plain-HTTP client, a client that does not trust the certificate,
      // the timeout) drops the session, whose socket closes with it.
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->Read();
                              });
    } else {
      Read();
    }
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(64 * 1024);
    Tcp().expires_after(options_.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      Close();
      return;
    }
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      Write(HttpResponse{
          413,
          "application/json",
          ErrorBody("too_large", "the body is larger than " +
                                     std::to_string(options_.max_body_bytes) + " bytes"),
          {}});
      return;
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        keep_alive_ = false;
        Write(HttpResponse{400,
                           "application/json",
                           ErrorBody("invalid_argument", "malformed HTTP request: " + ec.message()),
                           {}});
      } else {
        Close();
      }
      return;
    }
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    HttpRequest r;
    r.method = std::string(req.method_string().data(), req.method_string().size());
    const std::string_view target(req.target().data(), req.target().size());
    const size_t q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
    const auto authorization = req[http::field::authorization];
    r.authorization = std::string(authorization.data(), authorization.size());
    const auto key = req["Idempotency-Key"];
    r.idempotency_key = std::string(key.data(), key.size());
    r.body = std::move(req.body());
    beast::error_code peer_ec;
    const tcp::endpoint peer = Tcp().socket().remote_endpoint(peer_ec);
    if (!peer_ec) r.peer_address = peer.address().to_string();
    // While the handler works, the connection waits without a deadline of its own.
    Tcp().expires_never();
    handler_(std::move(r), [self = this->shared_from_this()](HttpResponse response) {
      std::lock_guard<std::mutex> lock(self->liveness_->mu);
      if (!self->liveness_->alive) return;
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
  }

  void Write(HttpResponse response) {
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(http::field::server, "gpufleet");
    response_.set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) response_.set(name, value);
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive_);
    response_.prepare_payload();
    Tcp().expires_after(std::chrono::seconds(30));
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (!self->keep_alive_) {
                          self->Close();
                          return;
                        }
                        self->Read();
                      });
  }

  void Close() {
    if constexpr (kTls) {
      // close_notify, so that the client tells the end from a cut connection; a client that
      // does not answer it within the time has the socket closed under it.
      Tcp().expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  const HttpHandler& handler_;
  const HttpServerOptions& options_;
  std::shared_ptr<Liveness> liveness_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::shared_ptr<Liveness> liveness = std::make_shared<Liveness>();

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) {
        beast::error_code ignored;
        s.set_option(tcp::no_delay(true), ignored);
        if (options.tls) {
          std::make_shared<Session<TlsStream>>(handler, options, liveness, std::move(s),
                                               *options.tls)
              ->Run();
        } else {
          std::make_shared<Session<PlainStream>>(handler, options, liveness, std::move(s))->Run();
        }
      }
      Accept();
    });
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  const std::string where = impl->options.host + ":" + std::to_string(impl->options.port);
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(impl->options.host, ec);
  if (ec) return Error{"--listen " + where + ": '" + impl->options.host + "' is not an IP address"};
  const tcp::endpoint endpoint(address, impl->options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Error{"cannot listen on " + where + ": " + ec.message(), ErrorCode::kUnavailable};
  impl->Accept();
  const int threads = std::max(1, impl->options.threads);
  for (int i = 0; i < threads; ++i) impl->threads.emplace_back([p = impl.get()] { p->ioc.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->liveness->mu);
    impl_->liveness->alive = false;
  }
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

std::uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace gpufleet
