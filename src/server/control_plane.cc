#include "server/control_plane.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <utility>

#include "util/wall_time.h"

namespace gpufleet {

std::string WallTimeText(SimTime ms) { return UtcText(ms, UtcStyle::kReadable); }

SimTime SystemWallClock() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

WallClock ScaledWallClock(double scale, const WallClock& real) {
  const SimTime origin = real();
  const auto begin = std::chrono::steady_clock::now();
  return [origin, begin, scale] {
    const double elapsed_us =
        static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - begin)
                                .count());
    return origin + static_cast<SimTime>(elapsed_us * scale / 1000.0);
  };
}

Status ControlPlane::CheckFleet(const Fleet& fleet) {
  for (const Site& site : fleet.sites()) {
    if (!site.elastic) continue;
    // The twin rents elastic nodes by itself; the control plane's nodes are its agents'.
    return Error{"site '" + site.name +
                     "' is elastic: the control plane rents no nodes (elastic renting is the "
                     "twin's, gpufleet sim); remove its 'elastic:' to serve its nodes as they "
                     "register",
                 ErrorCode::kInvalidArgument};
  }
  return Status::Ok();
}

Result<std::unique_ptr<ControlPlane>> ControlPlane::Start(const Fleet& fleet,
                                                          std::vector<std::string> tenants,
                                                          const std::string& db_path,
                                                          ControlPlaneOptions options,
                                                          WallClock clock) {
  if (Status s = CheckFleet(fleet); !s.ok()) return Error{s.message(), s.code()};
  Result<SqliteDb> db = SqliteDb::Open(db_path);
  if (!db.ok()) return db.error();
  if (Status s = PrepareJobSchema(db.value()); !s.ok()) return Error{s.message(), s.code()};
  if (Status s = PrepareAdminSchema(db.value()); !s.ok()) return Error{s.message(), s.code()};
  Result<LoadedJobs> loaded = LoadJobs(db.value(), fleet, tenants);
  if (!loaded.ok()) return loaded.error();
  Result<std::vector<NodeDrain>> drains = LoadDrains(db.value());
  if (!drains.ok()) return drains.error();
  Result<std::vector<TenantShare>> shares = LoadTenantShares(db.value());
  if (!shares.ok()) return shares.error();

  std::vector<Tenant> scheduler_tenants;
  for (const std::string& t : tenants) scheduler_tenants.push_back(Tenant{t, 1, std::nullopt});
  if (scheduler_tenants.empty()) scheduler_tenants.push_back(Tenant{"default", 1, std::nullopt});
  // A share of a tenant the tokens file no longer names stays in the store, unused.
  for (const TenantShare& share : shares.value()) {
    for (Tenant& t : scheduler_tenants) {
      if (t.name == share.tenant) {
        t.weight = share.weight;
        t.quota_gpus = share.quota_gpus;
      }
    }
  }
  options.scheduler.nodes_present = false;  // a node is there once its agent registers
  options.scheduler.confirm_stops = true;   // GPUs are free once the agent says the job is gone
  // Wall-clock time, not hours from 1 January: lowest-carbon reads each site's mean intensity.
  options.scheduler.hourly_carbon = false;
  Result<Scheduler> scheduler = Scheduler::Create(fleet, options.scheduler, scheduler_tenants);
  if (!scheduler.ok()) return scheduler.error();

  auto committer = std::make_unique<GroupCommitter>(std::move(db).value());
  std::unique_ptr<ControlPlane> plane(new ControlPlane(
      fleet, std::move(tenants), std::move(scheduler).value(), std::move(committer),
      std::move(clock), std::move(options), std::move(scheduler_tenants)));
  // Drains first: no run is placed on a drained node, and its runs from before are adopted.
  // A drain of a node the fleet spec no longer has stays in the store, unused.
  for (NodeDrain& d : drains.value()) {
    const std::optional<NodeId> n = plane->NodeAt(d.node);
    if (!n || !plane->scheduler_.DrainNode(*n, plane->now_).ok()) continue;
    plane->drains_.emplace(*n, std::move(d));
  }
  plane->Recover(std::move(loaded.value().jobs), loaded.value().largest_id);
  plane->thread_ = std::thread([p = plane.get()] { p->Loop(); });
  return plane;
}

ControlPlane::ControlPlane(const Fleet& fleet, std::vector<std::string> tenants,
                           Scheduler scheduler, std::unique_ptr<GroupCommitter> committer,
                           WallClock clock, ControlPlaneOptions options,
                           std::vector<Tenant> scheduler_tenants)
    : fleet_(fleet),
      tenants_(std::move(tenants)),
      scheduler_(std::move(scheduler)),
      committer_(std::move(committer)),
      clock_(std::move(clock)),
      options_(std::move(options)),
      agents_(static_cast<size_t>(fleet.num_nodes())),
      scheduler_tenants_(std::move(scheduler_tenants)) {
  now_ = std::max<SimTime>(0, clock_());
  unreconciled_on_.resize(static_cast<size_t>(fleet.num_nodes()));
  // Events live in memory: a restarted server numbers its events above any it numbered before
  // (its start in milliseconds, times 2^10: above them while the run before made fewer than
  // 1,024 events a millisecond on average), so that a client's `after` never skips new ones.
  // Numbers stay below 2^53 (until the year 2248), where JSON readers that hold numbers as
  // doubles, as JavaScript does, still read them exactly.
  next_seq_ = (static_cast<std::uint64_t>(now_) << 10) + 1;
}

ControlPlane::~ControlPlane() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  if (forecast_thread_.joinable()) forecast_thread_.join();  // its answer is dropped
  // Commits what is queued; the answers' tasks are dropped (nothing runs them any more).
  committer_.reset();
}

void ControlPlane::Post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

std::int32_t ControlPlane::TenantIndex(const std::string& name) const {
  const auto it = std::find(tenants_.begin(), tenants_.end(), name);
  return it == tenants_.end() ? -1 : static_cast<std::int32_t>(it - tenants_.begin());
}

void ControlPlane::Recover(std::vector<LiveJob> jobs, JobId largest_id) {
  next_id_ = largest_id + 1;
  for (LiveJob& j : jobs) {
    j.epoch_base = j.epoch;
    if (!IsOver(j.state)) {
      const bool held = j.state != LiveState::kPending;
      // A job that held GPUs waits again, but not before its nodes' agents have heard that
      // nothing runs there any more (they stop it) or the heartbeat timeout has passed.
      if (j.stop_cause != LiveJob::StopCause::kNone) {
        // Cancelled, or a part of its gang failed, while it held GPUs: its agents are told
        // nothing runs there; it is over.
        End(j, j.stop_cause == LiveJob::StopCause::kPartFailed ? LiveState::kFailed
                                                               : LiveState::kCancelled);
      } else {
        SetState(j, LiveState::kPending);
        if (held) {
          unreconciled_.emplace(j.id,
                                Unreconciled{now_ + ClockSpan(options_.heartbeat_timeout), {}});
          for (NodeId n : j.nodes) {
            if (n >= 0 && static_cast<size_t>(n) < unreconciled_on_.size())
              unreconciled_on_[static_cast<size_t>(n)].push_back(j.id);
          }
        } else if (Status s = scheduler_.Submit(j.id, j.request, now_); !s.ok()) {
          SetState(j, LiveState::kFailed);
          j.message = s.message();
          j.ended_at = now_;
        }
      }
    }
    const JobId id = j.id;
    jobs_.emplace(id, std::move(j));
  }
  // The counts SetState keeps, from scratch (the rows came in with their states).
  by_tenant_.clear();
  for (std::set<JobId>& ids : active_) ids.clear();
  for (const auto& [id, j] : jobs_) Count(j, +1);
}

void ControlPlane::SetState(LiveJob& j, LiveState to) {
  if (j.state == to) return;
  Count(j, -1);
  j.state = to;
  Count(j, +1);
}

const std::set<JobId>& ControlPlane::JobsIn(LiveState s) const {
  return active_[static_cast<size_t>(s)];
}

void ControlPlane::Count(const LiveJob& j, int sign) {
  if (!IsOver(j.state)) {
    std::set<JobId>& ids = active_[static_cast<size_t>(j.state)];
    if (sign > 0) {
      ids.insert(j.id);
    } else {
      ids.erase(j.id);
    }
  }
  TenantCounts& c = by_tenant_[j.tenant];
  c.jobs[static_cast<size_t>(j.state)] += sign;
  if (j.state == LiveState::kStarting || j.state == LiveState::kRunning ||
      j.state == LiveState::kStopping)
    c.gpu_milli += sign * std::int64_t{j.request.gpus} * j.request.gpu_milli;
}

std::int64_t ControlPlane::PendingOf(const std::string& tenant) const {
  const auto it = by_tenant_.find(tenant);
  return it == by_tenant_.end() ? 0 : it->second.jobs[static_cast<size_t>(LiveState::kPending)];
}

void ControlPlane::Loop() {
  std::deque<Task> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      // A pass is due at the scheduler's wake-up (las promotions) at the latest.
      SimTime wakeup = std::min(scheduler_.NextWakeup(now_), NextAgentDeadline());
      if (changed_) wakeup = std::min(wakeup, last_pass_at_ + ClockSpan(options_.pass_interval));
      auto ready = [this] { return stopping_ || !tasks_.empty(); };
      if (wakeup == kNever) {
        wake_.wait(lock, ready);
      } else {
        // The clock's milliseconds are 1/time_scale of a real one (rounded up: never wake early).
        const double real_ms = std::ceil(static_cast<double>(wakeup - now_) / options_.time_scale);
        wake_.wait_for(
            lock, std::chrono::milliseconds(std::max<SimTime>(1, static_cast<SimTime>(real_ms))),
            ready);
      }
      if (tasks_.empty() && stopping_) return;
      batch.swap(tasks_);
    }
    now_ = std::max(now_, clock_());
    for (Task& t : batch) t(*this);
    batch.clear();
    CheckAgents();
    // A pass costs what the policy's pass costs (backfill's reservation walks the running jobs):
    // under a stream of requests, one every pass_interval at most, not one per batch of tasks.
    const bool due = changed_ || scheduler_.NextWakeup(now_) <= now_;
    if (due && now_ - last_pass_at_ >= ClockSpan(options_.pass_interval)) {
      Pass();
      last_pass_at_ = now_;
    }
  }
}

void ControlPlane::Pass() {
  changed_ = false;
  if (scheduler_.NextWakeup(now_) <= now_) scheduler_.Tick(now_).IgnoreError();
  const auto begin = std::chrono::steady_clock::now();
  decisions_.clear();
  if (Status s = scheduler_.Schedule(now_, decisions_); !s.ok()) return;
  counters_.passes += 1;
  counters_.pass_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  for (const Decision& d : decisions_) {
    auto it = jobs_.find(d.job);
    if (it == jobs_.end()) continue;
    LiveJob& j = it->second;
    j.epoch = j.epoch_base + d.epoch;
    if (d.kind == Decision::Kind::kStart) {
      SendStart(d, j);
    } else {
      SetState(j, LiveState::kStopping);
      Emit("preempted", &j, "");
      SendStops(j, -1);
      if (ReleaseIfGone(j)) Persist(j, [](Status) {});
    }
  }
}

Result<JobId> ControlPlane::Reserve(const LiveJob& job) {
  if (options_.max_pending_per_tenant > 0 &&
      PendingOf(job.tenant) >= options_.max_pending_per_tenant) {
    return Error{"tenant " + job.tenant + " has " + std::to_string(PendingOf(job.tenant)) +
                     " jobs waiting, the most the server takes (--max-pending-per-tenant)",
                 ErrorCode::kResourceExhausted};
  }
  const JobId id = next_id_;
  if (Status s = scheduler_.Check(id, job.request); !s.ok()) return Error{s.message(), s.code()};
  ++next_id_;
  return id;
}

void ControlPlane::Submit(LiveJob job, std::function<void(Result<Admitted>)> done) {
  auto existing = std::make_shared<JobId>(-1);
  LiveJob copy = job;
  ++writes_asked_;
  committer_->SubmitThen(
      InsertJob(std::move(copy), existing),
      [this, job = std::move(job), existing, done = std::move(done)](Status s) mutable {
        Post([job = std::move(job), existing, done = std::move(done),
              s = std::move(s)](ControlPlane& p) mutable {
          if (!s.ok()) {
            p.counters_.store_failures += 1;
            if (s.code() == ErrorCode::kUnavailable) p.store_ok_ = false;
            done(Error{s.message(), s.code()});
            return;
          }
          if (*existing >= 0) {
            p.counters_.replayed += 1;
            const LiveJob* earlier = p.Find(*existing);
            if (earlier != nullptr) {
              done(Admitted{*earlier, true});
              return;
            }
            // Committed in the same batch and not yet admitted here: the request as sent.
            job.id = *existing;
            done(Admitted{job, true});
            return;
          }
          p.counters_.submitted += 1;
          p.Count(job, +1);  // it joins (SetState counts its changes)
          if (Status st = p.scheduler_.Submit(job.id, job.request, p.now_); !st.ok()) {
            // Checked before it was stored, on the same fleet: only a bug gets here.
            p.SetState(job, LiveState::kFailed);
            job.message = st.message();
            job.ended_at = p.now_;
            p.Persist(job, [](Status) {});
          }
          p.changed_ = true;
          const JobId id = job.id;
          const LiveJob& stored = p.jobs_.emplace(id, std::move(job)).first->second;
          p.Emit("submitted", &stored, "");
          done(Admitted{stored, false});
        });
      });
}

void ControlPlane::Cancel(JobId id, std::function<void(Status, const LiveJob*)> done) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    done(Error{"job " + std::to_string(id) + " does not exist", ErrorCode::kNotFound}, nullptr);
    return;
  }
  LiveJob& j = it->second;
  if (IsOver(j.state)) {
    done(Error{"job " + std::to_string(id) + " is already " + LiveStateName(j.state),
               ErrorCode::kFailedPrecondition},
         nullptr);
    return;
  }
  if (auto u = unreconciled_.find(id); u != unreconciled_.end()) {
    ForgetUnreconciled(u);
    // A run from before a restart: whatever still runs it stops; its nodes are free to offer.
    j.stop_cause = LiveJob::StopCause::kCancelled;
    const std::vector<NodeId> nodes = j.nodes;
    SendStops(j, -1);
    End(j, LiveState::kCancelled);
    SettleNodes(nodes);
  } else {
    // Stopping already (preempted or interrupted: it would wait again), it now ends instead.
    if (Status s = scheduler_.Cancel(id, now_); !s.ok()) {
      done(s, nullptr);
      return;
    }
    counters_.cancelled += 1;
    changed_ = true;
    // A gang whose part failed ends failed, cancelled or not.
    if (j.stop_cause == LiveJob::StopCause::kNone) j.stop_cause = LiveJob::StopCause::kCancelled;
    if (!scheduler_.Find(id)) {
      End(j, LiveState::kCancelled);
    } else if (j.state != LiveState::kStopping) {
      SetState(j, LiveState::kStopping);  // holds GPUs until its agents report it gone
      SendStops(j, -1);
      ReleaseIfGone(j);  // its start never reached any node
    }
  }
  Persist(j,
          [this, id, done = std::move(done)](Status s) { done(s, s.ok() ? Find(id) : nullptr); });
}

void ControlPlane::End(LiveJob& job, LiveState to) {
  SetState(job, to);
  job.ended_at = now_;
  Emit("ended", &job, LiveStateName(to));
}

void ControlPlane::Persist(const LiveJob& job, std::function<void(Status)> done) {
  Commit(UpdateJob(job), std::move(done));
}

void ControlPlane::Commit(GroupCommitter::Write write, std::function<void(Status)> done) {
  ++writes_asked_;
  committer_->SubmitThen(std::move(write), [this, done = std::move(done)](Status s) mutable {
    Post([done = std::move(done), s = std::move(s)](ControlPlane& p) mutable {
      if (!s.ok()) {
        p.counters_.store_failures += 1;
        if (s.code() == ErrorCode::kUnavailable) p.store_ok_ = false;
      }
      done(std::move(s));
    });
  });
}

void ControlPlane::Emit(const char* kind, const LiveJob* job, std::string detail) {
  constexpr size_t kKept = 100'000;
  LiveEvent e{next_seq_++,      now_, kind, job ? job->id : -1, job ? job->tenant : "",
              std::move(detail)};
  events_.push_back(std::move(e));
  if (events_.size() > kKept) events_.pop_front();
  if (event_waiters_.empty()) return;
  const LiveEvent& last = events_.back();
  AnswerEventWaiters([&last](const EventWaiter& w) { return w.visible(last); });
}

void ControlPlane::AnswerEventWaiters(const std::function<bool(const EventWaiter&)>& ready) {
  for (auto it = event_waiters_.begin(); it != event_waiters_.end();) {
    if (ready(*it)) {
      auto done = std::move(it->done);
      EventPage page = PageAfter(it->after, it->limit, it->visible);
      it = event_waiters_.erase(it);
      done(std::move(page));
    } else {
      ++it;
    }
  }
}

ControlPlane::EventPage ControlPlane::PageAfter(
    std::uint64_t after, size_t limit, const std::function<bool(const LiveEvent&)>& visible) const {
  EventPage page;
  page.next_after = std::max(after, next_seq_ - 1);
  auto it = std::upper_bound(events_.begin(), events_.end(), after,
                             [](std::uint64_t a, const LiveEvent& e) { return a < e.seq; });
  page.gap =
      it == events_.begin() && !events_.empty() && events_.front().seq > after + 1 && after != 0;
  for (; it != events_.end(); ++it) {
    if (!visible(*it)) continue;
    if (page.events.size() == limit) {
      page.next_after = page.events.back().seq;
      return page;
    }
    page.events.push_back(*it);
  }
  return page;
}

void ControlPlane::WaitForEvents(std::uint64_t after, SimTime wait, size_t limit,
                                 std::function<bool(const LiveEvent&)> visible,
                                 std::function<void(EventPage)> done) {
  if (after >= next_seq_) {
    // A number this server never gave (one of a server before that numbered otherwise): the
    // events from the oldest kept, as a gap, so that the client carries on with a valid one.
    EventPage page = PageAfter(0, limit, visible);
    page.gap = true;
    done(std::move(page));
    return;
  }
  EventPage page = PageAfter(after, limit, visible);
  if (!page.events.empty() || wait <= 0) {
    done(std::move(page));
    return;
  }
  event_waiters_.push_back(
      EventWaiter{after, limit, std::move(visible), std::move(done), now_ + ClockSpan(wait)});
}

void ControlPlane::WithForecast(SimTime max_age,
                                std::function<void(const Result<Forecast>&)> done) {
  if (forecast_ && forecast_->ok() && now_ - forecast_->value().now <= ClockSpan(max_age)) {
    done(*forecast_);
    return;
  }
  forecast_waiters_.push_back(std::move(done));
  if (forecasting_) return;
  forecasting_ = true;
  ForecastInput input;
  input.fleet = &fleet_;
  input.config = scheduler_.config();
  input.tenants = scheduler_tenants_;
  input.snapshot = scheduler_.Snapshot();
  input.now = now_;
  for (const auto& [id, j] : jobs_) {
    if (!IsOver(j.state)) input.estimates.emplace(id, j.request.estimate);
  }
  if (forecast_thread_.joinable()) forecast_thread_.join();  // the last one, long done
  forecast_thread_ = std::thread([this, input = std::move(input)] {
    auto result = std::make_shared<const Result<Forecast>>(RunForecast(input));
    Post([result](ControlPlane& p) {
      p.forecast_ = result;
      p.forecasting_ = false;
      auto waiters = std::move(p.forecast_waiters_);
      p.forecast_waiters_.clear();
      for (auto& w : waiters) w(*result);
    });
  });
}

const LiveJob* ControlPlane::Find(JobId id) const {
  const auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

ControlPlane::Why ControlPlane::WhyPending(JobId id) const {
  if (unreconciled_.count(id) != 0) {
    return Why{"reconciling",
               "it ran when the server restarted: it waits until the agents of its nodes have "
               "registered again (and stopped that run), or the heartbeat timeout has passed"};
  }
  std::optional<PendingReason> r = scheduler_.WhyPending(id);
  if (!r) return {};
  return Why{WaitReasonName(r->code), DescribeReason(*r, fleet_, WallTimeText)};
}

// --- agents ---

std::optional<NodeId> ControlPlane::NodeAt(const std::string& path) const {
  std::optional<TopoId> t = fleet_.FindPath(path);
  if (!t) return std::nullopt;
  // A path may name a group that holds one node (an NVLink domain of one node; the node's own
  // name is then implicit): that node.
  const auto [first, end] = fleet_.NodeRange(*t);
  if (end - first != 1) return std::nullopt;
  return first;
}

Result<std::vector<std::pair<JobId, Epoch>>> ControlPlane::RegisterAgent(
    const std::string& path, int gpus, const std::string& gpu_model, const std::string& address) {
  std::optional<NodeId> n = NodeAt(path);
  if (!n) {
    return Error{"field 'node': '" + path +
                 "' is not a node of the fleet (gpufleet fleet show --nodes lists them)"};
  }
  const std::string& model = fleet_.gpu_models()[static_cast<size_t>(fleet_.NodeModel(*n))].name;
  if (gpus != fleet_.NodeGpus(*n)) {
    return Error{"field 'gpus': node " + path + " has " + std::to_string(fleet_.NodeGpus(*n)) +
                 " GPUs in the fleet spec; the agent reports " + std::to_string(gpus)};
  }
  if (!gpu_model.empty() && fleet_.FindModel(gpu_model) != fleet_.NodeModel(*n)) {
    return Error{"field 'gpu_model': node " + path + " has " + model +
                 " GPUs in the fleet spec; the agent reports '" + gpu_model + "'"};
  }
  // A node where a run from before a restart may still go on is not offered to the scheduler
  // until that run is settled (adopted, ended or requeued): nothing is placed on its GPUs.
  if (!HoldsUnreconciled(*n)) {
    if (Status s = BringUp(*n); !s.ok()) return Error{s.message(), s.code()};
  }
  AgentLink& link = agents_[static_cast<size_t>(*n)];
  if (!link.registered) {
    ++registered_agents_;
    Emit("node_up", nullptr, path);
  }
  link.registered = true;
  link.last_seen = now_;
  link.address = address;
  changed_ = true;
  std::vector<std::pair<JobId, Epoch>> runs;
  for (JobId id : scheduler_.JobsOn(*n)) {
    const LiveJob* j = Find(id);
    if (j != nullptr) runs.emplace_back(id, j->epoch);
  }
  // Runs from before a restart that involve this node: listed, so that the agent keeps them; its
  // next sync says whether it runs them (then they are adopted once every node of the run has
  // said so) or not (then they wait again).
  for (JobId id : unreconciled_on_[static_cast<size_t>(*n)])
    runs.emplace_back(id, jobs_.at(id).epoch);
  return runs;
}

bool ControlPlane::HoldsUnreconciled(NodeId n) const {
  return !unreconciled_on_[static_cast<size_t>(n)].empty();
}

std::map<JobId, ControlPlane::Unreconciled>::iterator ControlPlane::ForgetUnreconciled(
    std::map<JobId, Unreconciled>::iterator u) {
  for (NodeId n : jobs_.at(u->first).nodes) {
    if (n < 0 || static_cast<size_t>(n) >= unreconciled_on_.size()) continue;
    std::vector<JobId>& on = unreconciled_on_[static_cast<size_t>(n)];
    on.erase(std::remove(on.begin(), on.end(), u->first), on.end());
  }
  return unreconciled_.erase(u);
}

Status ControlPlane::BringUp(NodeId n) {
  changed_ = true;
  switch (scheduler_.StateOf(n)) {
    case NodeState::kAbsent:
      return scheduler_.RegisterNode(n, now_);
    case NodeState::kDown:
      return scheduler_.RepairNode(n, now_);
    case NodeState::kUp:
      return Status::Ok();
  }
  return Status::Ok();
}

void ControlPlane::SettleNodes(const std::vector<NodeId>& nodes) {
  for (NodeId n : nodes) {
    UpdatePlacementHold(n);
    if (agents_[static_cast<size_t>(n)].registered && !HoldsUnreconciled(n))
      BringUp(n).IgnoreError();
  }
}

void ControlPlane::UpdatePlacementHold(NodeId n) {
  // The scheduler's drain flag is what keeps a node out of placement while its jobs keep their
  // GPUs: an operator's drain, or a run from before a restart that the node still holds but the
  // scheduler does not know of yet (a node that is up because another run on it was adopted).
  const bool out = drains_.count(n) != 0 || HoldsUnreconciled(n);
  if (scheduler_.Draining(n) == out) return;
  (out ? scheduler_.DrainNode(n, now_) : scheduler_.UndrainNode(n, now_)).IgnoreError();
  changed_ = true;
}

void ControlPlane::GiveUpRun(LiveJob& j, const std::string& why) {
  const std::vector<NodeId> nodes = j.nodes;
  SendStops(j, -1);  // whatever still runs it stops
  j.message = why;
  Emit("interrupted", &j, why);
  Requeue(j);
  SettleNodes(nodes);
}

void ControlPlane::Reconcile(NodeId node, const JobReport& r,
                             std::map<JobId, Unreconciled>::iterator u) {
  LiveJob& j = jobs_.at(r.id);
  if (r.epoch != j.epoch) {
    // An older run than the one the store knows: it must not go on.
    if (r.kind == JobReport::Kind::kRunning)
      QueueStop(node, StopOrder{r.id, r.epoch, options_.grace});
    return;
  }
  if (r.kind == JobReport::Kind::kExited && r.message.empty()) {
    // It ended while the server was away: its end is recorded, it does not run again.
    const std::vector<NodeId> nodes = j.nodes;
    ForgetUnreconciled(u);
    SendStops(j, node);
    j.exit_code = r.exit_code;
    if (r.signal) j.message = "ended by signal " + std::to_string(*r.signal);
    End(j, r.exit_code && *r.exit_code == 0 ? LiveState::kCompleted : LiveState::kFailed);
    Persist(j, [](Status) {});
    SettleNodes(nodes);
    return;
  }
  if (r.kind != JobReport::Kind::kRunning) {
    // Lost (the agent does not run it) or failed to start: it runs again from the queue.
    ForgetUnreconciled(u);
    GiveUpRun(j, "its run was lost while the server restarted: " + r.message);
    return;
  }
  u->second.confirmed.insert(node);
  if (u->second.confirmed.size() < j.nodes.size()) return;
  // Every node of the run says it runs: the scheduler takes it back where it is.
  ForgetUnreconciled(u);
  Allocation a;
  a.model = fleet_.NodeModel(j.nodes.front());
  a.milli = j.request.gpu_milli;
  a.cpu_per_gpu = (j.request.cpu_milli + j.request.gpus - 1) / j.request.gpus;
  a.memory_per_gpu = (j.request.memory_mib + j.request.gpus - 1) / j.request.gpus;
  for (size_t i = 0; i < j.nodes.size(); ++i) {
    a.nodes.push_back({j.nodes[i], i < j.gpu_masks.size() ? j.gpu_masks[i] : 0});
    // Up, so that the run can be adopted there; but a node that another unconfirmed run still
    // holds is kept out of placement until that run is settled (SettleNodes, or its adoption).
    UpdatePlacementHold(j.nodes[i]);
    BringUp(j.nodes[i]).IgnoreError();
  }
  const SimTime attained =
      j.started_at >= 0 ? std::clamp<SimTime>(now_ - j.started_at, 0, kLatestTime) : 0;
  if (Status s = scheduler_.Adopt(j.id, j.request, a, attained, now_); !s.ok()) {
    GiveUpRun(j, s.message());
    return;
  }
  j.epoch_base = j.epoch - 1;  // the scheduler counts this run as its first
  SetState(j, LiveState::kRunning);
  changed_ = true;
  Emit("adopted", &j, "");
  Persist(j, [](Status) {});
}

void ControlPlane::Requeue(LiveJob& j) {
  j.ClearPlacement();
  SetState(j, LiveState::kPending);
  if (Status s = scheduler_.Submit(j.id, j.request, now_); !s.ok()) {
    SetState(j, LiveState::kFailed);
    j.message = s.message();
    j.ended_at = now_;
  }
  changed_ = true;
  Persist(j, [](Status) {});
}

void ControlPlane::Sync(const std::string& path, std::vector<JobReport> reports, SimTime wait,
                        std::function<void(Result<NodeOrders>)> done) {
  std::optional<NodeId> n = NodeAt(path);
  if (!n || !agents_[static_cast<size_t>(*n)].registered) {
    done(Error{"node " + path + " is not registered: register again", ErrorCode::kNotFound});
    return;
  }
  AgentLink& link = agents_[static_cast<size_t>(*n)];
  link.last_seen = now_;
  const std::int64_t writes_before = writes_asked_;
  for (const JobReport& r : reports) Apply(*n, r);
  const NodeId node = *n;
  if (writes_asked_ == writes_before) {
    // Nothing to make durable first (a heartbeat, or reports that changed nothing): the orders
    // waiting for the node were committed before they were queued. Most syncs are these; a trip
    // through the store's writer thread for each cost about a tenth of the server's CPU with
    // 100,000 nodes heartbeating (docs/PERFORMANCE.md, "Placement, target met").
    if (!store_ok_) {
      done(Error{"the store failed a commit; restart the server", ErrorCode::kUnavailable});
      return;
    }
    AwaitOrders(node, wait, std::move(done));
    return;
  }
  // After everything this sync changed is committed (writes commit in order): the exits it
  // reported are durable when it is answered, and the agent may forget them.
  ++writes_asked_;
  committer_->SubmitThen(
      [](SqliteDb&) { return Status::Ok(); },
      [this, node, wait, done = std::move(done)](Status s) mutable {
        Post([node, wait, done = std::move(done), s = std::move(s)](ControlPlane& p) mutable {
          if (!s.ok()) {
            done(Error{s.message(), s.code()});
            return;
          }
          p.AwaitOrders(node, wait, std::move(done));
        });
      });
}

void ControlPlane::AwaitOrders(NodeId node, SimTime wait,
                               std::function<void(Result<NodeOrders>)> done) {
  AgentLink& l = agents_[static_cast<size_t>(node)];
  if (l.waiting) {
    // An earlier sync of the same agent still waits (it gave up on it): answer it empty.
    auto earlier = std::move(l.waiting);
    l.waiting = nullptr;
    earlier(NodeOrders{});
  }
  l.waiting = std::move(done);
  l.wait_until = now_ + ClockSpan(wait);
  if (wait <= 0 || !l.orders.start.empty() || !l.orders.stop.empty()) Deliver(node);
}

void ControlPlane::Apply(NodeId node, const JobReport& r) {
  if (auto u = unreconciled_.find(r.id); u != unreconciled_.end()) {
    Reconcile(node, r, u);
    return;
  }
  auto it = jobs_.find(r.id);
  const bool current = it != jobs_.end() && !IsOver(it->second.state) &&
                       it->second.epoch == r.epoch && it->second.state != LiveState::kPending;
  if (!current) {
    // A run the server does not know (any more): the agent must not keep it.
    if (r.kind == JobReport::Kind::kRunning)
      QueueStop(node, StopOrder{r.id, r.epoch, options_.grace});
    return;
  }
  LiveJob& j = it->second;
  const Epoch se = r.epoch - j.epoch_base;
  // A run starts when its agent says it runs (as the scheduler's run_start).
  auto confirm = [&] {
    if (j.state == LiveState::kStarting && scheduler_.ConfirmStart(j.id, se, now_).ok()) {
      SetState(j, LiveState::kRunning);
      j.started_at = now_;
    }
  };
  switch (r.kind) {
    case JobReport::Kind::kRunning:
      if (j.state != LiveState::kStarting) return;
      confirm();
      break;
    case JobReport::Kind::kStartFailed: {
      const std::string why =
          "the start on " + fleet_.Path(fleet_.NodeTopo(node)) + " failed: " + r.message;
      if (j.state == LiveState::kStopping) {  // stopped before its start came: never ran there
        PartGone(j, node);
        if (!ReleaseIfGone(j)) return;
        break;
      }
      if (j.nodes.size() > 1 &&
          (j.state == LiveState::kStarting || j.state == LiveState::kRunning)) {
        // The gang's other parts may run already: they stop, and their GPUs stay held until
        // they are gone; then it waits again.
        if (!scheduler_.Interrupt(j.id, se, now_).ok()) return;
        SetState(j, LiveState::kStopping);
        j.message = why;
        Emit("interrupted", &j, why);
        PartGone(j, node);
        SendStops(j, node);
        ReleaseIfGone(j);
        break;
      }
      if (j.state != LiveState::kStarting || !scheduler_.StartFailed(j.id, se, now_).ok()) return;
      SetState(j, LiveState::kPending);
      j.message = why;
      Emit("interrupted", &j, why);
      j.ClearPlacement();
      break;
    }
    case JobReport::Kind::kExited: {
      // A gang's run is over when every node's part has exited, or as soon as one fails.
      PartGone(j, node);
      if (j.state == LiveState::kStopping) {
        // Its other parts still stop (their GPUs still held), or it lets go now.
        if (!ReleaseIfGone(j)) return;
        break;
      }
      const bool all_exited = j.exited_nodes.size() >= j.nodes.size();
      const bool succeeded = r.exit_code && *r.exit_code == 0;
      confirm();
      if (succeeded && !all_exited) return;  // its other nodes' parts still run
      if (!all_exited) {
        // A failed part ends the whole gang, failed - once every other part has let go of its
        // GPUs, so that no job is placed on GPUs a part still holds during its grace.
        if (!scheduler_.Cancel(j.id, now_).ok()) return;
        j.stop_cause = LiveJob::StopCause::kPartFailed;
        j.exit_code = r.exit_code;
        j.message = "the part on " + fleet_.Path(fleet_.NodeTopo(node)) + " failed" +
                    (r.signal ? " (signal " + std::to_string(*r.signal) + ")" : "") +
                    (r.message.empty() ? "" : ": " + r.message);
        SetState(j, LiveState::kStopping);
        SendStops(j, node);
        ReleaseIfGone(j);
        break;
      }
      if (!scheduler_.Finish(j.id, se, now_).ok()) return;
      j.exit_code = r.exit_code;
      const bool ok = succeeded;
      if (r.signal) j.message = "ended by signal " + std::to_string(*r.signal);
      if (!r.message.empty()) j.message = r.message;
      End(j, ok ? LiveState::kCompleted : LiveState::kFailed);
      break;
    }
  }
  changed_ = true;
  Persist(j, [](Status) {});
}

void ControlPlane::SendStart(const Decision& d, LiveJob& j) {
  if (j.epoch == 1) {  // its first start: the wait a user feels
    const double wait = static_cast<double>(now_ - j.submitted_at) / 1000.0;
    counters_.waits += 1;
    counters_.wait_seconds += wait;
    for (size_t i = 0; i < Counters::kWaitBuckets.size(); ++i) {
      if (wait <= Counters::kWaitBuckets[i]) counters_.wait_counts[i] += 1;
    }
  }
  SetState(j, LiveState::kStarting);
  j.started_at = now_;
  j.ClearPlacement();
  std::string where;
  for (const auto& ng : d.allocation.nodes) {
    j.nodes.push_back(ng.node);
    j.gpu_masks.push_back(ng.mask);
    if (where.size() < 1000)
      where += (where.empty() ? "" : ",") + fleet_.Path(fleet_.NodeTopo(ng.node));
  }
  Emit("started", &j, where);
  std::vector<StartOrder> orders;
  const std::string master = agents_[static_cast<size_t>(j.nodes.front())].address;
  const int nodes = static_cast<int>(d.allocation.nodes.size());
  for (int rank = 0; rank < nodes; ++rank) {
    const NodeGpus& ng = d.allocation.nodes[static_cast<size_t>(rank)];
    StartOrder o{j.id, j.epoch, j.command, {}, {}, options_.grace, j.duration};
    std::string visible;
    for (int g = 0; g < 64; ++g) {
      if ((ng.mask >> g) & 1U) {
        o.gpus.push_back(g);
        visible += (visible.empty() ? "" : ",") + std::to_string(g);
      }
    }
    o.env = {{"GPUFLEET_JOB_ID", std::to_string(j.id)},
             {"GPUFLEET_EPOCH", std::to_string(j.epoch)},
             {"CUDA_VISIBLE_DEVICES", visible},
             {"GPUFLEET_NODE_RANK", std::to_string(rank)},
             {"GPUFLEET_NNODES", std::to_string(nodes)},
             {"MASTER_ADDR", master},
             // One port per job, so that jobs whose rank 0 shares a node do not collide.
             {"MASTER_PORT", std::to_string(20000 + j.id % 30000)},
             {"WORLD_SIZE", std::to_string(d.allocation.Gpus())}};
    orders.push_back(std::move(o));
  }
  // The agents hear of the run only once it is committed: a server that crashes before that
  // has no run an agent could be running.
  Persist(j, [this, id = j.id, epoch = j.epoch, orders = std::move(orders)](Status s) mutable {
    const auto it = jobs_.find(id);
    if (!s.ok() || it == jobs_.end() || it->second.epoch != epoch) return;
    LiveJob* now = &it->second;
    if (now->state == LiveState::kStopping) {
      // Stopped before its start was committed: no node heard of the run (the stops queued for
      // it are taken back too); its GPUs go.
      for (NodeId n : now->nodes) {
        std::vector<StopOrder>& stops = agents_[static_cast<size_t>(n)].orders.stop;
        stops.erase(std::remove_if(
                        stops.begin(), stops.end(),
                        [id, epoch](const StopOrder& o) { return o.id == id && o.epoch == epoch; }),
                    stops.end());
        PartGone(*now, n);
      }
      if (ReleaseIfGone(*now)) Persist(*now, [](Status) {});
      return;
    }
    if (now->state != LiveState::kStarting) return;
    for (size_t i = 0; i < orders.size(); ++i) {
      const NodeId n = now->nodes[i];
      agents_[static_cast<size_t>(n)].orders.start.push_back(std::move(orders[i]));
      Deliver(n);
    }
  });
}

void ControlPlane::SendStops(LiveJob& j, NodeId except) {
  for (NodeId n : j.nodes) {
    if (n == except) continue;
    std::vector<StartOrder>& starts = agents_[static_cast<size_t>(n)].orders.start;
    const auto queued = std::find_if(starts.begin(), starts.end(), [&j](const StartOrder& o) {
      return o.id == j.id && o.epoch == j.epoch;
    });
    if (queued != starts.end()) {  // the node never heard of the run
      starts.erase(queued);
      PartGone(j, n);
      continue;
    }
    QueueStop(n, StopOrder{j.id, j.epoch, options_.grace});
    Deliver(n);
  }
}

void ControlPlane::PartGone(LiveJob& j, NodeId node) {
  if (std::find(j.exited_nodes.begin(), j.exited_nodes.end(), node) == j.exited_nodes.end())
    j.exited_nodes.push_back(node);
}

bool ControlPlane::ReleaseIfGone(LiveJob& j) {
  if (j.state != LiveState::kStopping || j.exited_nodes.size() < j.nodes.size()) return false;
  if (!scheduler_.Released(j.id, j.epoch - j.epoch_base, now_).ok()) return false;
  changed_ = true;
  if (scheduler_.Find(j.id)) {
    SetState(j, LiveState::kPending);  // preempted or interrupted: it waits again
    j.ClearPlacement();
    Emit("requeued", &j, "");
  } else {
    End(j, j.stop_cause == LiveJob::StopCause::kPartFailed ? LiveState::kFailed
                                                           : LiveState::kCancelled);
  }
  return true;
}

void ControlPlane::QueueStop(NodeId node, const StopOrder& stop) {
  std::vector<StopOrder>& stops = agents_[static_cast<size_t>(node)].orders.stop;
  const bool queued = std::any_of(stops.begin(), stops.end(), [&](const StopOrder& o) {
    return o.id == stop.id && o.epoch == stop.epoch;
  });
  if (!queued) stops.push_back(stop);
}

void ControlPlane::Deliver(NodeId node) {
  AgentLink& l = agents_[static_cast<size_t>(node)];
  if (!l.waiting) return;
  auto waiting = std::move(l.waiting);
  l.waiting = nullptr;
  l.wait_until = kNever;
  NodeOrders orders = std::move(l.orders);
  l.orders = {};
  waiting(std::move(orders));
}

SimTime ControlPlane::NextAgentDeadline() const {
  // Agents, held syncs and long polls are checked every 100 ms while there are any.
  if (!unreconciled_.empty() || !event_waiters_.empty() || registered_agents_ > 0) {
    return now_ + ClockSpan(100);
  }
  return kNever;
}

SimTime ControlPlane::ClockSpan(SimTime real) const {
  if (real >= kNever) return real;
  return static_cast<SimTime>(static_cast<double>(real) * options_.time_scale);
}

void ControlPlane::CheckAgents() {
  if (now_ < next_agent_check_) return;
  next_agent_check_ = now_ + ClockSpan(100);
  AnswerEventWaiters([this](const EventWaiter& w) { return now_ >= w.until; });
  for (size_t i = 0; i < agents_.size(); ++i) {
    AgentLink& l = agents_[i];
    if (l.waiting && now_ >= l.wait_until) Deliver(static_cast<NodeId>(i));
    if (!l.registered || now_ - l.last_seen < ClockSpan(options_.heartbeat_timeout)) continue;
    l.registered = false;
    --registered_agents_;
    Emit("node_down", nullptr, fleet_.Path(fleet_.NodeTopo(static_cast<NodeId>(i))));
    Result<Scheduler::NodeLoss> loss = scheduler_.FailNode(static_cast<NodeId>(i), now_);
    if (loss.ok()) OnNodeLoss(loss.value());
    changed_ = true;
  }
  for (auto it = unreconciled_.begin(); it != unreconciled_.end();) {
    if (now_ >= it->second.until) {
      LiveJob& j = jobs_.at(it->first);
      it = ForgetUnreconciled(it);
      GiveUpRun(j,
                "its run was not confirmed by its nodes' agents within the heartbeat timeout "
                "after the server restarted");
    } else {
      ++it;
    }
  }
}

void ControlPlane::OnNodeLoss(const Scheduler::NodeLoss& loss) {
  for (JobId id : loss.interrupted) {
    LiveJob& j = jobs_.at(id);
    SendStops(j, -1);  // the gang's other nodes stop their part
    SetState(j, LiveState::kPending);
    j.message = "interrupted: a node of its run stopped answering";
    Emit("interrupted", &j, "");
    j.ClearPlacement();
    Persist(j, [](Status) {});
  }
  for (JobId id : loss.released) {
    LiveJob& j = jobs_.at(id);
    SendStops(j, -1);
    if (scheduler_.Find(id)) {
      SetState(j, LiveState::kPending);
      j.ClearPlacement();
    } else {
      End(j, j.stop_cause == LiveJob::StopCause::kPartFailed ? LiveState::kFailed
                                                             : LiveState::kCancelled);
    }
    Persist(j, [](Status) {});
  }
}

}  // namespace gpufleet

namespace gpufleet {

void ControlPlane::SetDrain(std::vector<std::string> paths, bool drain, std::string reason,
                            std::function<void(Result<std::vector<NodeId>>)> done) {
  std::vector<NodeId> nodes;
  for (const std::string& path : paths) {
    const std::optional<NodeId> n = NodeAt(path);
    if (!n) {
      return done(Error{"'" + path + "' is not a node of the fleet (gpufleet nodes lists them)",
                        ErrorCode::kNotFound});
    }
    nodes.push_back(*n);
  }
  std::vector<GroupCommitter::Write> writes;
  for (NodeId n : nodes) {
    const std::string path = fleet_.Path(fleet_.NodeTopo(n));
    writes.push_back(drain ? SaveDrain({path, reason, now_}) : DeleteDrain(path));
  }
  Commit(
      [writes = std::move(writes)](SqliteDb& db) -> Status {
        for (const GroupCommitter::Write& w : writes) {
          if (Status s = w(db); !s.ok()) return s;
        }
        return Status::Ok();
      },
      [this, nodes, drain, reason, done = std::move(done)](Status s) {
        if (!s.ok()) return done(Error{s.message(), s.code()});
        for (NodeId n : nodes) {
          if ((drains_.count(n) != 0) == drain) continue;
          const std::string path = fleet_.Path(fleet_.NodeTopo(n));
          if (drain) {
            drains_[n] = NodeDrain{path, reason, now_};
          } else {
            drains_.erase(n);
          }
          UpdatePlacementHold(n);
          Emit(drain ? "node_draining" : "node_undrained", nullptr, path);
        }
        changed_ = true;
        done(nodes);
      });
}

const NodeDrain* ControlPlane::DrainOf(NodeId n) const {
  const auto it = drains_.find(n);
  return it == drains_.end() ? nullptr : &it->second;
}

const char* ControlPlane::NodeStateName(NodeId n) const {
  switch (scheduler_.StateOf(n)) {
    case NodeState::kAbsent:
      return "absent";
    case NodeState::kDown:
      return "down";
    case NodeState::kUp:
      break;
  }
  // (A node held out of placement for an unconfirmed run is up: that lasts a heartbeat timeout.)
  if (drains_.count(n) == 0) return "up";
  return scheduler_.JobsOn(n).empty() ? "drained" : "draining";
}

void ControlPlane::SetTenantShare(const std::string& tenant, double weight,
                                  std::optional<std::int64_t> quota_gpus,
                                  std::function<void(Status)> done) {
  const std::int32_t index = TenantIndex(tenant);
  if (index < 0) {
    return done(Error{"no tenant '" + tenant + "' (the tokens file names the tenants)",
                      ErrorCode::kNotFound});
  }
  if (!(weight > 0) || !std::isfinite(weight) || weight > 1e6 ||
      (quota_gpus && (*quota_gpus < 0 || *quota_gpus > kMaxJobGpus))) {
    return done(Error{"expected a weight above 0 and at most 1000000, and quota_gpus from 0 to " +
                          std::to_string(kMaxJobGpus) + " GPUs (or null: none)",
                      ErrorCode::kInvalidArgument});
  }
  Commit(SaveTenantShare({tenant, weight, quota_gpus}),
         [this, index, weight, quota_gpus, done = std::move(done)](Status s) {
           if (!s.ok()) return done(s);
           if (Status applied = scheduler_.SetTenantShare(index, weight, quota_gpus); !applied.ok())
             return done(applied);
           // The forecast's copy of the scheduler is made with these.
           Tenant& t = scheduler_tenants_[static_cast<size_t>(index)];
           t.weight = weight;
           t.quota_gpus = quota_gpus;
           changed_ = true;
           done(Status::Ok());
         });
}

}  // namespace gpufleet
