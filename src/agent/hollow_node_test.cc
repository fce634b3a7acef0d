// The hollow node's state machine, with the clock moved by hand: runs end by their duration or by
// a stop, ends are told until acknowledged, starts are fenced by epoch, registration's list wins.
#include "agent/hollow_node.h"

#include <gtest/gtest.h>

namespace gpufleet::agent {
namespace {

using std::chrono::seconds;

const HollowTime kT0{};

HollowReport Running(std::int64_t id, std::int64_t epoch) {
  return {id, epoch, true, std::nullopt, std::nullopt, false};
}
HollowReport Exited(std::int64_t id, std::int64_t epoch, std::optional<int> code,
                    std::optional<int> signal = std::nullopt, bool lost = false) {
  return {id, epoch, false, code, signal, lost};
}

TEST(HollowNode, RunsAJobForItsDurationThenReportsExitCodeZeroUntilAcknowledged) {
  HollowNode node;
  EXPECT_TRUE(node.Reports(kT0).empty());
  node.Acknowledge({{7, 1, seconds(2)}}, {}, kT0);
  EXPECT_EQ(node.running(), 1);
  EXPECT_EQ(node.Reports(kT0 + seconds(1)), std::vector{Running(7, 1)});
  node.Acknowledge({}, {}, kT0 + seconds(1));
  EXPECT_EQ(node.TakeFinished(), 0);

  EXPECT_EQ(node.Reports(kT0 + seconds(2)), std::vector{Exited(7, 1, 0)});
  EXPECT_EQ(node.running(), 0);
  EXPECT_EQ(node.TakeFinished(), 1);
  // That sync failed: the end is told again, once.
  EXPECT_EQ(node.Reports(kT0 + seconds(3)), std::vector{Exited(7, 1, 0)});
  node.Acknowledge({}, {}, kT0 + seconds(3));
  EXPECT_TRUE(node.Reports(kT0 + seconds(4)).empty());
}

TEST(HollowNode, AStopEndsTheRunAtOnceWithSignal15) {
  HollowNode node;
  node.Acknowledge({{7, 1, seconds(3600)}, {8, 1, seconds(3600)}}, {}, kT0);
  (void)node.Reports(kT0 + seconds(1));
  node.Acknowledge({}, {{7, 1}, {9, 1}}, kT0 + seconds(1));  // 9 never ran here: nothing
  EXPECT_EQ(node.Reports(kT0 + seconds(2)),
            (std::vector{Running(8, 1), Exited(7, 1, std::nullopt, 15)}));
  EXPECT_EQ(node.TakeFinished(), 1);
}

TEST(HollowNode, AStopForAnotherEpochLeavesTheRunAlone) {
  HollowNode node;
  node.Acknowledge({{7, 2, seconds(60)}}, {{7, 1}}, kT0);
  EXPECT_EQ(node.Reports(kT0), std::vector{Running(7, 2)});
}

TEST(HollowNode, AStartRepeatedOrOvertakenIsIgnoredAndALaterEpochReplacesTheRun) {
  HollowNode node;
  node.Acknowledge({{7, 2, seconds(60)}}, {}, kT0);
  (void)node.Reports(kT0);
  // The same start again must not restart its clock; an older epoch never runs.
  node.Acknowledge({{7, 2, seconds(600)}, {7, 1, seconds(600)}}, {}, kT0 + seconds(30));
  EXPECT_EQ(node.Reports(kT0 + seconds(59)), std::vector{Running(7, 2)});
  node.Acknowledge({{7, 3, seconds(10)}}, {}, kT0 + seconds(59));
  EXPECT_EQ(node.Reports(kT0 + seconds(60)), std::vector{Running(7, 3)});
  EXPECT_EQ(node.Reports(kT0 + seconds(69)), std::vector{Exited(7, 3, 0)});
}

TEST(HollowNode, EndsFoundWhileASyncWasInFlightStayForTheNextOne) {
  HollowNode node;
  node.Acknowledge({{7, 1, seconds(5)}, {8, 1, seconds(60)}}, {}, kT0);
  const auto carried = node.Reports(kT0 + seconds(5));  // carries 7's end
  ASSERT_EQ(carried.size(), 2U);
  // The answer stops 8: its end is new, not carried, and must survive this acknowledgement.
  node.Acknowledge({}, {{8, 1}}, kT0 + seconds(6));
  EXPECT_EQ(node.Reports(kT0 + seconds(7)), std::vector{Exited(8, 1, std::nullopt, 15)});
}

TEST(HollowNode, RegistrationsListWinsDropsUnlistedRunsAndReportsMissingOnesLost) {
  HollowNode node;
  node.Acknowledge({{7, 1, seconds(60)}, {8, 1, seconds(60)}}, {}, kT0);
  node.Registered({{8, 1}, {9, 4}});
  EXPECT_EQ(node.running(), 1);
  EXPECT_EQ(node.Reports(kT0 + seconds(1)),
            (std::vector{Running(8, 1), Exited(9, 4, std::nullopt, std::nullopt, true)}));
}

}  // namespace
}  // namespace gpufleet::agent
