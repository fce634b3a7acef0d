#include "client/http_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/fake_http_server_test_support.h"

namespace gpufleet::client {
namespace {

using gpufleet::testing::FakeHttpServer;
using gpufleet::testing::FakeReply;
using gpufleet::testing::FakeRequest;

// A TCP socket bound to 127.0.0.1 on a port the system picks; `listening`: it also listens
// (connections complete in the kernel's backlog and are never accepted). Returns (fd, port).
std::pair<int, int> LoopbackSocket(bool listening) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  if (listening) {
    EXPECT_EQ(::listen(fd, 4), 0);
  }
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  return {fd, ntohs(addr.sin_port)};
}

// A port on 127.0.0.1 that nothing listens on: bound by the system, then closed.
int ClosedPort() {
  const auto [fd, port] = LoopbackSocket(false);
  ::close(fd);
  return port;
}

TEST(HttpClient, ConnectionRefusedIsUnavailableAndNamesTheServer) {
  const std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort());
  HttpClient client(url, "gft_token");
  Result<HttpReply> reply = client.Request("GET", "/v1/jobs");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(reply.message(), "cannot reach " + url + ": Connection refused");
}

TEST(HttpClient, SendsTokenAndBodyAndReusesTheConnection) {
  FakeHttpServer server([](const FakeRequest& r) {
    return FakeReply{r.method == "POST" ? 201 : 200,
                     "{\"echo\": " + std::to_string(r.body.size()) + "}"};
  });
  ASSERT_NE(server.port(), 0);
  HttpClient client(server.url() + "/", "gft_secret");
  Result<HttpReply> first =
      client.Request("POST", "/v1/jobs", R"({"gpus": 8})", {"Idempotency-Key: k1"});
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_EQ(first.value().status, 201);
  EXPECT_EQ(first.value().body, "{\"echo\": 11}");
  Result<HttpReply> second = client.Request("GET", "/v1/jobs?state=pending");
  ASSERT_TRUE(second.ok()) << second.message();
  EXPECT_EQ(second.value().status, 200);

  const std::vector<FakeRequest> seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/v1/jobs");
  EXPECT_EQ(seen[0].body, R"({"gpus": 8})");
  EXPECT_NE(seen[0].headers.find("authorization: bearer gft_secret"), std::string::npos);
  EXPECT_NE(seen[0].headers.find("idempotency-key: k1"), std::string::npos);
  EXPECT_NE(seen[0].headers.find("content-type: application/json"), std::string::npos);
  EXPECT_EQ(seen[1].method, "GET");
  EXPECT_EQ(seen[1].path, "/v1/jobs?state=pending");
  // The fake serves one connection at a time: a second request answered on the first
  // connection is what keep-alive means here.
}

TEST(HttpClient, PostWithoutBodySendsAnEmptyOne) {
  FakeHttpServer server([](const FakeRequest&) {
    return FakeReply{200, R"({"state": "cancelled"})"};
  });
  HttpClient client(server.url(), "t");
  Result<HttpReply> reply = client.Request("POST", "/v1/jobs/17/cancel");
  ASSERT_TRUE(reply.ok()) << reply.message();
  EXPECT_EQ(reply.value().body, R"({"state": "cancelled"})");
  const std::vector<FakeRequest> seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_NE(seen[0].headers.find("content-length: 0"), std::string::npos) << seen[0].headers;
}

TEST(HttpClient, RefusesHeaderWithLineBreak) {
  HttpClient client("http://127.0.0.1:1", "t");
  Result<HttpReply> reply = client.Request("GET", "/x", {}, {"X-A: b\r\nX-Evil: 1"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.code(), ErrorCode::kInvalidArgument);
}

TEST(HttpClient, AbandonsWhenWhileWaitingSaysSo) {
  // A server that never answers would take a thread; a listening socket that never accepts does
  // the same: the connection completes in the kernel's backlog and no answer comes.
  const auto [fd, port] = LoopbackSocket(true);
  HttpClient client("http://127.0.0.1:" + std::to_string(port), "t");
  int calls = 0;
  RequestOptions options;
  options.total_timeout = std::chrono::seconds(60);
  options.while_waiting = [&calls] { return ++calls < 3; };
  Result<HttpReply> reply = client.Request("GET", "/v1/jobs", {}, {}, options);
  ::close(fd);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.code(), ErrorCode::kUnavailable);
  EXPECT_NE(reply.message().find("abandoned"), std::string::npos) << reply.message();
  EXPECT_GE(calls, 3);
}

TEST(HttpClient, ErrorFromReplyKeepsTheServersMessageVerbatim) {
  const Error e = ErrorFromReply(
      {400,
       R"({"error": {"code": "invalid_argument", "message": "request:1:12: field 'gpus': x"}})"});
  EXPECT_EQ(e.message, "request:1:12: field 'gpus': x");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      ErrorFromReply({404, R"({"error": {"code": "not_found", "message": "no job 9"}})"}).code,
      ErrorCode::kNotFound);
  EXPECT_EQ(ErrorFromReply({422, R"({"error": {"message": "never"}})"}).code,
            ErrorCode::kUnsatisfiable);
}

TEST(HttpClient, ErrorFromReplyWithoutTheApisShapeShowsStatusAndBody) {
  const Error e = ErrorFromReply({502, "<html>Bad Gateway</html>"});
  EXPECT_EQ(e.message, "HTTP 502: '<html>Bad Gateway</html>'");
  EXPECT_EQ(e.code, ErrorCode::kUnavailable);
  EXPECT_EQ(ErrorFromReply({500, ""}).message, "HTTP 500");
  EXPECT_EQ(ErrorFromReply({500, ""}).code, ErrorCode::kInternal);
}

TEST(HttpClient, StatusCodes) {
  EXPECT_EQ(ErrorCodeForStatus(400), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeForStatus(401), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeForStatus(403), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeForStatus(409), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ErrorCodeForStatus(413), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeForStatus(503), ErrorCode::kUnavailable);
  EXPECT_TRUE(IsSuccess({201, ""}));
  EXPECT_FALSE(IsSuccess({301, ""}));
}

}  // namespace
}  // namespace gpufleet::client
