#include "agent/hollow.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>

#include "agent/backoff.h"
#include "client/http_client.h"

namespace gpufleet::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using RunIds = std::vector<std::pair<std::int64_t, std::int64_t>>;

// A sync with wait_s 0 is answered once the server has committed what it carried: a slow disk
// takes long, but far less than this.
constexpr std::chrono::seconds kRequestTimeout{20};

struct SyncOrders {
  std::vector<HollowStart> starts;
  RunIds stops;
};

struct RegisterAnswer {
  std::optional<milliseconds> heartbeat;
  RunIds jobs;
};

RunIds ParseRunIds(const json& list) {
  RunIds out;
  for (const json& j : list)
    out.emplace_back(j.at("id").get<std::int64_t>(), j.at("epoch").get<std::int64_t>());
  return out;
}

// nlohmann reports a wrong type by throwing; the answer is the server's, so its faults are values.
// A start's duration_s is in the server's time, which runs `time_scale` times faster than ours.
Result<SyncOrders> ParseOrders(const std::string& body, double time_scale) {
  try {
    const json doc = json::parse(body);
    SyncOrders orders;
    if (doc.contains("start")) {
      for (const json& s : doc.at("start")) {
        const double seconds = s.value("duration_s", 0.0);
        orders.starts.push_back(
            {s.at("id").get<std::int64_t>(), s.at("epoch").get<std::int64_t>(),
             milliseconds(std::llround(std::max(0.0, seconds) * 1000 / time_scale))});
      }
    }
    if (doc.contains("stop")) orders.stops = ParseRunIds(doc.at("stop"));
    return orders;
  } catch (const json::exception& e) {
    return Error{std::string("sync answer: ") + e.what(), ErrorCode::kUnavailable};
  }
}

Result<RegisterAnswer> ParseRegisterAnswer(const std::string& body) {
  try {
    const json doc = json::parse(body);
    RegisterAnswer answer;
    if (doc.contains("heartbeat_s") && doc.at("heartbeat_s").is_number()) {
      const double seconds = doc.at("heartbeat_s").get<double>();
      if (seconds > 0) answer.heartbeat = milliseconds(std::llround(seconds * 1000));
    }
    if (doc.contains("jobs")) answer.jobs = ParseRunIds(doc.at("jobs"));
    return answer;
  } catch (const json::exception& e) {
    return Error{std::string("register answer: ") + e.what(), ErrorCode::kUnavailable};
  }
}

json ReportsJson(const std::vector<HollowReport>& reports) {
  json jobs = json::array();
  for (const HollowReport& r : reports) {
    json j = {{"id", r.id}, {"epoch", r.epoch}, {"state", r.running ? "running" : "exited"}};
    if (r.exit_code) j["exit_code"] = *r.exit_code;
    if (r.signal) j["signal"] = *r.signal;
    if (r.lost) j["lost"] = true;
    jobs.push_back(std::move(j));
  }
  return jobs;
}

// What a failed request means for the loop: kFailedPrecondition (401, 403: the token; give up),
// kUnavailable (no answer, 5xx, 408, 429: back off, retry), kNotFound (another 4xx on a sync:
// the server does not know the node; register again), kInvalidArgument (400 on a sync, any other
// 4xx on a registration: this node's fault; counted, skipped).
Error Classify(const std::string& what, const Result<client::HttpReply>& reply, bool is_sync) {
  if (!reply.ok()) return Error{what + ": " + reply.message(), ErrorCode::kUnavailable};
  const int status = reply.value().status;
  Error error{what + ": HTTP " + std::to_string(status) + ": " +
                  client::ErrorFromReply(reply.value()).message,
              ErrorCode::kInvalidArgument};
  if (status == 401 || status == 403)
    error.code = ErrorCode::kFailedPrecondition;
  else if (status >= 500 || status == 408 || status == 429)
    error.code = ErrorCode::kUnavailable;
  else if (is_sync && status != 400)
    error.code = ErrorCode::kNotFound;
  return error;
}

}  // namespace

// One thread: a share of the nodes, one connection, round robin at the heartbeat's pace.
class HollowFleet::Worker {
 public:
  Worker(HollowFleet& fleet, std::size_t begin, std::size_t end, std::uint64_t seed)
      : fleet_(fleet),
        begin_(begin),
        end_(end),
        http_(fleet.server_, fleet.token_, fleet.options_.ca_file),
        random_(seed) {
    request_.total_timeout = kRequestTimeout;
    request_.while_waiting = [this] { return !fleet_.stop_.load(); };
  }

  void Run() {
    const std::size_t share = end_ - begin_;
    if (share == 0) return;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    // A random phase: the threads' cycles do not start in step.
    HollowTime cycle_start = Now() - Offset(unit(random_), Period());
    std::size_t k = 0;
    int failures = 0;
    while (!fleet_.stop_.load() && !fleet_.fatal_.load()) {
      const HollowTime due = cycle_start + Offset(static_cast<double>(k) / share, Period());
      if (!SleepUntil(due)) break;
      Status step = Step(fleet_.slots_[begin_ + k]);
      if (step.ok() && fleet_.slots_[begin_ + k].again) {
        // As a real agent, whose loop syncs again at once after an answer with news: the starts
        // it brought are reported running now, not a heartbeat later.
        fleet_.slots_[begin_ + k].again = false;
        continue;
      }
      if (step.ok() || step.code() == ErrorCode::kInvalidArgument) {
        if (!step.ok()) Problem(step.message());
        failures = 0;
        if (++k == share) {
          // The period now: the first registration may have changed it.
          const milliseconds period = Period();
          k = 0;
          cycle_start += period;
          // Far behind (the server or this machine is saturated): start the next cycle now
          // rather than sync every node at once to catch up.
          if (cycle_start + period < Now()) cycle_start = Now();
        }
        continue;
      }
      if (step.code() == ErrorCode::kNotFound) {
        fleet_.slots_[begin_ + k].registered = false;
        fleet_.registered_.fetch_sub(1);
        continue;  // the same node again: it registers
      }
      ++fleet_.errors_;
      Problem(step.message());
      if (step.code() == ErrorCode::kFailedPrecondition) {
        fleet_.fatal_ = true;
        fatal_ = step.message();
        return;
      }
      // The server is away: wait, then go on from this node as if its turn were now.
      const milliseconds delay = BackoffDelay(failures++, fleet_.options_.backoff_initial,
                                              fleet_.options_.backoff_cap, unit(random_));
      if (!SleepUntil(Now() + delay)) break;
      cycle_start = Now() - Offset(static_cast<double>(k) / share, Period());
    }
  }

  const std::string& fatal() const { return fatal_; }

 private:
  HollowTime Now() const { return fleet_.options_.clock(); }
  milliseconds Period() const { return milliseconds(fleet_.heartbeat_ms_.load()); }
  static std::chrono::microseconds Offset(double fraction, milliseconds period) {
    return std::chrono::microseconds(static_cast<std::int64_t>(fraction * period.count() * 1000));
  }

  // Sleeps in short steps, so that a stop is seen soon; false when stopped.
  bool SleepUntil(HollowTime due) {
    for (;;) {
      if (fleet_.stop_.load() || fleet_.fatal_.load()) return false;
      const auto left = due - Now();
      if (left <= HollowTime::duration::zero()) return true;
      std::this_thread::sleep_for(std::min<HollowTime::duration>(left, milliseconds(100)));
    }
  }

  // Say a problem once, not at every retry.
  void Problem(const std::string& message) {
    if (message == last_problem_) return;
    last_problem_ = message;
    fleet_.log_(message);
  }

  Status Step(Slot& slot) {
    if (slot.refused) return Status::Ok();
    return slot.registered ? Sync(slot) : Register(slot);
  }

  Status Register(Slot& slot) {
    const HollowNodeSpec& spec = fleet_.specs_[static_cast<std::size_t>(&slot - &fleet_.slots_[0])];
    const json body = {{"node", spec.path}, {"gpus", spec.gpus}, {"gpu_model", spec.gpu_model}};
    Result<client::HttpReply> reply =
        http_.Request("POST", "/v1/agent/register", body.dump(), {}, request_);
    if (!reply.ok() || !client::IsSuccess(reply.value())) {
      Error error = Classify("register " + spec.path, reply, false);
      if (error.code == ErrorCode::kInvalidArgument) {
        slot.refused = true;
        ++fleet_.errors_;
      }
      return error;
    }
    Result<RegisterAnswer> answer = ParseRegisterAnswer(reply.value().body);
    if (!answer.ok()) return answer.status();
    if (answer.value().heartbeat) fleet_.heartbeat_ms_ = answer.value().heartbeat->count();
    const int before = slot.node.running();
    slot.node.Registered(answer.value().jobs);
    fleet_.running_ += slot.node.running() - before;
    slot.registered = true;
    ++fleet_.registered_;
    return Status::Ok();
  }

  Status Sync(Slot& slot) {
    const HollowNodeSpec& spec = fleet_.specs_[static_cast<std::size_t>(&slot - &fleet_.slots_[0])];
    const int before = slot.node.running();
    const json body = {
        {"node", spec.path}, {"jobs", ReportsJson(slot.node.Reports(Now()))}, {"wait_s", 0}};
    Status status = Status::Ok();
    Result<client::HttpReply> reply =
        http_.Request("POST", "/v1/agent/sync", body.dump(), {}, request_);
    if (!reply.ok() || !client::IsSuccess(reply.value())) {
      Error error = Classify("sync " + spec.path, reply, true);
      if (error.code == ErrorCode::kInvalidArgument) ++fleet_.errors_;
      status = error;
    } else {
      ++fleet_.syncs_;
      Result<SyncOrders> orders = ParseOrders(reply.value().body, fleet_.options_.time_scale);
      if (orders.ok()) {
        slot.node.Acknowledge(orders.value().starts, orders.value().stops, Now());
        slot.again = !orders.value().starts.empty();
      }
      status = orders.status();
    }
    fleet_.running_ += slot.node.running() - before;
    fleet_.finished_ += slot.node.TakeFinished();
    return status;
  }

  HollowFleet& fleet_;
  std::size_t begin_, end_;
  client::HttpClient http_;
  client::RequestOptions request_;
  std::mt19937_64 random_;
  std::string last_problem_;
  std::string fatal_;
};

HollowFleet::HollowFleet(std::vector<HollowNodeSpec> nodes, HollowOptions options,
                         std::string server, std::string token, const std::atomic<bool>& stop,
                         Logger log)
    : specs_(std::move(nodes)),
      slots_(specs_.size()),
      options_(std::move(options)),
      server_(std::move(server)),
      token_(std::move(token)),
      stop_(stop),
      log_(std::move(log)),
      heartbeat_ms_(options_.heartbeat.count()) {
  if (!options_.clock) options_.clock = [] { return std::chrono::steady_clock::now(); };
  options_.threads = std::max(1, options_.threads);
}

HollowTotals HollowFleet::Totals() const {
  return {registered_.load(), syncs_.load(), running_.load(), finished_.load(), errors_.load()};
}

Status HollowFleet::Run() {
  // The log's lines come from several threads; one at a time.
  std::mutex log_mutex;
  Logger inner = std::move(log_);
  log_ = [&log_mutex, inner](const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mutex);
    inner(line);
  };
  const std::size_t threads = std::min<std::size_t>(static_cast<std::size_t>(options_.threads),
                                                    std::max<std::size_t>(1, specs_.size()));
  std::random_device seed;
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t t = 0; t < threads; ++t) {
    workers.push_back(std::make_unique<Worker>(*this, specs_.size() * t / threads,
                                               specs_.size() * (t + 1) / threads, seed()));
  }
  std::vector<std::thread> running;
  for (auto& w : workers) running.emplace_back([&w] { w->Run(); });

  const auto start = std::chrono::steady_clock::now();
  auto last_line = start;
  HollowTotals last = Totals();
  bool all_registered = false;
  while (!stop_.load() && !fatal_.load()) {
    std::this_thread::sleep_for(milliseconds(100));
    const auto now = std::chrono::steady_clock::now();
    const HollowTotals totals = Totals();
    if (!all_registered && totals.registered == static_cast<std::int64_t>(specs_.size())) {
      all_registered = true;
      log_("all " + std::to_string(specs_.size()) + " nodes registered after " +
           std::to_string(std::chrono::duration_cast<milliseconds>(now - start).count()) + " ms");
    }
    if (now - last_line < options_.log_every) continue;
    const double seconds = std::chrono::duration<double>(now - last_line).count();
    log_(std::to_string(totals.registered) + "/" + std::to_string(specs_.size()) +
         " nodes registered, " +
         std::to_string(std::llround(static_cast<double>(totals.syncs - last.syncs) / seconds)) +
         " syncs/s, " + std::to_string(totals.running) + " jobs running, " +
         std::to_string(totals.finished) + " finished, " + std::to_string(totals.errors) +
         " errors");
    last_line = now;
    last = totals;
  }
  for (std::thread& t : running) t.join();
  log_ = inner;
  for (const auto& w : workers) {
    if (!w->fatal().empty()) return Error{w->fatal(), ErrorCode::kFailedPrecondition};
  }
  return Status::Ok();
}

}  // namespace gpufleet::agent
