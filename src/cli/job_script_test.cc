#include "cli/job_script.h"

#include <gtest/gtest.h>

namespace gpufleet::cli {
namespace {

using Args = std::vector<std::string>;

TEST(JobScript, ReadsDirectivesBeforeTheFirstCommand) {
  const std::string script =
      "#!/bin/bash\n"
      "# train the model\n"
      "#GPUFLEET --gpus 8 --topology nvlink\n"
      "\n"
      "#GPUFLEET --name 'pretrain 7b' --estimate=36h\n"
      "#GPUFLEETX --ignored\n"
      "torchrun train.py\n"
      "#GPUFLEET --priority 99\n";
  Result<Args> args = ReadDirectives("train.sh", script);
  ASSERT_TRUE(args.ok()) << args.message();
  EXPECT_EQ(args.value(), (Args{"--gpus", "8", "--topology", "nvlink", "--name", "pretrain 7b",
                                "--estimate=36h"}));
}

TEST(JobScript, QuotesInDirectives) {
  Result<Args> args = ReadDirectives("s", "#GPUFLEET --name \"a \\\"b\\\" c\" x'y z'\n");
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args.value(), (Args{"--name", "a \"b\" c", "xy z"}));
  Result<Args> open = ReadDirectives("s", "#!/bin/sh\n#GPUFLEET --name 'unclosed\n");
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.message(), "s:2: a quote that is not closed");
}

TEST(JobScript, NoDirectives) {
  Result<Args> args = ReadDirectives("s", "echo hi\n#GPUFLEET --gpus 8\n");
  ASSERT_TRUE(args.ok());
  EXPECT_TRUE(args.value().empty());
}

TEST(JobScript, CommandFromArgs) {
  EXPECT_EQ(CommandFromArgs({"torchrun train.py | tee log"}), "torchrun train.py | tee log");
  EXPECT_EQ(CommandFromArgs({"python", "train.py", "--lr", "0.1"}), "python train.py --lr 0.1");
  EXPECT_EQ(CommandFromArgs({"echo", "it's", "a b", ""}), "echo 'it'\\''s' 'a b' ''");
  EXPECT_EQ(ShellQuote("/data/run-1/x.sh"), "/data/run-1/x.sh");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
}

}  // namespace
}  // namespace gpufleet::cli
