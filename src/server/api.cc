#include "server/api.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "openapi_document.h"
#include "server/api_request.h"
#include "server/site_load.h"
#include "spec/specs.h"
#include "util/wall_time.h"

namespace gpufleet {
namespace {

using json = nlohmann::json;

// --- answers ---

const char* CodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfRange:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kFailedPrecondition:
      return "failed_precondition";
    case ErrorCode::kUnsatisfiable:
      return "unsatisfiable";
    case ErrorCode::kDataLoss:
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kResourceExhausted:
      return "resource_exhausted";
  }
  return "internal";
}

int StatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfRange:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kUnsatisfiable:
      return 422;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kDataLoss:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse Json(int status, const json& body) {
  return HttpResponse{status,
                      "application/json",
                      body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                      {}};
}

HttpResponse Fail(int status, const char* code, const std::string& message) {
  return Json(status, json{{"error", {{"code", code}, {"message", message}}}});
}

HttpResponse Fail(const Error& e) { return Fail(StatusOf(e.code), CodeName(e.code), e.message); }

// "2026-12-05T16:00:00.123Z", or null before it happened.
json Timestamp(SimTime ms) {
  if (ms < 0) return nullptr;
  return UtcText(ms, UtcStyle::kIsoMillis);
}

// `reason`: the job's reason in words when the caller has it already (a list computes every
// waiting job's at once: one walk of the queue instead of one per job).
json JobJson(const ControlPlane& plane, const LiveJob& j, const std::string* reason = nullptr) {
  const Fleet& fleet = plane.fleet();
  json nodes = json::array();
  for (NodeId n : j.nodes) nodes.push_back(fleet.Path(fleet.NodeTopo(n)));
  json models = json::array();
  for (const std::string& m : j.gpu_models) models.push_back(m);
  json out = {
      {"id", j.id},
      {"name", j.name},
      {"tenant", j.tenant},
      {"state", LiveStateName(j.state)},
      {"gpus", j.request.gpus},
      {"gpu_milli", j.request.gpu_milli},
      {"gpu_model", j.gpu_models.empty() ? json("any") : models},
      {"topology", TopologyName(j.request.topology)},
      {"priority", j.request.priority},
      {"command", j.command},
      {"estimate_s", static_cast<double>(j.request.estimate) / 1000.0},
      {"submitted_at", Timestamp(j.submitted_at)},
      {"started_at", Timestamp(j.started_at)},
      {"ended_at", Timestamp(j.ended_at)},
      {"exit_code", j.exit_code ? json(*j.exit_code) : json(nullptr)},
      {"epoch", j.epoch},
      {"nodes", nodes},
  };
  if (!j.message.empty()) out["message"] = j.message;
  if (j.state == LiveState::kPending)
    out["reason"] = reason ? *reason : plane.WhyPending(j.id).text;
  // The latest forecast's word on it, with when it was made (GET /v1/forecast makes a new one).
  if (const Forecast* f = plane.latest_forecast(); f != nullptr && !IsOver(j.state)) {
    const auto it = f->jobs.find(j.id);
    if (it != f->jobs.end()) {
      out["forecast"] = {
          {"start", it->second.start == kNever ? json(nullptr) : Timestamp(it->second.start)},
          {"end", it->second.end == kNever ? json(nullptr) : Timestamp(it->second.end)},
          {"made_at", Timestamp(f->now)}};
    }
  }
  return out;
}

// --- metrics of the API itself ---

class ApiMetrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};
  void Record(const std::string& route, int status, double seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_[{route, status}] += 1;
    Histogram& h = latency_[route];
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      if (seconds <= kBuckets[i]) h.counts[i] += 1;
    }
    h.count += 1;
    h.sum += seconds;
  }
  void Write(std::string& out) const {
    std::lock_guard<std::mutex> lock(mu_);
    out += "# HELP gpufleet_http_requests_total API requests answered, by route and status.\n";
    out += "# TYPE gpufleet_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      out += "gpufleet_http_requests_total{route=\"" + key.first + "\",code=\"" +
             std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
    }
    out +=
        "# HELP gpufleet_http_request_duration_seconds Time from a request read to its "
        "answer, by route.\n";
    out += "# TYPE gpufleet_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      const std::string name = "gpufleet_http_request_duration_seconds";
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        char le[32];
        std::snprintf(le, sizeof le, "%g", kBuckets[i]);
        out += name + "_bucket{route=\"" + route + "\",le=\"" + le + "\"} " +
               std::to_string(h.counts[i]) + "\n";
      }
      out +=
          name + "_bucket{route=\"" + route + "\",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
      out += name + "_sum{route=\"" + route + "\"} " + std::to_string(h.sum) + "\n";
      out += name + "_count{route=\"" + route + "\"} " + std::to_string(h.count) + "\n";
    }
  }

 private:
  struct Histogram {
    std::array<std::int64_t, kBuckets.size()> counts{};
    std::int64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, std::int64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

// --- the API ---

// Token buckets, one per token name: `rate` a second, `2 x rate` at most saved up.
class RateLimiter {
 public:
  explicit RateLimiter(double rate) : rate_(rate) {}
  // Whether `who` may make one more request now.
  bool Admit(const std::string& who) {
    if (rate_ <= 0) return true;
    const double now =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, fresh] = buckets_.try_emplace(who, Bucket{2 * rate_, now});
    Bucket& b = it->second;
    if (!fresh) b.tokens = std::min(2 * rate_, b.tokens + (now - b.at) * rate_);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    double at;
  };
  const double rate_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace

const std::vector<std::string>& ApiRoutes() {
  static const std::vector<std::string> kRoutes = {"/",
                                                   "/healthz",
                                                   "/readyz",
                                                   "/metrics",
                                                   "/v1/openapi.json",
                                                   "/v1/jobs",
                                                   "/v1/jobs/{id}",
                                                   "/v1/jobs/{id}/why",
                                                   "/v1/jobs/{id}/cancel",
                                                   "/v1/events",
                                                   "/v1/forecast",
                                                   "/v1/sites",
                                                   "/v1/nodes",
                                                   "/v1/nodes/drain",
                                                   "/v1/nodes/undrain",
                                                   "/v1/tenants",
                                                   "/v1/tenants/{name}",
                                                   "/v1/agent/register",
                                                   "/v1/agent/sync"};
  return kRoutes;
}

namespace {

class Api {
 public:
  Api(ControlPlane& plane, const TokenTable& tokens, ApiOptions options)
      : plane_(plane),
        tokens_(tokens),
        limiter_(options.rate_per_token),
        dashboard_page_(std::move(options.dashboard_page)),
        dashboard_missing_(std::move(options.dashboard_missing)) {}

  void Handle(HttpRequest req, Responder respond) {
    const auto begin = std::chrono::steady_clock::now();
    std::string route = RouteOf(req.path);
    Responder timed = [this, route, begin, respond = std::move(respond)](HttpResponse r) {
      metrics_->Record(
          route, r.status,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
      respond(std::move(r));
    };
    Dispatch(req, timed);
  }

 private:
  // The route a path belongs to, for metrics: ids replaced by {id}, unknown paths as "other".
  static std::string RouteOf(const std::string& path) {
    static const std::set<std::string> kFixed = [] {
      std::set<std::string> fixed;
      for (const std::string& r : ApiRoutes())
        if (r.find('{') == std::string::npos) fixed.insert(r);
      return fixed;
    }();
    if (kFixed.count(path) != 0) return path;
    if (path.rfind("/v1/tenants/", 0) == 0 && path.size() > 12 &&
        path.find('/', 12) == std::string::npos)
      return "/v1/tenants/{name}";
    if (path.rfind("/v1/jobs/", 0) == 0) {
      const std::string_view rest = std::string_view(path).substr(9);
      const size_t slash = rest.find('/');
      if (!JobIdOf(rest.substr(0, slash))) return "other";
      if (slash == std::string_view::npos) return "/v1/jobs/{id}";
      const std::string_view verb = rest.substr(slash);
      if (verb == "/why") return "/v1/jobs/{id}/why";
      if (verb == "/cancel") return "/v1/jobs/{id}/cancel";
    }
    return "other";
  }

  static HttpResponse MethodNotAllowed(const char* allow) {
    HttpResponse r =
        Fail(405, "method_not_allowed", std::string("this path takes ") + allow + " only");
    r.headers.emplace_back("Allow", allow);
    return r;
  }

  // Who the request is from; nullptr after answering 401.
  const Identity* Authenticated(const HttpRequest& req, const Responder& respond) {
    constexpr std::string_view kBearer = "Bearer ";
    if (req.authorization.rfind(kBearer, 0) != 0) {
      respond(Fail(401, "unauthenticated",
                   "expected an 'Authorization: Bearer TOKEN' header (gpufleet token new)"));
      return nullptr;
    }
    const Identity* who =
        tokens_.Authenticate(std::string_view(req.authorization).substr(kBearer.size()));
    if (who == nullptr) respond(Fail(401, "unauthenticated", "the token is not valid here"));
    return who;
  }

  void Dispatch(const HttpRequest& req, const Responder& respond) {
    const std::string& path = req.path;
    if (path == "/") return Dashboard(req, respond);
    if (path == "/healthz") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      return respond(Json(200, json{{"status", "ok"}}));
    }
    if (path == "/readyz") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      plane_.Post([respond](ControlPlane& p) {
        if (p.store_ok()) return respond(Json(200, json{{"status", "ready"}}));
        respond(Fail(503, "unavailable", "the store failed a commit; restart the server"));
      });
      return;
    }
    const std::string route = RouteOf(path);
    if (route == "other") {
      return respond(Fail(404, "not_found", "no such path: " + path + " (docs/API.md)"));
    }
    const Identity* who = Authenticated(req, respond);
    if (who == nullptr) return;
    if (who->role != Role::kAgent && !limiter_.Admit(who->name)) {
      HttpResponse r =
          Fail(429, "resource_exhausted",
               "token '" + who->name + "' is over the server's request rate (--rate-limit)");
      r.headers.emplace_back("Retry-After", "1");
      return respond(std::move(r));
    }
    if (route.rfind("/v1/agent/", 0) == 0) {
      if (who->role == Role::kTenant) {
        return respond(Fail(403, "permission_denied", "/v1/agent/ needs an agent token"));
      }
      if (req.method != "POST") return respond(MethodNotAllowed("POST"));
      if (route == "/v1/agent/register") return Register(req, respond);
      return AgentSync(req, respond);
    }
    if (who->role == Role::kAgent) {
      return respond(Fail(403, "permission_denied", "an agent token reaches /v1/agent/ only"));
    }
    if (route == "/metrics") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      if (who->role != Role::kAdmin) {
        return respond(Fail(403, "permission_denied", "/metrics needs an admin token"));
      }
      return Metrics(respond);
    }
    if (route == "/v1/jobs") {
      if (req.method == "POST") return SubmitJob(req, *who, respond);
      if (req.method == "GET") return ListJobs(req, *who, respond);
      return respond(MethodNotAllowed("GET, POST"));
    }
    if (route == "/v1/sites") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      return ListSites(respond);
    }
    if (route == "/v1/events") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      return Events(req, *who, respond);
    }
    if (route == "/v1/forecast") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      return ForecastJobs(req, *who, respond);
    }
    if (route == "/v1/nodes") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      return ListNodes(req, *who, respond);
    }
    if (route == "/v1/nodes/drain" || route == "/v1/nodes/undrain") {
      if (req.method != "POST") return respond(MethodNotAllowed("POST"));
      if (who->role != Role::kAdmin) {
        return respond(Fail(403, "permission_denied", route + " needs an admin token"));
      }
      return DrainNodes(req, route == "/v1/nodes/drain", respond);
    }
    if (route == "/v1/tenants") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      return ListTenants(*who, "", respond);
    }
    if (route == "/v1/tenants/{name}") {
      const std::string name = path.substr(12);
      if (req.method == "GET") return ListTenants(*who, name, respond);
      if (req.method != "PUT") return respond(MethodNotAllowed("GET, PUT"));
      if (who->role != Role::kAdmin) {
        return respond(Fail(403, "permission_denied", "changing a tenant needs an admin token"));
      }
      return SetTenant(req, name, respond);
    }
    if (route == "/v1/openapi.json") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      return respond(HttpResponse{200, "application/json", kOpenApiDocument, {}});
    }
    const std::string_view rest = std::string_view(path).substr(9);
    const JobId id = *JobIdOf(rest.substr(0, rest.find('/')));
    if (route == "/v1/jobs/{id}") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      return OnVisibleJob(id, *who, respond, [](ControlPlane& p, const LiveJob& j) {
        return Json(200, JobJson(p, j));
      });
    }
    if (route == "/v1/jobs/{id}/why") {
      if (req.method != "GET") return respond(MethodNotAllowed("GET"));
      return OnVisibleJob(id, *who, respond, [](ControlPlane& p, const LiveJob& j) {
        const ControlPlane::Why why = p.WhyPending(j.id);
        return Json(200, json{{"id", j.id},
                              {"state", LiveStateName(j.state)},
                              {"code", why.code.empty() ? json(nullptr) : json(why.code)},
                              {"reason", why.text.empty() ? json(nullptr) : json(why.text)}});
      });
    }
    if (req.method != "POST") return respond(MethodNotAllowed("POST"));
    return CancelJob(id, *who, respond);
  }

  // The dashboard: one page, its scripts inline, that asks the API for everything it shows. The
  // page holds no data, so it needs no token; the policy keeps it from loading or sending
  // anything anywhere but this server, and from being framed by another site.
  void Dashboard(const HttpRequest& req, const Responder& respond) const {
    if (req.method != "GET") return respond(MethodNotAllowed("GET"));
    if (dashboard_page_.empty()) return respond(Fail(503, "unavailable", dashboard_missing_));
    HttpResponse r{200, "text/html; charset=utf-8", dashboard_page_, {}};
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; script-src 'unsafe-inline'; "
                           "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
                           "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("Cache-Control", "no-store");
    respond(std::move(r));
  }

  void Register(const HttpRequest& req, const Responder& respond) {
    Result<json> body = JsonObject(req.body, {"node", "gpus", "gpu_model", "address"});
    if (!body.ok()) return respond(Fail(body.error()));
    Result<std::string> node = StringField(body.value(), "", "node", true);
    Result<std::int64_t> gpus = IntField(body.value(), "", "gpus", true, 1, 64);
    Result<std::string> model = StringField(body.value(), "", "gpu_model", false);
    Result<std::string> address = StringField(body.value(), "", "address", false);
    for (const Status& s : {node.status(), gpus.status(), model.status(), address.status()}) {
      if (!s.ok()) return respond(Fail(Error{s.message(), s.code()}));
    }
    std::string where = address.value().empty() ? req.peer_address : address.value();
    plane_.Post([node = node.value(), gpus = static_cast<int>(gpus.value()), model = model.value(),
                 where, respond](ControlPlane& p) {
      Result<std::vector<std::pair<JobId, Epoch>>> runs = p.RegisterAgent(node, gpus, model, where);
      if (!runs.ok()) return respond(Fail(runs.error()));
      json jobs = json::array();
      for (const auto& [id, epoch] : runs.value()) jobs.push_back({{"id", id}, {"epoch", epoch}});
      respond(Json(200, json{{"node", node},
                             {"heartbeat_s", static_cast<double>(p.heartbeat_interval()) / 1000.0},
                             {"jobs", jobs}}));
    });
  }

  void AgentSync(const HttpRequest& req, const Responder& respond) {
    Result<json> body = JsonObject(req.body, {"node", "jobs", "wait_s"});
    if (!body.ok()) return respond(Fail(body.error()));
    Result<std::string> node = StringField(body.value(), "", "node", true);
    if (!node.ok()) return respond(Fail(node.error()));
    SimTime wait = 0;
    if (body.value().contains("wait_s")) {
      const json& w = body.value()["wait_s"];
      if (!w.is_number() || !(w.get<double>() >= 0 && w.get<double>() <= 30)) {
        return respond(Fail(400, "invalid_argument", "field 'wait_s': expected 0 to 30 seconds"));
      }
      wait = static_cast<SimTime>(w.get<double>() * 1000.0);
    }
    Result<std::vector<JobReport>> reports = Reports(body.value());
    if (!reports.ok()) return respond(Fail(reports.error()));
    plane_.Post([node = node.value(), reports = std::move(reports).value(), wait,
                 respond](ControlPlane& p) mutable {
      p.Sync(node, std::move(reports), wait, [respond](Result<NodeOrders> orders) {
        if (!orders.ok()) return respond(Fail(orders.error()));
        respond(Json(200, OrdersJson(orders.value())));
      });
    });
  }

  static bool Visible(const Identity& who, const LiveJob& j) {
    return who.role == Role::kAdmin || (who.role == Role::kTenant && who.tenant == j.tenant);
  }

  template <typename F>
  void OnVisibleJob(JobId id, const Identity& who, const Responder& respond, F answer) {
    plane_.Post([id, who, respond, answer](ControlPlane& p) {
      const LiveJob* j = p.Find(id);
      if (j == nullptr || !Visible(who, *j)) {
        return respond(Fail(404, "not_found", "job " + std::to_string(id) + " does not exist"));
      }
      respond(answer(p, *j));
    });
  }

  void CancelJob(JobId id, const Identity& who, const Responder& respond) {
    plane_.Post([id, who, respond](ControlPlane& p) {
      const LiveJob* j = p.Find(id);
      if (j == nullptr || !Visible(who, *j)) {
        return respond(Fail(404, "not_found", "job " + std::to_string(id) + " does not exist"));
      }
      p.Cancel(id, [&p, respond](Status s, const LiveJob* job) {
        if (!s.ok()) return respond(Fail(Error{s.message(), s.code()}));
        respond(Json(200, JobJson(p, *job)));
      });
    });
  }

  void SubmitJob(const HttpRequest& req, const Identity& who, const Responder& respond) {
    if (who.role != Role::kTenant) {
      return respond(Fail(403, "permission_denied",
                          "jobs are submitted with a tenant's token: the job is the tenant's"));
    }
    if (!req.idempotency_key.empty() && !ValidIdempotencyKey(req.idempotency_key)) {
      return respond(Fail(400, "invalid_argument",
                          "header 'Idempotency-Key': expected 1 to 128 printable ASCII "
                          "characters without spaces"));
    }
    // Read on this (HTTP) thread: the control plane's thread only checks and queues.
    Result<JobRequestSpec> parsed = ParseJobRequest(req.body, "request");
    if (!parsed.ok()) return respond(Fail(parsed.error()));
    const JobRequestSpec& spec = parsed.value();
    LiveJob job;
    job.tenant = who.tenant;
    job.name = spec.job.job.name;
    job.command = spec.command;
    job.idempotency_key = req.idempotency_key;
    job.request = RequestFor(spec.job.job);
    job.duration = spec.job.job.duration;
    job.gpu_models = spec.job.gpu_models;
    plane_.Post([job = std::move(job), spec, respond](ControlPlane& p) mutable {
      const Fleet& fleet = p.fleet();
      std::uint64_t mask = 0;
      for (size_t i = 0; i < spec.job.gpu_models.size(); ++i) {
        const ModelId m = fleet.FindModel(spec.job.gpu_models[i]);
        if (m == kAnyModel) {
          std::string have;
          for (const auto& g : fleet.gpu_models()) have += (have.empty() ? "" : ", ") + g.name;
          return respond(Fail(400, "invalid_argument",
                              spec.job.gpu_model_locs[i].Prefix() + "'" + spec.job.gpu_models[i] +
                                  "' is not in the fleet; it has: " + have));
        }
        mask |= ModelBit(m);
      }
      if (std::popcount(mask) == 1) {
        job.request.gpu_model = static_cast<ModelId>(std::countr_zero(mask));
      } else {
        job.request.allowed_models = mask;
      }
      job.request.tenant = p.TenantIndex(job.tenant);
      job.submitted_at = p.now();
      Result<JobId> id = p.Reserve(job);
      if (!id.ok()) return respond(Fail(id.error()));
      job.id = id.value();
      p.Submit(std::move(job), [&p, respond](Result<ControlPlane::Admitted> a) {
        if (!a.ok()) return respond(Fail(a.error()));
        respond(Json(a.value().replayed ? 200 : 201, JobJson(p, a.value().job)));
      });
    });
  }

  void ListJobs(const HttpRequest& req, const Identity& who, const Responder& respond) {
    Result<std::multimap<std::string, std::string>> params = QueryParameters(req.query);
    if (!params.ok()) return respond(Fail(params.error()));
    std::set<LiveState> states;
    std::optional<std::string> tenant;
    std::int64_t limit = 100;
    JobId after = -1;
    for (const auto& [name, value] : params.value()) {
      if (name == "state") {
        static const std::set<std::string> kLive = [] {
          std::set<std::string> names;
          for (int i = 0; i < kLiveStates; ++i)
            names.insert(LiveStateName(static_cast<LiveState>(i)));
          return names;
        }();
        Result<std::set<std::string>> named =
            StatesListed(name, value, kLive,
                         "pending, starting, running, stopping, completed, failed or cancelled");
        if (!named.ok()) return respond(Fail(named.error()));
        for (const std::string& one : named.value()) states.insert(*LiveStateNamed(one));
      } else if (name == "tenant") {
        tenant = value;
      } else if (name == "limit") {
        Result<std::int64_t> n = WholeNumber(name, value, 1, 1000);
        if (!n.ok()) return respond(Fail(n.error()));
        limit = n.value();
      } else if (name == "after") {
        Result<std::int64_t> n = WholeNumber(name, value, -1, std::int64_t{1} << 62);
        if (!n.ok()) return respond(Fail(n.error()));
        after = n.value();
      } else {
        return respond(
            Fail(400, "invalid_argument",
                 "unknown query parameter '" + name + "'; expected state, tenant, limit or after"));
      }
    }
    plane_.Post([who, states, tenant, limit, after, respond](ControlPlane& p) {
      std::vector<const LiveJob*> page;
      bool more = false;
      auto wanted = [&](const LiveJob& j) {
        return Visible(who, j) && (!tenant || j.tenant == *tenant);
      };
      const bool only_active =
          !states.empty() &&
          std::none_of(states.begin(), states.end(), [](LiveState s) { return IsOver(s); });
      if (only_active) {
        // From the ids kept by state: the first limit + 1 wanted of each, merged in id order.
        for (LiveState s : states) {
          const std::set<JobId>& ids = p.JobsIn(s);
          std::int64_t taken = 0;
          for (auto it = ids.upper_bound(after); it != ids.end() && taken <= limit; ++it) {
            const LiveJob* j = p.Find(*it);
            if (j == nullptr || !wanted(*j)) continue;
            page.push_back(j);
            ++taken;
          }
        }
        std::sort(page.begin(), page.end(),
                  [](const LiveJob* a, const LiveJob* b) { return a->id < b->id; });
        if (static_cast<std::int64_t>(page.size()) > limit) {
          page.resize(static_cast<size_t>(limit));
          more = true;
        }
      } else {
        const auto& all = p.jobs();
        for (auto it = all.upper_bound(after); it != all.end(); ++it) {
          const LiveJob& j = it->second;
          if (!wanted(j)) continue;
          if (!states.empty() && states.count(j.state) == 0) continue;
          if (static_cast<std::int64_t>(page.size()) == limit) {
            more = true;
            break;
          }
          page.push_back(&j);
        }
      }
      const size_t waiting =
          static_cast<size_t>(std::count_if(page.begin(), page.end(), [](const LiveJob* j) {
            return j->state == LiveState::kPending;
          }));
      // Many waiting jobs: every reason at once (one walk of the queue).
      std::unordered_map<JobId, std::string> reasons;
      if (waiting > 1) {
        std::unordered_map<JobId, const LiveJob*> on_page;
        for (const LiveJob* j : page) on_page.emplace(j->id, j);
        for (const auto& [id, r] : p.scheduler().PendingReasons()) {
          if (on_page.count(id) != 0)
            reasons.emplace(id, DescribeReason(r, p.fleet(), WallTimeText));
        }
      }
      json jobs = json::array();
      std::optional<JobId> last;
      for (const LiveJob* j : page) {
        const auto r = reasons.find(j->id);
        jobs.push_back(JobJson(p, *j, r == reasons.end() ? nullptr : &r->second));
        last = j->id;
      }
      respond(Json(
          200, json{{"jobs", jobs}, {"next_after", more && last ? json(*last) : json(nullptr)}}));
    });
  }

  // The event stream: a page of events after `after`, held up to `wait` seconds for one to come.
  void Events(const HttpRequest& req, const Identity& who, const Responder& respond) {
    Result<std::multimap<std::string, std::string>> params = QueryParameters(req.query);
    if (!params.ok()) return respond(Fail(params.error()));
    std::int64_t after = 0, wait_ms = 0, limit = 1000;
    for (const auto& [name, value] : params.value()) {
      Result<std::int64_t> n =
          name == "after"   ? WholeNumber(name, value, 0, INT64_MAX)
          : name == "wait"  ? WholeNumber(name, value, 0, 30)
          : name == "limit" ? WholeNumber(name, value, 1, 1000)
                            : Result<std::int64_t>(Error{"unknown query parameter '" + name +
                                                         "'; expected after, wait or limit"});
      if (!n.ok()) return respond(Fail(n.error()));
      (name == "after"  ? after
       : name == "wait" ? wait_ms
                        : limit) = name == "wait" ? n.value() * 1000 : n.value();
    }
    auto visible = [who](const LiveEvent& e) {
      return who.role == Role::kAdmin || (e.job >= 0 && e.tenant == who.tenant);
    };
    plane_.Post([after, wait_ms, limit, visible, respond](ControlPlane& p) {
      p.WaitForEvents(
          static_cast<std::uint64_t>(after), wait_ms, static_cast<size_t>(limit), visible,
          [respond](ControlPlane::EventPage page) {
            json events = json::array();
            for (const LiveEvent& e : page.events) {
              json one = {{"seq", e.seq}, {"at", Timestamp(e.at)}, {"kind", e.kind}};
              if (e.job >= 0) {
                one["job"] = e.job;
                one["tenant"] = e.tenant;
              }
              if (!e.detail.empty()) one["detail"] = e.detail;
              events.push_back(std::move(one));
            }
            respond(Json(
                200, json{{"events", events}, {"next_after", page.next_after}, {"gap", page.gap}}));
          });
    });
  }

  // Every waiting and running job the caller may see, with its forecast start and end, soonest
  // first. A forecast is made again when the last one is older than five seconds.
  void ForecastJobs(const HttpRequest& req, const Identity& who, const Responder& respond) {
    Result<std::multimap<std::string, std::string>> params = QueryParameters(req.query);
    if (!params.ok()) return respond(Fail(params.error()));
    size_t limit = std::numeric_limits<size_t>::max();
    for (const auto& [name, value] : params.value()) {
      if (name != "limit") {
        return respond(Fail(400, "invalid_argument",
                            "unknown query parameter '" + name + "'; expected limit"));
      }
      Result<std::int64_t> n = WholeNumber(name, value, 1, 1'000'000'000);
      if (!n.ok()) return respond(Fail(n.error()));
      limit = static_cast<size_t>(n.value());
    }
    plane_.Post([who, limit, respond](ControlPlane& p) {
      p.WithForecast(5 * kSecond, [&p, who, limit, respond](const Result<Forecast>& f) {
        if (!f.ok()) return respond(Fail(Error{f.message(), ErrorCode::kInternal}));
        std::vector<std::tuple<SimTime, JobId, const JobForecast*>> rows;
        for (const auto& [id, jf] : f.value().jobs) {
          const LiveJob* j = p.Find(id);
          if (j == nullptr || !Visible(who, *j)) continue;
          rows.emplace_back(jf.start, id, &jf);
        }
        // The soonest `limit` only: a caller that wants a few (the dashboard) does not pay
        // for the serialization of every job of a large queue.
        const auto shown = rows.begin() + static_cast<std::ptrdiff_t>(std::min(limit, rows.size()));
        std::partial_sort(rows.begin(), shown, rows.end());
        rows.erase(shown, rows.end());
        json jobs = json::array();
        for (const auto& [start, id, jf] : rows) {
          const LiveJob* j = p.Find(id);
          jobs.push_back({{"id", id},
                          {"name", j->name},
                          {"tenant", j->tenant},
                          {"state", LiveStateName(j->state)},
                          {"gpus", j->request.gpus},
                          {"start", jf->start == kNever ? json(nullptr) : Timestamp(jf->start)},
                          {"end", jf->end == kNever ? json(nullptr) : Timestamp(jf->end)}});
        }
        respond(Json(200, json{{"made_at", Timestamp(f.value().now)},
                               {"passes", f.value().passes},
                               {"jobs", jobs}}));
      });
    });
  }

  // An answer kept until the next event (ControlPlane::last_event_seq): what the dashboards ask
  // every few seconds of a 100,000-node fleet is built once per change, not once per asker.
  // Used on the control plane's thread only.
  struct KeptAnswer {
    std::uint64_t seq = 0;
    std::optional<HttpResponse> answer;
  };
  template <typename Build>
  void AnswerKept(ControlPlane& p, KeptAnswer& kept, const Responder& respond, Build build) {
    if (!kept.answer || kept.seq != p.last_event_seq()) {
      kept.answer = build(p);
      kept.seq = p.last_event_seq();
    }
    respond(*kept.answer);
  }

  void ListSites(const Responder& respond) {
    plane_.Post([this, respond](ControlPlane& plane) {
      AnswerKept(plane, kept_sites_, respond, [](ControlPlane& p) { return SitesAnswer(p); });
    });
  }

  static HttpResponse SitesAnswer(ControlPlane& p) {
    {
      json sites = json::array();
      for (const SiteLoad& s : SiteLoads(p.fleet(), p.scheduler(), p.jobs())) {
        sites.push_back({{"name", s.name},
                         {"nodes", s.nodes},
                         {"nodes_up", s.nodes_up},
                         {"gpus", s.gpus},
                         {"gpus_up", s.gpus_up},
                         {"gpus_busy", s.gpus_busy},
                         {"gpus_free", static_cast<double>(s.gpus_up) - s.gpus_busy},
                         {"it_power_mw", s.it_power_w / 1e6},
                         {"power_budget_mw",
                          s.power_budget_w > 0 ? json(s.power_budget_w / 1e6) : json(nullptr)}});
      }
      return Json(200, json{{"sites", sites}});
    }
  }

  static json NodeJson(const ControlPlane& p, NodeId n, bool admin) {
    const Fleet& fleet = p.fleet();
    json node = {{"path", fleet.Path(fleet.NodeTopo(n))},
                 {"gpus", fleet.NodeGpus(n)},
                 {"gpu_model", fleet.gpu_models()[static_cast<size_t>(fleet.NodeModel(n))].name},
                 {"state", p.NodeStateName(n)}};
    if (const NodeDrain* d = p.DrainOf(n)) {
      node["drain"] = {{"reason", d->reason}, {"since", Timestamp(d->since)}};
    }
    if (admin) node["jobs"] = p.scheduler().JobsOn(n);
    return node;
  }

  // GET /v1/nodes?state=S: every node, or those in the states named (several times or
  // comma-separated) - the dashboard asks for the ones not up, which at 100,000 nodes is the
  // difference between a few rows and megabytes.
  void ListNodes(const HttpRequest& req, const Identity& who, const Responder& respond) {
    Result<std::multimap<std::string, std::string>> params = QueryParameters(req.query);
    if (!params.ok()) return respond(Fail(params.error()));
    static const std::set<std::string> kStates = {"up", "draining", "drained", "down", "absent"};
    std::set<std::string> states;
    for (const auto& [name, value] : params.value()) {
      if (name != "state") {
        return respond(Fail(400, "invalid_argument",
                            "unknown query parameter '" + name + "'; expected state"));
      }
      Result<std::set<std::string>> named =
          StatesListed(name, value, kStates, "up, draining, drained, down or absent");
      if (!named.ok()) return respond(Fail(named.error()));
      states.insert(named.value().begin(), named.value().end());
    }
    // Kept per role and filter: admins see job ids, tenants do not.
    const bool admin = who.role == Role::kAdmin;
    std::string key = admin ? "admin" : "other";
    for (const std::string& st : states) key += "," + st;
    plane_.Post([this, admin, key, states = std::move(states), respond](ControlPlane& plane) {
      AnswerKept(plane, kept_nodes_[key], respond, [&](ControlPlane& p) {
        json nodes = json::array();
        for (NodeId n = 0; n < p.fleet().num_nodes(); ++n) {
          if (!states.empty() && states.count(p.NodeStateName(n)) == 0) continue;
          nodes.push_back(NodeJson(p, n, admin));
        }
        return Json(200, json{{"nodes", nodes}});
      });
    });
  }

  // POST /v1/nodes/drain {"nodes": [PATH, ...], "reason": TEXT}; /undrain {"nodes": [...]}.
  void DrainNodes(const HttpRequest& req, bool drain, const Responder& respond) {
    Result<json> body =
        drain ? JsonObject(req.body, {"nodes", "reason"}) : JsonObject(req.body, {"nodes"});
    if (!body.ok()) return respond(Fail(body.error()));
    const json& list = body.value().contains("nodes") ? body.value()["nodes"] : json();
    if (!list.is_array() || list.empty() || list.size() > 100'000) {
      return respond(Fail(400, "invalid_argument",
                          "field 'nodes': expected an array of 1 to 100000 node paths"));
    }
    std::vector<std::string> paths;
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string()) {
        return respond(Fail(400, "invalid_argument",
                            "field 'nodes[" + std::to_string(i) + "]': expected a node path"));
      }
      paths.push_back(list[i].get<std::string>());
    }
    Result<std::string> reason = StringField(body.value(), "", "reason", false);
    if (!reason.ok()) return respond(Fail(reason.error()));
    plane_.Post([paths = std::move(paths), drain, reason = reason.value(),
                 respond](ControlPlane& p) mutable {
      p.SetDrain(std::move(paths), drain, std::move(reason),
                 [&p, respond](Result<std::vector<NodeId>> nodes) {
                   if (!nodes.ok()) return respond(Fail(nodes.error()));
                   json out = json::array();
                   for (NodeId n : nodes.value()) out.push_back(NodeJson(p, n, true));
                   respond(Json(200, json{{"nodes", out}}));
                 });
    });
  }

  // Every tenant (admin) or the caller's own; `only` names one (404 for one not visible).
  void ListTenants(const Identity& who, const std::string& only, const Responder& respond) {
    plane_.Post([who, only, respond](ControlPlane& p) {
      if (!only.empty() &&
          (p.TenantIndex(only) < 0 || (who.role != Role::kAdmin && who.tenant != only))) {
        return respond(Fail(404, "not_found", "no tenant '" + only + "'"));
      }
      const bool applies = p.scheduler().config().policy == "fairshare";
      json tenants = json::array();
      for (const Tenant& t : p.scheduler().tenants()) {
        if (!only.empty() ? t.name != only : who.role != Role::kAdmin && t.name != who.tenant)
          continue;
        const auto counts = p.tenant_counts().find(t.name);
        const ControlPlane::TenantCounts u =
            counts == p.tenant_counts().end() ? ControlPlane::TenantCounts{} : counts->second;
        auto in = [&u](LiveState s) { return u.jobs[static_cast<size_t>(s)]; };
        tenants.push_back(
            {{"name", t.name},
             {"weight", t.weight},
             {"quota_gpus", t.quota_gpus ? json(*t.quota_gpus) : json(nullptr)},
             {"share_applies", applies},
             {"jobs_pending", in(LiveState::kPending)},
             {"jobs_holding_gpus",
              in(LiveState::kStarting) + in(LiveState::kRunning) + in(LiveState::kStopping)},
             {"gpus_held", static_cast<double>(u.gpu_milli) / 1000.0}});
      }
      if (!only.empty()) return respond(Json(200, tenants.front()));
      respond(Json(200, json{{"tenants", tenants}}));
    });
  }

  // PUT /v1/tenants/{name} {"weight": W, "quota_gpus": N or null}: the tenant's fairshare share.
  void SetTenant(const HttpRequest& req, const std::string& name, const Responder& respond) {
    Result<json> body = JsonObject(req.body, {"weight", "quota_gpus"});
    if (!body.ok()) return respond(Fail(body.error()));
    const json& w = body.value().contains("weight") ? body.value()["weight"] : json(1.0);
    if (!w.is_number() || !(w.get<double>() > 0 && w.get<double>() <= 1e6)) {
      return respond(
          Fail(400, "invalid_argument", "field 'weight': expected a number above 0, at most 1e6"));
    }
    std::optional<std::int64_t> quota;
    if (body.value().contains("quota_gpus") && !body.value()["quota_gpus"].is_null()) {
      Result<std::int64_t> q = IntField(body.value(), "", "quota_gpus", true, 0, kMaxJobGpus);
      if (!q.ok()) return respond(Fail(q.error()));
      quota = q.value();
    }
    const Identity admin{"", Role::kAdmin, ""};
    plane_.Post([this, name, weight = w.get<double>(), quota, admin, respond](ControlPlane& p) {
      p.SetTenantShare(name, weight, quota, [this, name, admin, respond](Status s) {
        if (!s.ok()) return respond(Fail(Error{s.message(), s.code()}));
        ListTenants(admin, name, respond);
      });
    });
  }

  void Metrics(const Responder& respond) {
    plane_.Post([metrics = metrics_, respond](ControlPlane& p) {
      std::string out;
      out += "# HELP gpufleet_jobs Jobs the server knows, by tenant and state.\n";
      out += "# TYPE gpufleet_jobs gauge\n";
      for (const auto& [tenant, counts] : p.tenant_counts()) {
        for (int state = 0; state < kLiveStates; ++state) {
          const std::int64_t n = counts.jobs[static_cast<size_t>(state)];
          if (n == 0) continue;
          out += "gpufleet_jobs{tenant=\"" + tenant + "\",state=\"" +
                 LiveStateName(static_cast<LiveState>(state)) + "\"} " + std::to_string(n) + "\n";
        }
      }
      out += "# HELP gpufleet_tenant_gpus_busy GPUs held by the tenant's jobs (shares add up).\n";
      out += "# TYPE gpufleet_tenant_gpus_busy gauge\n";
      for (const auto& [tenant, counts] : p.tenant_counts()) {
        char held[32];
        std::snprintf(held, sizeof held, "%.3f", static_cast<double>(counts.gpu_milli) / 1000.0);
        out += "gpufleet_tenant_gpus_busy{tenant=\"" + tenant + "\"} " + held + "\n";
      }
      const Scheduler& s = p.scheduler();
      std::int64_t total_gpus = 0;
      std::map<std::string, std::int64_t> nodes_by_state = {
          {"up", 0}, {"draining", 0}, {"drained", 0}, {"down", 0}, {"absent", 0}};
      for (NodeId n = 0; n < p.fleet().num_nodes(); ++n) {
        total_gpus += p.fleet().NodeGpus(n);
        nodes_by_state[p.NodeStateName(n)] += 1;
      }
      out += "# HELP gpufleet_gpus GPUs of the fleet spec.\n# TYPE gpufleet_gpus gauge\n";
      out += "gpufleet_gpus " + std::to_string(total_gpus) + "\n";
      out += "# HELP gpufleet_gpus_busy GPUs held by jobs (shares add up).\n";
      out += "# TYPE gpufleet_gpus_busy gauge\n";
      char busy[32];
      std::snprintf(busy, sizeof busy, "%.3f", static_cast<double>(s.allocated_milli()) / 1000.0);
      out += std::string("gpufleet_gpus_busy ") + busy + "\n";
      out +=
          "# HELP gpufleet_nodes Nodes by state (absent: no agent registered; draining: drained, "
          "jobs still on it).\n";
      out += "# TYPE gpufleet_nodes gauge\n";
      for (const auto& [state, count] : nodes_by_state) {
        out += "gpufleet_nodes{state=\"" + state + "\"} " + std::to_string(count) + "\n";
      }
      out +=
          "# HELP gpufleet_site_it_power_watts IT power the site's nodes that are up draw now "
          "(the twin's power model).\n# TYPE gpufleet_site_it_power_watts gauge\n";
      std::string budgets =
          "# HELP gpufleet_site_power_budget_watts The site's IT power budget (0: none).\n"
          "# TYPE gpufleet_site_power_budget_watts gauge\n";
      for (const SiteLoad& site : SiteLoads(p.fleet(), s, p.jobs())) {
        char watts[64];
        std::snprintf(watts, sizeof watts, "%.0f", site.it_power_w);
        out += "gpufleet_site_it_power_watts{site=\"" + site.name + "\"} " + watts + "\n";
        std::snprintf(watts, sizeof watts, "%.0f", site.power_budget_w);
        budgets += "gpufleet_site_power_budget_watts{site=\"" + site.name + "\"} " + watts + "\n";
      }
      out += budgets;
      const ControlPlane::Counters& c = p.counters();
      auto counter = [&out](const char* name, const char* help, const std::string& value) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" +
               name + " " + value + "\n";
      };
      counter("gpufleet_submissions_total", "Jobs admitted (committed and queued).",
              std::to_string(c.submitted));
      counter("gpufleet_submissions_replayed_total",
              "Submissions answered with an earlier job of the same Idempotency-Key.",
              std::to_string(c.replayed));
      counter("gpufleet_scheduling_passes_total", "Scheduling passes run.",
              std::to_string(c.passes));
      counter("gpufleet_scheduling_pass_seconds_total", "Time spent in scheduling passes.",
              std::to_string(c.pass_seconds));
      counter("gpufleet_store_failures_total", "Writes the store failed.",
              std::to_string(c.store_failures));
      out +=
          "# HELP gpufleet_queue_wait_seconds Time from submission to first start.\n"
          "# TYPE gpufleet_queue_wait_seconds histogram\n";
      for (size_t i = 0; i < ControlPlane::Counters::kWaitBuckets.size(); ++i) {
        char le[32];
        std::snprintf(le, sizeof le, "%g", ControlPlane::Counters::kWaitBuckets[i]);
        out += std::string("gpufleet_queue_wait_seconds_bucket{le=\"") + le + "\"} " +
               std::to_string(c.wait_counts[i]) + "\n";
      }
      out += "gpufleet_queue_wait_seconds_bucket{le=\"+Inf\"} " + std::to_string(c.waits) + "\n";
      out += "gpufleet_queue_wait_seconds_sum " + std::to_string(c.wait_seconds) + "\n";
      out += "gpufleet_queue_wait_seconds_count " + std::to_string(c.waits) + "\n";
      metrics->Write(out);
      respond(HttpResponse{200, "text/plain; version=0.0.4", std::move(out), {}});
    });
  }

  ControlPlane& plane_;
  const TokenTable& tokens_;
  RateLimiter limiter_;
  const std::string dashboard_page_;
  const std::string dashboard_missing_;
  KeptAnswer kept_sites_;
  std::map<std::string, KeptAnswer> kept_nodes_;  // by role and states asked (64 at most)
  std::shared_ptr<ApiMetrics> metrics_ = std::make_shared<ApiMetrics>();
};

}  // namespace

HttpHandler MakeApi(ControlPlane& plane, const TokenTable& tokens, ApiOptions options) {
  auto api = std::make_shared<Api>(plane, tokens, options);
  return [api](HttpRequest req, Responder respond) {
    api->Handle(std::move(req), std::move(respond));
  };
}

}  // namespace gpufleet
