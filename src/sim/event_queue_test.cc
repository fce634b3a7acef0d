#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

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

TEST(EventQueue, OrderHoldsOnRandomMonotoneInput) {
  // As in the simulation: pushes come after the last popped event - a later time, or the same
  // time and kind (an arrival that pulls the next arrival of the same instant).
  EventQueue q;
  Rng rng(11);
  std::vector<std::tuple<SimTime, int, int>> pending;  // (time, kind, push order)
  SimTime now = 0;
  int pushed = 0;
  int now_kind = 0;
  auto push = [&] {
    const SimTime dt = static_cast<SimTime>(rng.Next() % 500);
    const SimTime t = now + dt;
    const auto kind = dt == 0 ? now_kind : static_cast<int>(rng.Next() % 5);
    q.Push(t, static_cast<EventKind>(kind), pushed, 0);
    pending.emplace_back(t, kind, pushed++);
  };
  auto pop = [&] {
    const Event e = q.Pop();
    auto it = std::min_element(pending.begin(), pending.end());
    ASSERT_EQ(e.time, std::get<0>(*it));
    ASSERT_EQ(static_cast<int>(e.kind), std::get<1>(*it));
    ASSERT_EQ(e.a, std::get<2>(*it));
    pending.erase(it);
    now = e.time;
    now_kind = static_cast<int>(e.kind);
  };
  for (int i = 0; i < 20'000; ++i) {
    push();
    if (i % 3 == 0) pop();
  }
  while (!pending.empty()) pop();
  EXPECT_TRUE(q.empty());
}

TEST(EventQueue, KindOrdersEqualTimes) {
  EventQueue q;
  q.Push(5, EventKind::kArrival, 1, 0);
  q.Push(5, EventKind::kFail, 2, 0);
  q.Push(5, EventKind::kFinish, 3, 0);
  q.Push(5, EventKind::kFinish, 4, 0);
  std::vector<int> order;
  while (!q.empty()) order.push_back(q.Pop().a);
  EXPECT_EQ(order, (std::vector<int>{3, 4, 2, 1}));
}

}  // namespace
}  // namespace gpufleet
