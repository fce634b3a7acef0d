#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "util/rng.h"

namespace gpufleet {
namespace {

TEST(EventQueue, PopsByTimeThenInsertionOrder) {
  EventQueue q;
  q.Push(30, EventKind::kNoop, 1, 0);
  q.Push(10, EventKind::kNoop, 2, 0);
  q.Push(30, EventKind::kNoop, 3, 0);
  q.Push(10, EventKind::kNoop, 4, 0);
  q.Push(20, EventKind::kNoop, 5, 0);
  std::vector<int> order;
  while (!q.empty()) order.push_back(q.Pop().a);
  // Time 10: 2 then 4 (pushed in that order); 20: 5; 30: 1 then 3.
  EXPECT_EQ(order, (std::vector<int>{2, 4, 5, 1, 3}));
}

TEST(EventQueue, HeapOrderHoldsOnRandomInput) {
  EventQueue q;
  Rng rng(11);
  std::vector<std::pair<SimTime, int>> pushed;
  for (int i = 0; i < 20'000; ++i) {
    const SimTime t = static_cast<SimTime>(rng.Next() % 500);
    q.Push(t, EventKind::kNoop, i, 0);
    pushed.emplace_back(t, i);
    if (i % 3 == 0) {
      const Event e = q.Pop();
      auto it = std::min_element(pushed.begin(), pushed.end());
      EXPECT_EQ(e.time, it->first);
      EXPECT_EQ(e.a, it->second);
      pushed.erase(it);
    }
  }
  std::sort(pushed.begin(), pushed.end());
  for (const auto& [t, i] : pushed) {
    const Event e = q.Pop();
    EXPECT_EQ(e.time, t);
    EXPECT_EQ(e.a, i);
  }
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace gpufleet
