// The Alibaba importers: openb pods and nodes, PAI 2020 tables and machines.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_fleets.h"
#include "trace/trace.h"

namespace gpufleet {
namespace {

class AlibabaFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) /
        ("alibaba-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  std::filesystem::path dir_;
};

TEST_F(AlibabaFiles, OpenbPodsBecomeSharingJobsWithResourcesAndModels) {
  const std::string path =
      Write("pods.csv",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
            "deletion_time,scheduled_time\n"
            "p0,12000,16384,1,460,,LS,Running,100,700,100\n"
            "p1,4000,8192,2,1000,T4,LS,Running,0,3600,0\n"
            "p2,2000,1024,0,0,,BE,Running,5,50,5\n"
            "p3,2000,1024,1,500,V100M16|V100M32,LS,Running,5,50,5\n"
            "p4,2000,1024,1,500,,LS,Running,60,60,60\n");
  const Result<TraceJobs> t = LoadTrace(ParseTraceArg("openb:" + path).value(), {});
  ASSERT_TRUE(t.ok()) << t.message();
  // p1 first (created at 0), then p3 (at 5 s, models V100M16 or V100M32), then p0 (at 100 s:
  // 600 s at 460 milli, 12 cores, 16 GiB).
  ASSERT_EQ(t.value().jobs.size(), 3u);
  EXPECT_EQ(t.value().job_models[1], "v100m16|v100m32");
  const JobSpec& p1 = t.value().jobs[0];
  EXPECT_EQ(p1.name, "p1");
  EXPECT_EQ(p1.gpus, 2);
  EXPECT_EQ(p1.gpu_milli, 1000);
  EXPECT_EQ(t.value().job_models[0], "t4");
  const JobSpec& p0 = t.value().jobs[2];
  EXPECT_EQ(p0.submit, 100 * kSecond);
  EXPECT_EQ(p0.duration, 600 * kSecond);
  EXPECT_EQ(p0.gpu_milli, 460);
  EXPECT_EQ(p0.cpu_milli, 12000);
  EXPECT_EQ(p0.memory_mib, 16384);
  EXPECT_EQ(t.value().job_models[2], "");
  EXPECT_EQ(t.value().excluded.at("no GPUs (CPU-only job)"), 1);
  EXPECT_EQ(t.value().excluded.at("zero duration"), 1);
}

TEST_F(AlibabaFiles, OpenbBadRowNamesTheField) {
  const std::string path =
      Write("pods.csv",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time,deletion_time\n"
            "p0,lots,16384,1,460,100,700\n");
  const Result<TraceJobs> t = LoadTrace(ParseTraceArg("openb:" + path).value(), {});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find(path + ":2:4: field 'cpu_milli'"), std::string::npos) << t.message();
  TraceOptions skip;
  skip.skip_bad_rows = true;
  const Result<TraceJobs> skipped = LoadTrace(ParseTraceArg("openb:" + path).value(), skip);
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(skipped.value().skipped.at("cpu_milli: not an integer"), 1);
}

// Times that would not fit 64-bit milliseconds are errors (util/time.h), never an overflow.
TEST_F(AlibabaFiles, TimesBeyondSimulatedTimeAreErrors) {
  // deletion_time starts at column 24 of "p0,1000,1024,1,460,100,...".
  const std::string pods =
      Write("pods.csv",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time,deletion_time\n"
            "p0,1000,1024,1,460,100,9223372036854775807\n");
  const Result<TraceJobs> t = LoadTrace(ParseTraceArg("openb:" + pods).value(), {});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find(pods + ":2:24: field 'deletion_time'"), std::string::npos)
      << t.message();
  // PAI start times are epoch seconds: j2 starts 1e17 s after j1, beyond 2^63 ms.
  Write("pai_task_table.csv",
        "j1,worker,1,Terminated,1000,2000,100,2,100,\n"
        "j2,worker,1,Terminated,1000,2000,100,2,100,\n");
  Write("pai_job_table.csv",
        "j1,i1,alice,Terminated,1000,2000\n"
        "j2,i2,bob,Terminated,100000000000000000,100000000000001000\n");
  const Result<TraceJobs> pai = LoadTrace(ParseTraceArg("pai:" + dir_.string()).value(), {});
  ASSERT_FALSE(pai.ok());
  EXPECT_NE(pai.message().find("job 'j2': its submission, after the first job's: "),
            std::string::npos)
      << pai.message();
  EXPECT_NE(pai.message().find("beyond the range of simulated time"), std::string::npos);
}

TEST_F(AlibabaFiles, PaiJobsFromTheirTasks) {
  // j1: 4 workers at 50% of a GPU each (shares: 4 GPUs x 500 milli on one node), 600% CPU and
  // 30 GB each, on T4s, 1000 s. j2: 2 workers with 200% of a GPU = 4 whole GPUs, any model.
  // j3: CPU only. j4: no end time. j5: tasks with different shares.
  Write("pai_task_table.csv",
        "j1,worker,4,Terminated,1000,2000,600,30,50,T4\n"
        "j2,worker,2,Terminated,1000,2000,400,10,200,\n"
        "j3,ps,1,Terminated,1000,2000,100,2,,\n"
        "j4,worker,1,Running,1000,,100,2,100,V100\n"
        "j5,worker,1,Terminated,1000,2000,100,2,100,\n"
        "j5,evaluator,1,Terminated,1000,2000,100,2,50,\n");
  Write("pai_job_table.csv",
        "j1,i1,alice,Terminated,1000,2000\n"
        "j2,i2,bob,Terminated,1500,1600\n"
        "j3,i3,bob,Terminated,1000,2000\n"
        "j4,i4,bob,Running,1000,\n"
        "j5,i5,bob,Terminated,1000,2000\n");
  const Result<TraceJobs> t = LoadTrace(ParseTraceArg("pai:" + dir_.string()).value(), {});
  ASSERT_TRUE(t.ok()) << t.message();
  ASSERT_EQ(t.value().jobs.size(), 2u);
  const JobSpec& j1 = t.value().jobs[0];
  EXPECT_EQ(j1.gpus, 4);
  EXPECT_EQ(j1.gpu_milli, 500);
  EXPECT_EQ(j1.cpu_milli, 24000);  // 4 x 600% of a core
  EXPECT_EQ(j1.memory_mib, 4 * 30 * 1024);
  EXPECT_EQ(j1.duration, 1000 * kSecond);
  EXPECT_EQ(t.value().job_models[0], "t4");
  const JobSpec& j2 = t.value().jobs[1];
  EXPECT_EQ(j2.gpus, 4);
  EXPECT_EQ(j2.gpu_milli, 1000);
  EXPECT_EQ(j2.submit, 500 * kSecond);  // 1500 s, after j1 at 1000 s
  EXPECT_EQ(t.value().tenants, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(t.value().excluded.at("no GPUs (CPU-only job)"), 1);
  EXPECT_EQ(t.value().excluded.at("never finished (no start or end time)"), 1);
  EXPECT_EQ(t.value().excluded.at("tasks with different GPU shares (not modelled)"), 1);
}

TEST_F(AlibabaFiles, TraceFleetGroupsMachinesByShape) {
  const std::string path = Write("nodes.csv",
                                 "sn,cpu_milli,memory_mib,gpu,model\n"
                                 "n0,64000,262144,2,P100\n"
                                 "n1,64000,262144,2,P100\n"
                                 "n2,96000,393216,8,G2\n"
                                 "n3,32000,131072,0,\n");
  const Result<TraceFleet> f = LoadTraceFleet("openb-nodes:" + path);
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ(f.value().fleet.total_gpus(), 12);
  EXPECT_EQ(f.value().fleet.num_nodes(), 3);
  EXPECT_EQ(f.value().note,
            "no host power in a machine list: a node draws its GPUs' power only; 1 machine "
            "without GPUs left out");
  // G2 is undisclosed: a model without figures.
  const ModelId g2 = f.value().fleet.FindModel("g2");
  ASSERT_NE(g2, kAnyModel);
  EXPECT_EQ(f.value().fleet.gpu_models()[static_cast<size_t>(g2)].tdp_w, 0);
}

TEST_F(AlibabaFiles, ModelSetsBecomeMasksOfTheFleetsModels) {
  // A fleet with H100 and H200: a job allowing "h200|b200" may only use the H200s (the fleet has
  // no B200); one allowing both fleet models gets a mask of two.
  const std::string path =
      Write("pods.csv",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time\n"
            "p0,1000,1024,1,1000,H200|B200,0,60\n"
            "p1,1000,1024,1,1000,H100|H200,0,60\n");
  const Fleet fleet = testing::MustParseFleet(
      "sites:\n"
      "  - {name: a, power_budget_mw: 1, domains: [{name: d, count: 1, node_type: dgx-h100}]}\n"
      "  - {name: b, power_budget_mw: 1, domains: [{name: d, count: 1, node_type: dgx-h200}]}\n");
  BoundWorkload w =
      BindWorkload(testing::MustParseWorkload("jobs: [{gpus: 1, duration: 1m}]\n"), fleet, 1)
          .value();
  ASSERT_TRUE(
      AppendTrace(w, LoadTrace(ParseTraceArg("openb:" + path).value(), {}).value(), fleet).ok());
  std::vector<JobSpec> jobs;
  JobSpec j;
  while (w.source->Next(j)) jobs.push_back(j);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[1].gpu_model, fleet.FindModel("h200"));
  EXPECT_EQ(jobs[2].gpu_model, kAnyModel);
  EXPECT_EQ(jobs[2].allowed_models, 3u);
}

TEST_F(AlibabaFiles, ModelBoundJobsNeedTheModelInTheFleet) {
  const std::string path =
      Write("pods.csv",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time\n"
            "p0,1000,1024,1,500,T4,0,60\n");
  const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 1));
  BoundWorkload w =
      BindWorkload(testing::MustParseWorkload("jobs: [{gpus: 1, duration: 1m}]\n"), fleet, 1)
          .value();
  const Status s =
      AppendTrace(w, LoadTrace(ParseTraceArg("openb:" + path).value(), {}).value(), fleet);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1 ask for t4"), std::string::npos) << s.message();
}

std::string TraceDir() {
  if (const char* env = std::getenv("GPUFLEET_TRACES")) return env;
  return std::string(GPUFLEET_SOURCE_DIR) + "/../shared/traces";
}

TEST(AlibabaReal, FleetsAndPodsAsDocumented) {
  const std::string dir = TraceDir();
  if (!std::filesystem::exists(dir + "/alibaba-gpu-2023")) GTEST_SKIP() << "no traces in " << dir;
  // README: openb_node_list_all_node.csv has 1,523 nodes, 310 without GPUs; 1,213 GPU nodes with
  // 6,212 GPUs. PAI 2020 machine spec: 1,897 machines, 6,742 GPUs (83 CPU-only machines:
  // `awk -F, '$5 == 0' pai_machine_spec.csv | wc -l`).
  const Result<TraceFleet> openb =
      LoadTraceFleet("openb-nodes:" + dir + "/alibaba-gpu-2023/openb_node_list_all_node.csv");
  ASSERT_TRUE(openb.ok()) << openb.message();
  EXPECT_EQ(openb.value().fleet.total_gpus(), 6212);
  EXPECT_EQ(openb.value().fleet.num_nodes(), 1213);
  EXPECT_EQ(openb.value().note,
            "no host power in a machine list: a node draws its GPUs' power only; 310 machines "
            "without GPUs left out");
  const Result<TraceFleet> pai =
      LoadTraceFleet("pai-machines:" + dir + "/alibaba-gpu-2020/pai_machine_spec.csv");
  ASSERT_TRUE(pai.ok()) << pai.message();
  EXPECT_EQ(pai.value().fleet.total_gpus(), 6742);
  EXPECT_EQ(pai.value().fleet.num_nodes(), 1897 - 83);
  // gpuspec33: 8,152 pods, 1,088 CPU-only; 378 allow several models (`grep -c '|'`) and are kept.
  const Result<TraceJobs> pods = LoadTrace(
      ParseTraceArg("openb:" + dir + "/alibaba-gpu-2023/openb_pod_list_gpuspec33.csv").value(), {});
  ASSERT_TRUE(pods.ok()) << pods.message();
  EXPECT_EQ(pods.value().rows, 8152);
  EXPECT_EQ(pods.value().excluded.at("no GPUs (CPU-only job)"), 1088);
  EXPECT_EQ(pods.value().jobs.size(), 8152u - 1088 - 1);  // one pod has zero duration
  EXPECT_EQ(pods.value().excluded.count("several allowed GPU models (not modelled yet)"), 0u);
}

}  // namespace
}  // namespace gpufleet
