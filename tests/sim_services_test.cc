// Inference replicas in the simulator (trace/service_jobs.h): placed by the fleet's scheduler
// beside training at their service's priority, leaving when their autoscaler let them go - placed
// late, they live shorter; never placed by then, they are withdrawn. Hand-checked on two DGX H100
// (16 GPUs) fully taken by one training job of 10 hours, physics off (no checkpoint cost, no
// failures), so that every time below is whole seconds of arithmetic.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "cli_run.h"
#include "physics/serving_toy_test_support.h"
#include "public_traces.h"
#include "report/metrics.h"
#include "sim/simulator.h"
#include "temp_dir.h"
#include "test_fleets.h"
#include "trace/service_jobs.h"

namespace gpufleet {
namespace {

const Fleet& Dgx2() {
  static const Fleet fleet = testing::MustParseFleet(testing::DgxFleetYaml(1, 1, 2));
  return fleet;
}

ServiceSpec Chat(std::int32_t priority) {
  ServiceSpec s;
  s.name = "chat";
  s.gpu_model = "h100";
  s.gpus_per_replica = 2;
  s.priority = priority;
  return s;
}

// One replica asked for at `added_s` and let go at `gone_s`, as the autoscaler would have it.
AutoscaledRun OneReplica(double added_s, double gone_s) {
  AutoscaledRun run;
  run.lives.push_back({added_s, added_s + 60, gone_s, gone_s, 100});
  run.replica_seconds = gone_s - added_s;
  run.run.busy_s = run.replica_seconds / 2;
  return run;
}

struct ObservedRun {
  JobId id;
  SimTime from, until;
  bool operator==(const ObservedRun&) const = default;
};

struct Ran {
  SimResult result;
  Metrics metrics;
  std::vector<ObservedRun> runs;  // as the simulator's run observer told them, in order
};

constexpr const char* kTraining =
    "jobs:\n  - {name: train, gpus: 16, duration: 10h, topology: leaf}\n";

// The training job (by default 16 GPUs at priority 0, submitted at 0) with the service's replicas.
Ran Simulate(const std::string& policy, const ServiceSpec& chat, const AutoscaledRun& replicas,
             SimTime launch_delay = 0, SimTime grace = 0, const char* jobs = kTraining) {
  const Fleet& fleet = Dgx2();
  BoundWorkload w = BindWorkload(testing::MustParseWorkload(jobs), fleet, 1).value();
  std::vector<std::unique_ptr<JobSource>> sources;
  sources.push_back(std::move(w.source));
  sources.push_back(std::make_unique<VectorJobSource>(
      ReplicaJobs(chat, replicas, 60, 0, fleet.FindModel("h100"), 0, kNever)));
  w.source = std::make_unique<MergedSource>(std::move(sources));
  SimOptions options;
  options.scheduler.policy = policy;
  options.physics = false;
  options.launch_delay = launch_delay;
  options.preemption_grace = grace;
  Simulator sim(fleet, std::move(w), options);
  std::vector<ObservedRun> runs;
  sim.set_run_observer(
      [&runs](JobId id, const JobSpec&, SimTime from, SimTime until, int, SimTime) {
        runs.push_back({id, from, until});
      });
  Ran ran{sim.Run(), {}, {}};
  ran.runs = std::move(runs);
  ran.metrics = ComputeMetrics(ran.result, RunInfo{});
  return ran;
}

// The replica job's fields: its life in milliseconds, its leave time, the service's GPUs,
// priority and index, a restart that reloads its weights, and its GPUs as busy as the service's
// replicas were (half their held time in passes here).
TEST(ReplicaJobs, AReplicaAsTheSchedulerSeesIt) {
  const std::vector<JobSpec> jobs =
      ReplicaJobs(Chat(100), OneReplica(3600, 7200.5), 48, 0, 0, 0, 20 * kHour);
  ASSERT_EQ(jobs.size(), 1u);
  const JobSpec& j = jobs[0];
  EXPECT_EQ(j.name, "chat/replica-1");
  EXPECT_EQ(j.submit, 3'600'000);
  EXPECT_EQ(j.leave_at, 7'200'500);
  EXPECT_EQ(j.duration, 3'600'500);
  EXPECT_EQ(j.estimate, 20 * kHour - 3'600'000);  // it may hold until the run's end
  EXPECT_EQ(j.restart_overhead, 48'000);
  EXPECT_EQ(j.gpus, 2);
  EXPECT_EQ(j.topology, Topology::kNvlink);
  EXPECT_EQ(j.priority, 100);
  EXPECT_EQ(j.service, 0);
  EXPECT_FLOAT_EQ(j.power_utilization, 0.5f);
}

// The replicas running when the run starts are submitted at 0, ahead of the jobs submitted then;
// the later ones at their decisions.
TEST(ReplicaJobs, WarmReplicasAreThereAtTheStart) {
  AutoscaledRun run = OneReplica(0.05, 7200);
  run.lives.push_back({600, 660, 7200, 7200, 10});
  const std::vector<JobSpec> jobs = ReplicaJobs(Chat(100), run, 60, 1, 0, 0, kNever);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].submit, 0);
  EXPECT_EQ(jobs[1].submit, 600'000);
  // Without --until, the horizon is the last replica's leave: 2 h.
  EXPECT_EQ(jobs[1].estimate, 2 * kHour - 600'000);
}

// The requests served again as a replica ran: one replica (the toy model, ready at 0, drained at
// 100 s) with requests at 10 s and 60 s. Running throughout, it serves both. Preempted at 30 s and
// placed again at 40 s, it loads for 5 s and serves the one at 60 s in its second run. Never
// placed again, the one at 60 s waits at the router for good: unserved.
TEST(ServeAsPlaced, AReplicasRunsAreItsWindows) {
  SimulatedService s{
      "toy",
      1,
      0,
      1,
      {{10, 1000, 100}, {60, 1000, 100}},
      {ReplicaModel::Make(testing::ToyServedModel(), testing::ToyServingGpu(), 1).value(), {}},
      {},
      {0.5, 0.05, 99},
      {},
      {},
      0,
      false,
      {}};
  s.setup.policy.load_s = 5;
  s.run.lives.push_back({0, 0, 100, 100, 2});
  const Result<PlacedServiceRun> throughout = ServeAsPlaced(s, {{{0, 100}}});
  const Result<PlacedServiceRun> again = ServeAsPlaced(s, {{{0, 30}, {40, 100}}});
  const Result<PlacedServiceRun> once = ServeAsPlaced(s, {{{0, 30}}});
  ASSERT_TRUE(throughout.ok() && again.ok() && once.ok()) << once.message();
  EXPECT_EQ(throughout.value().unserved, 0);
  EXPECT_EQ(throughout.value().run.requests_per_replica, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(again.value().unserved, 0);
  EXPECT_EQ(again.value().run.requests_per_replica, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(once.value().unserved, 1);
  EXPECT_DOUBLE_EQ(once.value().run.attainment, 0.5);
  // Stopped without warning just after the request at 10 s came (its prompt's pass started, not
  // its decode): the request is retried on the replica's next run, from 45 s. A run that stops
  // abruptly at the replica's leave (the run's end) cuts nothing: it had been drained.
  const Result<PlacedServiceRun> cut =
      ServeAsPlaced(s, {{{0, 10 + 1e-6, -1, 10 + 1e-6}, {40, 100}}});
  const Result<PlacedServiceRun> at_leave = ServeAsPlaced(s, {{{0, 100, -1, 100}}});
  ASSERT_TRUE(cut.ok() && at_leave.ok()) << cut.message();
  EXPECT_EQ(cut.value().retried, 1);
  EXPECT_EQ(cut.value().unserved, 0);
  EXPECT_EQ(cut.value().run.requests_per_replica, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(at_leave.value().retried, 0);
  // Preempted with a grace: it stops taking requests when told (just after 10 s) and loses what
  // it holds when the grace ends (70 s): time enough to finish the request; none is retried.
  const Result<PlacedServiceRun> grace = ServeAsPlaced(s, {{{0, 10 + 1e-6, -1, 70}, {40, 100}}});
  ASSERT_TRUE(grace.ok()) << grace.message();
  EXPECT_EQ(grace.value().retried, 0);
  EXPECT_EQ(grace.value().run.requests_per_replica, (std::vector<std::int64_t>{1, 1}));
  // Runs for a replica count must match its lives.
  EXPECT_FALSE(ServeAsPlaced(s, {}).ok());
}

// A replica's GPUs draw their share of their node's idle power while held and their busy increment
// while in passes: 2 GPUs held for an hour (7,200 GPU-seconds) on nodes of 8 idling at 800 W, busy
// 1,800 s at 500 W a GPU: 800 / 8 x 7,200 + 500 x 2 x 1,800 = 720,000 + 1,800,000 J.
TEST(ReplicasItEnergyJ, IdleShareWhileHeldAndBusyIncrementInPasses) {
  SimulatedService s{
      "toy",
      2,
      0,
      0,
      {},
      {ReplicaModel::Make(testing::ToyServedModel(), testing::ToyServingGpu(), 1).value(), {}},
      {},
      {},
      {},
      {},
      8,
      false,
      {}};
  s.node.idle_w = 800;
  s.node.per_busy_gpu_w = 500;
  EXPECT_DOUBLE_EQ(ReplicasItEnergyJ(s, 7200, 1800), 2'520'000);
  s.gpus_per_node = 0;  // a GPU model without power figures
  EXPECT_EQ(ReplicasItEnergyJ(s, 7200, 1800), 0);
}

// Priority 100 over training's 0: at 1 h the replica preempts the training job (which keeps its
// progress) and holds 2 GPUs until 2 h; training, needing all 16, resumes then with 9 h left and
// ends at 11 h. The replica is not one of the jobs: the report counts one job.
TEST(ServiceReplicas, AReplicaPreemptsTrainingWhichResumesWhenItLeaves) {
  const Ran ran = Simulate("priority", Chat(100), OneReplica(3600, 7200));
  const JobRecord& train = ran.result.jobs[0];
  const JobRecord& replica = ran.result.jobs[1];
  EXPECT_EQ(replica.first_start, 1 * kHour);
  EXPECT_EQ(replica.end, 2 * kHour);
  EXPECT_EQ(train.preemptions, 1);
  EXPECT_EQ(train.end, 11 * kHour);
  // The runs as the observer saw them end: training's first at the preemption, the replica's at
  // its leave, training's second at its completion.
  EXPECT_EQ(ran.runs, (std::vector<ObservedRun>{
                          {0, 0, kHour}, {1, kHour, 2 * kHour}, {0, 2 * kHour, 11 * kHour}}));
  EXPECT_EQ(ran.metrics.submitted, 1);
  EXPECT_EQ(ran.metrics.completed, 1);
  ASSERT_EQ(ran.metrics.services.size(), 1u);
  const ServiceMetrics& s = ran.metrics.services[0];
  EXPECT_EQ(s.replicas, 1);
  EXPECT_EQ(s.placed, 1);
  EXPECT_EQ(s.never_placed, 0);
  EXPECT_EQ(s.placement_wait_s.max, 0);
  EXPECT_DOUBLE_EQ(s.gpu_hours, 2.0);
  // The tenant (both are the default's) held training's 16 GPUs for 10 hours and the replica's 2
  // for one.
  EXPECT_DOUBLE_EQ(ran.metrics.tenants[0].gpu_hours, 162.0);
}

// A preemption grace of 1 minute: training checkpoints while it holds the GPUs, the replica waits
// that minute (placed at 1 h 1 min), and still leaves at 2 h: it lived shorter.
TEST(ServiceReplicas, AReplicaPlacedLateLeavesOnTime) {
  const Ran ran = Simulate("priority", Chat(100), OneReplica(3600, 7200), 0, kMinute);
  const JobRecord& replica = ran.result.jobs[1];
  EXPECT_EQ(replica.first_start, kHour + kMinute);
  EXPECT_EQ(replica.end, 2 * kHour);
  EXPECT_EQ(ran.result.jobs[0].end, 11 * kHour);  // 1 h run, then 9 h from 2 h
  EXPECT_DOUBLE_EQ(ran.metrics.services[0].placement_wait_s.max, 60);
  EXPECT_DOUBLE_EQ(ran.metrics.services[0].gpu_hours, 2.0 * 59 / 60);
}

// A replica preempted in turn: training at priority 100 arrives at 1 h and needs all 16 GPUs; the
// replica (priority 50, running since 0) checkpoints through a grace of 10 minutes, but its
// autoscaler lets it go at 1 h 5 min, in the grace: it ends there and training starts then,
// 5 minutes earlier than the grace would have let it, and ends 10 hours later.
TEST(ServiceReplicas, AReplicaLetGoInItsPreemptionGraceEndsThere) {
  const Ran ran = Simulate("priority", Chat(50), OneReplica(0, 3900), 0, 10 * kMinute,
                           "jobs:\n  - {name: train, gpus: 16, duration: 10h, submit: 1h, "
                           "priority: 100, topology: leaf}\n");
  const JobRecord& replica = ran.result.jobs[0];
  const JobRecord& train = ran.result.jobs[1];
  EXPECT_EQ(replica.first_start, 0);
  EXPECT_EQ(replica.preemptions, 1);
  EXPECT_EQ(replica.end, kHour + 5 * kMinute);
  EXPECT_EQ(train.first_start, kHour + 5 * kMinute);
  EXPECT_EQ(train.end, 11 * kHour + 5 * kMinute);
  // The replica's run stopped working when it was told to stop, not when it left.
  EXPECT_EQ(ran.runs.front(), (ObservedRun{0, 0, kHour}));
  EXPECT_DOUBLE_EQ(ran.metrics.services[0].gpu_hours, 2.0 * 65 / 60);
}

// Under fifo nothing is preempted: a replica asked for at 1 h and let go at 2 h never gets GPUs
// (training holds them until 10 h) and is withdrawn; one let go at 12 h is placed at 10 h.
TEST(ServiceReplicas, AReplicaNeverPlacedIsWithdrawnWhenLetGo) {
  const Ran short_lived = Simulate("fifo", Chat(100), OneReplica(3600, 7200));
  EXPECT_EQ(short_lived.result.jobs[1].first_start, -1);
  EXPECT_EQ(short_lived.result.jobs[1].end, 2 * kHour);
  EXPECT_EQ(short_lived.result.jobs[0].end, 10 * kHour);
  EXPECT_EQ(short_lived.metrics.services[0].never_placed, 1);
  EXPECT_EQ(short_lived.metrics.services[0].gpu_hours, 0);

  const Ran long_lived = Simulate("fifo", Chat(100), OneReplica(3600, 12 * 3600));
  EXPECT_EQ(long_lived.result.jobs[1].first_start, 10 * kHour);
  EXPECT_EQ(long_lived.result.jobs[1].end, 12 * kHour);
  EXPECT_DOUBLE_EQ(long_lived.metrics.services[0].placement_wait_s.max, 9 * 3600);
  EXPECT_DOUBLE_EQ(long_lived.metrics.services[0].gpu_hours, 4.0);
}

// Let go during its launch (a launch delay of 10 minutes from 1 h, gone at 1 h 5 min): its start
// is confirmed and its run ends there; training resumes at 1 h 5 min, plus its own launch delay.
TEST(ServiceReplicas, AReplicaLetGoWhileItLaunchesEndsThere) {
  const Ran ran = Simulate("priority", Chat(100), OneReplica(3600, 3900), 10 * kMinute);
  EXPECT_EQ(ran.result.jobs[1].first_start, kHour);
  EXPECT_EQ(ran.result.jobs[1].end, kHour + 5 * kMinute);
  // Training: launched at 0 (10 min without work), 50 min of work by 1 h; relaunched at 1 h 5 min,
  // 10 more minutes of launch, then 9 h 10 min of work: 10 h 25 min.
  EXPECT_EQ(ran.result.jobs[0].end, 10 * kHour + 25 * kMinute);
}

// The bundled example end to end: `gpufleet sim` generates 14 hours of the chat service's
// requests, autoscales its replicas and places them beside three training jobs. The report's
// `services` entry has them; its jobs are the three training jobs; the same seed gives the same
// report.
TEST(ServiceReplicas, TheExampleRunsEndToEnd) {
  const std::string args =
      "sim --fleet " + testing::Quote(testing::SourcePath("examples/fleets/tiny.yaml")) +
      " --workload " +
      testing::Quote(testing::SourcePath("examples/workloads/train-and-serve.yaml")) +
      " --policy priority --until 14h --json";
  const auto [code, out] = testing::RunGpufleet(args);
  ASSERT_EQ(code, 0) << out;
  nlohmann::json report = nlohmann::json::parse(out);
  EXPECT_EQ(report["jobs"]["submitted"], 3) << out;
  ASSERT_EQ(report["services"].size(), 1u) << out;
  const nlohmann::json& chat = report["services"][0];
  EXPECT_EQ(chat["name"], "chat");
  EXPECT_EQ(chat["gpus_per_replica"], 2);
  EXPECT_GT(chat["replicas"].get<int>(), 2);    // it follows a daily rhythm
  EXPECT_EQ(chat["placed"], chat["replicas"]);  // priority 100 over training's 0
  // Poisson arrivals at 2 + 14 (1 + cos(2 pi (t - 14 h) / 24 h)) / 2 per second over 14 hours:
  // 2 x 50,400 + 14 x (25,200 - (86,400 / 4 pi) x sin(-2 pi 14 / 24)) = 100,800 + 14 x 21,762.3 =
  // 405,472 expected, a standard deviation of 637.
  EXPECT_NEAR(chat["requests"]["requests"].get<double>(), 405'472, 3'000);
  EXPECT_GT(report["jobs"]["preemptions"].get<int>(), 0);  // training made room
  // Placed when asked, the requests are served as the autoscaler had them, to the last figure.
  EXPECT_EQ(chat["requests"]["attainment"], chat["requests"]["attainment_if_placed_when_asked"]);
  EXPECT_EQ(chat["requests"]["unserved"], 0);
  // The replicas' energy is part of the site's, and every output token served costs some.
  EXPECT_GT(chat["requests"]["it_energy_kwh"].get<double>(), 0);
  EXPECT_LT(chat["requests"]["it_energy_kwh"].get<double>(),
            report["energy"]["it_mwh"].get<double>() * 1000);
  EXPECT_GT(chat["requests"]["it_joules_per_output_token"].get<double>(), 0);
  const auto [again_code, again] = testing::RunGpufleet(args);
  nlohmann::json second = nlohmann::json::parse(again);
  for (nlohmann::json* r : {&report, &second}) {
    (*r)["sim"].erase("wall_s");
    (*r)["sim"].erase("services_wall_s");
  }
  EXPECT_EQ(report, second);

  // Under backfill nothing is preempted: replicas asked for while training holds the GPUs wait,
  // some are let go before they are placed, and the requests they would have served wait at the
  // router or go to the others: fewer meet the SLO than the autoscaler planned.
  std::string backfill = args;
  backfill.replace(backfill.find("priority"), 8, "backfill");
  const auto [backfill_code, backfill_out] = testing::RunGpufleet(backfill);
  ASSERT_EQ(backfill_code, 0) << backfill_out;
  const nlohmann::json late = nlohmann::json::parse(backfill_out)["services"][0];
  EXPECT_GT(late["never_placed"].get<int>(), 0) << late;
  EXPECT_LT(late["requests"]["attainment"].get<double>(),
            late["requests"]["attainment_if_placed_when_asked"].get<double>())
      << late;
}

// The example's service served fluid (docs/MODELS.md, "Fluid serving"): the same demand counted
// by minute windows, its replicas following it and placed over training, the report saying so.
TEST(ServiceReplicas, AFluidServiceRunsEndToEnd) {
  testing::ScratchDir dir;
  std::string yaml =
      testing::ReadFile(testing::SourcePath("examples/workloads/train-and-serve.yaml"));
  const std::string tenant = "    tenant: serving\n";
  ASSERT_NE(yaml.find(tenant), std::string::npos);
  yaml.insert(yaml.find(tenant) + tenant.size(), "    fluid: {window: 60s}\n");
  const std::string args = "sim --fleet " +
                           testing::Quote(testing::SourcePath("examples/fleets/tiny.yaml")) +
                           " --workload " + testing::Quote(dir.Write("fluid.yaml", yaml)) +
                           " --policy priority --until 14h --json";
  const auto [code, out] = testing::RunGpufleet(args);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json report = nlohmann::json::parse(out);
  const nlohmann::json& chat = report["services"][0];
  const nlohmann::json& requests = chat["requests"];
  EXPECT_EQ(requests["level"], "fluid");
  EXPECT_EQ(requests["fluid_window_s"], 60);
  // As the request level's count (TheExampleRunsEndToEnd): 405,472 expected, each window's count
  // Poisson.
  EXPECT_NEAR(requests["requests"].get<double>(), 405'472, 3'000);
  EXPECT_GT(chat["replicas"].get<int>(), 2);  // it follows the daily rhythm
  EXPECT_EQ(chat["placed"], chat["replicas"]);
  EXPECT_GE(requests["attainment"].get<double>(), 0.99);
  // Placed when asked, the replay serves the windows with the replicas the autoscaler had.
  EXPECT_NEAR(requests["attainment"].get<double>(),
              requests["attainment_if_placed_when_asked"].get<double>(), 1e-6);
  EXPECT_EQ(requests["unserved"], 0);
  EXPECT_GT(requests["it_joules_per_output_token"].get<double>(), 0);
  EXPECT_GT(report["jobs"]["preemptions"].get<int>(), 0);  // training made room
  const auto [again_code, again] = testing::RunGpufleet(args);
  ASSERT_EQ(again_code, 0);
  nlohmann::json first = report, second = nlohmann::json::parse(again);
  for (nlohmann::json* r : {&first, &second}) {
    (*r)["sim"].erase("wall_s");
    (*r)["sim"].erase("services_wall_s");
  }
  EXPECT_EQ(first, second);
}

// The fluid example (a day of it): 100 to 600 requests/s, about 30 M requests, served in seconds.
TEST(ServiceReplicas, TheFluidExampleRuns) {
  const auto [code, out] = testing::RunGpufleet(
      "sim --fleet " + testing::Quote(testing::SourcePath("examples/fleets/two-regions.yaml")) +
      " --workload " +
      testing::Quote(testing::SourcePath("examples/workloads/serving-fluid.yaml")) +
      " --policy priority --until 1d --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json chat = nlohmann::json::parse(out)["services"][0];
  EXPECT_EQ(chat["requests"]["level"], "fluid");
  // 100 + 500 (1 + cos) / 2 per second over a whole day: 350 x 86,400 = 30.24 M expected.
  EXPECT_NEAR(chat["requests"]["requests"].get<double>(), 30.24e6, 0.01e6);
  EXPECT_GE(chat["requests"]["attainment"].get<double>(), 0.99);
  EXPECT_GT(chat["replicas"].get<int>(), 8);
}

// A trace that repeats: three requests a second apart come again every 3 s (their last arrival
// and one mean gap) up to --until: 30 s hold 30 requests, at the request level and the fluid one.
TEST(ServiceReplicas, ARepeatedTraceFillsTheHorizon) {
  testing::ScratchDir dir;
  const std::string csv = dir.Write("t.csv",
                                    "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                    "2023-11-16 18:00:00.0,500,20\n"
                                    "2023-11-16 18:00:01.0,500,20\n"
                                    "2023-11-16 18:00:02.0,500,20\n");
  const std::string service =
      "services:\n"
      "  - name: chat\n"
      "    model: llama3-8b\n"
      "    gpu_model: H100\n"
      "    gpus_per_replica: 1\n"
      "    replicas: {min: 1, max: 2}\n"
      "    slo: {ttft: 2s, tpot: 50ms}\n"
      "    demand: {trace: 'azure-llm:" +
      csv + "', repeat: true}\n";
  const std::string sim =
      "sim --fleet " + testing::Quote(testing::SourcePath("examples/fleets/tiny.yaml"));
  for (const std::string fluid : {"", "    fluid: {window: 10s}\n"}) {
    const auto [code, out] = testing::RunGpufleet(
        sim + " --workload " + testing::Quote(dir.Write("w.yaml", service + fluid)) +
        " --until 30s --json");
    ASSERT_EQ(code, 0) << out;
    const nlohmann::json requests = nlohmann::json::parse(out)["services"][0]["requests"];
    EXPECT_EQ(requests["requests"], 30) << fluid;
    EXPECT_EQ(requests["level"], fluid.empty() ? "request" : "fluid");
    EXPECT_DOUBLE_EQ(requests["attainment"].get<double>(), 1) << fluid;
  }
  // A trace of one instant, fluid and without --until: its one window holds its requests.
  const std::string instant = dir.Write("i.csv",
                                        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                                        "2023-11-16 18:00:00.0,500,20\n"
                                        "2023-11-16 18:00:00.0,500,20\n");
  std::string once = service + "    fluid: {window: 10s}\n";
  once.replace(once.find(csv), csv.size(), instant);
  once.replace(once.find(", repeat: true"), 14, "");
  const auto [instant_code, instant_out] = testing::RunGpufleet(
      sim + " --workload " + testing::Quote(dir.Write("i.yaml", once)) + " --json");
  ASSERT_EQ(instant_code, 0) << instant_out;
  EXPECT_EQ(nlohmann::json::parse(instant_out)["services"][0]["requests"]["requests"], 2);
  // Without --until a repeated trace has no end.
  const auto [code, out] =
      testing::RunGpufleet(sim + " --workload " + testing::Quote(dir.Write("w.yaml", service)));
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("repeats its trace: give --until"), std::string::npos) << out;
}

// The outage example end to end: the Azure provider of two regions goes down for 12 hours on the
// second day. Its two sites' 192 GPUs are down 12 h (2,304 GPU-hours); its jobs and replicas are
// interrupted,
// the jobs all restart by the end (Azure is back at 1 d 22 h); jobs resuming on the other site
// copy their checkpoints, whose data is each provider's egress; the chat service's requests
// during the outage are counted apart; the providers' costs add up to the total.
// The elastic example: its Azure region rented node by node under three times the fine-tuning
// load. Nodes are rented (no more than the region's 16), the region's rent is its held nodes'
// GPU-hours at $4.20 (not the GPU-hours jobs held, fewer), and the providers add up to the total.
TEST(ServiceReplicas, TheElasticRegionRentsWhatTheQueueLacks) {
  const auto [code, out] = testing::RunGpufleet(
      "sim --fleet " +
      testing::Quote(testing::SourcePath("examples/fleets/two-regions-elastic.yaml")) +
      " --workload " + testing::Quote(testing::SourcePath("examples/workloads/region-burst.yaml")) +
      " --policy priority --until 2d --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json report = nlohmann::json::parse(out);
  ASSERT_EQ(report["elastic"].size(), 1u) << out;
  const nlohmann::json& e = report["elastic"][0];
  EXPECT_EQ(e["site"], "azure-eastus");
  EXPECT_GT(e["nodes_acquired"].get<int>(), 0);
  EXPECT_LE(e["peak_nodes"].get<int>(), 16);
  EXPECT_LE(e["nodes_acquired"].get<int>(), e["nodes_asked"].get<int>());
  EXPECT_DOUBLE_EQ(e["gpu_hours"].get<double>(), 8 * e["node_hours"].get<double>());
  EXPECT_GT(e["busy"].get<double>(), 0);
  EXPECT_LE(e["busy"].get<double>(), 1);
  double cost = 0, on_demand = 0;
  for (const nlohmann::json& p : report["providers"]) {
    cost += p["cost_usd"].get<double>();
    on_demand += p["rent_usd_by_pricing"]["on_demand"].get<double>();
  }
  EXPECT_NEAR(on_demand, e["gpu_hours"].get<double>() * 4.20, 1e-6);
  EXPECT_NEAR(cost, report["cost"]["total_usd"].get<double>(), 1e-6);
}

TEST(ServiceReplicas, ARegionOutageEndToEnd) {
  const auto [code, out] = testing::RunGpufleet(
      "sim --fleet " + testing::Quote(testing::SourcePath("examples/fleets/two-regions.yaml")) +
      " --workload " +
      testing::Quote(testing::SourcePath("examples/workloads/region-outage.yaml")) +
      " --policy priority --until 2d --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json report = nlohmann::json::parse(out);
  ASSERT_EQ(report["outages"].size(), 1u) << out;
  const nlohmann::json& o = report["outages"][0];
  EXPECT_EQ(o["target"], "provider azure");
  EXPECT_EQ(o["sites"], nlohmann::json::array({"azure-eastus", "azure-spot"}));
  EXPECT_EQ(o["at_s"], 122'400.0);
  EXPECT_EQ(o["gpus"], 192);
  EXPECT_DOUBLE_EQ(o["down_gpu_hours"].get<double>(), 2'304);
  EXPECT_GT(o["jobs_interrupted"].get<int>(), 0);
  EXPECT_GT(o["replicas_interrupted"].get<int>(), 0);
  EXPECT_EQ(o["jobs_restarted"].get<int>() + o["not_restarted"].get<int>(),
            o["jobs_interrupted"].get<int>());
  EXPECT_EQ(o["not_restarted"], 0);
  EXPECT_EQ(report["failures"]["by_category"]["outage"]["failures"], 1);
  EXPECT_EQ(report["failures"]["by_category"]["outage"]["interruptions"].get<int>(),
            o["jobs_interrupted"].get<int>() + o["replicas_interrupted"].get<int>());
  EXPECT_GT(o["checkpoint_copies"].get<int>(), 0);
  EXPECT_LE(o["checkpoint_copies"].get<int>(), report["checkpoint_copies"]["copies"].get<int>());
  double egress = 0, cost = 0;
  for (const nlohmann::json& p : report["providers"]) {
    egress += p["egress_gb"].get<double>();
    cost += p["cost_usd"].get<double>();
  }
  EXPECT_DOUBLE_EQ(egress, report["checkpoint_copies"]["gb"].get<double>());
  EXPECT_NEAR(cost, report["cost"]["total_usd"].get<double>(), 1e-6);
  // Azure rents on demand and spot; its spot site's nodes were taken back at times.
  const nlohmann::json& azure = report["providers"][1];
  EXPECT_EQ(azure["name"], "azure");
  EXPECT_GT(azure["rent_usd_by_pricing"]["on_demand"].get<double>(), 0);
  EXPECT_GT(azure["rent_usd_by_pricing"]["spot"].get<double>(), 0);
  EXPECT_EQ(report["power"]["sites"][2]["pricing"], "spot");
  EXPECT_GT(report["failures"]["by_category"]["spot"]["failures"].get<int>(), 0);
  ASSERT_EQ(o["services"].size(), 1u);
  EXPECT_EQ(o["services"][0]["name"], "chat");
  EXPECT_GT(o["services"][0]["requests"].get<int>(), 0);
  EXPECT_LT(o["services"][0]["requests"].get<int>(),
            report["services"][0]["requests"]["requests"].get<int>());
  // The service's cost: a part of what the providers bill, and per million output tokens its
  // cost over its tokens. Some of its replicas ran on Azure: it pays rent.
  const nlohmann::json& q = report["services"][0]["requests"];
  // The replicas the outage took down held requests: retried on the others.
  EXPECT_GT(q["retried"].get<int>(), 0);
  EXPECT_GT(q["rent_usd"].get<double>(), 0);
  EXPECT_LE(q["rent_usd"].get<double>(), azure["rent_usd"].get<double>());
  EXPECT_GT(q["electricity_usd"].get<double>(), 0);
  double electricity = 0;
  for (const nlohmann::json& p : report["providers"])
    electricity += p["electricity_usd"].get<double>();
  EXPECT_LE(q["electricity_usd"].get<double>(), electricity);
  EXPECT_DOUBLE_EQ(q["cost_usd"].get<double>(),
                   q["rent_usd"].get<double>() + q["electricity_usd"].get<double>());
  EXPECT_NEAR(q["usd_per_million_output_tokens"].get<double>(),
              q["cost_usd"].get<double>() / q["output_tokens"].get<double>() * 1e6, 1e-9);
}

// A service whose demand is the Azure conversation trace at twice its rate (all 19,366 requests,
// in about half an hour), beside a 2-hour job of 8 GPUs at a lower priority, without --until: the
// trace gives the demand's span. Every request is served once, on replicas placed when asked.
TEST(ServiceReplicas, ATraceDemandRunsWithoutUntil) {
  REQUIRE_TRACE_FILE(conv, "azure-llm-2023/AzureLLMInferenceTrace_conv.csv");
  testing::ScratchDir dir;
  const std::string w = dir.Write("w.yaml",
                                  "services:\n"
                                  "  - name: conv\n"
                                  "    model: llama3-70b\n"
                                  "    gpu_model: H100\n"
                                  "    gpus_per_replica: 2\n"
                                  "    replicas: {min: 1, max: 8}\n"
                                  "    slo: {ttft: 2s, tpot: 50ms}\n"
                                  "    priority: 10\n"
                                  "    demand: {trace: 'azure-llm:" +
                                      conv +
                                      "', rate_scale: 2}\n"
                                      "jobs:\n"
                                      "  - {name: t, gpus: 8, duration: 2h}\n");
  const auto [code, out] = testing::RunGpufleet(
      "sim --fleet " + testing::Quote(testing::SourcePath("examples/fleets/tiny.yaml")) +
      " --workload " + testing::Quote(w) + " --policy priority --json");
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json report = nlohmann::json::parse(out);
  const nlohmann::json& s = report["services"][0];
  EXPECT_EQ(s["requests"]["requests"], 19'366);
  EXPECT_EQ(s["requests"]["unserved"], 0);
  EXPECT_EQ(s["placed"], s["replicas"]);
  EXPECT_EQ(report["jobs"]["completed"], 1);
}

}  // namespace
}  // namespace gpufleet
