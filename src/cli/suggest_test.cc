#include "cli/suggest.h"

#include <gtest/gtest.h>

namespace gpufleet::cli {
namespace {

TEST(Suggest, NearestName) {
  const std::vector<std::string> commands = {"sim",   "validate",   "fleet",
                                             "trace", "experiment", "plan"};
  EXPECT_EQ(Nearest("simulate", commands), "sim");       // a longer spelling of it
  EXPECT_EQ(Nearest("valdiate", commands), "validate");  // two letters swapped
  EXPECT_EQ(Nearest("fleets", commands), "fleet");
  EXPECT_EQ(Nearest("Plan", commands), "plan");  // any case
  EXPECT_EQ(Nearest("deploy", commands), "");
  const std::vector<std::string> flags = {"--seed", "--fleet", "--report", "--until"};
  EXPECT_EQ(Nearest("--sed", flags), "--seed");
  EXPECT_EQ(Nearest("--reprot", flags), "--report");
  EXPECT_EQ(Nearest("--colour", flags), "");
}

TEST(Suggest, HintsForCommandLines) {
  CLI::App app{"test", "gpufleet"};
  CLI::App* sim = app.add_subcommand("sim", "");
  std::string fleet;
  std::uint64_t seed = 0;
  sim->add_option("--fleet", fleet, "");
  sim->add_option("--seed", seed, "");
  CLI::App* plan = app.add_subcommand("plan", "");
  plan->add_subcommand("train", "");
  EXPECT_EQ(UsageHint(app, {"simulate"}),
            "unknown command 'simulate'; did you mean 'sim'? (commands: sim, plan)");
  EXPECT_EQ(UsageHint(app, {"sim", "--fleet", "x.yaml", "--sed", "3"}),
            "sim: unknown option '--sed'; did you mean '--seed'?");
  EXPECT_EQ(UsageHint(app, {"sim", "--fleet=x", "--sed=3"}),
            "sim: unknown option '--sed'; did you mean '--seed'?");
  EXPECT_EQ(UsageHint(app, {"plan", "trian"}),
            "plan: unknown command 'trian'; did you mean 'train'? (commands: train)");
  // A value that looks like a command is an option's value, not a mistake.
  EXPECT_EQ(UsageHint(app, {"sim", "--fleet", "simulate"}), "");
}

}  // namespace
}  // namespace gpufleet::cli
