// The event queue: a 4-ary min-heap keyed by (time, kind, sequence number). Four children share a
// cache line or two, which halves the depth of a binary heap and its cache misses at a million
// events. Equal times pop in the order they were pushed, never by address or hash, so a run is
// bit-for-bit reproducible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "util/time.h"

namespace gpufleet {

// At one instant, events pop in this order: completions first (a job that ends as its node fails
// has finished), then repairs, failures, arrivals and scheduler wake-ups; within a kind, in the
// order pushed.
enum class EventKind : std::uint8_t { kFinish, kRepair, kFail, kArrival, kTick, kNoop };

struct Event {
  SimTime time;
  std::uint64_t seq;
  EventKind kind;
  std::int32_t a;  // job id, or failure index
  std::int32_t b;  // run epoch of the job (a stale finish is ignored)
};

class EventQueue {
 public:
  void Push(SimTime time, EventKind kind, std::int32_t a, std::int32_t b) {
    heap_.push_back(Event{time, next_seq_++, kind, a, b});
    SiftUp(heap_.size() - 1);
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Event& Top() const { return heap_.front(); }
  Event Pop() {
    Event top = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) SiftDown(0);
    return top;
  }

 private:
  static bool Before(const Event& x, const Event& y) {
    if (x.time != y.time) return x.time < y.time;
    if (x.kind != y.kind) return x.kind < y.kind;
    return x.seq < y.seq;
  }
  void SiftUp(std::size_t i) {
    const Event e = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!Before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }
  void SiftDown(std::size_t i) {
    const Event e = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t last = first + 4 < n ? first + 4 : n;
      for (std::size_t c = first + 1; c < last; ++c) {
        if (Before(heap_[c], heap_[best])) best = c;
      }
      if (!Before(heap_[best], e)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = e;
  }

  std::vector<Event> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace gpufleet
