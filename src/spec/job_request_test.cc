#include <gtest/gtest.h>

#include <chrono>

#include "spec/specs.h"

namespace gpufleet {
namespace {

// The error of a body that must be refused.
std::string ErrorOf(const std::string& body) {
  Result<JobRequestSpec> r = ParseJobRequest(body, "request");
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? "" : r.message();
}

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
       "request:2:2: expected JSON"},  // a second YAML document is no JSON either
      {R"({"gpus": 8,)", "request:1:12: expected JSON"},  // a syntax error, located
      {"", "request:1:1: expected a JSON object, got an empty body"},
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

// Each field takes one JSON type: a number is never read from a string, nor a string or a
// duration from a number or a boolean - all of them reported at once, each at its value.
TEST(JobRequest, AValueOfTheWrongJsonTypeIsRefusedWithItsField) {
  const std::string body =
      R"({"gpus": "8", "priority": "5", "cpus": "2", "name": 7, "estimate": 3600,)"
      "\n"
      R"( "command": true, "gpu_model": ["h100", 100], "gpu_milli": false, "memory_gb": null})";
  const std::string m = ErrorOf(body);
  for (const char* expected : {
           "request:1:10: field 'gpus': expected a whole number, got a string",
           "request:1:27: field 'priority': expected a whole number, got a string",
           "request:1:40: field 'cpus': expected a number, got a string",
           "request:1:53: field 'name': expected a string, got a number",
           "request:1:68: field 'estimate': expected a duration such as \"90s\", \"12h\" or \"0\" "
           "(a string), got a number",
           "request:2:13: field 'command': expected a string, got a boolean",
           "request:2:41: field 'gpu_model[1]': expected a string, got a number",
           "request:2:60: field 'gpu_milli': expected a whole number, got a boolean",
           "request:2:80: field 'memory_gb': expected a number, got null",
       }) {
    EXPECT_NE(m.find(expected), std::string::npos) << expected << "\n" << m;
  }
}

// The same values as strings of a workload file keep working: YAML reads a scalar from its text.
TEST(JobRequest, AWorkloadFileStillReadsQuotedNumbers) {
  Result<WorkloadSpec> w =
      ParseWorkload("jobs:\n  - {gpus: '8', duration: \"1h\", priority: \"5\"}\n", "w.yaml");
  ASSERT_TRUE(w.ok()) << w.message();
  EXPECT_EQ(w.value().jobs[0].job.gpus, 8);
  EXPECT_EQ(w.value().jobs[0].job.priority, 5);
}

// A character beyond U+FFFF is written in JSON as a surrogate pair; the name holds its UTF-8, and
// what follows on the line keeps its column.
TEST(JobRequest, ASurrogatePairEscapeIsOneCharacter) {
  const std::string body =
      R"({"name": "run \ud83d\ude00", "gpus": 1, "estimate": "1h", "command": "true"})";
  Result<JobRequestSpec> r = ParseJobRequest(body, "request");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.value().job.job.name, "run \xF0\x9F\x98\x80");

  const std::string bad =
      ErrorOf(R"({"\uD83D\uDE00": 1, "name": "\ud83d\ude00", "gpus": "1", "estimate": "1h", )"
              R"("command": "true"})");
  EXPECT_NE(bad.find("request:1:2: field '\xF0\x9F\x98\x80': unknown key"), std::string::npos)
      << bad;
  EXPECT_NE(bad.find("request:1:53: field 'gpus': expected a whole number"), std::string::npos)
      << bad;
}

// YAML's lenience is gone: what is not JSON is refused where it stops being JSON.
TEST(JobRequest, WhatIsNotJsonIsRefusedWhereItStops) {
  struct Case {
    std::string body, says;
  };
  const std::vector<Case> cases = {
      {"{\"gpus\": 8, # a comment\n \"estimate\": \"1h\", \"command\": \"true\"}",
       "request:1:13: expected JSON: syntax error"},
      {R"({'gpus': 8, "estimate": "1h", "command": "true"})", "request:1:2: expected JSON"},
      {R"({"gpus": 8, "estimate": "1h", "command": "true",})", "request:1:49: expected JSON"},
      {R"({"gpus": [8,], "estimate": "1h", "command": "true"})", "request:1:13: expected JSON"},
      {R"({"gpus": 8, "estimate": 1h, "command": "true"})", "request:1:26: expected JSON"},
      {"{\"gpus\": 8, \"estimate\": \"1h\", \"command\": \"true\"}\n{\"gpus\": 9}",
       "request:2:1: expected JSON: syntax error while parsing value - unexpected '{'"},
      {"gpus: 8\nestimate: 1h\ncommand: 'true'\n", "request:1:1: expected JSON"},
      {"{\"name\": \"a\xff\", \"gpus\": 8, \"estimate\": \"1h\", \"command\": \"true\"}",
       "request:1:12: expected JSON"},  // not UTF-8
  };
  for (const Case& c : cases) EXPECT_EQ(ErrorOf(c.body).find(c.says), 0u) << ErrorOf(c.body);
}

TEST(JobRequest, ABodyIsOneJsonObject) {
  struct Case {
    std::string body, says;
  };
  const std::vector<Case> cases = {
      {R"([{"gpus": 8, "estimate": "1h", "command": "true"}])",
       "request:1:1: expected a JSON object, got an array"},
      {"\n  42", "request:2:3: expected a JSON object, got a number"},
      {R"("gpus")", "request:1:1: expected a JSON object, got a string"},
      {"null", "request:1:1: expected a JSON object, got null"},
      {" \t\r\n", "request:2:1: expected a JSON object, got an empty body"},
  };
  for (const Case& c : cases) EXPECT_EQ(ErrorOf(c.body), c.says);
}

// nlohmann keeps the last of two equal keys; the rules see both and refuse the second.
TEST(JobRequest, ADuplicateKeyIsRefused) {
  const std::string m = ErrorOf(R"({"gpus": 1, "gpus": 64, "estimate": "1h", "command": "true"})");
  EXPECT_NE(m.find("request:1:13: field 'gpus': duplicate key"), std::string::npos) << m;
}

// Nesting is refused past 32 levels, at the bracket that goes deeper, before any reader recurses.
TEST(JobRequest, DeepNestingIsRefusedWithoutACrash) {
  EXPECT_EQ(ErrorOf("{\"gpus\": " + std::string(100'000, '[')),
            "request:1:41: expected at most 32 levels of nesting");
  const std::string within =
      ErrorOf("{\"gpus\": " + std::string(31, '[') + std::string(31, ']') + "}");
  EXPECT_NE(within.find("field 'gpus': expected a whole number, got an array"), std::string::npos)
      << within;
  EXPECT_EQ(ErrorOf(std::string(100'000, '[')),
            "request:1:1: expected a JSON object, got an array");
}

// JSON that YAML would not read: a line break between a key and its colon, tabs and carriage
// returns, a byte order mark, a key longer than YAML allows. The body reads, and errors keep
// their places.
TEST(JobRequest, JsonThatYamlRefusesIsRead) {
  const std::string body =
      "\xEF\xBB\xBF{\r\n\t\"gpus\"\r\n\t:\r\n\t8,\t\"estimate\"  :  \"1h\",\n"
      "\"command\"\n:\n\"true\", \"priority\"\n  : \"high\"}";
  EXPECT_EQ(ErrorOf(body), "request:8:5: field 'priority': expected a whole number, got a string");

  const std::string long_key(5000, 'k');
  const std::string m = ErrorOf(R"({"gpus": 1, "estimate": "1h", "command": "true", ")" + long_key +
                                R"(": 1, "x": 2})");
  EXPECT_EQ(m.find("request:1:50: field '" + std::string(1000, 'k')), 0u) << m;
  EXPECT_NE(m.find("request:1:5057: field 'x': unknown key"), std::string::npos) << m;
}

// A request holds a few dozen values; a body of more stops at the value past 10,000, before the
// rules spend a microsecond on each.
TEST(JobRequest, ValuesPastTenThousandAreRefused) {
  std::string body = R"({"gpu_model": [1)";
  for (int i = 0; i < 20'000; ++i) body += ",1";
  // The object, the list and 9,998 ones: the 9,999th one, at byte 15 + 2 * 9,998.
  EXPECT_EQ(ErrorOf(body + "]}"),
            "request:1:20012: expected at most 10,000 values; a request holds a few dozen");
}

// A body of a megabyte costs milliseconds: whitespace, one long string, 9,990 unknown keys of
// 100 bytes (each reported or counted), a list past the cap. The bound catches a cost that grows
// faster than the body (a megabyte of `[1,1,...]` once took over a second), with room for a
// loaded machine or a sanitizer build.
TEST(JobRequest, AMegabyteBodyIsReadQuickly) {
  const std::string job = R"("gpus": 1, "estimate": "1h", "command": "true")";
  std::string keys = "{" + job;
  for (int i = 0; i < 9'990; ++i)
    keys += ", \"k" + std::to_string(i) + std::string(90, 'k') + "\": 0";
  std::string ones = R"({"gpu_model": [1)";
  while (ones.size() < (1u << 20)) ones += ",1";
  const std::vector<std::pair<std::string, bool>> bodies = {
      {"{" + job + std::string(1u << 20, ' ') + "}", true},
      {"{" + job + R"(, "name": ")" + std::string(1u << 20, 'n') + "\"}", false},
      {keys + "}", false},
      {ones + "]}", false},
  };
  for (const auto& [body, ok] : bodies) {
    const auto start = std::chrono::steady_clock::now();
    const Result<JobRequestSpec> r = ParseJobRequest(body, "request");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    EXPECT_EQ(r.ok(), ok) << r.message().substr(0, 200);
  }
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
