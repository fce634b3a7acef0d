#include "workload/job_source.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gpufleet {
namespace {

JobSpec Job(const std::string& name, SimTime submit) {
  JobSpec j;
  j.name = name;
  j.submit = submit;
  return j;
}

std::vector<std::string> Names(JobSource& s) {
  std::vector<std::string> out;
  JobSpec j;
  while (s.Next(j)) out.push_back(j.name);
  return out;
}

TEST(VectorJobSource, GivesJobsInSubmissionOrderAndTiesInListOrder) {
  // b and d share a time: they keep the list's order (b before d) after the sort.
  VectorJobSource s({Job("a", 30), Job("b", 10), Job("c", 20), Job("d", 10)});
  EXPECT_EQ(Names(s), (std::vector<std::string>{"b", "d", "c", "a"}));
  JobSpec j;
  EXPECT_FALSE(s.Next(j));  // exhausted stays exhausted
}

TEST(VectorJobSource, SortedListComesOutAsItWentIn) {
  VectorJobSource s({Job("x", 0), Job("y", 0), Job("z", 5)});
  EXPECT_EQ(Names(s), (std::vector<std::string>{"x", "y", "z"}));
  VectorJobSource empty({});
  EXPECT_TRUE(Names(empty).empty());
}

TEST(MergedSource, MergesByTimeAndBreaksTiesBySourceOrder) {
  std::vector<std::unique_ptr<JobSource>> sources;
  sources.push_back(std::make_unique<VectorJobSource>(std::vector{Job("a1", 0), Job("a2", 20)}));
  sources.push_back(std::make_unique<VectorJobSource>(std::vector{Job("b1", 0), Job("b2", 10)}));
  MergedSource merged(std::move(sources));
  EXPECT_EQ(Names(merged), (std::vector<std::string>{"a1", "b1", "b2", "a2"}));
}

}  // namespace
}  // namespace gpufleet
