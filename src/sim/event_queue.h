// The event queue: a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) keyed by (time, kind).
// A discrete-event simulation never schedules into its past, so keys only grow; bucket i holds
// the events whose key first differs from the last popped key at bit i - 1. Pushing appends to a
// bucket; popping redistributes one bucket when bucket 0 runs dry. Events with equal keys always
// share a bucket and keep their order, so at one instant events pop by kind, then in the order
// they were pushed - never by address or hash - and a run is bit-for-bit reproducible.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "util/time.h"

namespace gpufleet {

// At one instant, events pop in this order: launches first (a started job runs once its launch
// delay is over, before it can end), then completions (a job that ends as its node fails has
// finished), releases of preempted jobs' GPUs at the end of their grace period, repairs, failures,
// arrivals and scheduler wake-ups; within a kind, in the order pushed. Eight kinds at most
// (kKindBits).
enum class EventKind : std::uint8_t {
  kLaunch,
  kFinish,
  kRelease,
  kRepair,
  kFail,
  kArrival,
  kTick,
  kNoop
};

struct Event {
  SimTime time;
  std::uint64_t seq;  // push order, for logs and tests; the queue's order does not read it
  EventKind kind;
  std::int32_t a;  // job id, or failure index
  std::int32_t b;  // run epoch of the job (a stale finish is ignored)
};

class EventQueue {
 public:
  // `time` must not precede the last popped event's (time, kind): the simulation's past is closed.
  void Push(SimTime time, EventKind kind, std::int32_t a, std::int32_t b) {
    const std::uint64_t key = KeyOf(time, kind);
    if (time < 0 || key < last_) {
      // An impossible state, not bad input: scheduling into the past would break the run's order.
      std::fprintf(stderr,
                   "gpufleet: internal error: event at %lld scheduled before the current time\n",
                   static_cast<long long>(time));
      std::abort();
    }
    buckets_[Bucket(key)].push_back(Event{time, next_seq_++, kind, a, b});
    ++size_;
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // Whether more events are due at `time`, the time of the last popped event. Unlike Top(), it
  // does not move on to the next key, so events may still be pushed at any later time.
  bool MoreAt(SimTime time) const {
    if (static_cast<SimTime>(last_ >> kKindBits) != time) return false;
    // Keys of the same time differ from the last one only in the kind bits: buckets 0..kKindBits.
    if (head_ < buckets_[0].size()) return true;
    for (std::size_t i = 1; i <= kKindBits; ++i) {
      if (!buckets_[i].empty()) return true;
    }
    return false;
  }
  // The next event (the queue must not be empty). It becomes the reference: nothing earlier may
  // be pushed afterwards.
  const Event& Top() {
    Refill();
    return buckets_[0][head_];
  }
  Event Pop() {
    Refill();
    const Event e = buckets_[0][head_++];
    if (head_ == buckets_[0].size()) {
      buckets_[0].clear();
      head_ = 0;
    }
    --size_;
    return e;
  }

 private:
  static constexpr int kKindBits = 3;
  static std::uint64_t KeyOf(SimTime time, EventKind kind) {
    return (static_cast<std::uint64_t>(time) << kKindBits) | static_cast<std::uint64_t>(kind);
  }
  std::size_t Bucket(std::uint64_t key) const {
    return key == last_ ? 0 : static_cast<std::size_t>(64 - std::countl_zero(key ^ last_));
  }
  // Makes bucket 0 non-empty: the smallest key of the first non-empty bucket becomes the new
  // reference, and that bucket's events move to lower buckets (in order).
  void Refill() {
    if (head_ < buckets_[0].size()) return;
    buckets_[0].clear();
    head_ = 0;
    std::size_t j = 1;
    while (buckets_[j].empty()) ++j;
    std::uint64_t smallest = ~std::uint64_t{0};
    for (const Event& e : buckets_[j]) smallest = std::min(smallest, KeyOf(e.time, e.kind));
    last_ = smallest;
    scratch_.swap(buckets_[j]);
    for (const Event& e : scratch_) buckets_[Bucket(KeyOf(e.time, e.kind))].push_back(e);
    scratch_.clear();
  }

  std::array<std::vector<Event>, 65> buckets_;
  std::vector<Event> scratch_;
  std::size_t head_ = 0;  // next event of bucket 0
  std::size_t size_ = 0;
  std::uint64_t last_ = 0;  // key of the last refill: no smaller key may be pushed
  std::uint64_t next_seq_ = 0;
};

}  // namespace gpufleet
