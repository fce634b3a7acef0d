#include "util/input_file.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace gpufleet {
namespace {

TEST(InputFile, SaysWhatIsWrongWithThePath) {
  testing::ScratchDir dir;
  const std::string file = dir.Write("a.csv", "x\n");
  Result<std::ifstream> ok = OpenInputFile(file);
  ASSERT_TRUE(ok.ok()) << ok.message();
  std::string line;
  std::getline(ok.value(), line);
  EXPECT_EQ(line, "x");

  Result<std::ifstream> missing = OpenInputFile(dir.Path("b.csv"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), dir.Path("b.csv") + ": no such file");
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);

  dir.Write("folder/inside.csv", "x\n");
  Result<std::ifstream> folder = OpenInputFile(dir.Path("folder"));
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.message(), dir.Path("folder") + ": is a folder; expected a file");
}

}  // namespace
}  // namespace gpufleet
