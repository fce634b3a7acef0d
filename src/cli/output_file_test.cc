#include "cli/output_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "temp_dir.h"

namespace gpufleet::cli {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Files(const std::string& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(OutputFile, ReplacesTheOldFileOnlyOnCommit) {
  testing::ScratchDir dir;
  const std::string path = dir.Write("out.csv", "old\n");
  {
    OutputFile f;
    ASSERT_TRUE(f.Open(path)) << f.error();
    f.stream() << "new\n";
    EXPECT_EQ(Read(path), "old\n");  // written beside it, not over it
    EXPECT_EQ(Files(dir.Path("")), 2);
    ASSERT_TRUE(f.Commit()) << f.error();
  }
  EXPECT_EQ(Read(path), "new\n");
  EXPECT_EQ(Files(dir.Path("")), 1);
}

TEST(OutputFile, AbandonedKeepsTheOldFileAndLeavesNothing) {
  testing::ScratchDir dir;
  const std::string path = dir.Write("out.csv", "old\n");
  {
    OutputFile f;
    ASSERT_TRUE(f.Open(path));
    f.stream() << "half of it";
  }  // never committed: an error or an interruption
  EXPECT_EQ(Read(path), "old\n");
  EXPECT_EQ(Files(dir.Path("")), 1);
}

TEST(OutputFile, UnwritablePlacesFailAtOpen) {
  testing::ScratchDir dir;
  OutputFile f;
  EXPECT_FALSE(f.Open(dir.Path("no-such-dir/out.csv")));
  EXPECT_NE(f.error().find("cannot write"), std::string::npos) << f.error();
  OutputFile g;
  EXPECT_FALSE(g.Open(dir.Path("")));
  EXPECT_NE(g.error().find("is a directory"), std::string::npos) << g.error();
}

TEST(OutputFile, DashIsStandardOutputAndEmptyIsNothing) {
  OutputFile dash;
  ASSERT_TRUE(dash.Open("-"));
  EXPECT_TRUE(dash.is_stdout());
  EXPECT_TRUE(dash.is_open());
  OutputFile none;
  ASSERT_TRUE(none.Open(""));
  EXPECT_FALSE(none.is_open());
  EXPECT_TRUE(none.Commit());
}

}  // namespace
}  // namespace gpufleet::cli
