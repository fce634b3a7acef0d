#include "agent/agent.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "agent/backoff.h"

namespace gpufleet::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr seconds kMaxWait{20};
// Time for the exchange beyond the server's wait: the answer's trip and a slow server.
constexpr seconds kAnswerMargin{15};

struct StopOrder {
  std::int64_t id = 0;
  std::int64_t epoch = 0;
  milliseconds grace{0};
};

struct SyncAnswer {
  std::vector<JobLaunch> starts;
  std::vector<StopOrder> stops;
};

struct Registration {
  std::optional<seconds> heartbeat;
  std::vector<std::pair<std::int64_t, std::int64_t>> jobs;  // (id, epoch)
};

// nlohmann reports a wrong type by throwing; the answer is the server's, so its faults are values.
Result<SyncAnswer> ParseSyncAnswer(const std::string& body) {
  try {
    const json doc = json::parse(body);
    SyncAnswer answer;
    if (doc.contains("start")) {
      for (const json& s : doc.at("start")) {
        JobLaunch launch;
        launch.id = s.at("id").get<std::int64_t>();
        launch.epoch = s.at("epoch").get<std::int64_t>();
        launch.command = s.at("command").get<std::string>();
        if (s.contains("env")) {
          for (const auto& [name, value] : s.at("env").items())
            launch.env[name] = value.is_string() ? value.get<std::string>() : value.dump();
        }
        answer.starts.push_back(std::move(launch));
      }
    }
    if (doc.contains("stop")) {
      for (const json& s : doc.at("stop")) {
        StopOrder stop{s.at("id").get<std::int64_t>(), s.at("epoch").get<std::int64_t>(),
                       seconds(s.value("grace_s", 30))};
        answer.stops.push_back(stop);
      }
    }
    return answer;
  } catch (const json::exception& e) {
    return Error{std::string("sync answer: ") + e.what(), ErrorCode::kDataLoss};
  }
}

Result<Registration> ParseRegistration(const std::string& body) {
  try {
    const json doc = json::parse(body);
    Registration registration;
    if (doc.contains("heartbeat_s") && doc.at("heartbeat_s").is_number())
      registration.heartbeat = seconds(doc.at("heartbeat_s").get<std::int64_t>());
    if (doc.contains("jobs")) {
      for (const json& j : doc.at("jobs"))
        registration.jobs.emplace_back(j.at("id").get<std::int64_t>(),
                                       j.at("epoch").get<std::int64_t>());
    }
    return registration;
  } catch (const json::exception& e) {
    return Error{std::string("register answer: ") + e.what(), ErrorCode::kDataLoss};
  }
}

json ReportJson(const JobReport& report) {
  json j = {{"id", report.id}, {"epoch", report.epoch}};
  if (report.start_failed) {
    j["state"] = "start_failed";
    j["message"] = report.message;
    return j;
  }
  j["state"] = "exited";
  if (report.exit_code) j["exit_code"] = *report.exit_code;
  if (report.signal) j["signal"] = *report.signal;
  if (report.lost) j["lost"] = true;
  return j;
}

// The kind of a reply that is not a success, for the loop: 401/403 give up, 400 is a fault of
// this agent (logged, retried: a newer server may take it), other 4xx mean the server does not
// know the node (register again), 5xx is the server away.
Status StatusOfFailedSync(const client::HttpReply& reply) {
  Error error = client::ErrorFromReply(reply);
  const std::string prefix = "sync: HTTP " + std::to_string(reply.status) + ": ";
  if (reply.status == 401 || reply.status == 403)
    return Error{prefix + error.message, ErrorCode::kFailedPrecondition};
  if (reply.status == 400) return Error{prefix + error.message, ErrorCode::kInvalidArgument};
  if (reply.status >= 400 && reply.status < 500)
    return Error{prefix + error.message, ErrorCode::kNotFound};
  return Error{prefix + error.message, ErrorCode::kUnavailable};
}

}  // namespace

Agent::Agent(AgentOptions options, client::HttpClient& http, JobRunner& runner,
             const std::atomic<bool>& stop, Logger log)
    : options_(std::move(options)),
      http_(http),
      runner_(runner),
      stop_(stop),
      log_(std::move(log)) {
  if (options_.heartbeat.count() > 0) heartbeat_ = options_.heartbeat;
}

void Agent::Reap() {
  for (const JobExit& exit : runner_.Poll()) {
    log_("job " + std::to_string(exit.id) + " epoch " + std::to_string(exit.epoch) +
         " ended: " + DescribeExit(exit));
    reports_.push_back({exit.id, exit.epoch, false, exit.exit_code, exit.signal, false, ""});
  }
}

void Agent::Pause(milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (!stop_.load()) {
    Reap();
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) break;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, milliseconds(100)));
  }
}

Status Agent::Register() {
  json body = {{"node", options_.node}, {"gpus", options_.gpus}, {"gpu_model", options_.gpu_model}};
  if (!options_.address.empty()) body["address"] = options_.address;
  client::RequestOptions request;
  request.total_timeout = seconds(30);
  request.while_waiting = [this] {
    Reap();
    return !stop_.load();
  };
  Result<client::HttpReply> reply =
      http_.Request("POST", "/v1/agent/register", body.dump(), {}, request);
  if (!reply.ok()) return Error{"register: " + reply.message(), ErrorCode::kUnavailable};
  if (!client::IsSuccess(reply.value())) {
    const Error error = client::ErrorFromReply(reply.value());
    const int status = reply.value().status;
    const std::string message = "register: HTTP " + std::to_string(status) + ": " + error.message;
    // A restarting server (503) or a lost answer is worth a retry; a refusal (4xx) is not.
    if (status >= 500 || status == 408 || status == 429)
      return Error{message, ErrorCode::kUnavailable};
    return Error{message, ErrorCode::kFailedPrecondition};
  }
  Result<Registration> registration = ParseRegistration(reply.value().body);
  if (!registration.ok()) return Error{registration.message(), ErrorCode::kUnavailable};
  if (options_.heartbeat.count() == 0 && registration.value().heartbeat &&
      registration.value().heartbeat->count() > 0)
    heartbeat_ = *registration.value().heartbeat;

  // The server's view wins: what it does not list here must not run (it may run elsewhere now);
  // what it lists and does not run here is lost, unless its end is already waiting to be told.
  std::set<std::pair<std::int64_t, std::int64_t>> listed(registration.value().jobs.begin(),
                                                         registration.value().jobs.end());
  for (const RunningJob& job : runner_.Running()) {
    if (listed.count({job.id, job.epoch}) != 0) continue;
    log_("job " + std::to_string(job.id) + " epoch " + std::to_string(job.epoch) +
         ": not the server's, stopping it");
    runner_.Stop(job.id, job.epoch, options_.default_grace).IgnoreError();
  }
  const std::vector<RunningJob> running = runner_.Running();
  for (const auto& listed_job : listed) {
    // Plain variables: clang's C++20 lambdas cannot capture structured bindings.
    const std::int64_t id = listed_job.first;
    const std::int64_t epoch = listed_job.second;
    const bool runs = std::any_of(running.begin(), running.end(), [&](const RunningJob& j) {
      return j.id == id && j.epoch == epoch;
    });
    const bool reported = std::any_of(reports_.begin(), reports_.end(), [&](const JobReport& r) {
      return r.id == id && r.epoch == epoch;
    });
    if (runs || reported) continue;
    log_("job " + std::to_string(id) + " epoch " + std::to_string(epoch) +
         ": the server believes it runs here; reported lost");
    reports_.push_back({id, epoch, false, std::nullopt, std::nullopt, true, ""});
  }
  log_("registered " + options_.node + " (" + std::to_string(options_.gpus) + " x " +
       options_.gpu_model + "), " + std::to_string(listed.size()) + " job(s) listed by the server");
  return Status::Ok();
}

Status Agent::Sync(seconds wait) {
  Reap();
  json jobs = json::array();
  for (const RunningJob& job : runner_.Running())
    jobs.push_back({{"id", job.id}, {"epoch", job.epoch}, {"state", "running"}});
  const size_t carried = reports_.size();
  for (const JobReport& report : reports_) jobs.push_back(ReportJson(report));
  const json body = {{"node", options_.node}, {"jobs", jobs}, {"wait_s", wait.count()}};

  client::RequestOptions request;
  request.total_timeout = wait + kAnswerMargin;
  request.while_waiting = [this] {
    Reap();  // ends found here are carried by the next sync
    return !stop_.load();
  };
  Result<client::HttpReply> reply =
      http_.Request("POST", "/v1/agent/sync", body.dump(), {}, request);
  if (!reply.ok()) return Error{"sync: " + reply.message(), ErrorCode::kUnavailable};
  if (!client::IsSuccess(reply.value())) return StatusOfFailedSync(reply.value());

  // 200: the server has committed every end this sync carried.
  reports_.erase(reports_.begin(), reports_.begin() + static_cast<std::ptrdiff_t>(carried));
  Result<SyncAnswer> answer = ParseSyncAnswer(reply.value().body);
  if (!answer.ok()) return Error{answer.message(), ErrorCode::kUnavailable};
  for (const StopOrder& stop : answer.value().stops) {
    if (Status s = runner_.Stop(stop.id, stop.epoch, stop.grace); s.ok()) {
      log_("job " + std::to_string(stop.id) + " epoch " + std::to_string(stop.epoch) +
           ": stopping (grace " + std::to_string(stop.grace.count() / 1000) + " s)");
    }
    // Not running: it ended already (its end is reported) or never started here.
  }
  ApplyStarts(answer.value().starts);
  return Status::Ok();
}

void Agent::ApplyStarts(const std::vector<JobLaunch>& starts) {
  for (const JobLaunch& launch : starts) {
    const std::string job =
        "job " + std::to_string(launch.id) + " epoch " + std::to_string(launch.epoch);
    Status started = runner_.Start(launch);
    if (started.ok()) {
      log_(job + ": started in " + runner_.RunDir(launch.id, launch.epoch).string());
      continue;
    }
    // The same run again (an answer repeated): it runs, which the next sync says.
    const auto running = runner_.Running();
    if (std::any_of(running.begin(), running.end(), [&](const RunningJob& j) {
          return j.id == launch.id && j.epoch == launch.epoch;
        }))
      continue;
    log_(started.message());
    reports_.push_back(
        {launch.id, launch.epoch, true, std::nullopt, std::nullopt, false, started.message()});
  }
}

void Agent::Shutdown() {
  const auto running = runner_.Running();
  if (!running.empty()) {
    log_("stopping " + std::to_string(running.size()) + " job(s) before exiting");
    runner_.StopAll(options_.default_grace);
    const auto deadline = std::chrono::steady_clock::now() + options_.default_grace + seconds(5);
    while (!runner_.Running().empty() && std::chrono::steady_clock::now() < deadline) {
      Reap();
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  Reap();
  if (reports_.empty()) return;
  // One last sync, so that the server learns the ends now rather than at the heartbeat timeout.
  json jobs = json::array();
  for (const JobReport& report : reports_) jobs.push_back(ReportJson(report));
  client::RequestOptions request;
  request.total_timeout = seconds(10);
  Result<client::HttpReply> reply = http_.Request(
      "POST", "/v1/agent/sync", json{{"node", options_.node}, {"jobs", jobs}, {"wait_s", 0}}.dump(),
      {}, request);
  if (!reply.ok() || !client::IsSuccess(reply.value()))
    log_("could not report the jobs' ends before exiting: " +
         (reply.ok() ? client::ErrorFromReply(reply.value()).message : reply.message()));
}

Status Agent::Run() {
  std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int failures = 0;
  bool registered = false;
  std::string last_problem;
  while (!stop_.load()) {
    Status step = registered ? Sync(std::min(heartbeat_, kMaxWait)) : Register();
    if (step.ok()) {
      if (failures > 0) log_("server reached again");
      registered = true;
      failures = 0;
      last_problem.clear();
      continue;
    }
    if (stop_.load()) break;
    switch (step.code()) {
      case ErrorCode::kNotFound:
        log_(step.message() + "; registering again");
        registered = false;
        continue;
      case ErrorCode::kUnavailable:
      case ErrorCode::kResourceExhausted:  // the server's rate limit: later
      case ErrorCode::kInvalidArgument:
        break;
      default:
        Shutdown();
        return step;
    }
    // Say a problem once, not at every retry.
    if (step.message() != last_problem) log_(step.message() + "; retrying (jobs keep running)");
    last_problem = step.message();
    Pause(BackoffDelay(failures++, options_.backoff_initial, options_.backoff_cap, unit(random)));
  }
  Shutdown();
  return Status::Ok();
}

}  // namespace gpufleet::agent
