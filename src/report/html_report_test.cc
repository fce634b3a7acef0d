#include "report/html_report.h"

#include <gtest/gtest.h>

namespace gpufleet {
namespace {

// The text of the page's embedded report: between its script tag and the next closing one.
std::string EmbeddedReport(const std::string& page) {
  const std::string open = "<script id=\"gpufleet-report\" type=\"application/json\">";
  const size_t begin = page.find(open);
  if (begin == std::string::npos) return "";
  const size_t end = page.find("</script>", begin);
  return page.substr(begin + open.size(), end - begin - open.size());
}

TEST(HtmlReport, EmbedsTheReportAndItsCodeAndAsksNoOtherHost) {
  if (!HtmlReportsAvailable())
    GTEST_SKIP() << "this build has no uPlot (scripts/install-web-deps needs npm): HTML reports "
                    "are not checked here";
  // A file name that would end the script element early if it were embedded as it is.
  const nlohmann::ordered_json report = {
      {"run", {{"fleet", "a</script><script>alert(1)</script>.yaml"}, {"policy", "fifo"}}},
      {"jobs", {{"submitted", 3}}},
      {"series", {{"start_s", {0, 3600}}, {"gpus_busy", {1.5, 2}}}}};
  const Result<std::string> page = HtmlReport(report, "gpufleet 1.2.3");
  ASSERT_TRUE(page.ok()) << page.message();
  const std::string& html = page.value();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0U);
  // The embedded data is the report, to the byte once parsed.
  EXPECT_EQ(nlohmann::ordered_json::parse(EmbeddedReport(html)), report);
  // Four script elements (data, uPlot, plot.js, the renderer): each closes once.
  size_t closes = 0;
  for (size_t at = html.find("</script>"); at != std::string::npos;
       at = html.find("</script>", at + 1))
    ++closes;
  EXPECT_EQ(closes, 4U);
  // uPlot with its licence, the renderer, the version; nothing loaded from elsewhere.
  EXPECT_NE(html.find("The MIT License"), std::string::npos);
  EXPECT_NE(html.find("uPlot"), std::string::npos);
  EXPECT_NE(html.find("gpufleet-plots"), std::string::npos);
  EXPECT_NE(html.find("data-version=\"gpufleet 1.2.3\""), std::string::npos);
  for (const char* fetch : {"<script src", "<link", "<img", "@import", "fetch(", "XMLHttpRequest"})
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
}

// The dashboard's page holds no data and asks only its own server (fetch of paths under /v1/).
TEST(HtmlReport, TheDashboardAsksOnlyItsOwnServer) {
  if (!HtmlReportsAvailable()) GTEST_SKIP() << "this build has no uPlot: no dashboard page";
  const Result<std::string> page = DashboardPage("gpufleet 1.2.3");
  ASSERT_TRUE(page.ok()) << page.message();
  const std::string& html = page.value();
  EXPECT_EQ(html.find("gpufleet-report"), std::string::npos) << "a dashboard embeds no report";
  EXPECT_NE(html.find("'/v1/sites'"), std::string::npos);
  EXPECT_NE(html.find("sessionStorage"), std::string::npos) << "the token is kept per session";
  for (const char* elsewhere : {"<script src", "<link", "localStorage"})
    EXPECT_EQ(html.find(elsewhere), std::string::npos) << elsewhere;
  // Our scripts (after uPlot, whose licence names its home page) name no other host.
  const size_t ours = html.find("window.gpufleetPages = ");
  ASSERT_NE(ours, std::string::npos);
  EXPECT_EQ(html.find("://", ours), std::string::npos);
}

TEST(HtmlReport, WithoutUplotItSaysHowToGetIt) {
  if (HtmlReportsAvailable()) GTEST_SKIP() << "this build has uPlot";
  for (const Result<std::string>& page : {HtmlReport({}, "x"), DashboardPage("x")}) {
    ASSERT_FALSE(page.ok());
    EXPECT_NE(page.message().find("scripts/install-web-deps"), std::string::npos);
  }
}

}  // namespace
}  // namespace gpufleet
