#include "trace/trace.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "public_traces.h"
#include "test_fleets.h"
#include "trace/datetime.h"
#include "trace/inspect.h"

namespace gpufleet {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test under the GoogleTest temp dir; removed afterwards.
class TempTraceDir {
 public:
  TempTraceDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / ("gpufleet_trace_test_" + std::to_string(::getpid()) +
                                             "_" + info->test_suite_name() + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempTraceDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << text;
    return p.string();
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

Result<TraceJobs> Load(const std::string& format, const std::string& path, bool skip = false) {
  TraceOptions options;
  options.skip_bad_rows = skip;
  Result<TraceArg> arg = ParseTraceArg(format + ":" + path);
  if (!arg.ok()) return arg.error();
  return LoadTrace(arg.value(), options);
}

::testing::AssertionResult StartsWith(const std::string& s, const std::string& prefix) {
  if (s.rfind(prefix, 0) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << s << "' does not start with '" << prefix << "'";
}

::testing::AssertionResult Contains(const std::string& s, const std::string& part) {
  if (s.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << s << "' does not contain '" << part << "'";
}

double Epoch(const char* s) { return ParseDateTime(s).value(); }

// One malformed row of a trace file.
struct BadRow {
  std::string text;      // the whole file
  std::string location;  // ":3:21:" (or ":3:" for whole-row errors), after the path
  std::string field;     // must appear in the message as field 'x' (empty: not checked)
  std::string reason;    // key of TraceJobs::skipped
  std::int64_t rows;     // rows read when the bad row is skipped
  size_t jobs;           // jobs left when the bad row is skipped
};

// (a) an error located at the bad row that names its field, and (b) with skip_bad_rows, a load
// that counts the row under its reason.
void ExpectBadRow(const TempTraceDir& dir, const std::string& format, const std::string& file,
                  const BadRow& bad) {
  SCOPED_TRACE(format + " row: " + bad.reason);
  const std::string path = dir.Write(file, bad.text);
  Result<TraceJobs> strict = Load(format, path);
  ASSERT_FALSE(strict.ok()) << "a malformed row loaded";
  EXPECT_TRUE(StartsWith(strict.message(), path + bad.location + " "));
  if (!bad.field.empty()) {
    EXPECT_TRUE(Contains(strict.message(), "field '" + bad.field + "'"));
  }
  EXPECT_TRUE(Contains(strict.message(), "--skip-bad-rows"));

  Result<TraceJobs> lenient = Load(format, path, /*skip=*/true);
  ASSERT_TRUE(lenient.ok()) << lenient.message();
  const TraceJobs& t = lenient.value();
  EXPECT_EQ(t.skipped, (std::map<std::string, std::int64_t>{{bad.reason, 1}}));
  EXPECT_EQ(t.rows, bad.rows);
  EXPECT_EQ(t.jobs.size(), bad.jobs);
}

// --------------------------------------------------------------------------------------------
// Format names

TEST(Trace, ParseTraceArg) {
  Result<TraceArg> a = ParseTraceArg("philly:../shared/traces/philly/philly_jobs.csv");
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a.value().format, TraceFormat::kPhilly);
  EXPECT_EQ(a.value().path, "../shared/traces/philly/philly_jobs.csv");
  EXPECT_EQ(a.value().Name(), "philly:../shared/traces/philly/philly_jobs.csv");

  const std::map<std::string, TraceFormat> formats = {
      {"philly", TraceFormat::kPhilly},     {"philly-json", TraceFormat::kPhillyJson},
      {"helios", TraceFormat::kHelios},     {"acme", TraceFormat::kAcme},
      {"tiresias", TraceFormat::kTiresias}, {"gavel", TraceFormat::kGavel},
      {"openb", TraceFormat::kOpenb},       {"pai", TraceFormat::kPai2020}};
  for (const auto& [name, format] : formats) {
    Result<TraceArg> r = ParseTraceArg(name + ":x.csv");
    ASSERT_TRUE(r.ok()) << name;
    EXPECT_EQ(r.value().format, format);
    EXPECT_EQ(r.value().Name(), name + ":x.csv");
  }
  EXPECT_EQ(TraceFormats().size(), formats.size());
  // Only the first colon separates the format.
  EXPECT_EQ(ParseTraceArg("gavel:C:/t/x.trace").value().path, "C:/t/x.trace");
}

TEST(Trace, ParseTraceArgErrors) {
  const std::string all = "philly, philly-json, helios, acme, tiresias, openb, pai, gavel";
  for (const char* bad : {"philly_jobs.csv", ":x.csv", "philly:"}) {
    Result<TraceArg> r = ParseTraceArg(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.message(), "expected FORMAT:FILE with FORMAT one of " + all + ", got '" +
                               std::string(bad) + "'");
  }
  Result<TraceArg> unknown = ParseTraceArg("borg:x.csv");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.message(), "unknown trace format 'borg'; expected one of " + all);
  EXPECT_FALSE(ParseTraceArg("Philly:x.csv").ok());  // names are case-sensitive
}

TEST(Trace, MissingFileIsAnError) {
  TempTraceDir dir;
  for (const char* format : {"philly", "philly-json", "helios", "acme", "tiresias"}) {
    Result<TraceJobs> r = Load(format, dir.Path("nope.csv"));
    ASSERT_FALSE(r.ok()) << format;
    EXPECT_EQ(r.message(), dir.Path("nope.csv") + ": no such file") << format;
  }
}

const char kTiresiasHeaderForHugeTest[] =
    "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n";
const char kThroughputsForHugeTest[] =
    "{\"v100\": {\"('ResNet-18 (batch size 64)', 1)\": {\"null\": 10.0}}}";

// --------------------------------------------------------------------------------------------
// Philly CSV

const char kPhillyHeader[] = "timestamp,duration,num_gpus,gpu_time,cluster\n";

TEST(Trace, PhillyCsvJobs) {
  TempTraceDir dir;
  const std::string path =
      dir.Write("philly.csv", std::string(kPhillyHeader) +
                                  "2017-10-09 07:01:55,66.0,1,66.0,vcA\n"      // 2
                                  "2017-10-09 06:13:03,2951.5,2,5903.0,vcB\n"  // 3
                                  "2017-10-09 07:01:55,10,4,40,vcB\n"          // 4
                                  "2017-10-09 08:00:00,100,0,0,vcC\n"          // 5
                                  "2017-10-09 09:00:00,0,8,0,vcA\n"            // 6
                                  "\n"                                         // 7
                                  "2017-10-09 06:13:04,1.25,8.0,10,vcA\n");    // 8
  Result<TraceJobs> r = Load("philly", path);
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceJobs& t = r.value();
  EXPECT_EQ(t.name, "philly:" + path);
  EXPECT_EQ(t.rows, 6);  // the blank line is no row
  EXPECT_TRUE(t.skipped.empty());
  EXPECT_EQ(t.excluded, (std::map<std::string, std::int64_t>{{"no GPUs (CPU-only job)", 1},
                                                             {"zero duration", 1}}));
  // Tenants in order of their first job; vcC had only a CPU job.
  EXPECT_EQ(t.tenants, (std::vector<std::string>{"vcA", "vcB"}));
  EXPECT_DOUBLE_EQ(t.origin_epoch_s, Epoch("2017-10-09 06:13:03"));
  ASSERT_EQ(t.jobs.size(), 4u);
  // Sorted by submission; lines 2 and 4 tie at 07:01:55 (2,932 s after 06:13:03) and keep file
  // order.
  struct Want {
    SimTime submit, duration;
    int gpus, tenant;
    const char* name;
  };
  const Want want[] = {{0, 2'951'500, 2, 1, "philly-2"},
                       {1'000, 1'250, 8, 0, "philly-7"},
                       {2'932'000, 66'000, 1, 0, "philly-1"},
                       {2'932'000, 10'000, 4, 1, "philly-3"}};
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(t.jobs[i].submit, want[i].submit);
    EXPECT_EQ(t.jobs[i].duration, want[i].duration);
    EXPECT_EQ(t.jobs[i].estimate, want[i].duration);
    EXPECT_EQ(t.jobs[i].gpus, want[i].gpus);
    EXPECT_EQ(t.jobs[i].tenant, want[i].tenant);
  }
  EXPECT_EQ(t.jobs[0].name.rfind("philly-", 0), 0u);
}

TEST(Trace, PhillyCsvWithoutJobs) {
  TempTraceDir dir;
  const std::string path = dir.Write("empty.csv", kPhillyHeader);
  Result<TraceJobs> r = Load("philly", path);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_TRUE(r.value().jobs.empty());
  EXPECT_EQ(r.value().rows, 0);
}

TEST(Trace, PhillyCsvMissingColumn) {
  TempTraceDir dir;
  const std::string path =
      dir.Write("cols.csv", "timestamp,duration,num_gpus,cluster\n2017-10-09 07:01:55,1,1,a\n");
  Result<TraceJobs> r = Load("philly", path);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(StartsWith(r.message(), path + ":1:1: expected a column named 'gpu_time'"));
  // An empty file has no header.
  const std::string empty = dir.Write("empty.csv", "");
  Result<TraceJobs> e = Load("philly", empty);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(StartsWith(e.message(), empty + ":1:1: "));
}

TEST(Trace, PhillyCsvBadRows) {
  TempTraceDir dir;
  const std::string good = std::string(kPhillyHeader) + "2017-10-09 07:01:55,66.0,1,66.0,vcA\n";
  // Bad rows are on line 3. "2017-10-09 07:01:55,66,2,66,vcA": fields start at characters
  // 1, 21, 24, 26 and 29.
  const std::vector<BadRow> cases = {
      {good + "2017-10-9 07:01:55,66,1,66,vcA\n", ":3:1:", "timestamp",
       "timestamp: not a date and time", 2, 1},
      {good + "last tuesday,66,1,66,vcA\n", ":3:1:", "timestamp", "timestamp: not a date and time",
       2, 1},
      {good + "2017-10-09 07:01:55,abc,1,66,vcA\n", ":3:21:", "duration", "duration: not a number",
       2, 1},
      {good + "2017-10-09 07:01:55,-5,1,-5,vcA\n", ":3:21:", "duration", "duration: negative", 2,
       1},
      {good + "2017-10-09 07:01:55,66,two,66,vcA\n", ":3:24:", "num_gpus",
       "num_gpus: not an integer", 2, 1},
      {good + "2017-10-09 07:01:55,66,1.5,99,vcA\n", ":3:24:", "num_gpus",
       "num_gpus: not an integer", 2, 1},
      {good + "2017-10-09 07:01:55,66,-1,-66,vcA\n", ":3:24:", "num_gpus", "num_gpus: out of range",
       2, 1},
      {good + "2017-10-09 07:01:55,66,2,66,vcA\n", ":3:26:", "gpu_time",
       "gpu_time: not duration x num_gpus", 2, 1},
      {good + "2017-10-09 07:01:55,66,1,x,vcA\n", ":3:26:", "gpu_time", "gpu_time: not a number", 2,
       1},
      {good + "2017-10-09 07:01:55,66,1,66,\n", ":3:29:", "cluster", "cluster: empty", 2, 1},
      // Out of range and not matching gpu_time: the range is what is wrong (the product used to
      // be quoted, 300 digits long).
      {good + "2017-10-09 07:01:55,1e300,2,1,vcA\n", ":3:21:", "duration", "duration: too large", 2,
       1},
      // A short row: the missing field is located just past the end of the line (22 characters).
      {good + "2017-10-09 07:01:55,66\n", ":3:23:", "num_gpus", "num_gpus: not an integer", 2, 1},
  };
  for (const BadRow& c : cases) ExpectBadRow(dir, "philly", "bad.csv", c);
}

TEST(Trace, PhillyCsvGpuTimeToleratesRounding) {
  TempTraceDir dir;
  // |66.4 x 2 - 133| = 0.2 <= 1 s: accepted.
  const std::string path =
      dir.Write("round.csv", std::string(kPhillyHeader) + "2017-10-09 07:01:55,66.4,2,133,vcA\n");
  Result<TraceJobs> r = Load("philly", path);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r.value().jobs.size(), 1u);
  EXPECT_EQ(r.value().jobs[0].duration, 66'400);
}

TEST(Trace, PhillyCsvSkipsSeveralBadRowsByReason) {
  TempTraceDir dir;
  const std::string path = dir.Write("mixed.csv", std::string(kPhillyHeader) +
                                                      "2017-10-09 07:01:55,66,1,66,vcA\n"
                                                      "bad,66,1,66,vcA\n"
                                                      "2017-10-09 07:02:55,abc,1,66,vcA\n"
                                                      "worse,66,1,66,vcA\n"
                                                      "2017-10-09 07:03:55,60,1,60,vcB\n");
  Result<TraceJobs> r = Load("philly", path, /*skip=*/true);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.value().rows, 5);
  EXPECT_EQ(r.value().jobs.size(), 2u);
  EXPECT_EQ(r.value().skipped,
            (std::map<std::string, std::int64_t>{{"timestamp: not a date and time", 2},
                                                 {"duration: not a number", 1}}));
  EXPECT_EQ(r.value().jobs[1].submit, 120'000);
}

// A duration too large for milliseconds in 64 bits must be an error, not a wrapped-around
// (negative) job duration.
TEST(Trace, PhillyCsvHugeDurationIsRejected) {
  TempTraceDir dir;
  const std::string path = dir.Write("huge.csv", std::string(kPhillyHeader) +
                                                     "2017-10-09 07:01:55,66,1,66,vcA\n"
                                                     "2017-10-09 07:01:56,1e300,1,1e300,vcA\n");
  Result<TraceJobs> r = Load("philly", path);
  if (r.ok()) {
    for (const JobSpec& j : r.value().jobs) EXPECT_GT(j.duration, 0) << j.name;
    ADD_FAILURE() << "a duration of 1e300 s loaded; the last job's duration is "
                  << r.value().jobs.back().duration << " ms";
  } else {
    EXPECT_TRUE(StartsWith(r.message(), path + ":3:21: field 'duration'")) << r.message();
  }
}

// The same for the other formats: a duration or submission time beyond 64-bit milliseconds must be
// an error at its field, never a negative time or a 1-ms job.
TEST(Trace, HugeTimesAreRejectedInEveryFormat) {
  TempTraceDir dir;
  dir.Write("simulation_throughputs.json", kThroughputsForHugeTest);
  const struct {
    const char* format;
    const char* file;
    std::string text;
    std::string location;  // after the path
  } cases[] = {
      {"tiresias", "dur.csv",
       std::string(kTiresiasHeaderForHugeTest) + "0,1,0,1,m,10,1\n1,1,5,1,m,1e300,1\n", ":3:11:"},
      {"tiresias", "submit.csv",
       std::string(kTiresiasHeaderForHugeTest) + "0,1,0,1,m,10,1\n1,1,1e300,1,m,10,1\n", ":3:5:"},
      {"helios", "helios.csv",
       "job_id,user,vc,gpu_num,submit_time,duration\nj,u,v,1,2020-04-01 08:00:00,1e300\n",
       ":2:29:"},
      {"gavel", "steps.trace", "ResNet-18 (batch size 64)\tcmd\t-n\t1\t1e300\t0\t1\n", ":1:36:"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.format) + " " + c.file);
    const std::string path = dir.Write(c.file, c.text);
    Result<TraceJobs> r = Load(c.format, path);
    if (r.ok()) {
      std::string got;
      for (const JobSpec& j : r.value().jobs)
        got += " " + j.name + " (submit " + std::to_string(j.submit) + " ms, duration " +
               std::to_string(j.duration) + " ms)";
      ADD_FAILURE() << "loaded:" << got;
    } else {
      EXPECT_TRUE(StartsWith(r.message(), path + c.location)) << r.message();
    }
  }
}

// A row with an unterminated quote is damaged; it must not load as if the quote were closed.
TEST(Trace, PhillyCsvUnterminatedQuoteIsAnError) {
  TempTraceDir dir;
  const std::string path = dir.Write("quote.csv", std::string(kPhillyHeader) +
                                                      "2017-10-09 07:01:55,66,1,66,vcA\n"
                                                      "2017-10-09 07:01:56,66,1,66,\"vcB\n");
  Result<TraceJobs> r = Load("philly", path);
  ASSERT_FALSE(r.ok()) << "loaded " << r.value().jobs.size() << " jobs, tenants "
                       << r.value().tenants.size() << " (last '" << r.value().tenants.back()
                       << "')";
  EXPECT_TRUE(StartsWith(r.message(), path + ":3:")) << r.message();
  EXPECT_TRUE(Contains(r.message(), "quote"));
}

// --------------------------------------------------------------------------------------------
// Philly JSON (cluster_job_log)

std::string Attempt(const char* start, const char* end, int gpus) {
  std::string g;
  for (int i = 0; i < gpus; ++i)
    g += std::string(i ? ", " : "") + "\"gpu" + std::to_string(i) + "\"";
  return std::string("{\"start_time\": \"") + start + "\", \"end_time\": \"" + end +
         "\", \"detail\": [{\"ip\": \"m1\", \"gpus\": [" + g + "]}]}";
}

TEST(Trace, PhillyJsonJobs) {
  TempTraceDir dir;
  // Job 0: two attempts, 1 h + 30 min; the first runs on 2 + 1 GPUs of two machines.
  const std::string job0 =
      "{\"jobid\": \"application_0\", \"vc\": \"vcA\", \"user\": \"u1\", \"status\": \"Pass\", "
      "\"submitted_time\": \"2017-10-03 02:06:37\", \"attempts\": ["
      "{\"start_time\": \"2017-10-03 02:06:40\", \"end_time\": \"2017-10-03 03:06:40\", "
      "\"detail\": [{\"ip\": \"m1\", \"gpus\": [\"gpu0\", \"gpu1\"]}, {\"ip\": \"m2\", \"gpus\": "
      "[\"gpu3\"]}]}, " +
      Attempt("2017-10-03 04:00:00", "2017-10-03 04:30:00", 8) + "]}";
  const std::string text =
      "[\n  " + job0 +
      ",\n"
      "  {\"jobid\": \"application_1\", \"vc\": \"vcB\", \"submitted_time\": \"2017-10-03 "
      "01:00:00\", \"attempts\": []},\n"  // never started
      "  {\"jobid\": \"application_2\", \"vc\": \"vcB\", \"submitted_time\": \"2017-10-03 "
      "01:30:00\", \"attempts\": [{\"start_time\": \"2017-10-03 01:30:00\", \"end_time\": "
      "\"2017-10-03 02:00:00\", \"detail\": []}]},\n"  // no GPUs
      "  {\"jobid\": \"application_3\", \"vc\": \"vcB\", \"submitted_time\": \"2017-10-03 "
      "02:00:00\", \"attempts\": [" +
      Attempt("2017-10-03 02:00:00", "2017-10-03 02:00:00", 1) +
      "]},\n"  // zero duration
      "  {\"jobid\": \"application_4\", \"vc\": \"vcC\", \"submitted_time\": \"2017-10-03 "
      "02:06:37\", \"attempts\": [" +
      Attempt("2017-10-03 02:10:00", "2017-10-03 02:10:01.5", 4) +
      "]},\n"  // ties with job 0
      "  {\"vc\": \"vcA\", \"submitted_time\": \"2017-10-03 02:05:00\", \"attempts\": [" +
      Attempt("2017-10-03 02:05:00", "2017-10-03 02:06:00", 1) + "]}\n]\n";  // no jobid
  const std::string path = dir.Write("philly.json", text);
  Result<TraceJobs> r = Load("philly-json", path);
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceJobs& t = r.value();
  EXPECT_EQ(t.rows, 6);
  EXPECT_TRUE(t.skipped.empty());
  EXPECT_EQ(t.excluded, (std::map<std::string, std::int64_t>{{"never started (no attempts)", 1},
                                                             {"no GPUs (CPU-only job)", 1},
                                                             {"zero duration", 1}}));
  EXPECT_EQ(t.tenants, (std::vector<std::string>{"vcA", "vcC"}));
  EXPECT_DOUBLE_EQ(t.origin_epoch_s, Epoch("2017-10-03 02:05:00"));
  ASSERT_EQ(t.jobs.size(), 3u);
  EXPECT_EQ(t.jobs[0].name, "philly-5");
  EXPECT_EQ(t.jobs[0].submit, 0);
  EXPECT_EQ(t.jobs[0].duration, 60'000);
  EXPECT_EQ(t.jobs[0].gpus, 1);
  EXPECT_EQ(t.jobs[0].tenant, 0);
  EXPECT_EQ(t.jobs[1].name, "application_0");
  EXPECT_EQ(t.jobs[1].submit, 97'000);
  EXPECT_EQ(t.jobs[1].duration, 5'400'000);  // attempts summed
  EXPECT_EQ(t.jobs[1].gpus, 3);              // GPUs of the first attempt
  EXPECT_EQ(t.jobs[1].tenant, 0);
  EXPECT_EQ(t.jobs[2].name, "application_4");
  EXPECT_EQ(t.jobs[2].submit, 97'000);
  EXPECT_EQ(t.jobs[2].duration, 1'500);
  EXPECT_EQ(t.jobs[2].gpus, 4);
  EXPECT_EQ(t.jobs[2].tenant, 1);
}

TEST(Trace, PhillyJsonSyntaxError) {
  TempTraceDir dir;
  // The stray comma before '}' on line 3: '}' is the 3rd character of line 3.
  const std::string path = dir.Write(
      "syntax.json", "[\n  {\"vc\": \"a\", \"submitted_time\": \"2017-10-03 02:06:37\",\n  }\n]\n");
  for (bool skip : {false, true}) {
    Result<TraceJobs> r = Load("philly-json", path, skip);
    ASSERT_FALSE(r.ok()) << "skip " << skip;  // a file that does not parse cannot be skipped over
    EXPECT_TRUE(StartsWith(r.message(), path + ":3:3: JSON syntax error")) << r.message();
  }
  const std::string truncated = dir.Write("truncated.json", "[\n  {\"vc\": \"a\",\n");
  Result<TraceJobs> t = Load("philly-json", truncated);
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(StartsWith(t.message(), truncated + ":")) << t.message();
  EXPECT_TRUE(Contains(t.message(), "JSON syntax error"));
  const std::string object = dir.Write("object.json", "{\"jobs\": []}\n");
  Result<TraceJobs> o = Load("philly-json", object);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.message(), object + ":1:1: expected a JSON list of jobs");
  // Found by fuzz/fuzz_trace_philly_json: a number beyond a double threw out_of_range past the
  // reader; the error names its place.
  const std::string overflow = dir.Write("overflow.json", "[\n  {\"vc\": 183701e30800018}]\n");
  Result<TraceJobs> big = Load("philly-json", overflow);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.message(), overflow +
                               ":2:10: JSON: [json.exception.out_of_range.406] number overflow "
                               "parsing '183701e30800018'");
}

TEST(Trace, PhillyJsonBadJobs) {
  TempTraceDir dir;
  const std::string good =
      "[\n  {\"jobid\": \"ok\", \"vc\": \"vcA\", \"submitted_time\": \"2017-10-03 02:06:37\", "
      "\"attempts\": [" +
      Attempt("2017-10-03 02:06:40", "2017-10-03 03:06:40", 1) + "]},\n";
  const std::string a = Attempt("2017-10-03 02:06:40", "2017-10-03 03:06:40", 1);
  // The bad job is element 1, at line 3, column 3.
  auto file = [&](const std::string& job) { return good + "  " + job + "\n]\n"; };
  const std::vector<BadRow> cases = {
      {file("{\"jobid\": \"x\", \"vc\": \"vcA\", \"attempts\": [" + a + "]}"),
       ":3:3:", "submitted_time", "submitted_time: not a timestamp", 2, 1},
      {file("{\"vc\": \"vcA\", \"submitted_time\": \"3 Oct 2017\", \"attempts\": [" + a + "]}"),
       ":3:3:", "submitted_time", "submitted_time: not a timestamp", 2, 1},
      {file("{\"vc\": \"vcA\", \"submitted_time\": null, \"attempts\": [" + a + "]}"),
       ":3:3:", "submitted_time", "submitted_time: not a timestamp", 2, 1},
      {file("{\"submitted_time\": \"2017-10-03 02:06:37\", \"attempts\": [" + a + "]}"),
       ":3:3:", "vc", "vc: missing", 2, 1},
      {file("{\"vc\": \"vcA\", \"submitted_time\": \"2017-10-03 02:06:37\"}"), ":3:3:", "attempts",
       "attempts: missing", 2, 1},
      {file("{\"vc\": \"vcA\", \"submitted_time\": \"2017-10-03 02:06:37\", \"attempts\": "
            "[{\"start_time\": \"2017-10-03 02:06:40\", \"detail\": []}]}"),
       ":3:3:", "attempts[0].end_time", "attempt without start or end time", 2, 1},
      {file("{\"vc\": \"vcA\", \"submitted_time\": \"2017-10-03 02:06:37\", \"attempts\": "
            "[{\"start_time\": \"2017-10-03 02:06:40\", \"end_time\": null, \"detail\": []}]}"),
       ":3:3:", "attempts[0].end_time", "attempt without start or end time", 2, 1},
      {file("{\"vc\": \"vcA\", \"submitted_time\": \"2017-10-03 02:06:37\", \"attempts\": [" + a +
            ", {\"end_time\": \"2017-10-03 05:00:00\"}]}"),
       ":3:3:", "attempts[1].start_time", "attempt without start or end time", 2, 1},
      {file("{\"vc\": \"vcA\", \"submitted_time\": \"2017-10-03 02:06:37\", \"attempts\": [" +
            Attempt("2017-10-03 03:00:00", "2017-10-03 02:00:00", 1) + "]}"),
       ":3:3:", "attempts[0].end_time", "attempt without start or end time", 2, 1},
      {file("{\"vc\": \"vcA\", \"submitted_time\": \"2017-10-03 02:06:37\", \"attempts\": "
            "[{\"start_time\": \"2017-10-03 02:06:40\", \"end_time\": \"2017-10-03 03:06:40\"}]}"),
       ":3:3:", "attempts[0].detail", "attempt without detail", 2, 1},
      {file("42"), ":3:3:", "", "job: not an object", 2, 1},
  };
  for (const BadRow& c : cases) ExpectBadRow(dir, "philly-json", "bad.json", c);
}

TEST(Trace, PhillyJsonLocatesJobsOnOneLine) {
  TempTraceDir dir;
  // All on line 1; the bad job (element 1) starts at character 2 + len(job 0) + 2.
  const std::string job0 =
      "{\"vc\": \"a\", \"submitted_time\": \"2017-10-03 02:06:37\", "
      "\"attempts\": []}";
  const std::string text = "[" + job0 + ", {\"vc\": \"a\", \"attempts\": []}]";
  const std::string path = dir.Write("one.json", text);
  Result<TraceJobs> r = Load("philly-json", path);
  ASSERT_FALSE(r.ok());
  const size_t column = 1 + job0.size() + 2 + 1;
  EXPECT_TRUE(StartsWith(r.message(), path + ":1:" + std::to_string(column) + ": job 1: "))
      << r.message();
}

// --------------------------------------------------------------------------------------------
// Helios and Acme

const char kHeliosHeader[] =
    "job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,"
    "queue\n";

TEST(Trace, HeliosJobs) {
  TempTraceDir dir;
  const std::string path = dir.Write(
      "cluster_log.csv",
      std::string(kHeliosHeader) +
          "j1,u1,vcA,8,64,1,COMPLETED,2020-04-01 08:00:00,2020-04-01 08:00:10,,3600,10\n"
          "j2,u2,vcB,1,8,1,COMPLETED,2020-04-01 07:59:00,,,30.5,0\n"
          "j3,u3,vcA,0,4,1,COMPLETED,2020-04-01 08:00:01,,,100,0\n"       // CPU only
          "j4,u4,vcB,2,4,1,FAILED,2020-04-01 08:00:02,,,0,0\n"            // zero duration
          ",u5,,16,4,2,COMPLETED,2020-04-01 08:00:00,,,7200,0\n"          // no id, no vc
          "j6,u6,vcB,4.0,4,1,CANCELLED,2020-04-01T08:00:00Z,,,1,0\r\n");  // ties with j1, j5
  Result<TraceJobs> r = Load("helios", path);
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceJobs& t = r.value();
  EXPECT_EQ(t.rows, 6);
  EXPECT_EQ(t.excluded, (std::map<std::string, std::int64_t>{{"no GPUs (CPU-only job)", 1},
                                                             {"zero duration", 1}}));
  EXPECT_EQ(t.tenants, (std::vector<std::string>{"vcA", "vcB", "unknown"}));
  EXPECT_DOUBLE_EQ(t.origin_epoch_s, Epoch("2020-04-01 07:59:00"));
  ASSERT_EQ(t.jobs.size(), 4u);
  EXPECT_EQ(t.jobs[0].name, "j2");
  EXPECT_EQ(t.jobs[0].submit, 0);
  EXPECT_EQ(t.jobs[0].duration, 30'500);
  EXPECT_EQ(t.jobs[0].gpus, 1);
  EXPECT_EQ(t.jobs[0].tenant, 1);
  EXPECT_EQ(t.jobs[1].name, "j1");
  EXPECT_EQ(t.jobs[1].submit, 60'000);
  EXPECT_EQ(t.jobs[1].duration, 3'600'000);
  EXPECT_EQ(t.jobs[1].gpus, 8);
  EXPECT_EQ(t.jobs[1].tenant, 0);
  EXPECT_EQ(t.jobs[2].name, "helios-5");
  EXPECT_EQ(t.jobs[2].submit, 60'000);
  EXPECT_EQ(t.jobs[2].gpus, 16);
  EXPECT_EQ(t.jobs[2].tenant, 2);
  EXPECT_EQ(t.jobs[3].name, "j6");
  EXPECT_EQ(t.jobs[3].submit, 60'000);
  EXPECT_EQ(t.jobs[3].duration, 1'000);
  EXPECT_EQ(t.jobs[3].gpus, 4);
  EXPECT_EQ(t.jobs[3].tenant, 1);
}

// Found by fuzz/fuzz_trace_acme: a duration under half a millisecond became a job of 0 ms (the
// simulator's jobs run for at least 1 ms); it is excluded as a zero duration, as 0 s is.
TEST(Trace, SubMillisecondDurationIsExcludedAsZero) {
  TempTraceDir dir;
  const std::string path = dir.Write(
      "trace_seren.csv",
      "job_id,user,node_num,gpu_num,cpu_num,type,state,submit_time,start_time,end_time,duration,"
      "queue\n"
      "a1,alice,1,4,16,other,COMPLETED,2023-07-18 12:00:00,,,0.000001,5\n"
      "a2,alice,1,4,16,other,COMPLETED,2023-07-18 12:00:00,,,0.001,5\n");
  Result<TraceJobs> r = Load("acme", path);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.value().excluded, (std::map<std::string, std::int64_t>{{"zero duration", 1}}));
  ASSERT_EQ(r.value().jobs.size(), 1u);
  EXPECT_EQ(r.value().jobs[0].duration, 1);
}

TEST(Trace, AcmeJobsUseUsersAsTenants) {
  TempTraceDir dir;
  const std::string path = dir.Write(
      "trace_seren.csv",
      "job_id,user,node_num,gpu_num,cpu_num,type,state,submit_time,start_time,end_time,duration,"
      "queue\n"
      "a1,alice,1,8,64,pretrain,COMPLETED,2023-07-18 12:00:00+08:00,,,600,5\n"
      "a2,bob,2,16,64,sft,COMPLETED,2023-07-18 03:59:00,,,60,5\n"
      "a3,alice,0,0,4,other,COMPLETED,2023-07-18 05:00:00,,,60,5\n"
      "a4,carol,1,1,4,eval,FAILED,2023-07-18 04:00:00Z,,,0,5\n");
  Result<TraceJobs> r = Load("acme", path);
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceJobs& t = r.value();
  EXPECT_EQ(t.rows, 4);
  EXPECT_EQ(t.excluded, (std::map<std::string, std::int64_t>{{"no GPUs (CPU-only job)", 1},
                                                             {"zero duration", 1}}));
  EXPECT_EQ(t.tenants, (std::vector<std::string>{"alice", "bob"}));
  // 12:00 at UTC+8 is 04:00 UTC, one minute after bob's job.
  EXPECT_DOUBLE_EQ(t.origin_epoch_s, Epoch("2023-07-18 03:59:00"));
  ASSERT_EQ(t.jobs.size(), 2u);
  EXPECT_EQ(t.jobs[0].name, "a2");
  EXPECT_EQ(t.jobs[0].gpus, 16);
  EXPECT_EQ(t.jobs[0].tenant, 1);
  EXPECT_EQ(t.jobs[1].name, "a1");
  EXPECT_EQ(t.jobs[1].submit, 60'000);
  EXPECT_EQ(t.jobs[1].duration, 600'000);
  EXPECT_EQ(t.jobs[1].tenant, 0);
  // Acme has no vc column, Helios needs one.
  Result<TraceJobs> as_helios = Load("helios", path);
  ASSERT_FALSE(as_helios.ok());
  EXPECT_TRUE(StartsWith(as_helios.message(), path + ":1:1: expected a column named 'vc'"));
}

TEST(Trace, HeliosBadRows) {
  TempTraceDir dir;
  const std::string good =
      std::string(kHeliosHeader) + "1,u1,vcA,8,64,1,COMPLETED,2020-04-01 08:00:00,,,3600,10\n";
  // In "2,u2,vcA,8,64,1,COMPLETED,2020-04-01 08:00:00,,,3600,10" gpu_num starts at character 10,
  // submit_time at 27 and duration at 49.
  const std::vector<BadRow> cases = {
      {good + "2,u2,vcA,8,64,1,COMPLETED,yesterday,,,3600,10\n", ":3:27:", "submit_time",
       "submit_time: not a timestamp", 2, 1},
      {good + "2,u2,vcA,x,64,1,COMPLETED,2020-04-01 08:00:00,,,3600,10\n", ":3:10:", "gpu_num",
       "gpu_num: not an integer", 2, 1},
      {good + "2,u2,vcA,-2,64,1,COMPLETED,2020-04-01 08:00:00,,,3600,10\n", ":3:10:", "gpu_num",
       "gpu_num: out of range", 2, 1},
      {good + "2,u2,vcA,8,64,1,COMPLETED,2020-04-01 08:00:00,,,abc,10\n", ":3:49:", "duration",
       "duration: not a number", 2, 1},
      {good + "2,u2,vcA,8,64,1,COMPLETED,2020-04-01 08:00:00,,,-1,10\n", ":3:49:", "duration",
       "duration: negative", 2, 1},
  };
  for (const BadRow& c : cases) ExpectBadRow(dir, "helios", "bad.csv", c);
}

TEST(Trace, AcmeBadRow) {
  TempTraceDir dir;
  const std::string header =
      "job_id,user,node_num,gpu_num,cpu_num,type,state,submit_time,start_time,end_time,duration,"
      "queue\n";
  // "a2,u9,1,4,16,train,COMPLETED,2023-07-18 12:00:00+08:00,,,x,q": duration at character 58.
  ExpectBadRow(dir, "acme", "bad.csv",
               {header + "a1,u9,1,4,16,train,COMPLETED,2023-07-18 11:00:00+08:00,,,60,q\n" +
                    "a2,u9,1,4,16,train,COMPLETED,2023-07-18 12:00:00+08:00,,,x,q\n",
                ":3:58:", "duration", "duration: not a number", 2, 1});
}

// JobSpec::tenant is 16 bits: a trace with more tenants than that must not wrap around to wrong
// (negative) tenant indexes. Acme tenants are users, so 40,000 users is conceivable.
TEST(Trace, ManyTenantsDoNotWrapAround) {
  TempTraceDir dir;
  std::string text =
      "job_id,user,node_num,gpu_num,cpu_num,type,state,submit_time,start_time,end_time,duration,"
      "queue\n";
  const int users = 40'000;
  for (int i = 0; i < users; ++i)
    text += "j" + std::to_string(i) + ",user" + std::to_string(i) +
            ",1,1,1,t,COMPLETED,2023-07-18 12:00:00,,,60,q\n";
  const std::string path = dir.Write("users.csv", text);
  Result<TraceJobs> r = Load("acme", path);
  if (!r.ok()) {
    // Refusing such a trace is acceptable if the error says why.
    EXPECT_TRUE(StartsWith(r.message(), path + ":")) << r.message();
    return;
  }
  const TraceJobs& t = r.value();
  ASSERT_EQ(t.tenants.size(), static_cast<size_t>(users));
  int wrong = 0;
  for (size_t i = 0; i < t.jobs.size(); ++i) {
    const int tenant = t.jobs[i].tenant;
    if (tenant < 0 || static_cast<size_t>(tenant) >= t.tenants.size() ||
        t.tenants[static_cast<size_t>(tenant)] != "user" + std::to_string(i)) {
      if (wrong++ == 0)
        ADD_FAILURE() << "job " << t.jobs[i].name << " of user" << i << " has tenant index "
                      << tenant;
    }
  }
  EXPECT_EQ(wrong, 0) << "jobs with a wrong tenant";
}

// --------------------------------------------------------------------------------------------
// Tiresias

const char kTiresiasHeader[] =
    "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n";

TEST(Trace, TiresiasJobs) {
  TempTraceDir dir;
  const std::string path = dir.Write("jobs.csv", std::string(kTiresiasHeader) +
                                                     "0,1,10,606,vgg19,164,30\n"
                                                     "1,8,40,133,vgg11,147.5,23\n"
                                                     "2,0,5,133,vgg11,147,23\n"
                                                     "3,2,40,133,vgg11,0,23\n"
                                                     "4,4,12.5,133,resnet50,20,23\n"
                                                     "5,2,40,133,resnet50,1,23\n");
  Result<TraceJobs> r = Load("tiresias", path);
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceJobs& t = r.value();
  EXPECT_EQ(t.rows, 6);
  EXPECT_EQ(t.excluded, (std::map<std::string, std::int64_t>{{"no GPUs (CPU-only job)", 1},
                                                             {"zero duration", 1}}));
  EXPECT_EQ(t.tenants, (std::vector<std::string>{"tiresias"}));
  EXPECT_EQ(t.origin_epoch_s, 0);  // relative times
  ASSERT_EQ(t.jobs.size(), 4u);
  const std::vector<std::string> names = {"tiresias-0", "tiresias-4", "tiresias-1", "tiresias-5"};
  const std::vector<SimTime> submits = {0, 2'500, 30'000, 30'000};
  const std::vector<SimTime> durations = {164'000, 20'000, 147'500, 1'000};
  const std::vector<int> gpus = {1, 4, 8, 2};
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(t.jobs[i].name, names[i]);
    EXPECT_EQ(t.jobs[i].submit, submits[i]);
    EXPECT_EQ(t.jobs[i].duration, durations[i]);
    EXPECT_EQ(t.jobs[i].gpus, gpus[i]);
    EXPECT_EQ(t.jobs[i].tenant, 0);
  }
}

TEST(Trace, TiresiasBadRows) {
  TempTraceDir dir;
  const std::string good = std::string(kTiresiasHeader) + "0,1,0,606,vgg19,164,30\n";
  // "1,x,30,100,vgg,147,23": num_gpu at 3, submit_time at 5, duration at 16.
  const std::vector<BadRow> cases = {
      {good + "1,x,30,100,vgg,147,23\n", ":3:3:", "num_gpu", "num_gpu: not an integer", 2, 1},
      {good + "1,-1,30,100,vgg,147,23\n", ":3:3:", "num_gpu", "num_gpu: out of range", 2, 1},
      {good + "1,1,abc,100,vgg,147,23\n", ":3:5:", "submit_time", "submit_time: not a number", 2,
       1},
      {good + "1,1,-30,100,vgg,147,23\n", ":3:5:", "submit_time", "submit_time: negative", 2, 1},
      {good + "1,1,30,100,vgg,abc,23\n", ":3:16:", "duration", "duration: not a number", 2, 1},
      {good + "1,1,30,100,vgg,-1,23\n", ":3:16:", "duration", "duration: negative", 2, 1},
  };
  for (const BadRow& c : cases) ExpectBadRow(dir, "tiresias", "bad.csv", c);
}

// --------------------------------------------------------------------------------------------
// Gavel

const char kThroughputs[] =
    "{\"v100\": {\"('ResNet-18 (batch size 64)', 1)\": {\"null\": 10.0},"
    "            \"('ResNet-18 (batch size 64)', 4)\": {\"null\": 25.0},"
    "            \"('Transformer (batch size 128)', 2)\": {\"null\": 4.0},"
    "            \"('Broken', 1)\": {\"null\": 0}},"
    " \"k80\":  {\"('ResNet-18 (batch size 64)', 1)\": {\"null\": 2.0}}}";

std::string Gavel7(const std::string& type, const std::string& steps, const std::string& arrival,
                   const std::string& scale) {
  return type + "\tcd %s && python3 train.py\t--num_steps\t1\t" + steps + "\t" + arrival + "\t" +
         scale + "\n";
}

TEST(Trace, GavelJobsWithThroughputsOneDirectoryUp) {
  TempTraceDir dir;
  dir.Write("simulation_throughputs.json", kThroughputs);
  const std::string path = dir.Write(
      "traces/t.trace", Gavel7("ResNet-18 (batch size 64)", "1000", "5.000000", "1") +      // 1
                            Gavel7("ResNet-18 (batch size 64)", "5000", "0.000000", "4") +  // 2
                            "\n" +                                                          // 3
                            Gavel7("ResNet-18 (batch size 64)", "0.001", "5", "1") +        // 4
                            // The 10-column layout: ..., total_steps, scale_factor, priority,
                            // SLO, arrival_time.
                            "Transformer (batch size 128)\tpython3 train.py\ttranslation\t-step\t1"
                            "\t346\t2\t1\t-1.000000\t2.5\n");  // 5
  Result<TraceJobs> r = Load("gavel", path);
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceJobs& t = r.value();
  EXPECT_EQ(t.rows, 4);
  EXPECT_TRUE(t.skipped.empty());
  EXPECT_TRUE(t.excluded.empty());
  EXPECT_EQ(t.tenants, (std::vector<std::string>{"gavel"}));
  EXPECT_EQ(t.origin_epoch_s, 0);
  ASSERT_EQ(t.jobs.size(), 4u);
  // 5000 steps / 25 per s = 200 s; 346 / 4 = 86.5 s; 1000 / 10 = 100 s; a tiny job lasts >= 1 ms.
  EXPECT_EQ(t.jobs[0].name, "gavel-2");
  EXPECT_EQ(t.jobs[0].submit, 0);
  EXPECT_EQ(t.jobs[0].gpus, 4);
  EXPECT_EQ(t.jobs[0].duration, 200'000);
  EXPECT_EQ(t.jobs[1].name, "gavel-5");
  EXPECT_EQ(t.jobs[1].submit, 2'500);
  EXPECT_EQ(t.jobs[1].gpus, 2);
  EXPECT_EQ(t.jobs[1].duration, 86'500);
  EXPECT_EQ(t.jobs[2].name, "gavel-1");
  EXPECT_EQ(t.jobs[2].submit, 5'000);
  EXPECT_EQ(t.jobs[2].gpus, 1);
  EXPECT_EQ(t.jobs[2].duration, 100'000);
  EXPECT_EQ(t.jobs[3].name, "gavel-4");
  EXPECT_EQ(t.jobs[3].submit, 5'000);
  EXPECT_EQ(t.jobs[3].duration, 1);

  // Another GPU type and an explicit throughputs file.
  TraceOptions options;
  options.gavel_gpu = "k80";
  const std::string single =
      dir.Write("k80/one.trace", Gavel7("ResNet-18 (batch size 64)", "1000", "0", "1"));
  Result<TraceJobs> k80 = LoadTrace(ParseTraceArg("gavel:" + single).value(), options);
  ASSERT_TRUE(k80.ok()) << k80.message();
  ASSERT_EQ(k80.value().jobs.size(), 1u);
  EXPECT_EQ(k80.value().jobs[0].duration, 500'000);
}

TEST(Trace, GavelThroughputsBesideTheTrace) {
  TempTraceDir dir;
  dir.Write("here/simulation_throughputs.json", kThroughputs);
  const std::string path =
      dir.Write("here/t.trace", Gavel7("ResNet-18 (batch size 64)", "1000", "0", "1"));
  Result<TraceJobs> r = Load("gavel", path);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.value().jobs.size(), 1u);
}

TEST(Trace, GavelThroughputErrors) {
  TempTraceDir dir;
  const std::string path =
      dir.Write("a/b/t.trace", Gavel7("ResNet-18 (batch size 64)", "1", "0", "1"));
  Result<TraceJobs> none = Load("gavel", path);
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(StartsWith(none.message(), path + ": Gavel traces give steps"));

  TraceOptions options;
  options.gavel_throughputs = dir.Write("tp.json", kThroughputs);
  options.gavel_gpu = "a100";
  Result<TraceJobs> gpu = LoadTrace(ParseTraceArg("gavel:" + path).value(), options);
  ASSERT_FALSE(gpu.ok());
  EXPECT_EQ(gpu.message(), options.gavel_throughputs + ": no GPU type 'a100'; it has: k80, v100");

  options.gavel_gpu = "v100";
  options.gavel_throughputs = dir.Write("broken.json", "{\"v100\": ");
  Result<TraceJobs> broken = LoadTrace(ParseTraceArg("gavel:" + path).value(), options);
  ASSERT_FALSE(broken.ok());
  EXPECT_TRUE(StartsWith(broken.message(), options.gavel_throughputs + ": JSON syntax error"));

  // Found by fuzz/fuzz_trace_gavel: a number beyond a double threw out_of_range past the reader,
  // and a list where the GPU types belong threw when the message listed their names
  // (also in trace_limits_test.cc).
  options.gavel_throughputs = dir.Write("overflow.json", "{\"v100\": 8.01e308}");
  Result<TraceJobs> overflow = LoadTrace(ParseTraceArg("gavel:" + path).value(), options);
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.message(),
            options.gavel_throughputs +
                ": JSON: [json.exception.out_of_range.406] number overflow parsing '8.01e308'");
  options.gavel_throughputs = dir.Write("list.json", "[1, 2]");
  Result<TraceJobs> list = LoadTrace(ParseTraceArg("gavel:" + path).value(), options);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.message(), options.gavel_throughputs +
                                ":1:1: expected a JSON object from GPU types to throughputs (as "
                                "Gavel's simulation_throughputs.json)");
}

TEST(Trace, GavelBadRows) {
  TempTraceDir dir;
  dir.Write("simulation_throughputs.json", kThroughputs);
  const std::string good = Gavel7("ResNet-18 (batch size 64)", "1000", "0", "1");
  // In "ResNet-18 (batch size 64)\tcd ... train.py\t--num_steps\t1\tSTEPS\tARRIVAL\tSCALE" the
  // command is 25 characters: total_steps starts at character 27 + 26 + 12 + 2 = 67.
  const int steps_col = 1 + 26 + 26 + 12 + 2;
  const std::string steps = ":2:" + std::to_string(steps_col) + ":";
  const std::string arrival = ":2:" + std::to_string(steps_col + 5) + ":";  // after "1000\t"
  const std::string scale = ":2:" + std::to_string(steps_col + 7) + ":";    // after "1000\t5\t"
  const std::vector<BadRow> cases = {
      {good + "ResNet-18 (batch size 64)\tcmd\t-n\t1\t1000\t5\n", ":2:", "",
       "wrong number of fields", 2, 1},
      {good + Gavel7("ResNet-18 (batch size 64)", "1000", "5", "1 \textra"), ":2:", "",
       "wrong number of fields", 2, 1},
      {good + Gavel7("Frobnicator", "1000", "5", "1"), ":2:1:", "", "job type without a throughput",
       2, 1},
      {good + Gavel7("ResNet-18 (batch size 64)", "1000", "5", "2"), ":2:1:", "",
       "job type without a throughput", 2, 1},
      {good + Gavel7("Broken", "1000", "5", "1"), ":2:1:", "", "job type without a throughput", 2,
       1},
      {good + Gavel7("ResNet-18 (batch size 64)", "many", "5", "1"), steps, "",
       "total_steps: not positive", 2, 1},
      {good + Gavel7("ResNet-18 (batch size 64)", "0000", "5", "1"), steps, "",
       "total_steps: not positive", 2, 1},
      {good + Gavel7("ResNet-18 (batch size 64)", "1000", "-", "1"), arrival, "",
       "arrival_time: bad", 2, 1},
      {good + Gavel7("ResNet-18 (batch size 64)", "1000", "5", "0"), scale, "", "scale_factor: bad",
       2, 1},
  };
  for (const BadRow& c : cases) ExpectBadRow(dir, "gavel", "bad.trace", c);

  // The unknown job type is named in the message.
  const std::string path = dir.Write("unknown.trace", good + Gavel7("Frobnicator", "1", "5", "1"));
  Result<TraceJobs> r = Load("gavel", path);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.message(), "no throughput for ('Frobnicator', 1) on v100"));
}

// Gavel traces have no header, but errors should still name the field as the other formats do
// (CsvFile::Open takes `names` for this), not "column 5".
TEST(Trace, GavelErrorsNameTheField) {
  TempTraceDir dir;
  dir.Write("simulation_throughputs.json", kThroughputs);
  const struct {
    std::string row, field;
  } cases[] = {
      {Gavel7("Frobnicator", "1000", "5", "1"), "job_type"},
      {Gavel7("ResNet-18 (batch size 64)", "many", "5", "1"), "total_steps"},
      {Gavel7("ResNet-18 (batch size 64)", "1000", "-", "1"), "arrival_time"},
      {Gavel7("ResNet-18 (batch size 64)", "1000", "5", "0"), "scale_factor"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.Write("f.trace", c.row);
    Result<TraceJobs> r = Load("gavel", path);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(Contains(r.message(), "field '" + c.field + "'"));
  }
}

// --------------------------------------------------------------------------------------------
// Adding a trace to a workload

std::vector<JobSpec> Drain(JobSource& s) {
  std::vector<JobSpec> out;
  JobSpec j;
  while (s.Next(j)) out.push_back(j);
  return out;
}

TEST(Trace, AppendTraceMergesTenantsAndJobs) {
  TempTraceDir dir;
  const std::string path = dir.Write("philly.csv", std::string(kPhillyHeader) +
                                                       "2017-10-09 07:00:00,60,2,120,vcA\n"
                                                       "2017-10-09 07:00:05,60,1,60,vcB\n"
                                                       "2017-10-09 07:00:10,60,4,240,vcA\n");
  Result<TraceJobs> trace = Load("philly", path);
  ASSERT_TRUE(trace.ok()) << trace.message();

  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));
  const WorkloadSpec spec = testing::MustParseWorkload(
      "tenants: [{name: vcB, weight: 3}, {name: other}]\n"
      "jobs:\n"
      "  - {name: w1, submit: 0s, gpus: 1, duration: 1h, tenant: other}\n"
      "  - {name: w2, submit: 5s, gpus: 1, duration: 1h, tenant: vcB}\n"
      "  - {name: w3, submit: 20s, gpus: 1, duration: 1h}\n");
  Result<BoundWorkload> bound = BindWorkload(spec, fleet, 1);
  ASSERT_TRUE(bound.ok()) << bound.message();
  BoundWorkload w = std::move(bound).value();
  ASSERT_TRUE(AppendTrace(w, std::move(trace).value(), fleet).ok());

  ASSERT_EQ(w.tenants.size(), 3u);
  EXPECT_EQ(w.tenants[0].name, "vcB");
  EXPECT_EQ(w.tenants[0].weight, 3);
  EXPECT_EQ(w.tenants[1].name, "other");
  EXPECT_EQ(w.tenants[2].name, "vcA");  // new tenants come last, weight 1, no quota
  EXPECT_EQ(w.tenants[2].weight, 1);
  EXPECT_FALSE(w.tenants[2].quota_gpus.has_value());

  const std::vector<JobSpec> jobs = Drain(*w.source);
  ASSERT_EQ(jobs.size(), 6u);
  // Interleaved by submission; at equal times the workload's own jobs come first.
  const std::vector<std::string> names = {"w1", "philly-1", "w2", "philly-2", "philly-3", "w3"};
  const std::vector<SimTime> submits = {0, 0, 5'000, 5'000, 10'000, 20'000};
  const std::vector<int> tenants = {1, 2, 0, 0, 2, 0};
  const std::vector<int> gpus = {1, 2, 1, 1, 4, 1};
  for (size_t i = 0; i < jobs.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(jobs[i].name, names[i]);
    EXPECT_EQ(jobs[i].submit, submits[i]);
    EXPECT_EQ(jobs[i].tenant, tenants[i]);
    EXPECT_EQ(jobs[i].gpus, gpus[i]);
  }
}

TEST(Trace, AppendTwoTraces) {
  TempTraceDir dir;
  const std::string a = dir.Write("a.csv", std::string(kTiresiasHeader) +
                                               "0,1,0,1,m,10,1\n"
                                               "1,1,20,1,m,10,1\n");
  const std::string b = dir.Write("b.csv", std::string(kTiresiasHeader) + "0,2,5,1,m,10,1\n");
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 1));
  const WorkloadSpec spec =
      testing::MustParseWorkload("jobs:\n  - {name: w, submit: 1h, gpus: 1, duration: 1h}\n");
  BoundWorkload w = BindWorkload(spec, fleet, 7).value();
  ASSERT_TRUE(AppendTrace(w, Load("tiresias", a).value(), fleet).ok());
  ASSERT_TRUE(AppendTrace(w, Load("tiresias", b).value(), fleet).ok());
  ASSERT_EQ(w.tenants.size(), 2u);
  EXPECT_EQ(w.tenants[1].name, "tiresias");  // merged by name: added once
  const std::vector<JobSpec> jobs = Drain(*w.source);
  ASSERT_EQ(jobs.size(), 4u);
  // Each trace starts at 0: b's only job is at 0 too, after a's first (source order).
  EXPECT_EQ(jobs[0].name, "tiresias-0");
  EXPECT_EQ(jobs[0].gpus, 1);
  EXPECT_EQ(jobs[1].name, "tiresias-0");
  EXPECT_EQ(jobs[1].gpus, 2);
  EXPECT_EQ(jobs[2].submit, 20'000);
  EXPECT_EQ(jobs[3].name, "w");
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(jobs[i].tenant, 1);
}

// --------------------------------------------------------------------------------------------
// Virtual-cluster quotas

TEST(Trace, LoadVcQuotas) {
  TempTraceDir dir;
  const std::string path = dir.Write("vc.csv", "vc,node num\nvcA,2\nvcB,0\n\nvcC,8.0\n");
  auto r = LoadVcQuotas(path, 8);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.value(), (std::vector<std::pair<std::string, std::int64_t>>{
                           {"vcA", 16}, {"vcB", 0}, {"vcC", 64}}));
  EXPECT_EQ(LoadVcQuotas(path, 4).value()[0].second, 8);
}

TEST(Trace, LoadVcQuotasErrors) {
  TempTraceDir dir;
  const std::string negative = dir.Write("neg.csv", "vc,node num\nvcA,2\nvcB,-1\n");
  auto n = LoadVcQuotas(negative, 8);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.message(), negative + ":3:5: field 'node num': expected a node count >= 0");
  // Found by fuzz/fuzz_trace_philly_vc: nodes x GPUs per node overflowed (UB).
  const std::string huge = dir.Write("huge.csv", "vc,node num\n9,7777777777777777777\n");
  auto h = LoadVcQuotas(huge, 8);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.message(), huge +
                             ":2:3: field 'node num': expected at most 1000000 nodes in a "
                             "virtual cluster, got '7777777777777777777'");

  const std::string word = dir.Write("word.csv", "vc,node num\nvcA,two\n");
  auto w = LoadVcQuotas(word, 8);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.message(), word + ":2:5: field 'node num': expected an integer, got 'two'");

  const std::string unnamed = dir.Write("unnamed.csv", "vc,node num\n,4\n");
  auto u = LoadVcQuotas(unnamed, 8);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.message(), unnamed + ":2:1: field 'vc': expected a virtual-cluster name");

  const std::string columns = dir.Write("cols.csv", "vc,nodes\nvcA,4\n");
  auto c = LoadVcQuotas(columns, 8);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message(),
            columns + ":1:1: expected a column named 'node num' in the header; it has: vc,nodes");

  auto missing = LoadVcQuotas(dir.Path("none.csv"), 8);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), dir.Path("none.csv") + ": no such file");
}

// --------------------------------------------------------------------------------------------
// The real public traces (../shared/traces, or $GPUFLEET_TRACES); skipped when absent.

// Derivation (python3, on the file):
//   rows = list(csv.DictReader(open('philly/philly_jobs.csv')))      -> 82,247 rows
//   no row has num_gpus == 0 or duration <= 0, and none has |duration x num_gpus - gpu_time| > 1
//   len({r['cluster'] for r in rows})                                 -> 15
//   min / max timestamp: 2017-09-04 10:30:41 (1504521041) / 2017-12-22 08:02:11 (1513929731)
//   sum(float(r['gpu_time']) for r in rows) / 3600                    -> 978078.4727777778
//   Counter(int(r['num_gpus'])): 1:76627 2:1818 4:1870 8:1643 12:7 16:199 24:7 32:67 64:6 128:3
TEST(TraceReal, PhillyJobs) {
  REQUIRE_TRACE_FILE(path, "philly/philly_jobs.csv");
  Result<TraceJobs> r = Load("philly", path);
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceJobs& t = r.value();
  EXPECT_EQ(t.rows, 82'247);
  EXPECT_EQ(t.jobs.size(), 82'247u);
  EXPECT_TRUE(t.skipped.empty());
  EXPECT_TRUE(t.excluded.empty());
  EXPECT_EQ(t.tenants.size(), 15u);
  EXPECT_DOUBLE_EQ(t.origin_epoch_s, 1504521041.0);
  EXPECT_EQ(FormatEpoch(t.origin_epoch_s), "2017-09-04 10:30:41");
  ASSERT_FALSE(t.jobs.empty());
  EXPECT_EQ(t.jobs.front().submit, 0);
  EXPECT_EQ(t.jobs.back().submit, (1513929731LL - 1504521041LL) * 1000);
  EXPECT_EQ(FormatEpoch(t.origin_epoch_s + ToSeconds(t.jobs.back().submit)), "2017-12-22 08:02:11");
  for (size_t i = 1; i < t.jobs.size(); ++i) ASSERT_LE(t.jobs[i - 1].submit, t.jobs[i].submit);

  const TraceStats s = InspectTrace(t);
  EXPECT_NEAR(s.gpu_hours, 978'078.47, 0.01);
  EXPECT_EQ(s.tenants, 15);
  EXPECT_EQ(FormatEpoch(s.last_epoch_s), "2017-12-22 08:02:11");
  const std::map<std::int32_t, std::int64_t> histogram = {
      {1, 76'627}, {2, 1'818}, {4, 1'870}, {8, 1'643}, {12, 7},
      {16, 199},   {24, 7},    {32, 67},   {64, 6},    {128, 3}};
  EXPECT_EQ(s.jobs_by_gpus, histogram);
}

// awk -F, 'NR>1{n++; s+=$2} END{print n, s*8}' philly/philly_vc.csv   -> 11 2816
TEST(TraceReal, PhillyVcQuotas) {
  REQUIRE_TRACE_FILE(path, "philly/philly_vc.csv");
  auto r = LoadVcQuotas(path, 8);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.value().size(), 11u);
  std::int64_t gpus = 0;
  for (const auto& [vc, n] : r.value()) gpus += n;
  EXPECT_EQ(gpus, 2'816);
  EXPECT_EQ(r.value().front(), (std::pair<std::string, std::int64_t>{"6214e9", 512}));
}

// python3: rows = list(csv.DictReader(open('tiresias/60_job.csv'))) -> 60 rows, all with
// num_gpu > 0 and duration > 0; submit_time 0 .. 1779; num_gpu 1:30 2:10 4:10 8:10 (170 GPUs).
TEST(TraceReal, Tiresias60Jobs) {
  REQUIRE_TRACE_FILE(path, "tiresias/60_job.csv");
  Result<TraceJobs> r = Load("tiresias", path);
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceJobs& t = r.value();
  EXPECT_EQ(t.rows, 60);
  ASSERT_EQ(t.jobs.size(), 60u);
  EXPECT_EQ(t.jobs.back().submit, 1'779'000);
  std::int64_t gpus = 0;
  for (const JobSpec& j : t.jobs) gpus += j.gpus;
  EXPECT_EQ(gpus, 170);
}

// python3: 2,000 lines of 7 tab-separated fields; arrival_time 0 .. 4184082. 15 rows have a
// (job_type, scale_factor) with no entry in simulation_throughputs.json for any GPU type
// ('A3C', 2) x3, ('Recommendation (batch size 2048)', 4) x3, ('Recommendation (batch size
// 1024)', 4) x2, ('Recommendation (batch size 8192)', 8) x2, ('A3C', 8), ('CycleGAN', 2), and
// three more Recommendation ones at 2 GPUs; they are on lines 33, 56, 98, 112, 311, 316, 914,
// 917, 922, 936, 957, 1015, 1017, 1020 and 1023.
TEST(TraceReal, GavelMsrTrace) {
  REQUIRE_TRACE_FILE(path, "gavel/msr_seed0/6214e9.trace");
  // Throughputs are found one directory up (gavel/simulation_throughputs.json).
  Result<TraceJobs> r = Load("gavel", path, /*skip=*/true);
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceJobs& t = r.value();
  EXPECT_EQ(t.rows, 2'000);
  EXPECT_EQ(t.skipped,
            (std::map<std::string, std::int64_t>{{"job type without a throughput", 15}}));
  ASSERT_EQ(t.jobs.size(), 1'985u);
  EXPECT_EQ(t.jobs.front().submit, 0);
  EXPECT_EQ(t.jobs.back().submit, 4'184'082'000);
  for (const JobSpec& j : t.jobs) ASSERT_GT(j.duration, 0) << j.name;

  // Without skipping, the first row without a throughput (line 33) is the error.
  Result<TraceJobs> strict = Load("gavel", path);
  ASSERT_FALSE(strict.ok());
  EXPECT_TRUE(StartsWith(strict.message(), path + ":33:1: ")) << strict.message();
  EXPECT_TRUE(Contains(strict.message(), "no throughput for"));
}

// python3: 20 lines of 10 tab-separated fields, arrival_time (last field) 0 on every line,
// scale_factor 1 x17 and 2 x3; every (job_type, scale_factor) is in the v100 table.
TEST(TraceReal, GavelSmallTestTenColumns) {
  REQUIRE_TRACE_FILE(path, "gavel/small_test.trace");
  Result<TraceJobs> r = Load("gavel", path);
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceJobs& t = r.value();
  EXPECT_EQ(t.rows, 20);
  ASSERT_EQ(t.jobs.size(), 20u);
  std::map<std::int32_t, std::int64_t> by_gpus;
  for (size_t i = 0; i < t.jobs.size(); ++i) {
    EXPECT_EQ(t.jobs[i].submit, 0);
    EXPECT_EQ(t.jobs[i].name, "gavel-" + std::to_string(i + 1));  // file order kept
    EXPECT_GT(t.jobs[i].duration, 0);
    by_gpus[t.jobs[i].gpus]++;
  }
  EXPECT_EQ(by_gpus, (std::map<std::int32_t, std::int64_t>{{1, 17}, {2, 3}}));
}

}  // namespace
}  // namespace gpufleet
