#include "server/control_plane.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace gpufleet {

SimTime SystemWallClock() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::unique_ptr<ControlPlane>> ControlPlane::Start(const Fleet& fleet,
                                                          std::vector<std::string> tenants,
                                                          const std::string& db_path,
                                                          ControlPlaneOptions options,
                                                          WallClock clock) {
  Result<SqliteDb> db = SqliteDb::Open(db_path);
  if (!db.ok()) return db.error();
  if (Status s = PrepareJobSchema(db.value()); !s.ok()) return Error{s.message(), s.code()};
  Result<LoadedJobs> loaded = LoadJobs(db.value(), fleet, tenants);
  if (!loaded.ok()) return loaded.error();

  std::vector<Tenant> scheduler_tenants;
  for (const std::string& t : tenants) scheduler_tenants.push_back(Tenant{t, 1, std::nullopt});
  if (scheduler_tenants.empty()) scheduler_tenants.push_back(Tenant{"default", 1, std::nullopt});
  options.scheduler.nodes_present = false;  // a node is there once its agent registers
  options.scheduler.confirm_stops = true;   // GPUs are free once the agent says the job is gone
  Result<Scheduler> scheduler =
      Scheduler::Create(fleet, options.scheduler, std::move(scheduler_tenants));
  if (!scheduler.ok()) return scheduler.error();

  auto committer = std::make_unique<GroupCommitter>(std::move(db).value());
  std::unique_ptr<ControlPlane> plane(new ControlPlane(fleet, std::move(tenants),
                                                       std::move(scheduler).value(),
                                                       std::move(committer), std::move(clock)));
  plane->Recover(std::move(loaded.value().jobs), loaded.value().largest_id);
  plane->thread_ = std::thread([p = plane.get()] { p->Loop(); });
  return plane;
}

ControlPlane::ControlPlane(const Fleet& fleet, std::vector<std::string> tenants,
                           Scheduler scheduler, std::unique_ptr<GroupCommitter> committer,
                           WallClock clock)
    : fleet_(fleet),
      tenants_(std::move(tenants)),
      scheduler_(std::move(scheduler)),
      committer_(std::move(committer)),
      clock_(std::move(clock)) {
  now_ = std::max<SimTime>(0, clock_());
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

void ControlPlane::Recover(std::vector<JobRecord> jobs, JobId largest_id) {
  next_id_ = largest_id + 1;
  for (JobRecord& j : jobs) {
    if (!IsOver(j.state)) {
      // Until agents reconcile what they run, a job that held GPUs waits again: its agent is
      // told at registration that the server lists no job there, and stops it.
      j.state = LiveState::kPending;
      j.nodes.clear();
      j.started_at = -1;
      if (Status s = scheduler_.Submit(j.id, j.request, now_); !s.ok()) {
        j.state = LiveState::kFailed;
        j.message = s.message();
        j.ended_at = now_;
      }
    }
    const JobId id = j.id;
    jobs_.emplace(id, std::move(j));
  }
}

void ControlPlane::Loop() {
  std::deque<Task> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      // A pass is due at the scheduler's wake-up (las promotions) at the latest.
      const SimTime wakeup = scheduler_.NextWakeup(now_);
      auto ready = [this] { return stopping_ || !tasks_.empty(); };
      if (wakeup == kNever) {
        wake_.wait(lock, ready);
      } else {
        wake_.wait_for(lock, std::chrono::milliseconds(std::max<SimTime>(1, wakeup - now_)), ready);
      }
      if (tasks_.empty() && stopping_) return;
      batch.swap(tasks_);
    }
    now_ = std::max(now_, clock_());
    for (Task& t : batch) t(*this);
    batch.clear();
    if (changed_ || scheduler_.NextWakeup(now_) <= now_) Pass();
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
    JobRecord& j = it->second;
    j.epoch = d.epoch;
    if (d.kind == Decision::Kind::kStart) {
      j.state = LiveState::kStarting;
      j.started_at = now_;
      j.nodes.clear();
      for (const auto& ng : d.allocation.nodes) j.nodes.push_back(ng.node);
    } else {
      j.state = LiveState::kStopping;
    }
    Persist(j, [](Status) {});
  }
}

Result<JobId> ControlPlane::Reserve(const JobRecord& job) {
  const JobId id = next_id_;
  if (Status s = scheduler_.Check(id, job.request); !s.ok()) return Error{s.message(), s.code()};
  ++next_id_;
  return id;
}

void ControlPlane::Submit(JobRecord job, std::function<void(Result<Admitted>)> done) {
  auto existing = std::make_shared<JobId>(-1);
  JobRecord copy = job;
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
            const JobRecord* earlier = p.Find(*existing);
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
          if (Status st = p.scheduler_.Submit(job.id, job.request, p.now_); !st.ok()) {
            // Checked before it was stored, on the same fleet: only a bug gets here.
            job.state = LiveState::kFailed;
            job.message = st.message();
            job.ended_at = p.now_;
            p.Persist(job, [](Status) {});
          }
          p.changed_ = true;
          const JobId id = job.id;
          const JobRecord& stored = p.jobs_.emplace(id, std::move(job)).first->second;
          done(Admitted{stored, false});
        });
      });
}

void ControlPlane::Cancel(JobId id, std::function<void(Result<JobRecord>)> done) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    done(Error{"job " + std::to_string(id) + " does not exist", ErrorCode::kNotFound});
    return;
  }
  JobRecord& j = it->second;
  if (IsOver(j.state)) {
    done(Error{"job " + std::to_string(id) + " is already " + LiveStateName(j.state),
               ErrorCode::kFailedPrecondition});
    return;
  }
  if (j.state != LiveState::kStopping) {
    if (Status s = scheduler_.Cancel(id, now_); !s.ok()) {
      done(Error{s.message(), s.code()});
      return;
    }
    counters_.cancelled += 1;
    changed_ = true;
    if (scheduler_.Find(id)) {
      j.state = LiveState::kStopping;  // holds GPUs until its agent reports it gone
    } else {
      End(j, LiveState::kCancelled);
    }
  }
  Persist(j, [this, id, done = std::move(done)](Status s) {
    if (!s.ok()) {
      done(Error{s.message(), s.code()});
      return;
    }
    done(*Find(id));
  });
}

void ControlPlane::End(JobRecord& job, LiveState to) {
  job.state = to;
  job.ended_at = now_;
}

void ControlPlane::Persist(const JobRecord& job, std::function<void(Status)> done) {
  committer_->SubmitThen(UpdateJob(job), [this, done = std::move(done)](Status s) mutable {
    Post([done = std::move(done), s = std::move(s)](ControlPlane& p) mutable {
      if (!s.ok()) {
        p.counters_.store_failures += 1;
        if (s.code() == ErrorCode::kUnavailable) p.store_ok_ = false;
      }
      done(std::move(s));
    });
  });
}

const JobRecord* ControlPlane::Find(JobId id) const {
  const auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

ControlPlane::Why ControlPlane::WhyPending(JobId id) const {
  std::optional<PendingReason> r = scheduler_.WhyPending(id);
  if (!r) return {};
  return Why{WaitReasonName(r->code), DescribeReason(*r, fleet_)};
}

}  // namespace gpufleet
