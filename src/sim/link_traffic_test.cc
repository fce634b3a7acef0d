// Copies sharing a link: hand-derived times for one copy, two together, two staggered, a copy
// stopped part way, and the two directions of one link.
#include "sim/link_traffic.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

// 10 GB/s with 100 ms of latency; 300 GB take 30 s alone.
const SiteLink kLink{0, 1, 10, 0.1};

// Runs the slot's events up to `until`, returning each completion's time by job.
std::vector<std::pair<JobId, SimTime>> RunUntil(LinkTraffic& links, int slot, SimTime until) {
  std::vector<std::pair<JobId, SimTime>> done;
  for (SimTime t = links.NextEvent(slot); t <= until; t = links.NextEvent(slot)) {
    for (JobId job : links.Advance(slot, t)) done.emplace_back(job, t);
  }
  return done;
}

TEST(LinkTraffic, ACopyAloneTakesTheLatencyThenItsSizeOverTheBandwidth) {
  LinkTraffic links;
  const int slot = links.Begin(7, 0, 1, kLink, 300, 0, 0);
  EXPECT_EQ(links.NextEvent(slot), 100);  // its bytes start to flow
  EXPECT_EQ(RunUntil(links, slot, kHour), (std::vector<std::pair<JobId, SimTime>>{{7, 30'100}}));
  EXPECT_EQ(links.NextEvent(slot), kNever);
  EXPECT_EQ(links.in_flight(), 0u);
}

// Begun later than now (after a run's other overheads): its bytes flow from then + 100 ms.
TEST(LinkTraffic, ACopyMayBeginLater) {
  LinkTraffic links;
  const int slot = links.Begin(1, 0, 1, kLink, 300, 0, 600'000);
  EXPECT_EQ(RunUntil(links, slot, kHour),
            (std::vector<std::pair<JobId, SimTime>>{{1, 600'000 + 30'100}}));
}

// Two copies of 300 GB together share the 10 GB/s: 5 GB/s each, 60 s, both done at 60,100 ms.
TEST(LinkTraffic, CopiesTogetherShareTheBandwidth) {
  LinkTraffic links;
  const int slot = links.Begin(1, 0, 1, kLink, 300, 0, 0);
  EXPECT_EQ(links.Begin(2, 0, 1, kLink, 300, 0, 0), slot);
  EXPECT_EQ(links.InFlight(0, 1), 2);
  EXPECT_EQ(links.InFlight(1, 0), 0);
  EXPECT_EQ(RunUntil(links, slot, kHour),
            (std::vector<std::pair<JobId, SimTime>>{{1, 60'100}, {2, 60'100}}));
}

// Job 1 flows alone from 100 ms; job 2 begins at 10,100 ms and flows from 10,200 ms, when job 1
// has moved 10.1 s x 10 GB/s = 101 GB (199 left). Sharing, job 1's 199 GB take 39.8 s at 5 GB/s:
// done at 50,000 ms, when job 2 has moved 199 GB too; its last 101 GB alone take 10.1 s: done at
// 60,100 ms. The link moved 600 GB in the 60 s it carried bytes.
TEST(LinkTraffic, ALaterCopySlowsTheOneInFlight) {
  LinkTraffic links;
  const int slot = links.Begin(1, 0, 1, kLink, 300, 0, 0);
  std::vector<std::pair<JobId, SimTime>> done = RunUntil(links, slot, 10'100);
  EXPECT_TRUE(done.empty());
  links.Begin(2, 0, 1, kLink, 300, 10'100, 10'100);
  done = RunUntil(links, slot, kHour);
  EXPECT_EQ(done, (std::vector<std::pair<JobId, SimTime>>{{1, 50'000}, {2, 60'100}}));
}

// Both flow from 100 ms at 5 GB/s; job 2 stops at 20,100 ms having moved 100 GB. Job 1, 200 GB
// left, alone at 10 GB/s: done 20 s later, at 40,100 ms. A copy stopped before its bytes flow
// moved nothing; a job without a copy stops nothing.
TEST(LinkTraffic, AStoppedCopyGivesItsShareBack) {
  LinkTraffic links;
  const int slot = links.Begin(1, 0, 1, kLink, 300, 0, 0);
  links.Begin(2, 0, 1, kLink, 300, 0, 0);
  links.Begin(3, 0, 1, kLink, 300, 0, kHour);
  EXPECT_TRUE(RunUntil(links, slot, 20'100).empty());
  const LinkTraffic::Stopped two = links.Stop(2, 20'100);
  EXPECT_EQ(two.slot, slot);
  EXPECT_DOUBLE_EQ(two.moved_gb, 100);
  const LinkTraffic::Stopped three = links.Stop(3, 20'100);
  EXPECT_DOUBLE_EQ(three.moved_gb, 0);
  EXPECT_EQ(links.Stop(4, 20'100).slot, -1);
  EXPECT_EQ(RunUntil(links, slot, kHour), (std::vector<std::pair<JobId, SimTime>>{{1, 40'100}}));
}

// Each direction carries the link's bandwidth: copies each way do not slow each other.
TEST(LinkTraffic, TheTwoDirectionsDoNotShare) {
  LinkTraffic links;
  const int out = links.Begin(1, 0, 1, kLink, 300, 0, 0);
  const int back = links.Begin(2, 1, 0, kLink, 300, 0, 0);
  EXPECT_NE(out, back);
  EXPECT_EQ(RunUntil(links, out, kHour), (std::vector<std::pair<JobId, SimTime>>{{1, 30'100}}));
  EXPECT_EQ(RunUntil(links, back, kHour), (std::vector<std::pair<JobId, SimTime>>{{2, 30'100}}));
}

// 10.00000002 GB over 50 GB/s: 200.0000004 ms, rounded to 200 (below the rounding's noise); the
// 2e-8 GB left then is done, not an event at 200 ms again and again.
TEST(LinkTraffic, ARemainderBelowAMillisecondIsDone) {
  LinkTraffic links;
  const int slot = links.Begin(1, 0, 1, SiteLink{0, 1, 50, 0}, 10.00000002, 0, 0);
  EXPECT_EQ(RunUntil(links, slot, kHour), (std::vector<std::pair<JobId, SimTime>>{{1, 200}}));
}

// A copy stopped at the instant it completes has moved all its bytes: complete.
TEST(LinkTraffic, ACopyStoppedAsItCompletesIsComplete) {
  LinkTraffic links;
  links.Begin(1, 0, 1, kLink, 300, 0, 0);
  const LinkTraffic::Stopped early = links.Stop(1, 30'099);
  EXPECT_FALSE(early.complete);
  EXPECT_NEAR(early.moved_gb, 299.99, 1e-9);
  LinkTraffic other;
  other.Begin(2, 0, 1, kLink, 300, 0, 0);
  const LinkTraffic::Stopped at_end = other.Stop(2, 30'100);
  EXPECT_TRUE(at_end.complete);
  EXPECT_DOUBLE_EQ(at_end.moved_gb, 300);
}

// One event queued per link at a time, unless a change brings the next event forward: the
// earlier one queued then is no longer due.
TEST(LinkTraffic, OneEventIsQueuedUntilAChangeBringsItForward) {
  LinkTraffic links;
  const int slot = links.Begin(1, 0, 1, kLink, 300, 0, 0);
  EXPECT_EQ(links.ToQueue(slot), 100);
  links.Begin(2, 0, 1, kLink, 300, 0, 0);
  EXPECT_EQ(links.ToQueue(slot), kNever);  // the one at 100 ms will do
  EXPECT_FALSE(links.Due(slot, 50));
  EXPECT_TRUE(links.Due(slot, 100));
  EXPECT_TRUE(links.Advance(slot, 100).empty());
  EXPECT_EQ(links.ToQueue(slot), 60'100);  // sharing: 600 GB at 10 GB/s
  // Job 2 stops at 10,100 ms (50 GB moved each): job 1's 250 GB alone take 25 s.
  links.Stop(2, 10'100);
  EXPECT_EQ(links.ToQueue(slot), 35'100);
  EXPECT_FALSE(links.Due(slot, 60'100));
  EXPECT_TRUE(links.Due(slot, 35'100));
  EXPECT_EQ(links.Advance(slot, 35'100), std::vector<JobId>{1});
  EXPECT_EQ(links.ToQueue(slot), kNever);
}

// Property: however copies of random sizes begin and stop, a link never moves more than its
// bandwidth allows, and every copy left alone completes, after at least its time alone.
TEST(LinkTraffic, NoCopyBeatsTheLinkAlone) {
  std::uint64_t state = 12345;
  auto next = [&state](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  for (int round = 0; round < 50; ++round) {
    LinkTraffic links;
    std::vector<double> size(20);
    std::vector<SimTime> begin(20);
    int slot = -1;
    SimTime now = 0;
    std::vector<std::pair<JobId, SimTime>> done;
    for (JobId job = 0; job < 20; ++job) {
      const SimTime at = now + static_cast<SimTime>(next(20'000));
      if (slot >= 0) {
        for (auto& d : RunUntil(links, slot, at)) done.push_back(d);
      }
      now = at;
      size[static_cast<size_t>(job)] = 1 + static_cast<double>(next(500));
      begin[static_cast<size_t>(job)] = now;
      slot = links.Begin(job, 0, 1, kLink, size[static_cast<size_t>(job)], now, now);
    }
    for (auto& d : RunUntil(links, slot, kLatestTime)) done.push_back(d);
    ASSERT_EQ(done.size(), 20u);
    double total = 0;
    SimTime last = 0;
    for (const auto& [job, at] : done) {
      const double gb = size[static_cast<size_t>(job)];
      total += gb;
      last = std::max(last, at);
      EXPECT_GE(at - begin[static_cast<size_t>(job)], 100 + static_cast<SimTime>(gb / 10 * 1000));
    }
    // The last completion is no earlier than all the bytes at full speed after the first began.
    EXPECT_GE(static_cast<double>(last - begin[0] - 100) + 1, total / 10 * 1000);
    EXPECT_EQ(links.in_flight(), 0u);
  }
}

}  // namespace
}  // namespace gpufleet
