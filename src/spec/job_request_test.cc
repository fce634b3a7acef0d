#include <gtest/gtest.h>

#include "spec/specs.h"

namespace gpufleet {
namespace {

TEST(JobRequest, AJsonBodyIsAWorkloadJob) {
  const std::string body = R"({
    "name": "pretrain-7b",
    "gpus": 64,
    "gpu_model": ["H100", "h200"],
    "topology": "pod",
    "priority": 10,
    "estimate": "36h",
    "checkpoint_interval": "1h",
    "checkpoint_write": "40s",
    "command": "torchrun --nnodes 8 train.py"
  })";
  Result<JobRequestSpec> r = ParseJobRequest(body, "request");
  ASSERT_TRUE(r.ok()) << r.message();
  const JobSpec& j = r.value().job.job;
  EXPECT_EQ(j.name, "pretrain-7b");
  EXPECT_EQ(j.gpus, 64);
  EXPECT_EQ(j.topology, Topology::kPod);
  EXPECT_EQ(j.priority, 10);
  EXPECT_EQ(j.estimate, 36 * 3'600'000);
  EXPECT_EQ(j.duration, j.estimate);  // no duration: a live job runs until it ends
  EXPECT_FALSE(r.value().duration_given);
  EXPECT_EQ(j.checkpoint_interval, 3'600'000);
  EXPECT_EQ(r.value().job.gpu_models, (std::vector<std::string>{"h100", "h200"}));
  EXPECT_EQ(r.value().command, "torchrun --nnodes 8 train.py");
}

TEST(JobRequest, ADurationIsWhatAHollowAgentRuns) {
  Result<JobRequestSpec> r = ParseJobRequest(
      R"({"gpus": 8, "estimate": "2h", "duration": "90m", "command": "true"})", "request");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_TRUE(r.value().duration_given);
  EXPECT_EQ(r.value().job.job.duration, 90 * 60'000);
  EXPECT_EQ(r.value().job.job.name, "job");
}

// Every problem of a body at once, each at its line and column with the field and what was
// expected: the server's 400 says all of them.
TEST(JobRequest, BadBodiesSayEveryProblemWhereItIs) {
  const std::string body =
      "{\"gpus\": 0, \"estimate\": \"soon\", \"tenant\": \"other\", \"submit\": \"1h\",\n"
      " \"command\": \"  \", \"gpu\": \"h100\"}";
  Result<JobRequestSpec> r = ParseJobRequest(body, "request");
  ASSERT_FALSE(r.ok());
  const std::string& m = r.message();
  for (const char* expected :
       {"request:1:10: field 'gpus': expected", "request:1:25: field 'estimate': expected",
        "request:1:43: field 'tenant': the tenant comes from the token",
        "request:1:62: field 'submit': the server sets the submission time",
        "request:2:13: field 'command': expected a command to run, got nothing",
        "request:2:19: field 'gpu': unknown key"}) {
    EXPECT_NE(m.find(expected), std::string::npos) << expected << "\n" << m;
  }
}

TEST(JobRequest, RequiredFieldsAndShapes) {
  struct Case {
    std::string body, says;
  };
  const std::vector<Case> cases = {
      {R"({"gpus": 8, "estimate": "1h"})", "field 'command': missing required field"},
      {R"({"gpus": 8, "command": "true"})", "field 'estimate': missing required field"},
      {R"({"gpus": 8, "estimate": "1h", "command": ["a"]})", "field 'command'"},
      {R"({"gpus": 8, "estimate": "1h", "command": ""})",
       "field 'command': expected a non-empty string"},
      {R"({"gpus": 99999999999, "estimate": "1h", "command": "true"})",
       "field 'gpus': expected at most 10000000 GPUs"},
      {R"({"gpus": 8, "estimate": "1h", "command": "true", "training": {"model": "/etc/passwd"}})",
       "field 'training': not accepted by the API"},
      {R"({"name": "a\u001b[2Jb", "gpus": 1, "estimate": "1h", "command": "true"})",
       "field 'name': expected at most 128 characters without control characters"},
      {"{\"gpus\": 1, \"estimate\": \"1h\", \"command\": \"true\"}\n---\n{\"gpus\": 2}",
       "expected one JSON object, got a YAML document marker ('---')"},
      {R"([1, 2])", "expected a mapping of top-level fields"},
      {R"({"gpus": 8,)", "request:1:"},  // a syntax error, located
      {"", "expected a mapping of top-level fields"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    Result<JobRequestSpec> r = ParseJobRequest(c.body, "request");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find(c.says), std::string::npos) << r.message();
  }
  const std::string long_command(kMaxCommandBytes + 1, 'x');
  Result<JobRequestSpec> too_long = ParseJobRequest(
      R"({"gpus": 1, "estimate": "1h", "command": ")" + long_command + "\"}", "request");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.message().find("expected at most 65,536 bytes"), std::string::npos);
}

// A body of many bad keys gets a bounded answer: the first hundred errors and a count.
TEST(JobRequest, ManyErrorsAreCountedNotAllWritten) {
  std::string body = R"({"gpus": 1, "estimate": "1h", "command": "true")";
  for (int i = 0; i < 5000; ++i) body += ", \"k" + std::to_string(i) + "\": 0";
  body += "}";
  Result<JobRequestSpec> r = ParseJobRequest(body, "request");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("... and 4900 more errors"), std::string::npos);
  EXPECT_LT(r.message().size(), 100u * 2100u);
}

// The same job in a workload file keeps its rules: a command there is an unknown key.
TEST(JobRequest, AWorkloadJobHasNoCommand) {
  Result<WorkloadSpec> w =
      ParseWorkload("jobs:\n  - {gpus: 1, duration: 1h, command: 'true'}\n", "w.yaml");
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.message().find("field 'jobs[0].command': unknown key"), std::string::npos)
      << w.message();
}

}  // namespace
}  // namespace gpufleet
