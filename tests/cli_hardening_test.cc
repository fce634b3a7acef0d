// End-to-end tests of the rough edges a new user hits (issue 11): numbers refused with a message,
// options that would do nothing, jobs that can never run, output files written whole or not at
// all (Ctrl-C), small numbers, misleading messages. Each test runs the binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_run.h"
#include "temp_dir.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;

using gpufleet::testing::Quote;
using gpufleet::testing::ReadFile;

std::string Source(const std::string& relative) {
  return std::string(GPUFLEET_SOURCE_DIR) + "/" + relative;
}

struct Outcome {
  int code = -1;
  std::string out, err;
};

std::string Describe(const Outcome& r) {
  return "exit code " + std::to_string(r.code) + "\n--- stdout ---\n" + r.out + "--- stderr ---\n" +
         r.err;
}

class CliHardening : public ::testing::Test {
 protected:
  Outcome Run(const std::string& args) const {
    const std::string out = dir_.Path("stdout.txt"), err = dir_.Path("stderr.txt");
    const std::string cmd = Quote(GPUFLEET_BINARY) + " " + args + " >" + Quote(out) + " 2>" +
                            Quote(err) + " </dev/null";
    const int status = std::system(cmd.c_str());
    Outcome r;
    if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.code = 128 + WTERMSIG(status);
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }
  std::string Tiny() const {
    return "--fleet " + Quote(Source("examples/fleets/tiny.yaml")) + " --workload " +
           Quote(Source("examples/workloads/tiny.yaml"));
  }
  gpufleet::testing::ScratchDir dir_;
};

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// Item 10: numbers that used to wrap around or print a 300-digit range.

TEST_F(CliHardening, SeedOutOfRangeIsRefused) {
  for (const char* seed : {"-1", "99999999999999999999", "1.5", "0x10"}) {
    SCOPED_TRACE(seed);
    const Outcome r = Run("sim " + Tiny() + " --seed " + Quote(seed));
    EXPECT_EQ(r.code, 2) << Describe(r);
    EXPECT_TRUE(Has(r.err, "--seed")) << Describe(r);
    EXPECT_TRUE(Has(r.err, "expected a whole number from 0 to 18,446,744,073,709,551,615"))
        << Describe(r);
  }
  // The largest seed is a seed.
  const Outcome ok = Run("sim " + Tiny() + " --no-progress --seed 18446744073709551615");
  EXPECT_EQ(ok.code, 0) << Describe(ok);
  EXPECT_TRUE(Has(ok.out, "seed 18446744073709551615")) << Describe(ok);
}

TEST_F(CliHardening, CountOfZeroSaysTheRange) {
  const Outcome r = Run("sim " + Tiny() + " --bf-max-job-test 0");
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "--bf-max-job-test: expected a whole number from 1 to 2,147,483,647"))
      << Describe(r);
  EXPECT_FALSE(Has(r.err, "e+308")) << Describe(r);
  EXPECT_LT(r.err.size(), 300u) << Describe(r);
}

TEST_F(CliHardening, PlanTrainRefusesZeroDegrees) {
  for (const char* flag : {"--tp", "--pp", "--dp", "--cp", "--seq"}) {
    SCOPED_TRACE(flag);
    const Outcome r =
        Run(std::string("plan train --model llama3-405b --gpus 16384 ") + flag + " 0");
    EXPECT_EQ(r.code, 2) << Describe(r);
    EXPECT_TRUE(Has(r.err, std::string(flag) + ": expected a whole number from 1")) << Describe(r);
  }
}

// ---------------------------------------------------------------------------------------------
// Item 11: options that would do nothing are refused, with the reason.

TEST_F(CliHardening, OptionsThatWouldDoNothingAreRefused) {
  const std::string vcs = dir_.Write("vcs.csv", "vc,node num\nresearch,1\n");
  struct Case {
    std::string args, flag, why;
  };
  const std::vector<Case> cases = {
      {"--vcs " + Quote(vcs) + " --policy las", "--vcs", "fairshare"},
      {"--las-thresholds 1h,4h", "--las-thresholds", "las"},
      {"--las-promote-knob 2 --policy priority", "--las-promote-knob", "las"},
      {"--fairshare-half-life 1d", "--fairshare-half-life", "fairshare"},
      {"--bf-max-job-test 10 --policy fifo", "--bf-max-job-test", "backfill"},
      {"--vc-gpus-per-node 4", "--vc-gpus-per-node", "--vcs"},
      {"--preemption-grace 30s --policy fifo", "--preemption-grace", "never preempts"},
      {"--gavel-gpu k80", "--gavel-gpu", "Gavel"},
      {"--failures llama3 --no-physics", "--failures", "--no-physics"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const Outcome r = Run("sim " + Tiny() + " " + c.args);
    EXPECT_EQ(r.code, 2) << Describe(r);
    EXPECT_TRUE(Has(r.err, "gpufleet sim: " + c.flag + ": ")) << Describe(r);
    EXPECT_TRUE(Has(r.err, c.why)) << Describe(r);
  }
  // All of them at once, each on its own line.
  const Outcome all =
      Run("sim " + Tiny() + " --policy fifo --las-thresholds 1h --bf-max-job-test 3");
  EXPECT_EQ(all.code, 2) << Describe(all);
  EXPECT_TRUE(Has(all.err, "--las-thresholds: ") && Has(all.err, "--bf-max-job-test: "))
      << Describe(all);
  // Under the policy they belong to, they act.
  for (const std::string& args :
       {std::string("--policy las --las-thresholds 1h,4h --las-promote-knob 2"),
        std::string("--policy fairshare --fairshare-half-life 1d --vcs ") + Quote(vcs) +
            " --vc-gpus-per-node 8",
        std::string("--policy backfill --bf-max-job-test 10"),
        std::string("--policy priority --preemption-grace 30s")}) {
    SCOPED_TRACE(args);
    const Outcome r = Run("sim " + Tiny() + " --no-progress " + args);
    EXPECT_EQ(r.code, 0) << Describe(r);
  }
}

// A cluster of --vcs that no tenant of the workload matches (a misspelt name looks the same) is
// said, not silently given a quota that applies to nothing.
TEST_F(CliHardening, VcsClustersWithoutTenantsAreNamed) {
  const std::string vcs = dir_.Write("vcs.csv", "vc,node num\nresearch,1\nreserch,1\n");
  const Outcome r = Run("sim " + Tiny() + " --no-progress --policy fairshare --vcs " + Quote(vcs));
  EXPECT_EQ(r.code, 0) << Describe(r);
  EXPECT_TRUE(Has(r.err, "--vcs: 1 virtual cluster with no tenant in the workload (reserch)"))
      << Describe(r);
}

// A workload's failure_model under --no-physics was accepted and ignored.
TEST_F(CliHardening, AWorkloadsFailureModelIsNotIgnoredUnderNoPhysics) {
  const std::string w = dir_.Write(
      "w.yaml", "failure_model: {rates: llama3, scale: 100}\njobs:\n  - {gpus: 8, duration: 1h}\n");
  const std::string fleet = Quote(Source("examples/fleets/tiny.yaml"));
  const Outcome r = Run("sim --fleet " + fleet + " --workload " + Quote(w) + " --no-physics");
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "--no-physics: it turns random failures off")) << Describe(r);
  const Outcome none = Run("sim --fleet " + fleet + " --workload " + Quote(w) +
                           " --no-physics --failures none --no-progress");
  EXPECT_EQ(none.code, 0) << Describe(none);
}

TEST_F(CliHardening, QuotasBeyondTheFleetAreRefused) {
  // 4 nodes x 8 GPUs = 32 GPUs of quota on a 16-GPU fleet.
  const std::string vcs = dir_.Write("vcs.csv", "vc,node num\nresearch,2\nproduct,2\n");
  const Outcome r = Run("sim " + Tiny() + " --policy fairshare --vcs " + Quote(vcs));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "--vcs: the quotas total 32 GPUs")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "more than the fleet's 16")) << Describe(r);
}

TEST_F(CliHardening, TraceInspectRefusesGavelOptionsForOtherTraces) {
  const std::string trace = dir_.Write("t.csv", "x\n");
  const Outcome r = Run("trace inspect philly:" + Quote(trace) + " --gavel-gpu k80");
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "--gavel-gpu: it applies to Gavel traces")) << Describe(r);
}

// ---------------------------------------------------------------------------------------------
// Item 12: jobs that can never run, every error at once, offered load per GPU model.

TEST_F(CliHardening, ValidateFindsJobsThatCanNeverRunAndEveryErrorAtOnce) {
  const std::string w = dir_.Write("w.yaml",
                                   "jobs:\n"
                                   "  - {name: huge, gpus: 64, duration: 1h}\n"
                                   "  - {name: fits, gpus: 8, duration: 1h}\n"
                                   "  - {name: wrong-gpu, gpus: 1, duration: 1h, gpu_model: a100}\n"
                                   "  - {name: also-huge, gpus: 17, duration: 1h}\n"
                                   "failures:\n"
                                   "  - {at: 1h, target: lab/rack/dgx-9}\n");
  const std::string fleet = Quote(Source("examples/fleets/tiny.yaml"));
  const Outcome r = Run("validate " + fleet + " " + Quote(w));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "jobs[0] 'huge': can never run on this fleet")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "jobs[3] 'also-huge': can never run on this fleet")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "'a100' is not in the fleet")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "lab/rack/dgx-9")) << Describe(r);
  EXPECT_FALSE(Has(r.err, "'fits'")) << Describe(r);
  // sim refuses the same workload up front, rather than rejecting the job and exiting 0.
  const Outcome sim = Run("sim --fleet " + fleet + " --workload " + Quote(w));
  EXPECT_EQ(sim.code, 2) << Describe(sim);
  EXPECT_TRUE(Has(sim.err, "jobs[0] 'huge': can never run on this fleet")) << Describe(sim);
}

// A training job whose plan does not fit its GPUs' memory (docs/MODELS.md, "Memory") is refused
// by validate and sim, with what does not fit and the changes that would: Llama 3 8B on one H100
// holds 16 GB of weights, 32 GB of fp32 gradients and 96 GB of Adam state. On 8 GPUs (the
// optimizer state sharded 8 ways) it fits with fused kernels.
TEST_F(CliHardening, ATrainingJobThatDoesNotFitItsGpusMemoryIsRefused) {
  const std::string w = dir_.Write("w.yaml",
                                   "jobs:\n"
                                   "  - {name: alone, gpus: 1, duration: 1h, "
                                   "training: {model: llama3-8b}}\n"
                                   "  - {name: eight, gpus: 8, duration: 1h, "
                                   "training: {model: llama3-8b}}\n");
  const std::string fleet = Quote(Source("examples/fleets/tiny.yaml"));
  const Outcome r = Run("validate " + fleet + " " + Quote(w));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "jobs[0] 'alone': training job does not fit its GPUs' memory"))
      << Describe(r);
  EXPECT_TRUE(Has(r.err, "optimizer state 89.7 GiB")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "use more GPUs"))
      << Describe(r);  // one GPU: ZeRO has no one to shard with
  EXPECT_FALSE(Has(r.err, "'eight'")) << Describe(r);
  const Outcome sim = Run("sim --fleet " + fleet + " --workload " + Quote(w));
  EXPECT_EQ(sim.code, 2) << Describe(sim);
  EXPECT_TRUE(Has(sim.err, "'alone': training job does not fit")) << Describe(sim);
}

TEST_F(CliHardening, ValidateChecksTheFleetDespiteSpecErrors) {
  // jobs[1] has a spec error; jobs[0] can never run on the 16-GPU fleet and must be reported in
  // the same run, with its place in the file.
  const std::string w =
      dir_.Write("w.yaml",
                 "jobs:\n"
                 "  - {name: huge, gpus: 64, duration: 1h}\n"
                 "  - {name: bad, gpus: 1, duration: 1h, colour: red}\n"
                 "  - {name: wrong-gpu, gpus: 1, duration: 1h, gpu_model: a100}\n");
  const std::string fleet = Quote(Source("examples/fleets/tiny.yaml"));
  const Outcome r = Run("validate " + fleet + " " + Quote(w));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "colour")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "w.yaml:2:5: jobs[0] 'huge': can never run on this fleet")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "'a100' is not in the fleet")) << Describe(r);
  EXPECT_FALSE(Has(r.out, "ok  " + w)) << Describe(r);
  // Two fleets: which one the workloads are checked against is said.
  const Outcome two = Run("validate " + fleet + " " +
                          Quote(Source("examples/fleets/multicloud.yaml")) + " " + Quote(w));
  EXPECT_TRUE(Has(two.err, "workloads are checked against the first")) << Describe(two);
}

TEST_F(CliHardening, ValidateRefusesAnUnboundedLognormalShare) {
  const std::string w = dir_.Write("w.yaml",
                                   "generators:\n"
                                   "  - name: g\n"
                                   "    count: 10\n"
                                   "    arrivals: {mean_interarrival: 1m}\n"
                                   "    gpus: 1\n"
                                   "    duration: 1h\n"
                                   "    gpu_milli: {dist: lognormal, median: 400, sigma: 3}\n");
  const Outcome r = Run("validate " + Quote(w));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "generators[0].gpu_milli.max")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "needs a 'max' of at most 1000")) << Describe(r);
}

TEST_F(CliHardening, LargeNumericOptionsAreRefusedWithTheirRange) {
  const std::string nodes = dir_.Write("n.csv", "sn,cpu_milli,memory_mib,gpu,model\n");
  const std::string pods = dir_.Write("p.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n");
  const Outcome tune = Run("experiment openb --nodes " + Quote(nodes) + " --pods " + Quote(pods) +
                           " --tune 1e300 --alloc-csv " + Quote(dir_.Path("a.csv")));
  EXPECT_EQ(tune.code, 2) << Describe(tune);
  EXPECT_TRUE(Has(tune.err, "expected a number above 0 and at most 100")) << Describe(tune);
  const Outcome rate = Run("plan train --model llama3-405b --gpus 16384 --node-failure-rate 1e300");
  EXPECT_EQ(rate.code, 2) << Describe(rate);
  EXPECT_TRUE(Has(rate.err, "expected a number from 0 to 10")) << Describe(rate);
  const Outcome tokens = Run("plan train --model llama3-405b --gpus 16384 --tokens 1e30T");
  EXPECT_EQ(tokens.code, 2) << Describe(tokens);
  EXPECT_TRUE(Has(tokens.err, "at most 1000T")) << Describe(tokens);
  EXPECT_FALSE(Has(tokens.out, "inf")) << Describe(tokens);
  const Outcome knob = Run("sim " + Tiny() + " --policy las --las-promote-knob 1e300");
  EXPECT_EQ(knob.code, 2) << Describe(knob);
  EXPECT_TRUE(Has(knob.err, "expected a number from 0 to 1,000,000")) << Describe(knob);
}

TEST_F(CliHardening, ValidateOffersLoadPerGpuModelWithExplicitJobs) {
  const Outcome r = Run("validate " + Quote(Source("examples/fleets/multicloud.yaml")) + " " +
                        Quote(Source("examples/workloads/multicloud.yaml")));
  ASSERT_EQ(r.code, 0) << Describe(r);
  // campus-training: 478.08 GPUs (the choice's mean) x 1.65 h (lognormal median 1 h, sigma 1:
  // e^0.5 h, barely clipped) per 60 s = ~47,300 GPUs; the frontier run, 16,384 GPUs for 10 of
  // the 13.9 days of arrivals, ~11,800 more; evaluation jobs may use any model and add ~280 in
  // proportion: ~59,400 of 82,944 GB200 = ~72%.
  EXPECT_TRUE(Has(r.out, "gb200        72% of 82,944 GPUs")) << Describe(r);
  EXPECT_TRUE(Has(r.out, "b200          0% of 2,048 GPUs")) << Describe(r);
}

TEST_F(CliHardening, ValidateWarnsOfOverload) {
  // 8 GPUs x 1 h every 10 min on 16 GPUs: 48 GPUs busy on average, 300%.
  const std::string w = dir_.Write("w.yaml",
                                   "generators:\n"
                                   "  - name: g\n"
                                   "    count: 100\n"
                                   "    arrivals: {process: uniform, mean_interarrival: 10m}\n"
                                   "    gpus: 8\n"
                                   "    duration: 1h\n");
  const Outcome r = Run("validate " + Quote(Source("examples/fleets/tiny.yaml")) + " " + Quote(w));
  EXPECT_EQ(r.code, 0) << Describe(r);
  EXPECT_TRUE(Has(r.out, "h100        300% of 16 GPUs")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "warning: ")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "the offered load on the h100 GPUs is 300%")) << Describe(r);
}

// ---------------------------------------------------------------------------------------------
// Item 8: outputs are written whole or not at all; Ctrl-C stops `sim` cleanly.

TEST_F(CliHardening, CtrlCKeepsTheOldReport) {
  // Jobs without end: the run is still going when it is interrupted.
  const std::string w = dir_.Write("long.yaml",
                                   "generators:\n"
                                   "  - name: g\n"
                                   "    count: 10000000\n"
                                   "    arrivals: {mean_interarrival: 10s}\n"
                                   "    gpus: {dist: choice, values: [1, 2, 4, 8]}\n"
                                   "    duration: 1m\n");
  const std::string report = dir_.Write("report.json", "the previous report\n");
  const std::string jobs = dir_.Write("jobs.csv", "the previous jobs\n");
  const std::string err = dir_.Path("stderr.txt");
  const std::string fleet = Source("examples/fleets/tiny.yaml");
  std::vector<std::string> args = {GPUFLEET_BINARY, "sim",  "--fleet",    fleet, "--workload",   w,
                                   "--report",      report, "--jobs-csv", jobs,  "--no-progress"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // A child of a non-interactive shell may inherit SIGINT ignored: give it the default.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  // Once its temporary files exist, the run has begun (they are opened after the handler is in).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto temporaries = [&] {
    int n = 0;
    for (const auto& e : fs::directory_iterator(fs::path(report).parent_path()))
      n += e.path().filename().string().find(".gpufleet-") != std::string::npos;
    return n;
  };
  while (temporaries() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int status = 0;
  bool ended = false;
  while (!ended && std::chrono::steady_clock::now() < deadline) {
    ended = waitpid(pid, &status, WNOHANG) == pid;
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!ended) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "sim did not stop within a minute of SIGINT";
  }
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 130) << ReadFile(err);
  EXPECT_TRUE(Has(ReadFile(err), "interrupted by SIGINT")) << ReadFile(err);
  EXPECT_TRUE(Has(ReadFile(err), "existing files kept")) << ReadFile(err);
  EXPECT_EQ(ReadFile(report), "the previous report\n");
  EXPECT_EQ(ReadFile(jobs), "the previous jobs\n");
  EXPECT_EQ(temporaries(), 0);
}

TEST_F(CliHardening, FailedRunKeepsTheOldReport) {
  // A run that fails (bad input found after the outputs are named) writes nothing.
  const std::string report = dir_.Write("report.json", "the previous report\n");
  const Outcome r = Run("sim " + Tiny() + " --until soon --report " + Quote(report));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_EQ(ReadFile(report), "the previous report\n");
  // A finished run replaces it.
  const Outcome ok = Run("sim " + Tiny() + " --no-progress --report " + Quote(report));
  ASSERT_EQ(ok.code, 0) << Describe(ok);
  EXPECT_TRUE(nlohmann::json::parse(ReadFile(report)).contains("jobs"));
  for (const auto& e : fs::directory_iterator(fs::path(report).parent_path()))
    EXPECT_EQ(e.path().filename().string().find(".gpufleet-"), std::string::npos) << e.path();
}

// ---------------------------------------------------------------------------------------------
// Item 13: a rented provider's price bills the GPU-hours held on its sites.

TEST_F(CliHardening, RentedGpuHoursAreBilled) {
  // One 8-GPU job for 2 h on a cloud site at $3/GPU-hour, no tariff: $48 of rent, no electricity.
  const std::string fleet = dir_.Write("cloud.yaml",
                                       "providers:\n"
                                       "  - {name: cloud, kind: cloud, gpu_hour_usd: 3}\n"
                                       "sites:\n"
                                       "  - name: region\n"
                                       "    provider: cloud\n"
                                       "    power_budget_mw: 1\n"
                                       "    domains: [{count: 2, node_type: dgx-h100}]\n");
  const std::string w = dir_.Write("w.yaml", "jobs:\n  - {name: j, gpus: 8, duration: 2h}\n");
  const std::string report = dir_.Path("r.json");
  const Outcome r = Run("sim --no-progress --fleet " + Quote(fleet) + " --workload " + Quote(w) +
                        " --report " + Quote(report));
  ASSERT_EQ(r.code, 0) << Describe(r);
  const nlohmann::json j = nlohmann::json::parse(ReadFile(report));
  EXPECT_DOUBLE_EQ(j["cost"]["total_usd"].get<double>(), 48);
  EXPECT_DOUBLE_EQ(j["power"]["sites"][0]["cost_usd"].get<double>(), 48);
  EXPECT_TRUE(Has(r.out, "$48.00: $48.00 rent for 16 rented GPU-hours")) << Describe(r);
}

// ---------------------------------------------------------------------------------------------
// Item 14: small numbers do not vanish.

TEST_F(CliHardening, SmallPowerIsShownInKilowatts) {
  // The tiny fleet: a 0.05 MW budget, 2 x 10.2 kW at TDP.
  const Outcome show = Run("fleet show " + Quote(Source("examples/fleets/tiny.yaml")));
  ASSERT_EQ(show.code, 0) << Describe(show);
  EXPECT_TRUE(Has(show.out, "IT power at TDP 20.4 kW of 50 kW budget")) << Describe(show);
  const Outcome sim = Run("sim " + Tiny() + " --no-progress");
  ASSERT_EQ(sim.code, 0) << Describe(sim);
  EXPECT_TRUE(Has(sim.out, "kW of 50 kW budget")) << Describe(sim);
  EXPECT_TRUE(Has(sim.out, " kWh IT")) << Describe(sim);
  EXPECT_FALSE(Has(sim.out, "0.0 MW")) << Describe(sim);
  // The queue's maximum is shown beside its percentiles (on the queue's own line: the JCT line
  // has one too).
  EXPECT_TRUE(std::regex_search(sim.out, std::regex("queue wait[^\n]*   max [0-9]")))
      << Describe(sim);
  // No tariff: said, not "$0".
  EXPECT_TRUE(Has(sim.out, "no tariff given")) << Describe(sim);
}

// A machine list gives no host power: `fleet show` counted its nodes at 0 W ("IT at TDP 0.0 MW")
// while the simulator drew their GPUs' power. Both count the GPUs at TDP now, and say why.
TEST_F(CliHardening, ATraceFleetsPowerIsItsGpus) {
  const std::string nodes =
      dir_.Write("nodes.csv", "sn,cpu_milli,memory_mib,gpu,model\nn0,96000,393216,8,V100M32\n");
  const Outcome show = Run("fleet show openb-nodes:" + Quote(nodes));
  ASSERT_EQ(show.code, 0) << Describe(show);
  EXPECT_TRUE(std::regex_search(show.out, std::regex("IT power at TDP [1-9][0-9.]* kW")))
      << Describe(show);
  EXPECT_TRUE(Has(show.err, "no host power in a machine list")) << Describe(show);
}

// Rows skipped by --skip-bad-rows were in the JSON report only: the terminal summary says them.
TEST_F(CliHardening, SkippedTraceRowsAreInTheSummary) {
  const std::string trace = dir_.Write("philly.csv",
                                       "timestamp,duration,num_gpus,gpu_time,cluster\n"
                                       "2017-10-09 07:01:55,66.0,1,66.0,vcA\n"
                                       "2017-10-09 07:02:00,soon,1,66.0,vcA\n"  // malformed
                                       "2017-10-09 08:00:00,100,0,0,vcA\n");    // CPU only
  const Outcome r = Run("sim --fleet " + Quote(Source("examples/fleets/tiny.yaml")) +
                        " --trace philly:" + Quote(trace) + " --skip-bad-rows --no-progress");
  ASSERT_EQ(r.code, 0) << Describe(r);
  EXPECT_TRUE(Has(r.out, ": 3 rows, 1 job, 1 malformed skipped, 1 excluded\n")) << Describe(r);
}

// Consistency: thousands separators and plurals in terminal output.
TEST_F(CliHardening, LargeNumbersAreGroupedAndCountsAgree) {
  const Outcome r =
      Run("sim --no-progress --fleet " + Quote(Source("examples/fleets/meta-24k.yaml")) +
          " --workload " + Quote(Source("examples/workloads/llama3-405b.yaml")));
  ASSERT_EQ(r.code, 0) << Describe(r);
  EXPECT_TRUE(Has(r.out, "3,072 nodes, 1 site\n")) << Describe(r);  // not "1 site(s)"
  EXPECT_TRUE(std::regex_search(r.out, std::regex("[0-9],[0-9]{3} GPU-hours lost"))) << Describe(r);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("[0-9],[0-9]{3} MWh IT"))) << Describe(r);
  const Outcome show = Run("fleet show " + Quote(Source("examples/fleets/stargate-abilene.yaml")));
  ASSERT_EQ(show.code, 0) << Describe(show);
  EXPECT_TRUE(Has(show.out, "IT power at TDP 672 MW of 1,200 MW budget")) << Describe(show);
}

// ---------------------------------------------------------------------------------------------
// Item 15: misleading messages.

TEST_F(CliHardening, MistypedNamesGetTheNearestOne) {
  const Outcome r = Run("simulate");
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "unknown command 'simulate'; did you mean 'sim'?")) << Describe(r);
  EXPECT_FALSE(Has(r.err, "A subcommand is required")) << Describe(r);
  const Outcome flag = Run("sim " + Tiny() + " --sed 3");
  EXPECT_EQ(flag.code, 2) << Describe(flag);
  EXPECT_TRUE(Has(flag.err, "sim: unknown option '--sed'; did you mean '--seed'?"))
      << Describe(flag);
  const Outcome nested = Run("fleet shwo x.yaml");
  EXPECT_EQ(nested.code, 2) << Describe(nested);
  EXPECT_TRUE(Has(nested.err, "did you mean 'show'?")) << Describe(nested);
}

TEST_F(CliHardening, TraceOfAFolderSaysItIsAFolder) {
  dir_.Write("traces/philly_jobs.csv", "x\n");
  const Outcome r = Run("trace inspect philly:" + Quote(dir_.Path("traces")));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "is a folder; this format reads one file")) << Describe(r);
  EXPECT_TRUE(Has(r.err, "philly_jobs.csv")) << Describe(r);
  EXPECT_FALSE(Has(r.err, "empty file")) << Describe(r);
}

// The same for every other path a user names: a folder reads as nothing on Linux, so the readers
// said "empty file" (machine lists) or "expected a mapping ..., got nothing" (YAML specs).
TEST_F(CliHardening, AFolderWhereAFileBelongsIsNamedSo) {
  const std::string folder = dir_.Path("traces");
  dir_.Write("traces/nodes.csv", "x\n");
  for (const std::string& fleet : {"openb-nodes:" + folder, folder}) {
    const Outcome r = Run("sim --fleet " + Quote(fleet) + " --workload " +
                          Quote(Source("examples/workloads/tiny.yaml")));
    EXPECT_EQ(r.code, 2) << Describe(r);
    EXPECT_TRUE(Has(r.err, folder + ": is a folder; expected a file")) << Describe(r);
    EXPECT_FALSE(Has(r.err, "empty file")) << Describe(r);
    EXPECT_FALSE(Has(r.err, "got nothing")) << Describe(r);
  }
}

TEST_F(CliHardening, ACommandWithoutItsSubcommandListsThem) {
  const Outcome bare = Run("");
  EXPECT_EQ(bare.code, 2) << Describe(bare);
  EXPECT_TRUE(Has(bare.err, "a command is required: sim, validate")) << Describe(bare);
  const Outcome fleet = Run("fleet");
  EXPECT_EQ(fleet.code, 2) << Describe(fleet);
  EXPECT_TRUE(Has(fleet.err, "fleet: a command is required: show")) << Describe(fleet);
}

TEST_F(CliHardening, DashIsStandardOutput) {
  const Outcome r = Run("sim " + Tiny() + " --no-progress --report -");
  ASSERT_EQ(r.code, 0) << Describe(r);
  EXPECT_FALSE(fs::exists("-"));
  const nlohmann::json j = nlohmann::json::parse(r.out);  // only the report on stdout
  EXPECT_EQ(j["jobs"]["submitted"].get<int>(), 44);
  EXPECT_TRUE(Has(r.err, "gpufleet sim: policy backfill")) << Describe(r);  // the summary
  // --json: the summary as the report's JSON.
  const Outcome json = Run("sim " + Tiny() + " --no-progress --json");
  ASSERT_EQ(json.code, 0) << Describe(json);
  EXPECT_EQ(nlohmann::json::parse(json.out)["gpus"]["total"].get<int>(), 16);
}

TEST_F(CliHardening, TabIndentationIsNamed) {
  const std::string w = dir_.Write("tabs.yaml", "jobs:\n\t- {gpus: 1, duration: 1h}\n");
  const Outcome r = Run("validate " + Quote(w));
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_TRUE(Has(r.err, "line 2 is indented with a tab; YAML indents with spaces only"))
      << Describe(r);
}

// ---------------------------------------------------------------------------------------------
// Consistency: one name for one thing, old names kept as aliases; GPU models in any case.

TEST_F(CliHardening, OldNamesStillWorkAndGpuModelsInAnyCase) {
  const Outcome ck =
      Run("plan checkpoint --mtbf 3h --write-time 60s --restart-overhead 10m --json");
  ASSERT_EQ(ck.code, 0) << Describe(ck);
  const Outcome old = Run("plan checkpoint --mtbf 3h --write-time 60s --restart 10m --json");
  ASSERT_EQ(old.code, 0) << Describe(old);
  EXPECT_EQ(ck.out, old.out);
  const Outcome upper = Run("plan train --model llama3-405b --gpus 1024 --gpu-model H100 --json");
  ASSERT_EQ(upper.code, 0) << Describe(upper);
  const Outcome lower = Run("plan train --model llama3-405b --gpus 1024 --gpu h100 --json");
  ASSERT_EQ(lower.code, 0) << Describe(lower);
  EXPECT_EQ(upper.out, lower.out);
  // In specs too: a job's gpu_model and a node type's gpu.
  const std::string w =
      dir_.Write("upper.yaml", "jobs:\n  - {name: a, gpus: 1, duration: 1h, gpu_model: H100}\n");
  const Outcome spec =
      Run("validate " + Quote(Source("examples/fleets/tiny.yaml")) + " " + Quote(w));
  EXPECT_EQ(spec.code, 0) << Describe(spec);
  const std::string fleet =
      dir_.Write("fleet.yaml",
                 "node_types:\n"
                 "  - {name: box, gpu: H200, gpus_per_node: 8, max_power_kw: 10}\n"
                 "sites:\n"
                 "  - name: s\n"
                 "    power_budget_mw: 1\n"
                 "    domains: [{count: 1, node_type: box}]\n");
  const Outcome show = Run("fleet show " + Quote(fleet));
  EXPECT_EQ(show.code, 0) << Describe(show);
  EXPECT_TRUE(Has(show.out, "h200")) << Describe(show);
}

TEST_F(CliHardening, EveryCommandsHelpHasAnExample) {
  for (const char* cmd :
       {"sim", "validate", "fleet show", "trace inspect", "experiment vc-replay",
        "experiment openb", "experiment pollux", "plan train", "plan checkpoint"}) {
    SCOPED_TRACE(cmd);
    const Outcome r = Run(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << Describe(r);
    EXPECT_TRUE(Has(r.out, "Example")) << Describe(r);
    EXPECT_TRUE(Has(r.out, std::string("gpufleet ") + cmd + " ")) << Describe(r);
  }
}

}  // namespace
