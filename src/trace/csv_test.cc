#include "trace/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gpufleet {
namespace {

::testing::AssertionResult StartsWith(const std::string& s, const std::string& prefix) {
  if (s.rfind(prefix, 0) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << s << "' does not start with '" << prefix << "'";
}

TEST(Csv, HeaderAndRows) {
  CsvFile f = CsvFile::FromString("a,b, c \n1,2,3\nx,,z\n", "t.csv");
  EXPECT_EQ(f.path(), "t.csv");
  EXPECT_EQ(f.header(), (std::vector<std::string>{"a", "b", "c"}));  // header names are trimmed
  EXPECT_EQ(f.FindColumn("c"), 2);
  EXPECT_FALSE(f.FindColumn("d").has_value());
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(f.line(), 2);
  ASSERT_EQ(f.fields(), 3);
  EXPECT_EQ(f.Field(0), "1");
  EXPECT_EQ(f.Field(2), "3");
  EXPECT_EQ(f.RawLine(), "1,2,3");
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(f.line(), 3);
  ASSERT_EQ(f.fields(), 3);
  EXPECT_EQ(f.Field(1), "");
  EXPECT_EQ(f.Field(2), "z");
  EXPECT_EQ(f.Field(7), "");  // out of range reads as empty
  EXPECT_FALSE(f.Next());
  EXPECT_FALSE(f.Next());
}

TEST(Csv, LastLineWithoutNewline) {
  CsvFile f = CsvFile::FromString("a,b\n1,2", "t.csv");
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(f.Field(1), "2");
  EXPECT_FALSE(f.Next());
}

TEST(Csv, QuotedFieldsWithCommasAndDoubledQuotes) {
  CsvFile f = CsvFile::FromString(
      "name,comment,n\n"
      "\"a,b\",\"say \"\"hi\"\"\",3\n"
      "\"\",\"\"\"\",\"x\"\n",
      "q.csv");
  ASSERT_TRUE(f.Next());
  ASSERT_EQ(f.fields(), 3);
  EXPECT_EQ(f.Field(0), "a,b");
  EXPECT_EQ(f.Field(1), "say \"hi\"");
  EXPECT_EQ(f.Field(2), "3");
  ASSERT_TRUE(f.Next());
  ASSERT_EQ(f.fields(), 3);
  EXPECT_EQ(f.Field(0), "");
  EXPECT_EQ(f.Field(1), "\"");
  EXPECT_EQ(f.Field(2), "x");
}

TEST(Csv, CrlfLineEnds) {
  CsvFile f = CsvFile::FromString("a,b\r\n1,2\r\n\r\n3,4\r\n", "crlf.csv");
  EXPECT_EQ(f.header(), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(f.Field(1), "2");  // no '\r' left in the last field
  EXPECT_EQ(f.RawLine(), "1,2");
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(f.line(), 4);  // the blank CRLF line is skipped but counted
  EXPECT_EQ(f.Field(0), "3");
  EXPECT_EQ(f.Field(1), "4");
  EXPECT_FALSE(f.Next());
}

TEST(Csv, EmptyLinesAreSkippedButCounted) {
  CsvFile f = CsvFile::FromString("a\n\n\n1\n\n2\n\n", "e.csv");
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(f.line(), 4);
  EXPECT_EQ(f.Field(0), "1");
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(f.line(), 6);
  EXPECT_EQ(f.Field(0), "2");
  EXPECT_FALSE(f.Next());
}

TEST(Csv, TabSeparatedWithoutHeader) {
  CsvFile f = CsvFile::FromString("x\ty,z\t3\n", "t.tsv", '\t', /*has_header=*/false,
                                  {"first", "second", "third"});
  EXPECT_EQ(f.header(), (std::vector<std::string>{"first", "second", "third"}));
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(f.line(), 1);
  ASSERT_EQ(f.fields(), 3);
  EXPECT_EQ(f.Field(1), "y,z");
  EXPECT_EQ(f.Where(2), "t.tsv:1:7: field 'third': ");
}

TEST(Csv, WhereGivesOneBasedColumns) {
  CsvFile f = CsvFile::FromString("id,text,value\n12,\"a,b\",345\n,,\n", "w.csv");
  ASSERT_TRUE(f.Next());
  // "12,\"a,b\",345": fields start at characters 1, 4 (the quote) and 10.
  EXPECT_EQ(f.Where(0), "w.csv:2:1: field 'id': ");
  EXPECT_EQ(f.Where(1), "w.csv:2:4: field 'text': ");
  EXPECT_EQ(f.Where(2), "w.csv:2:10: field 'value': ");
  EXPECT_EQ(f.WhereRow(), "w.csv:2: ");
  // A column past the end of the row points just after its last character.
  EXPECT_EQ(f.Where(3), "w.csv:2:13: field 'column 4': ");
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(f.Where(0), "w.csv:3:1: field 'id': ");
  EXPECT_EQ(f.Where(1), "w.csv:3:2: field 'text': ");
  EXPECT_EQ(f.Where(2), "w.csv:3:3: field 'value': ");
}

TEST(Csv, ReadNumber) {
  CsvFile f = CsvFile::FromString("a,b,c,d,e,f\n1.5,-2,abc,,1e3,inf\n", "n.csv");
  ASSERT_TRUE(f.Next());
  EXPECT_DOUBLE_EQ(ReadNumber(f, 0).value(), 1.5);
  EXPECT_DOUBLE_EQ(ReadNumber(f, 1).value(), -2.0);
  EXPECT_DOUBLE_EQ(ReadNumber(f, 4).value(), 1000.0);

  Result<double> bad = ReadNumber(f, 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), "n.csv:2:8: field 'c': expected a number, got 'abc'");
  Result<double> empty = ReadNumber(f, 3);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.message(), "n.csv:2:12: field 'd': expected a number, got ''");
  Result<double> inf = ReadNumber(f, 5);
  ASSERT_FALSE(inf.ok());
  EXPECT_TRUE(StartsWith(inf.message(), "n.csv:2:17: field 'f': expected a number"));
}

TEST(Csv, ReadNumberOfMissingField) {
  CsvFile f = CsvFile::FromString("a,b,c\n1,2\n", "m.csv");
  ASSERT_TRUE(f.Next());
  Result<double> r = ReadNumber(f, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "m.csv:2:4: field 'c': missing: the row has 2 fields");
  Result<std::int64_t> i = ReadInteger(f, 2);
  ASSERT_FALSE(i.ok());
  EXPECT_EQ(i.message(), "m.csv:2:4: field 'c': missing: the row has 2 fields");
}

TEST(Csv, ReadInteger) {
  CsvFile f = CsvFile::FromString("a,b,c,d,e,f,g\n8,8.0,-3,8.5,x,,99999999999999999999\n", "i.csv");
  ASSERT_TRUE(f.Next());
  EXPECT_EQ(ReadInteger(f, 0).value(), 8);
  EXPECT_EQ(ReadInteger(f, 1).value(), 8);  // some traces write integers as floats
  EXPECT_EQ(ReadInteger(f, 2).value(), -3);

  Result<std::int64_t> frac = ReadInteger(f, 3);
  ASSERT_FALSE(frac.ok());
  EXPECT_EQ(frac.message(), "i.csv:2:10: field 'd': expected an integer, got '8.5'");
  Result<std::int64_t> word = ReadInteger(f, 4);
  ASSERT_FALSE(word.ok());
  EXPECT_EQ(word.message(), "i.csv:2:14: field 'e': expected an integer, got 'x'");
  Result<std::int64_t> empty = ReadInteger(f, 5);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.message(), "i.csv:2:16: field 'f': expected an integer, got ''");
  Result<std::int64_t> huge = ReadInteger(f, 6);
  ASSERT_FALSE(huge.ok());
  EXPECT_TRUE(StartsWith(huge.message(), "i.csv:2:17: field 'g': expected an integer"));
}

TEST(Csv, MissingColumnNamesTheHeader) {
  CsvFile f = CsvFile::FromString("timestamp,duration\n1,2\n", "h.csv");
  EXPECT_EQ(f.Column("duration").value(), 1);
  Result<int> c = f.Column("num_gpus");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message(),
            "h.csv:1:1: expected a column named 'num_gpus' in the header; it has: "
            "timestamp,duration");
}

TEST(Csv, OpenMissingFile) {
  Result<CsvFile> missing = CsvFile::Open(::testing::TempDir() + "/csv_test_no_such_file.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no such file"), std::string::npos);
}

}  // namespace
}  // namespace gpufleet
