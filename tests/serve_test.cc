// `gpufleet serve` as a real process on loopback: the API end to end, tenant isolation, malformed
// requests, and kill -9 while clients submit (no acknowledged job lost).
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "serve_process.h"
#include "server/api.h"
#include "server/tokens.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using json = nlohmann::json;
using testing::HttpCall;
using testing::HttpResult;
using testing::MakeTokens;
using testing::ScratchDir;
using testing::ServerProcess;
using testing::Tokens;

const std::string kFleet = std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml";

json Body(const HttpResult& r) { return json::parse(r.body, nullptr, false); }

// A server on the tiny fleet with MakeTokens' tokens and a fresh state file.
struct Started {
  ScratchDir dir;
  Tokens tokens = MakeTokens(dir);
  std::unique_ptr<ServerProcess> server =
      std::make_unique<ServerProcess>(dir, kFleet, tokens.file, dir.Path("state.db"));
};

const std::string kJob = R"({"name": "train", "gpus": 4, "estimate": "1h", "command": "true"})";

TEST(Serve, SubmitGetWhyListCancel) {
  Started s;
  ASSERT_TRUE(s.server->running()) << s.server->Log();
  const Tokens& t = s.tokens;
  const int port = s.server->port();

  EXPECT_EQ(HttpCall(port, "GET", "/healthz").status, 200);
  EXPECT_EQ(HttpCall(port, "GET", "/readyz").status, 200);

  HttpResult submitted = HttpCall(port, "POST", "/v1/jobs", kJob, t.research);
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  const json job = Body(submitted);
  EXPECT_EQ(job["state"], "pending");
  EXPECT_EQ(job["tenant"], "research");
  EXPECT_EQ(job["gpus"], 4);
  EXPECT_EQ(job["name"], "train");
  const std::string id = std::to_string(job["id"].get<long>());

  HttpResult got = HttpCall(port, "GET", "/v1/jobs/" + id, "", t.research);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(Body(got)["command"], "true");

  // No agent has registered a node: the job waits for capacity, and says so.
  HttpResult why = HttpCall(port, "GET", "/v1/jobs/" + id + "/why", "", t.research);
  ASSERT_EQ(why.status, 200);
  EXPECT_EQ(Body(why)["state"], "pending");
  EXPECT_FALSE(Body(why)["reason"].get<std::string>().empty());

  // A job that can never run on this fleet (16 GPUs) is refused with the reason.
  HttpResult too_big = HttpCall(port, "POST", "/v1/jobs",
                                R"({"gpus": 64, "estimate": "1h", "command": "true"})", t.research);
  EXPECT_EQ(too_big.status, 422) << too_big.body;
  EXPECT_EQ(Body(too_big)["error"]["code"], "unsatisfiable");

  // Pages: two more jobs, listed one per page.
  ASSERT_EQ(HttpCall(port, "POST", "/v1/jobs", kJob, t.research).status, 201);
  ASSERT_EQ(HttpCall(port, "POST", "/v1/jobs", kJob, t.research).status, 201);
  std::vector<long> ids;
  std::string after = "-1";
  for (int page = 0; page < 10; ++page) {
    HttpResult list =
        HttpCall(port, "GET", "/v1/jobs?state=pending&limit=1&after=" + after, "", t.research);
    ASSERT_EQ(list.status, 200) << list.body;
    const json answer = Body(list);
    for (const json& j : answer["jobs"]) ids.push_back(j["id"].get<long>());
    if (answer["next_after"].is_null()) break;
    after = std::to_string(answer["next_after"].get<long>());
  }
  EXPECT_EQ(ids.size(), 3U);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  HttpResult cancelled = HttpCall(port, "POST", "/v1/jobs/" + id + "/cancel", "", t.research);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(Body(cancelled)["state"], "cancelled");
  EXPECT_EQ(HttpCall(port, "POST", "/v1/jobs/" + id + "/cancel", "", t.research).status, 409);
  HttpResult pending = HttpCall(port, "GET", "/v1/jobs?state=pending", "", t.research);
  EXPECT_EQ(Body(pending)["jobs"].size(), 2U);

  // The admin's metrics count them.
  HttpResult metrics = HttpCall(port, "GET", "/metrics", "", t.admin);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("gpufleet_jobs{tenant=\"research\",state=\"pending\"} 2"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("gpufleet_submissions_total 3"), std::string::npos);

  // SIGTERM: a clean stop.
  const int status = s.server->Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(Serve, TenantsSeeOnlyTheirOwnJobsAndRolesTheirOwnPaths) {
  Started s;
  ASSERT_TRUE(s.server->running()) << s.server->Log();
  const Tokens& t = s.tokens;
  const int port = s.server->port();
  HttpResult mine = HttpCall(port, "POST", "/v1/jobs", kJob, t.research);
  ASSERT_EQ(mine.status, 201);
  const std::string id = std::to_string(Body(mine)["id"].get<long>());

  // Another tenant: 404, with the words a job that does not exist gets.
  for (const std::string& path : {"/v1/jobs/" + id, "/v1/jobs/" + id + "/why"}) {
    HttpResult r = HttpCall(port, "GET", path, "", t.vision);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(Body(r)["error"]["message"], "job " + id + " does not exist") << path;
  }
  EXPECT_EQ(HttpCall(port, "POST", "/v1/jobs/" + id + "/cancel", "", t.vision).status, 404);
  EXPECT_TRUE(Body(HttpCall(port, "GET", "/v1/jobs", "", t.vision))["jobs"].empty());
  EXPECT_TRUE(
      Body(HttpCall(port, "GET", "/v1/jobs?tenant=research", "", t.vision))["jobs"].empty());
  // The job is still there for its tenant and the admin.
  EXPECT_EQ(HttpCall(port, "GET", "/v1/jobs/" + id, "", t.research).status, 200);
  EXPECT_EQ(Body(HttpCall(port, "GET", "/v1/jobs", "", t.admin))["jobs"].size(), 1U);

  // Roles: agents reach no user path; only an admin reads /metrics; only a tenant submits.
  EXPECT_EQ(HttpCall(port, "GET", "/v1/jobs", "", t.agent).status, 403);
  EXPECT_EQ(HttpCall(port, "GET", "/metrics", "", t.research).status, 403);
  EXPECT_EQ(HttpCall(port, "POST", "/v1/jobs", kJob, t.admin).status, 403);
  // No token, or one the file does not hold.
  EXPECT_EQ(HttpCall(port, "GET", "/v1/jobs").status, 401);
  EXPECT_EQ(HttpCall(port, "GET", "/v1/jobs", "", NewToken().value()).status, 401);
  // Nodes: job ids for admins only.
  HttpResult nodes = HttpCall(port, "GET", "/v1/nodes", "", t.research);
  ASSERT_EQ(nodes.status, 200);
  EXPECT_EQ(Body(nodes)["nodes"].size(), 2U);
  EXPECT_FALSE(Body(nodes)["nodes"][0].contains("jobs"));
  EXPECT_TRUE(Body(HttpCall(port, "GET", "/v1/nodes", "", t.admin))["nodes"][0].contains("jobs"));
}

TEST(Serve, MalformedRequestsGetA4xxThatSaysWhat) {
  Started s;
  ASSERT_TRUE(s.server->running()) << s.server->Log();
  const Tokens& t = s.tokens;
  const int port = s.server->port();
  struct Case {
    std::string method, target, body;
    std::vector<std::string> headers;
    int status;
    std::string says;  // a piece of the error message
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/jobs", "{\"gpus\": 4,", {}, 400, "request:"},
      {"POST",
       "/v1/jobs",
       R"({"gpus": 4, "estimate": "1h", "command": "x", "colour": 1})",
       {},
       400,
       "field 'colour': unknown key"},
      {"POST",
       "/v1/jobs",
       R"({"gpus": -4, "estimate": "1h", "command": "x"})",
       {},
       400,
       "field 'gpus'"},
      {"POST", "/v1/jobs", R"({"gpus": 4, "estimate": "1h"})", {}, 400, "command"},
      {"POST",
       "/v1/jobs",
       R"({"gpus": 4, "estimate": "1h", "command": "x", "tenant": "vision"})",
       {},
       400,
       "tenant"},
      {"POST",
       "/v1/jobs",
       R"({"gpus": 4, "gpu_model": "tpu", "estimate": "1h", "command": "x"})",
       {},
       400,
       "unknown GPU model 'tpu'"},
      {"POST", "/v1/jobs", kJob, {"Idempotency-Key: has space"}, 400, "Idempotency-Key"},
      {"POST", "/v1/jobs", std::string(2 << 20, ' '), {}, 413, "larger than"},
      {"GET", "/v1/jobs?colour=red", "", {}, 400, "unknown query parameter 'colour'"},
      {"GET", "/v1/jobs?limit=0", "", {}, 400, "'limit'"},
      {"GET", "/v1/jobs?state=sleeping", "", {}, 400, "'state'"},
      {"GET", "/v1/jobs?after", "", {}, 400, "NAME=VALUE"},
      {"GET", "/v1/jobs/abc", "", {}, 404, "no such path"},
      {"GET", "/v1/jobs/-1", "", {}, 404, "no such path"},
      {"GET", "/v1/jobs/99999999999999999999999", "", {}, 404, "no such path"},
      {"GET", "/v1/jobs/123", "", {}, 404, "does not exist"},
      {"DELETE", "/v1/jobs", "", {}, 405, "GET, POST"},
      {"PUT", "/v1/jobs/1/cancel", "", {}, 405, "POST"},
      {"GET", "/nowhere", "", {}, 404, "no such path"},
  };
  for (const Case& c : cases) {
    HttpResult r = HttpCall(port, c.method, c.target, c.body, t.research, c.headers);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << r.body;
    const json body = Body(r);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_NE(body["error"]["message"].get<std::string>().find(c.says), std::string::npos)
        << c.method << " " << c.target << ": " << r.body;
  }
  // The server is still there, and none of it was queued.
  EXPECT_EQ(HttpCall(port, "GET", "/healthz").status, 200);
  EXPECT_TRUE(Body(HttpCall(port, "GET", "/v1/jobs", "", t.research))["jobs"].empty());
}

TEST(Serve, AnIdempotencyKeyMakesARetryReturnTheSameJob) {
  Started s;
  ASSERT_TRUE(s.server->running()) << s.server->Log();
  const Tokens& t = s.tokens;
  const int port = s.server->port();
  HttpResult first = HttpCall(port, "POST", "/v1/jobs", kJob, t.research, {"Idempotency-Key: a1"});
  HttpResult again = HttpCall(port, "POST", "/v1/jobs", kJob, t.research, {"Idempotency-Key: a1"});
  ASSERT_EQ(first.status, 201) << first.body;
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Body(first)["id"], Body(again)["id"]);
  // Keys are per tenant: another tenant's a1 is its own job.
  HttpResult other = HttpCall(port, "POST", "/v1/jobs", kJob, t.vision, {"Idempotency-Key: a1"});
  ASSERT_EQ(other.status, 201);
  EXPECT_NE(Body(other)["id"], Body(first)["id"]);
  // And a key survives a restart.
  s.server->Kill(SIGKILL);
  ServerProcess restarted(s.dir, kFleet, t.file, s.dir.Path("state.db"));
  ASSERT_TRUE(restarted.running()) << restarted.Log();
  HttpResult later =
      HttpCall(restarted.port(), "POST", "/v1/jobs", kJob, t.research, {"Idempotency-Key: a1"});
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(Body(later)["id"], Body(first)["id"]);
}

// Clients submit concurrently; the server is killed with SIGKILL in the middle. Every job that
// was acknowledged (201) is in the restarted server's state, pending as submitted.
TEST(Serve, KillNineLosesNoAcknowledgedJob) {
  Started s;
  ASSERT_TRUE(s.server->running()) << s.server->Log();
  const Tokens& t = s.tokens;
  const int port = s.server->port();
  std::mutex mu;
  std::set<long> acknowledged;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 250; ++i) {
        HttpResult r =
            HttpCall(port, "POST", "/v1/jobs", kJob, c % 2 ? t.research : t.vision,
                     {"Idempotency-Key: c" + std::to_string(c) + "-" + std::to_string(i)});
        if (r.status == 0) return;  // the server is gone
        if (r.status == 201) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.insert(Body(r)["id"].get<long>());
        }
        answered.fetch_add(1);
      }
    });
  }
  while (answered.load() < 300) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  s.server->Kill(SIGKILL);
  for (std::thread& c : clients) c.join();
  ASSERT_GE(acknowledged.size(), 300U);

  ServerProcess restarted(s.dir, kFleet, t.file, s.dir.Path("state.db"));
  ASSERT_TRUE(restarted.running()) << restarted.Log();
  std::set<long> recovered;
  std::string after = "-1";
  for (;;) {
    HttpResult page =
        HttpCall(restarted.port(), "GET", "/v1/jobs?limit=1000&after=" + after, "", t.admin);
    ASSERT_EQ(page.status, 200) << page.body;
    const json answer = Body(page);
    for (const json& j : answer["jobs"]) {
      recovered.insert(j["id"].get<long>());
      EXPECT_EQ(j["state"], "pending");
    }
    if (answer["next_after"].is_null()) break;
    after = std::to_string(answer["next_after"].get<long>());
  }
  for (long id : acknowledged) EXPECT_EQ(recovered.count(id), 1U) << "job " << id << " was lost";
}

// Every page of GET /v1/jobs?... as one list of ids (pages of `limit`).
std::vector<long> ListedIds(int port, const std::string& query, const std::string& token,
                            int limit) {
  std::vector<long> ids;
  std::string after = "-1";
  for (int page = 0; page < 100; ++page) {
    const HttpResult r = HttpCall(
        port, "GET", "/v1/jobs?" + query + "&limit=" + std::to_string(limit) + "&after=" + after,
        "", token);
    EXPECT_EQ(r.status, 200) << r.body;
    const json answer = Body(r);
    if (!answer.is_object()) break;
    for (const json& j : answer["jobs"]) ids.push_back(j["id"].get<long>());
    if (answer["next_after"].is_null()) break;
    after = std::to_string(answer["next_after"].get<long>());
  }
  return ids;
}

// Listing jobs that are not over reads the ids kept by state; it must answer as the walk of
// every job does (the same ids, in order, paged the same), for every token and tenant filter,
// and again after a restart rebuilt those ids from the store.
TEST(Serve, ListingByStateAnswersAsTheWalkOfEveryJob) {
  Started s;
  ASSERT_TRUE(s.server->running()) << s.server->Log();
  const Tokens& t = s.tokens;
  std::vector<long> research, vision;
  for (int i = 0; i < 6; ++i) {
    const HttpResult r =
        HttpCall(s.server->port(), "POST", "/v1/jobs", kJob, i % 2 ? t.research : t.vision);
    ASSERT_EQ(r.status, 201) << r.body;
    (i % 2 ? research : vision).push_back(Body(r)["id"].get<long>());
  }
  for (long id : {research[1], vision[0]}) {
    ASSERT_EQ(HttpCall(s.server->port(), "POST", "/v1/jobs/" + std::to_string(id) + "/cancel", "",
                       id == research[1] ? t.research : t.vision)
                  .status,
              200);
  }
  auto check = [&](int port) {
    // The walk of every job ("cancelled" is over: that query takes the walk), then filtered here.
    const json all = Body(HttpCall(port, "GET", "/v1/jobs?limit=1000", "", t.admin))["jobs"];
    auto pending_of = [&](const std::string& tenant) {
      std::vector<long> ids;
      for (const json& j : all)
        if (j["state"] == "pending" && (tenant.empty() || j["tenant"] == tenant))
          ids.push_back(j["id"].get<long>());
      return ids;
    };
    EXPECT_EQ(pending_of("").size(), 4U);
    for (int limit : {1, 2, 3, 100}) {
      EXPECT_EQ(ListedIds(port, "state=pending", t.admin, limit), pending_of("")) << limit;
      EXPECT_EQ(ListedIds(port, "state=pending,running", t.admin, limit), pending_of(""));
      EXPECT_EQ(ListedIds(port, "state=pending&tenant=vision", t.admin, limit),
                pending_of("vision"));
      EXPECT_EQ(ListedIds(port, "state=pending", t.research, limit), pending_of("research"));
      EXPECT_TRUE(ListedIds(port, "state=pending&tenant=vision", t.research, limit).empty());
    }
    EXPECT_EQ(ListedIds(port, "state=pending,cancelled", t.admin, 2).size(), 6U);
  };
  check(s.server->port());
  s.server->Kill(SIGKILL);
  ServerProcess restarted(s.dir, kFleet, t.file, s.dir.Path("state.db"));
  ASSERT_TRUE(restarted.running()) << restarted.Log();
  check(restarted.port());
}

// Drains and tenants' shares are admin acts, checked like every request, and outlive a restart.
TEST(Serve, DrainsAndTenantSharesAreAdminOnlyCheckedAndDurable) {
  Started s;
  ASSERT_TRUE(s.server->running()) << s.server->Log();
  const Tokens& t = s.tokens;
  int port = s.server->port();
  const std::string drain = R"({"nodes": ["lab/rack/dgx-1"], "reason": "PSU swap"})";
  EXPECT_EQ(HttpCall(port, "POST", "/v1/nodes/drain", drain, t.research).status, 403);
  EXPECT_EQ(HttpCall(port, "GET", "/v1/nodes/drain", "", t.admin).status, 405);
  const HttpResult unknown =
      HttpCall(port, "POST", "/v1/nodes/drain", R"({"nodes": ["lab/rack/dgx-9"]})", t.admin);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("'lab/rack/dgx-9' is not a node"), std::string::npos) << unknown.body;
  for (const char* bad : {R"({"nodes": []})", R"({"nodes": "lab/rack/dgx-1"})", R"({"nodes": [1]})",
                          R"({"nodes": ["lab/rack/dgx-1"], "why": "x"})",
                          R"({"nodes": ["lab/rack/dgx-1"], "nodes": []})"}) {
    const HttpResult r = HttpCall(port, "POST", "/v1/nodes/drain", bad, t.admin);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
  }
  const HttpResult drained = HttpCall(port, "POST", "/v1/nodes/drain", drain, t.admin);
  ASSERT_EQ(drained.status, 200) << drained.body;
  // No agent has registered it: it is absent, and drained for when it comes.
  EXPECT_EQ(Body(drained)["nodes"][0]["state"], "absent");
  EXPECT_EQ(Body(drained)["nodes"][0]["drain"]["reason"], "PSU swap");

  const std::string share = R"({"weight": 2.5, "quota_gpus": 8})";
  EXPECT_EQ(HttpCall(port, "PUT", "/v1/tenants/research", share, t.research).status, 403);
  EXPECT_EQ(HttpCall(port, "PUT", "/v1/tenants/nobody", share, t.admin).status, 404);
  for (const char* bad :
       {R"({"weight": 0})", R"({"weight": "2"})", R"({"quota_gpus": -1})",
        R"({"weight": 1, "weight": 2})",
        R"({"weight": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})",
        R"({"quota_gpus": 1.5})", R"({"share": 1})", "[]"}) {
    const HttpResult r = HttpCall(port, "PUT", "/v1/tenants/research", bad, t.admin);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
  }
  const HttpResult set = HttpCall(port, "PUT", "/v1/tenants/research", share, t.admin);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(Body(set)["weight"], 2.5);
  EXPECT_EQ(Body(set)["quota_gpus"], 8);
  EXPECT_EQ(Body(set)["share_applies"], false);  // the default policy is backfill
  // Its use is counted as jobs change state (no agent: the job waits).
  ASSERT_EQ(HttpCall(port, "POST", "/v1/jobs", kJob, t.research).status, 201);
  const json research = Body(HttpCall(port, "GET", "/v1/tenants/research", "", t.research));
  EXPECT_EQ(research["jobs_pending"], 1) << research;
  EXPECT_EQ(research["jobs_holding_gpus"], 0) << research;
  EXPECT_NE(HttpCall(port, "GET", "/metrics", "", t.admin)
                .body.find("gpufleet_jobs{tenant=\"research\",state=\"pending\"} 1\n"),
            std::string::npos);
  // A tenant sees itself only.
  EXPECT_EQ(HttpCall(port, "GET", "/v1/tenants/vision", "", t.research).status, 404);
  const json own = Body(HttpCall(port, "GET", "/v1/tenants", "", t.research));
  ASSERT_EQ(own["tenants"].size(), 1U) << own;
  EXPECT_EQ(own["tenants"][0]["name"], "research");

  s.server->Kill(SIGKILL);
  ServerProcess restarted(s.dir, kFleet, t.file, s.dir.Path("state.db"));
  ASSERT_TRUE(restarted.running()) << restarted.Log();
  port = restarted.port();
  const json nodes = Body(HttpCall(port, "GET", "/v1/nodes", "", t.admin));
  EXPECT_EQ(nodes["nodes"][0]["drain"]["reason"], "PSU swap") << nodes;
  EXPECT_FALSE(nodes["nodes"][1].contains("drain")) << nodes;
  const json tenants = Body(HttpCall(port, "GET", "/v1/tenants", "", t.admin));
  ASSERT_EQ(tenants["tenants"].size(), 2U) << tenants;
  EXPECT_EQ(tenants["tenants"][0]["name"], "research");
  EXPECT_EQ(tenants["tenants"][0]["weight"], 2.5);
  EXPECT_EQ(tenants["tenants"][0]["jobs_pending"], 1);  // recounted from the store
  EXPECT_EQ(tenants["tenants"][1]["quota_gpus"], nullptr);
  const HttpResult undrained =
      HttpCall(port, "POST", "/v1/nodes/undrain", R"({"nodes": ["lab/rack/dgx-1"]})", t.admin);
  ASSERT_EQ(undrained.status, 200) << undrained.body;
  EXPECT_FALSE(Body(undrained)["nodes"][0].contains("drain"));
}

// The document served is the repository's, and every path it names is one the server routes (and
// every route the tests reach is in it).
TEST(Serve, TheOpenApiDocumentIsServedAndNamesEveryRoute) {
  Started s;
  ASSERT_TRUE(s.server->running()) << s.server->Log();
  const Tokens& t = s.tokens;
  const int port = s.server->port();
  HttpResult served = HttpCall(port, "GET", "/v1/openapi.json", "", t.research);
  ASSERT_EQ(served.status, 200);
  std::ifstream file(std::string(GPUFLEET_SOURCE_DIR) + "/docs/openapi.json");
  const json kept = json::parse(file, nullptr, false);
  ASSERT_TRUE(kept.is_object());
  EXPECT_EQ(Body(served), kept);
  std::set<std::string> documented;
  for (const auto& [path, methods] : kept["paths"].items()) {
    documented.insert(path);
    std::string target = path;
    if (const size_t at = target.find("{id}"); at != std::string::npos) target.replace(at, 4, "1");
    if (const size_t at = target.find("{name}"); at != std::string::npos)
      target.replace(at, 6, "research");
    for (const auto& [method, spec] : methods.items()) {
      if (method == "parameters") continue;  // shared by the path's methods, not one
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      HttpResult r = HttpCall(port, upper, target, "{}", t.admin);
      EXPECT_EQ(r.body.find("no such path"), std::string::npos) << upper << " " << target;
      EXPECT_NE(r.status, 405) << upper << " " << target;
    }
  }
  const std::set<std::string> routed(ApiRoutes().begin(), ApiRoutes().end());
  EXPECT_EQ(documented, routed) << "docs/openapi.json and the server's routes differ";
}

// `/` is the dashboard: a page anyone may fetch (it holds no data), under a policy that lets it
// talk to this server only; its data needs a token like any other client's. The states filter of
// /v1/nodes, which it uses, refuses what is not a state.
TEST(Serve, TheDashboardIsAPageWithoutDataAndTheNodesFilterChecksItsStates) {
  Started s;
  ASSERT_TRUE(s.server->running()) << s.server->Log();
  const int port = s.server->port();
  const HttpResult page = HttpCall(port, "GET", "/");
  if (page.status == 503) {
    EXPECT_NE(page.body.find("scripts/install-web-deps"), std::string::npos) << page.body;
  } else {
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.headers.find("Content-Type: text/html"), std::string::npos) << page.headers;
    EXPECT_NE(page.headers.find("connect-src 'self'"), std::string::npos) << page.headers;
    EXPECT_NE(page.headers.find("frame-ancestors 'none'"), std::string::npos) << page.headers;
    EXPECT_NE(page.body.find("gpufleetPages"), std::string::npos);
  }
  EXPECT_EQ(HttpCall(port, "POST", "/", "{}").status, 405);
  EXPECT_EQ(HttpCall(port, "GET", "/v1/nodes?state=down").status, 401);
  const HttpResult none = HttpCall(port, "GET", "/v1/nodes?state=down,drained", "", s.tokens.admin);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(Body(none)["nodes"].empty());
  EXPECT_EQ(
      Body(HttpCall(port, "GET", "/v1/nodes?state=absent", "", s.tokens.research))["nodes"].size(),
      2U);
  const HttpResult bad = HttpCall(port, "GET", "/v1/nodes?state=up,sleeping", "", s.tokens.admin);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("got 'sleeping'"), std::string::npos) << bad.body;
  EXPECT_EQ(HttpCall(port, "GET", "/v1/nodes?colour=red", "", s.tokens.admin).status, 400);
}

TEST(Serve, RateAndPendingLimitsAre429s) {
  ScratchDir dir;
  const Tokens t = MakeTokens(dir);
  ServerProcess server(dir, kFleet, t.file, dir.Path("state.db"),
                       {"--rate-limit", "5", "--max-pending-per-tenant", "2"});
  ASSERT_TRUE(server.running()) << server.Log();
  const int port = server.port();
  ASSERT_EQ(HttpCall(port, "POST", "/v1/jobs", kJob, t.research).status, 201);
  ASSERT_EQ(HttpCall(port, "POST", "/v1/jobs", kJob, t.research).status, 201);
  HttpResult third = HttpCall(port, "POST", "/v1/jobs", kJob, t.research);
  EXPECT_EQ(third.status, 429);
  EXPECT_NE(third.body.find("2 jobs waiting"), std::string::npos) << third.body;
  // Another tenant has its own count.
  EXPECT_EQ(HttpCall(port, "POST", "/v1/jobs", kJob, t.vision).status, 201);
  // Cancelling one makes room.
  EXPECT_EQ(HttpCall(port, "POST", "/v1/jobs/1/cancel", "", t.research).status, 200);
  EXPECT_EQ(HttpCall(port, "POST", "/v1/jobs", kJob, t.research).status, 201);
  // 5 a second, 10 at once: a burst of 30 is cut, with Retry-After.
  int limited = 0;
  std::string headers;
  for (int i = 0; i < 30; ++i) {
    HttpResult r = HttpCall(port, "GET", "/v1/jobs", "", t.vision);
    if (r.status == 429) {
      ++limited;
      headers = r.headers;
    }
  }
  EXPECT_GE(limited, 10);
  EXPECT_NE(headers.find("Retry-After: 1"), std::string::npos) << headers;
  // Health checks are not limited.
  EXPECT_EQ(HttpCall(port, "GET", "/healthz").status, 200);
}

TEST(Serve, BadCommandLinesAreRefusedWithTheReason) {
  ScratchDir dir;
  const Tokens t = MakeTokens(dir);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--policy", "nonsense"}, "'nonsense' is not a policy"},
      // An oracle policy reads true durations, which a live server never knows.
      {{"--policy", "sjf"}, "only the simulator knows"},
  };
  for (const auto& [extra, says] : cases) {
    ServerProcess server(dir, kFleet, t.file, dir.Path("state.db"), extra);
    EXPECT_FALSE(server.running());
    EXPECT_NE(server.Log().find(says), std::string::npos) << server.Log();
  }
  ServerProcess no_state_dir(dir, kFleet, t.file, dir.Path("missing/folder/state.db"));
  EXPECT_FALSE(no_state_dir.running());
  EXPECT_NE(no_state_dir.Log().find("missing/folder"), std::string::npos) << no_state_dir.Log();
}

}  // namespace
}  // namespace gpufleet
