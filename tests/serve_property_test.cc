// A property test of `gpufleet serve` as a real process: thousands of random requests - valid job
// requests, job requests with one thing made wrong, random bodies and paths, every token role -
// each checked against what the request must get, whatever it is:
//   - the server answers every request (never a dropped connection) below 500, errors as JSON
//     with a code and a message;
//   - nonsense is never accepted: a job request made wrong in one way is a 400 (or 422: it can
//     never run on this fleet), and a path that is no route a 404;
//   - what is accepted is what was sent: every 201's job reads back with the fields submitted,
//     and the server holds exactly the jobs it answered 201 for;
//   - tenants stay apart: another tenant's job is 404 to get, why or cancel, and stays as it was.
// The generator is seeded: a failure names the seed and the request, and reruns the same.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "serve_process.h"
#include "server/api.h"
#include "temp_dir.h"

namespace gpufleet {
namespace {

using json = nlohmann::json;
using testing::HttpCall;
using testing::HttpResult;
using testing::ScratchDir;
using testing::ServerProcess;

const std::string kFleet = std::string(GPUFLEET_SOURCE_DIR) + "/examples/fleets/tiny.yaml";

class RequestGenerator {
 public:
  explicit RequestGenerator(std::uint64_t seed) : rng_(seed) {}

  int Int(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& from) {
    return from[static_cast<size_t>(Int(0, static_cast<int>(from.size()) - 1))];
  }
  std::string Word(int low, int high, const std::string& alphabet) {
    std::string out;
    for (int i = Int(low, high); i > 0; --i)
      out += alphabet[static_cast<size_t>(Int(0, static_cast<int>(alphabet.size()) - 1))];
    return out;
  }

  // A job request the tiny fleet (2 nodes of 8 H100 on one leaf) can run.
  json ValidJob() {
    const int gpus = Int(1, 16);
    json job = {{"gpus", gpus},
                {"estimate", Pick<std::string>({"90s", "30m", "1h", "2h30m", "7d"})},
                {"command", Word(1, 40, "abcxyz019 -_./'\"$|&;()\\") + (Chance(0.2) ? "é✓" : "")}};
    if (Chance(0.5)) job["name"] = Word(1, 20, "abcdefghijklmnopqrstuvwxyz0123456789-_");
    if (Chance(0.5)) job["priority"] = Int(-1000, 1000);
    if (Chance(0.3)) job["gpu_model"] = Chance(0.5) ? json("h100") : json::array({"h100"});
    if (Chance(0.3))
      job["topology"] = gpus <= 8 ? Pick<std::string>({"any", "nvlink", "leaf"}) : "leaf";
    if (Chance(0.2)) job["duration"] = Pick<std::string>({"1s", "10m"});
    return job;
  }

  // A valid job with one thing made wrong, and what was made wrong.
  std::pair<std::string, std::string> BrokenJob() {
    json job = ValidJob();
    switch (Int(0, 13)) {
      case 0:
        job[Word(1, 8, "qwvkz")] = 1;
        return {job.dump(), "an unknown key"};
      case 1:
        job["gpus"] = std::to_string(job["gpus"].get<int>());
        return {job.dump(), "gpus as a string"};
      case 2:
        job["gpus"] = Pick<json>({0, -1, -8, 2.5, 1e300, json(nullptr), json::array({8})});
        return {job.dump(), "gpus out of range or of another type"};
      case 3:
        job["gpus"] = Int(17, 100000);
        return {job.dump(), "more GPUs than the fleet has"};
      case 4:
        job["estimate"] = Pick<json>({"1 hour", "", "-1h", "h", 5, "1e400h", json::object()});
        return {job.dump(), "an estimate that is no duration"};
      case 5:
        job.erase("command");
        return {job.dump(), "no command"};
      case 6:
        job["command"] = Pick<json>({"", 7, json::array({"a"}), json(nullptr)});
        return {job.dump(), "a command that is no command"};
      case 7:
        job[Pick<std::string>({"tenant", "submit", "training"})] = "x";
        return {job.dump(), "a field the server sets"};
      case 8:
        job["gpu_model"] = Pick<json>({"tpu", "", json::array(), json::array({"h100", 3})});
        return {job.dump(), "a GPU model the fleet lacks"};
      case 9: {
        std::string text = job.dump();
        text.insert(1, "\"gpus\": 1, ");  // a duplicate key
        return {text, "a duplicate key"};
      }
      case 10: {
        const std::string text = job.dump();
        return {text.substr(0, static_cast<size_t>(Int(0, static_cast<int>(text.size()) - 2))),
                "a truncated body"};
      }
      case 11: {
        std::string deep = "1";
        for (int i = 0; i < 40; ++i) deep = "[" + deep + "]";
        std::string text = job.dump();
        text.insert(1, "\"name\": " + deep + ", ");
        return {text, "a value nested 40 deep"};
      }
      case 12:
        job["priority"] = Pick<json>({1e12, -1e12, "high", 0.5});
        return {job.dump(), "a priority out of range or of another type"};
      default:
        // JSON's punctuation, a control byte and bytes that are not UTF-8.
        static constexpr char kJunk[] = "{}[]\":,0a \x01\xff\xc3\x28";
        return {Word(1, 200, std::string(kJunk, sizeof kJunk - 1)), "random bytes"};
    }
  }

 private:
  std::mt19937_64 rng_;
};

struct Cluster {
  ScratchDir dir;
  testing::Tokens tokens = testing::MakeTokens(dir);
  const std::string &research = tokens.research, &vision = tokens.vision, &agent = tokens.agent,
                    &admin = tokens.admin;
  std::unique_ptr<ServerProcess> server =
      std::make_unique<ServerProcess>(dir, kFleet, tokens.file, dir.Path("state.db"));
};

// Every answer: given, below 500, and an error as JSON with a code and a message.
void ExpectWellFormed(const HttpResult& r, const std::string& what) {
  ASSERT_NE(r.status, 0) << what << ": no answer (the server dropped the connection)";
  ASSERT_LT(r.status, 500) << what << ": " << r.body;
  if (r.status >= 400) {
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("error")) << what << ": " << r.body;
    EXPECT_TRUE(body["error"]["code"].is_string()) << what << ": " << r.body;
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty()) << what << ": " << r.body;
  }
}

TEST(ServeProperty, RandomRequestsAreAnsweredNonsenseRefusedAndWhatIsAcceptedKept) {
  Cluster c;
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  const int port = c.server->port();
  constexpr std::uint64_t kSeed = 20261205;
  RequestGenerator gen(kSeed);
  std::map<long, std::pair<json, std::string>> accepted;  // id -> (request, tenant)
  const std::vector<std::string> methods = {"GET", "POST", "PUT", "DELETE", "PATCH"};

  for (int i = 0; i < 1500; ++i) {
    const std::string where = "seed " + std::to_string(kSeed) + ", request " + std::to_string(i);
    const int kind = gen.Int(0, 9);
    if (kind <= 2) {  // a valid job, from either tenant
      const bool research = gen.Chance(0.5);
      const json job = gen.ValidJob();
      const HttpResult r =
          HttpCall(port, "POST", "/v1/jobs", job.dump(), research ? c.research : c.vision);
      ExpectWellFormed(r, where);
      ASSERT_EQ(r.status, 201) << where << ": " << job.dump() << " -> " << r.body;
      accepted[json::parse(r.body)["id"].get<long>()] = {job, research ? "research" : "vision"};
    } else if (kind <= 5) {  // a job made wrong in one way
      const auto [body, wrong] = gen.BrokenJob();
      const HttpResult r = HttpCall(port, "POST", "/v1/jobs", body, c.research);
      ExpectWellFormed(r, where);
      EXPECT_TRUE(r.status == 400 || r.status == 422)
          << where << ": " << wrong << " was answered " << r.status << ": " << body << " -> "
          << r.body;
    } else if (kind == 6) {  // a path near the routes, any method, any role
      std::string path = gen.Pick(ApiRoutes());
      const size_t brace = path.find('{');
      if (brace != std::string::npos)
        path = path.substr(0, brace) + gen.Word(0, 6, "0123456789x-%/");
      const bool junk = gen.Chance(0.5);
      if (junk) path += gen.Word(1, 6, "/xyz.%");
      const std::string token =
          gen.Pick(std::vector<std::string>{"", "gft_bogus", c.research, c.agent, c.admin});
      const HttpResult r = HttpCall(port, gen.Pick(methods), path,
                                    gen.Chance(0.5) ? gen.ValidJob().dump() : "{", token);
      ExpectWellFormed(r, where + " " + path);
      if (junk && path.rfind("/v1/tenants/", 0) != 0) {
        EXPECT_EQ(r.status, 404) << where << ": " << path << " -> " << r.body;
      }
    } else if (kind == 7 && !accepted.empty()) {  // another tenant reaches for a job
      auto it = accepted.begin();
      std::advance(it, gen.Int(0, static_cast<int>(accepted.size()) - 1));
      const std::string other = it->second.second == "research" ? c.vision : c.research;
      const std::string id = std::to_string(it->first);
      const std::string before =
          json::parse(HttpCall(port, "GET", "/v1/jobs/" + id, "", c.admin).body)["state"];
      for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
               {"GET", "/v1/jobs/" + id},
               {"GET", "/v1/jobs/" + id + "/why"},
               {"POST", "/v1/jobs/" + id + "/cancel"}}) {
        const HttpResult r = HttpCall(port, method, path, "", other);
        ExpectWellFormed(r, where);
        EXPECT_EQ(r.status, 404) << where << ": " << method << " " << path << " -> " << r.body;
      }
      EXPECT_EQ(json::parse(HttpCall(port, "GET", "/v1/jobs/" + id, "", c.admin).body)["state"],
                before);
    } else if (kind == 8) {  // an agent's body made of junk
      const HttpResult r =
          HttpCall(port, "POST", gen.Chance(0.5) ? "/v1/agent/sync" : "/v1/agent/register",
                   gen.BrokenJob().first, c.agent);
      ExpectWellFormed(r, where);
      EXPECT_GE(r.status, 400) << where << ": " << r.body;
    } else {  // an admin act with a random body
      const bool drain = gen.Chance(0.5);
      const json body = drain ? json{{"nodes", json::array({gen.Word(1, 16, "lab/rck-12")})}}
                              : json{{"weight", gen.Int(-2, 3)}, {"quota_gpus", gen.Int(-2, 3)}};
      const HttpResult r =
          HttpCall(port, drain ? "POST" : "PUT", drain ? "/v1/nodes/drain" : "/v1/tenants/research",
                   body.dump(), gen.Chance(0.5) ? c.admin : c.research);
      ExpectWellFormed(r, where);
    }
    if (::testing::Test::HasFatalFailure()) return;
  }

  // Still serving, and holding exactly the jobs it acknowledged, as they were sent.
  ASSERT_EQ(HttpCall(port, "GET", "/healthz").status, 200);
  ASSERT_TRUE(c.server->running()) << c.server->Log();
  std::set<long> listed;
  std::string after = "-1";
  for (;;) {
    const HttpResult page =
        HttpCall(port, "GET",
                 "/v1/jobs?state=pending,starting,running,stopping,completed,failed,"
                 "cancelled&limit=1000&after=" +
                     after,
                 "", c.admin);
    ASSERT_EQ(page.status, 200) << page.body;
    const json answer = json::parse(page.body);
    for (const json& j : answer["jobs"]) listed.insert(j["id"].get<long>());
    if (answer["next_after"].is_null()) break;
    after = std::to_string(answer["next_after"].get<long>());
  }
  std::set<long> expected;
  for (const auto& [id, sent] : accepted) expected.insert(id);
  EXPECT_EQ(listed, expected);
  for (const auto& [id, sent] : accepted) {
    const json& request = sent.first;
    const json job = json::parse(HttpCall(port, "GET", "/v1/jobs/" + std::to_string(id), "",
                                          sent.second == "research" ? c.research : c.vision)
                                     .body);
    EXPECT_EQ(job["tenant"], sent.second) << id;
    EXPECT_EQ(job["gpus"], request["gpus"]) << id;
    EXPECT_EQ(job["command"], request["command"]) << id;
    EXPECT_EQ(job["priority"], request.value("priority", 0)) << id;
    EXPECT_EQ(job["name"], request.value("name", std::string("job"))) << id;
  }
}

}  // namespace
}  // namespace gpufleet
