// Hostile numbers and sizes in trace files (issue 11): each is an error that names the file, line,
// column and field, or is handled as documented - never undefined behaviour, a crash, or a job
// that silently differs from its row. Limits: docs/SPEC.md, "Limits".
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_fleets.h"
#include "trace/csv.h"
#include "trace/trace.h"

namespace gpufleet {
namespace {

class TraceLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("trace-limits-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }
  Result<TraceJobs> Load(const std::string& arg, bool skip = false) {
    TraceOptions options;
    options.skip_bad_rows = skip;
    return LoadTrace(ParseTraceArg(arg).value(), options);
  }
  std::filesystem::path dir_;
};

::testing::AssertionResult Contains(const std::string& s, const std::string& part) {
  if (s.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << s << "' does not contain '" << part << "'";
}

constexpr const char* kOpenbHeader =
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time,deletion_time\n";

// Item 1: a deletion_time of 9e18 s once overflowed llround in the importer; the job got a negative
// duration and the event queue aborted. It is a malformed row: deletion_time at column 24 of
// "p0,1000,1024,1,460,100,9000000000000000000".
TEST_F(TraceLimits, OpenbDeletionFarInTheFutureIsAnError) {
  const std::string pods =
      Write("pods.csv", std::string(kOpenbHeader) + "p0,1000,1024,1,460,100,9000000000000000000\n");
  const Result<TraceJobs> t = Load("openb:" + pods);
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Contains(t.message(), pods + ":2:24: field 'deletion_time': expected a deletion "
                                           "within 100 years of the creation"));
  const Result<TraceJobs> skipped = Load("openb:" + pods, /*skip=*/true);
  ASSERT_TRUE(skipped.ok()) << skipped.message();
  EXPECT_TRUE(skipped.value().jobs.empty());
  EXPECT_EQ(skipped.value().skipped.at("deletion_time: out of range"), 1);
}

// The other end: a deletion at INT64_MIN seconds is before the creation (zero duration, excluded),
// and the difference of the two is never computed where it would overflow.
TEST_F(TraceLimits, OpenbDeletionFarInThePastIsExcluded) {
  const std::string pods = Write(
      "pods.csv", std::string(kOpenbHeader) + "p0,1000,1024,1,460,100,-9223372036854775808\n");
  const Result<TraceJobs> t = Load("openb:" + pods);
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_TRUE(t.value().jobs.empty());
  EXPECT_EQ(t.value().excluded.at("zero duration"), 1);
}

// Item 4 in traces: requests beyond a job's limits (10^9 cores, 10^9 GB) would be refused by the
// scheduler in the middle of a run; they are malformed rows. cpu_milli at column 4 of
// "p0,1000000000000000000,...", memory_mib at column 9 of "p0,1000,1000000000000000000,...".
TEST_F(TraceLimits, OpenbHugeRequestsAreErrors) {
  const std::string cpu =
      Write("cpu.csv", std::string(kOpenbHeader) + "p0,1000000000000000000,1024,1,460,100,700\n");
  const Result<TraceJobs> c = Load("openb:" + cpu);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(Contains(c.message(), cpu + ":2:4: field 'cpu_milli': expected at most "
                                          "1000000000000 milli-CPU, got '1000000000000000000'"));
  const std::string mem =
      Write("mem.csv", std::string(kOpenbHeader) + "p0,1000,1000000000000000000,1,460,100,700\n");
  const Result<TraceJobs> m = Load("openb:" + mem);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.message(), mem + ":2:9: field 'memory_mib': expected at most"));
  const Result<TraceJobs> skipped = Load("openb:" + mem, /*skip=*/true);
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(skipped.value().skipped.at("memory_mib: out of range"), 1);
}

// PAI sums per-instance requests over a job's tasks: inst_num and the sums are bounded before
// they become integers (llround of 1e300 was undefined; a GPU count past 2^31 wrapped).
TEST_F(TraceLimits, PaiHugeTasksAreErrors) {
  // inst_num at column 11 of "j1,worker,3000000000,...".
  Write("pai_task_table.csv", "j1,worker,3000000000,Terminated,1000,2000,100,2,100,\n");
  Write("pai_job_table.csv", "j1,i1,alice,Terminated,1000,2000\n");
  const std::string dir = dir_.string();
  const Result<TraceJobs> inst = Load("pai:" + dir);
  ASSERT_FALSE(inst.ok());
  EXPECT_TRUE(Contains(inst.message(),
                       "pai_task_table.csv:1:11: field 'inst_num': expected at "
                       "most 10000000 instances, got '3000000000'"));

  // Two tasks of 6,000,000 whole-GPU instances: 12,000,000 GPUs, more than a job may have.
  Write("pai_task_table.csv",
        "j1,worker,6000000,Terminated,1000,2000,100,2,100,\n"
        "j1,ps,6000000,Terminated,1000,2000,100,2,100,\n");
  const Result<TraceJobs> gpus = Load("pai:" + dir);
  ASSERT_FALSE(gpus.ok());
  EXPECT_TRUE(Contains(gpus.message(),
                       "pai_job_table.csv:1: job 'j1': expected at most 10000000 "
                       "GPUs in all, got 12000000"));

  // plan_cpu 1e300 percent of a core.
  Write("pai_task_table.csv", "j1,worker,1,Terminated,1000,2000,1e300,2,100,\n");
  const Result<TraceJobs> cpu = Load("pai:" + dir);
  ASSERT_FALSE(cpu.ok());
  EXPECT_TRUE(Contains(cpu.message(), "job 'j1': expected a job's plan_cpu x inst_num"));
  EXPECT_TRUE(Contains(cpu.message(), "got 1e+300"));
  const Result<TraceJobs> skipped = Load("pai:" + dir, /*skip=*/true);
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(skipped.value().skipped.at("tasks: request out of range"), 1);
}

// A trace's submissions span at most 100 years: j2 starts 200 years after j1 (epoch seconds),
// which fits 64-bit milliseconds but not the scheduler's times.
TEST_F(TraceLimits, SubmissionsSpanAtMost100Years) {
  Write("pai_task_table.csv",
        "j1,worker,1,Terminated,1000,2000,100,2,100,\n"
        "j2,worker,1,Terminated,1000,2000,100,2,100,\n");
  Write("pai_job_table.csv",
        "j1,i1,alice,Terminated,1000,2000\n"
        "j2,i2,bob,Terminated,6307201000,6307202000\n");
  const Result<TraceJobs> t = Load("pai:" + dir_.string());
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Contains(t.message(),
                       "job 'j2': submitted 6307200000 s after the first job; a "
                       "trace's submissions may span at most 100 years"));
}

std::string NodeList(int models) {
  std::string text = "sn,cpu_milli,memory_mib,gpu,model\n";
  for (int i = 0; i < models; ++i)
    text += "n" + std::to_string(i) + ",64000,262144,8,M" + std::to_string(i) + "\n";
  return text;
}

// Item 3: a job's GPU models are a 64-bit mask, so a fleet has at most 64 models. The 65th label
// of a machine list is an error at its row (line 66: the header, then 64 rows), column 20 of
// "n64,64000,262144,8,M64" - before anything grows with the number of models.
TEST_F(TraceLimits, MachineListWithMoreThan64ModelsIsAnError) {
  const std::string path = Write("nodes.csv", NodeList(65));
  const Result<TraceFleet> f = LoadTraceFleet("openb-nodes:" + path);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.message(), path +
                             ":66:20: field 'model': 'M64' would be the 65th GPU model of the "
                             "fleet; a fleet may have at most 64 (docs/SPEC.md, \"Limits\")");
  // 30,000 labels (the capacity index once grew as nodes x levels x models and ran out of
  // memory): the same error at the same row.
  const std::string many = Write("many.csv", NodeList(30000));
  const Result<TraceFleet> m = LoadTraceFleet("openb-nodes:" + many);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.message(), many + ":66:20: field 'model': 'M64' would be the 65th"));
}

// 64 models are allowed, and masks use all 64 bits: a pod bound to the last model gets it, one
// allowing the last two gets bits 62 and 63 (1 << 64 was undefined and put pods on model 0).
TEST_F(TraceLimits, SixtyFourModelsUseEveryBitOfTheMask) {
  const std::string nodes = Write("nodes.csv", NodeList(64));
  Result<TraceFleet> f = LoadTraceFleet("openb-nodes:" + nodes);
  ASSERT_TRUE(f.ok()) << f.message();
  const Fleet& fleet = f.value().fleet;
  ASSERT_EQ(fleet.gpu_models().size(), 64u);
  // Models are numbered in the order of the machine shapes: ids 62 and 63 are two of the labels.
  const ModelId last = 63, before = 62;
  const std::string last_name = fleet.gpu_models()[63].name;
  const std::string before_name = fleet.gpu_models()[62].name;
  const std::string pods =
      Write("pods.csv",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time\n"
            "p0,1000,1024,1,1000," +
                last_name +
                ",0,60\n"
                "p1,1000,1024,1,1000," +
                before_name + "|" + last_name + ",1,60\n");
  BoundWorkload w =
      BindWorkload(testing::MustParseWorkload("jobs: [{gpus: 1, duration: 1m}]\n"), fleet, 1)
          .value();
  ASSERT_TRUE(AppendTrace(w, Load("openb:" + pods).value(), fleet).ok());
  std::vector<JobSpec> jobs;
  JobSpec j;
  while (w.source->Next(j)) jobs.push_back(j);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[1].gpu_model, last);
  EXPECT_EQ(jobs[2].gpu_model, kAnyModel);
  EXPECT_EQ(jobs[2].allowed_models, ModelBit(before) | ModelBit(last));
  EXPECT_EQ(jobs[2].allowed_models, 0xC000'0000'0000'0000u);
}

// Machine capacities are bounded (10^6 cores, 10^6 GB per node) before they are rounded:
// cpu_milli at column 4 of "n0,1e300,...", cap_mem (GB) at column 13 of "m0,V100,96,1e300,8".
TEST_F(TraceLimits, MachineCapacitiesOutOfRangeAreErrors) {
  const std::string openb =
      Write("nodes.csv", "sn,cpu_milli,memory_mib,gpu,model\nn0,1e300,262144,8,P100\n");
  const Result<TraceFleet> o = LoadTraceFleet("openb-nodes:" + openb);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.message(), openb +
                             ":2:4: field 'cpu_milli': expected milli-CPU of a machine from 0 "
                             "to 1000000000, got 1e+300");
  const std::string pai = Write("machines.csv", "m0,V100,96,1e300,8\n");
  const Result<TraceFleet> p = LoadTraceFleet("pai-machines:" + pai);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(Contains(p.message(), pai + ":1:12: field 'cap_mem': expected GB of memory of a "
                                          "machine from 0 to 1000000"));
}

// Item 2: `--vcs` rows of 3,000,000,000 nodes went negative through an int (std::length_error,
// exit 134) and 4,294,967,297 nodes silently became one node reported as 34 billion GPUs. Both
// are errors at the field: 'node num' at column 5 of "vcA,3000000000".
TEST_F(TraceLimits, VcNodeCountsAreBounded) {
  for (const std::string n : {"3000000000", "4294967297"}) {
    const std::string path = Write("vc.csv", "vc,node num\nvcA," + n + "\n");
    const auto r = LoadVcQuotas(path, 8);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.message(), path +
                               ":2:5: field 'node num': expected at most 1000000 nodes in a "
                               "virtual cluster, got '" +
                               n + "'");
  }
  const std::string ok = Write("ok.csv", "vc,node num\nvcA,1000000\n");
  ASSERT_TRUE(LoadVcQuotas(ok, 64).ok());
  EXPECT_EQ(LoadVcQuotas(ok, 64).value()[0].second, 64'000'000);
  // GPUs per node as a node type allows them: 1 to 64 (0 divided by zero in vc-replay).
  const auto zero = LoadVcQuotas(ok, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.message(), "GPUs per node of the virtual clusters: expected 1 to 64, got 0");
}

// Item 9: a UTF-8 byte order mark (as spreadsheet programs save CSV) made the first column
// "not exist", with an invisible character in the message.
TEST_F(TraceLimits, CsvByteOrderMarkIsSkipped) {
  const std::string path = Write("philly.csv",
                                 "\xEF\xBB\xBFtimestamp,duration,num_gpus,gpu_time,cluster\n"
                                 "2017-10-01 00:00:00,3600,2,7200,vc1\n");
  const Result<TraceJobs> t = Load("philly:" + path);
  ASSERT_TRUE(t.ok()) << t.message();
  ASSERT_EQ(t.value().jobs.size(), 1u);
  EXPECT_EQ(t.value().jobs[0].gpus, 2);
  CsvFile f = CsvFile::FromString(
      "\xEF\xBB\xBF"
      "a,b\n1,2\n",
      "bom.csv");
  EXPECT_EQ(f.header(), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(f.line(), 2);
  EXPECT_EQ(f.Field(0), "1");
}

// Rows become jobs: a file of more than 10,000,000 lines is refused before it is parsed.
TEST_F(TraceLimits, CsvFilesHaveAtMostTenMillionLines) {
  const std::string path = Write("long.csv", "a\n" + std::string(10'000'000, '\n'));
  const Result<CsvFile> f = CsvFile::Open(path);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.message(), path +
                             ":10000001: more than 10000000 lines, the most gpufleet reads "
                             "from one file (docs/SPEC.md, \"Limits\")");
  const std::string fits = Write("fits.csv", "a\n" + std::string(9'999'999, '\n'));
  EXPECT_TRUE(CsvFile::Open(fits).ok());
}

// And of at most 2,000,000,000 bytes, checked before reading (a sparse file: nothing is written).
TEST_F(TraceLimits, CsvFilesHaveAtMostTwoBillionBytes) {
  const std::string path = Write("huge.csv", "a\n");
  std::filesystem::resize_file(path, 2'000'000'001);
  const Result<CsvFile> f = CsvFile::Open(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.message(), path +
                             ": larger than 2000000000 bytes, the most gpufleet reads from one "
                             "file (docs/SPEC.md, \"Limits\")");
}

// A throughput table that is no JSON object once threw out of the importer (iterating a list's
// keys) instead of an error.
TEST_F(TraceLimits, GavelThroughputsMustBeAnObject) {
  const std::string throughputs = Write("simulation_throughputs.json", "[1, 2]");
  const std::string trace = Write("t.trace", "ResNet-18\tcmd\t--steps\tTrue\t1000\t0\t1\n");
  TraceOptions options;
  options.gavel_throughputs = throughputs;
  const Result<TraceJobs> t = LoadTrace(ParseTraceArg("gavel:" + trace).value(), options);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.message(), throughputs +
                             ":1:1: expected a JSON object from GPU types to throughputs (as "
                             "Gavel's simulation_throughputs.json)");
}

}  // namespace
}  // namespace gpufleet
