// HttpServer with a TLS context, in process: it answers over https a client that trusts its
// certificate, and closes a connection whose handshake does not come in time or is plain HTTP,
// going on serving.
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>

#include "client/http_client.h"
#include "serve_process.h"
#include "server/http_server.h"
#include "server/tls_context.h"
#include "temp_dir.h"
#include "test_certs.h"

namespace gpufleet {
namespace {

using testing::ScratchDir;

struct TlsHttpServer {
  ScratchDir dir;
  testing::TestCerts certs = testing::MakeTestCerts(dir);
  std::unique_ptr<HttpServer> server;

  TlsHttpServer() {
    Result<std::shared_ptr<boost::asio::ssl::context>> tls =
        MakeTlsServerContext(certs.cert, certs.key);
    EXPECT_TRUE(tls.ok()) << tls.message();
    if (!tls.ok()) return;
    HttpServerOptions options;
    options.port = 0;
    options.tls = tls.value();
    options.handshake_timeout = std::chrono::seconds(1);
    Result<std::unique_ptr<HttpServer>> started =
        HttpServer::Start(options, [](HttpRequest request, Responder respond) {
          respond(HttpResponse{200, "text/plain", "hello " + request.path, {}});
        });
    EXPECT_TRUE(started.ok()) << started.message();
    if (started.ok()) server = std::move(started).value();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server->port()); }
};

// Asks `client` for /x: the reply's body, or the error.
std::string Hello(client::HttpClient& http) {
  Result<client::HttpReply> reply = http.Request("GET", "/x");
  return reply.ok() ? reply.value().body : reply.message();
}

TEST(TlsHttpServer, AnswersOverHttpsAndKeepsTheConnection) {
  TlsHttpServer s;
  ASSERT_NE(s.server, nullptr);
  client::HttpClient http(s.url(), "", s.certs.cert);
  EXPECT_EQ(Hello(http), "hello /x");
  EXPECT_EQ(Hello(http), "hello /x");  // the second over the same connection (keep-alive)
}

TEST(TlsHttpServer, ClosesAConnectionWithoutAHandshakeInTime) {
  TlsHttpServer s;
  ASSERT_NE(s.server, nullptr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(s.server->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  // Says nothing: the server closes it after handshake_timeout (1 s); 5 s allows a loaded machine.
  const auto start = std::chrono::steady_clock::now();
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1) << "still open after 5 s";
  char byte = 0;
  EXPECT_LE(::recv(fd, &byte, 1, 0), 0) << "closed, not answered";
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  ::close(fd);
  client::HttpClient http(s.url(), "", s.certs.cert);
  EXPECT_EQ(Hello(http), "hello /x");
}

TEST(TlsHttpServer, PlainHttpFailsItsHandshakeAndServingGoesOn) {
  TlsHttpServer s;
  ASSERT_NE(s.server, nullptr);
  EXPECT_EQ(testing::HttpCall(s.server->port(), "GET", "/x").status, 0);
  client::HttpClient plain("http://127.0.0.1:" + std::to_string(s.server->port()), "");
  EXPECT_NE(Hello(plain).find("use https://"), std::string::npos) << Hello(plain);
  client::HttpClient http(s.url(), "", s.certs.cert);
  EXPECT_EQ(Hello(http), "hello /x");
}

TEST(TlsContext, AFileThatIsNotThereIsNamed) {
  ScratchDir dir;
  const testing::TestCerts certs = testing::MakeTestCerts(dir);
  Result<std::shared_ptr<boost::asio::ssl::context>> missing_key =
      MakeTlsServerContext(certs.cert, dir.Path("nope.pem"));
  ASSERT_FALSE(missing_key.ok());
  EXPECT_EQ(missing_key.message(), "--tls-key " + dir.Path("nope.pem") + ": no such file");
  Result<std::shared_ptr<boost::asio::ssl::context>> folder =
      MakeTlsServerContext(dir.Path(""), certs.key);
  ASSERT_FALSE(folder.ok());
  EXPECT_NE(folder.message().find("is a folder"), std::string::npos) << folder.message();
}

}  // namespace
}  // namespace gpufleet
