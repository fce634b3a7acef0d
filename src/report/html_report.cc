#include "report/html_report.h"

#include "html_assets.h"
#include "report/figures_page.h"

namespace gpufleet {
namespace {

// Text placed inside a <script> element must not close it: "</" becomes "<\/" (the same string
// to JSON and to JavaScript), and "<!--" cannot start a comment.
std::string ForScript(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 64);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '!')) {
      out += text[i + 1] == '/' ? "<\\/" : "\\u003c!";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Attribute text: the version string is ours, but escape it all the same.
std::string ForAttribute(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr const char* kStyle = R"CSS(
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.5em; } h3 { font-size: 1em; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
section.plot { margin-bottom: 1.5em; }
details table { font-size: 12px; }
p.note { color: #666; }
.error { color: #b00020; }
header { display: flex; gap: 1em; align-items: baseline; flex-wrap: wrap; }
header h1 { margin: 0; }
label { margin-right: 0.5em; }
.controls { margin: 0.5em 0; }
)CSS";

}  // namespace

bool HtmlReportsAvailable() { return html_assets::kHaveUplot; }

std::string HtmlUnavailableReason() {
  return "this gpufleet was built without uPlot, which its HTML pages draw with: run "
         "scripts/install-web-deps (it needs npm), then build again";
}

namespace {

// A page: uPlot's style and ours, a root element, the data (if any) as a JSON script element,
// then uPlot, plot.js and the page's own script.
Result<std::string> Page(const std::string& title, const std::string& version,
                         const nlohmann::ordered_json* data, const char* script) {
  if (!html_assets::kHaveUplot) return Error{HtmlUnavailableReason(), ErrorCode::kUnavailable};
  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<title>" + ForAttribute(title) + "</title>\n<style>";
  page += html_assets::kUplotCss;
  page += kStyle;
  page += "</style>\n</head>\n<body>\n";
  page += "<div id=\"gpufleet-root\" data-version=\"" + ForAttribute(version) + "\"></div>\n";
  if (data != nullptr) {
    page += "<script id=\"gpufleet-report\" type=\"application/json\">";
    page += ForScript(data->dump());
    page += "</script>\n";
  }
  page += "<script>\n/* uPlot " + std::string(html_assets::kUplotVersion) + "\n";
  page += ForScript(html_assets::kUplotLicense);
  page += "*/\n";
  page += ForScript(html_assets::kUplotJs);
  page += "\n</script>\n<script>\n";
  page += ForScript(html_assets::kPlotJs);
  page += "</script>\n<script>\n";
  page += ForScript(script);
  page += "</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace

Result<std::string> HtmlReport(const nlohmann::ordered_json& report, const std::string& version) {
  return Page("gpufleet report", version, &report, html_assets::kReportJs);
}

namespace {

// What the comparison page overlays of one run: its series of GPUs busy and up and the fleet's IT
// power (its sites' summed), and its distributions of all completed jobs; null where the report
// has none (a run without --series).
nlohmann::ordered_json OverlaidOf(const std::string& label, const nlohmann::json& report) {
  using ojson = nlohmann::ordered_json;
  ojson run = {{"label", label}, {"series", nullptr}, {"distributions", nullptr}};
  const nlohmann::json* series =
      report.contains("series") && report["series"].is_object() ? &report["series"] : nullptr;
  if (series != nullptr && series->contains("start_s") && series->contains("gpus_busy")) {
    const nlohmann::json& start = (*series)["start_s"];
    std::vector<double> power(start.size(), 0.0);
    bool have_power = false;
    if (series->contains("sites") && (*series)["sites"].is_object()) {
      for (const auto& [name, site] : (*series)["sites"].items()) {
        if (!site.contains("it_power_w") || site["it_power_w"].size() != power.size()) continue;
        have_power = true;
        for (size_t i = 0; i < power.size(); ++i)
          power[i] += site["it_power_w"][i].is_number() ? site["it_power_w"][i].get<double>() : 0;
      }
    }
    run["series"] = {{"start_s", start},
                     {"gpus_busy", (*series)["gpus_busy"]},
                     {"gpus_up", series->value("gpus_up", nlohmann::json::array())},
                     {"it_power_w", have_power ? ojson(power) : ojson(nullptr)}};
  }
  if (report.contains("distributions") && report["distributions"].is_object()) {
    const nlohmann::json& d = report["distributions"];
    ojson dist = ojson::object();
    for (const char* key : {"jct_s", "queue_s"}) {
      if (d.contains(key) && d[key].contains("all")) dist[key] = d[key]["all"];
    }
    run["distributions"] = dist;
  }
  return run;
}

}  // namespace

Result<std::string> ComparisonPage(const Comparison& comparison,
                                   const std::vector<ComparedRun>& runs,
                                   const std::string& version) {
  nlohmann::ordered_json data = {{"comparison", ComparisonJson(comparison)},
                                 {"runs", nlohmann::ordered_json::array()}};
  for (size_t i = 0; i < runs.size(); ++i) {
    data["runs"].push_back(
        OverlaidOf(i < comparison.runs.size() ? comparison.runs[i] : runs[i].file, runs[i].report));
  }
  return Page("gpufleet comparison", version, &data, html_assets::kCompareJs);
}

Result<std::string> FiguresPageHtml(const FiguresPage& page, const std::string& version) {
  return Page(page.json()["title"].get<std::string>(), version, &page.json(),
              html_assets::kFiguresJs);
}

Result<std::string> DashboardPage(const std::string& version) {
  return Page("gpufleet", version, nullptr, html_assets::kDashboardJs);
}

}  // namespace gpufleet
