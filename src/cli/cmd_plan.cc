// gpufleet plan: capacity-planning questions answered from the models, without a simulation.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/html_output.h"
#include "physics/checkpoint.h"
#include "report/figures_page.h"
#include "report/report.h"
#include "util/duration.h"

namespace gpufleet::cli {
namespace {

struct CheckpointArgs {
  std::string mtbf, write_time, restart = "0";
  std::string html;  // the page, or empty
  bool json = false;
};

constexpr const char* kCheckpointMe = "gpufleet plan checkpoint: ";

int RunCheckpoint(const CheckpointArgs& a) {
  auto parse = [](const std::string& text, const char* flag,
                  bool positive) -> std::optional<double> {
    Result<SimTime> d = ParseDuration(text);
    if (!d.ok() || (positive && d.value() <= 0)) {
      std::cerr << "gpufleet plan checkpoint: " << flag << ": "
                << (d.ok() ? "expected a positive duration" : d.message()) << "\n";
      return std::nullopt;
    }
    return ToSeconds(d.value());
  };
  const std::optional<double> mtbf = parse(a.mtbf, "--mtbf", true);
  const std::optional<double> write = parse(a.write_time, "--write-time", true);
  const std::optional<double> restart = parse(a.restart, "--restart-overhead", false);
  if (!mtbf || !write || !restart) return kExitBadInput;
  if (!a.html.empty() && !HtmlPagesPossible(kCheckpointMe)) return kExitFailure;
  const double young = YoungInterval(*write, *mtbf);
  const double daly = DalyInterval(*write, *mtbf);
  const double ettr = ExpectedEttr(daly, *write, *restart, *mtbf);
  nlohmann::ordered_json j;
  j["mtbf_s"] = *mtbf;
  j["write_time_s"] = *write;
  j["restart_s"] = *restart;
  j["young_interval_s"] = young;
  j["daly_interval_s"] = daly;
  j["ettr"] = ettr;
  if (!a.html.empty()) {
    FiguresPage page("Checkpoint intervals", "gpufleet plan checkpoint --mtbf " + a.mtbf +
                                                 " --write-time " + a.write_time +
                                                 " --restart-overhead " + a.restart);
    page.Figures("figures", "Intervals",
                 {{"MTBF (s)", *mtbf},
                  {"checkpoint write (s)", *write},
                  {"restart (s)", *restart},
                  {"Young's interval (s)", young},
                  {"Daly's interval (s)", daly},
                  {"ETTR at Daly's interval", ettr},
                  {"ETTR at Young's interval", ExpectedEttr(young, *write, *restart, *mtbf)}});
    page.AddPlot(EttrAgainstInterval(*write, *restart, *mtbf));
    page.Note(
        "ETTR: useful time over wall time with exponentially distributed failures, a "
        "checkpoint after each interval of work, and the restart time after each failure "
        "(Daly's complete model; docs/MODELS.md). Its maximum is at Daly's interval.");
    page.Record(j);
    if (!WriteFiguresPage(a.html, page, kCheckpointMe)) return kExitFailure;
    if (a.html == "-") return kExitOk;
  }
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::printf(
      "checkpoint interval for a job failing every %s, writing a checkpoint in %s, restarting in "
      "%s\n",
      HumanSeconds(*mtbf).c_str(), HumanSeconds(*write).c_str(), HumanSeconds(*restart).c_str());
  std::printf("  Young (1974)   %10.0f s  (%s)\n", young, HumanSeconds(young).c_str());
  std::printf("  Daly (2006)    %10.0f s  (%s)\n", daly, HumanSeconds(daly).c_str());
  std::printf("  expected ETTR  %10.4f    at the Daly interval (exponential failures)\n", ettr);
  return kExitOk;
}

}  // namespace

Runner AddPlanCommand(CLI::App& app) {
  CLI::App* plan = app.add_subcommand(
      "plan",
      "Capacity planning from the models (docs/MODELS.md): train (a training run on its\n"
      "placement), serve (the replicas an inference service needs for its SLO), checkpoint\n"
      "(checkpoint intervals) and capacity (capacity options compared by simulating a demand).");
  plan->require_subcommand(1);
  auto args = std::make_shared<CheckpointArgs>();
  CLI::App* ck = plan->add_subcommand(
      "checkpoint",
      "Checkpoint intervals: Young's sqrt(2 delta M) and Daly's higher-order optimum, and the "
      "expected\n"
      "effective training time ratio at Daly's interval with exponentially distributed failures.");
  ck->add_option("--mtbf", args->mtbf,
                 "Mean time between failures of the job, e.g. 3h (units ms, s, m, h, d, w).")
      ->required();
  ck->add_option("--write-time", args->write_time, "Time to write one checkpoint, e.g. 60s.")
      ->required();
  ck->add_option("--restart-overhead,--restart", args->restart,
                 "Time from a failure to training again (detection, restart, load).")
      ->capture_default_str();
  ck->add_flag("--json", args->json,
               "JSON: young_interval_s, daly_interval_s, ettr (and the inputs).");
  ck->add_option("--html", args->html,
                 "Also write one self-contained HTML page: the intervals, and ETTR against the "
                 "checkpoint interval. '-': standard output.");
  ck->footer(
      "Example:\n  gpufleet plan checkpoint --mtbf 3h --write-time 60s --restart-overhead 10m");
  Runner train = AddPlanTrainCommand(plan);
  Runner serve = AddPlanServeCommand(plan);
  Runner capacity = AddPlanCapacityCommand(plan);
  return [args, ck, plan, train, serve, capacity] {
    if (ck->parsed()) return RunCheckpoint(*args);
    if (plan->get_subcommand("capacity")->parsed()) return capacity();
    return plan->get_subcommand("serve")->parsed() ? serve() : train();
  };
}

}  // namespace gpufleet::cli
