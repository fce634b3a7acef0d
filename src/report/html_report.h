// gpufleet's HTML pages, each one self-contained, with uPlot and the page's scripts
// (src/report/web/) embedded as code:
// - the HTML report (`gpufleet sim --html FILE`; docs/REPORT.md, "HTML report"): the JSON report
//   embedded as data, no request to any other host;
// - the comparison of runs (`gpufleet compare --html FILE`; docs/REPORT.md, "Comparing runs"):
//   the comparison and what the runs' reports hold to overlay, embedded as data;
// - the dashboard of `gpufleet serve` (docs/API.md, "Dashboard"): no data, it asks the API.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "report/compare.h"
#include "util/result.h"

namespace gpufleet {

// Whether this build embeds uPlot (scripts/install-web-deps before the build).
bool HtmlReportsAvailable();

// Why a build without uPlot has no HTML pages, and how to get them.
std::string HtmlUnavailableReason();

// The page for `report` (as ReportJson writes it), naming gpufleet's `version`; kUnavailable when
// this build has no uPlot, saying how to get it.
Result<std::string> HtmlReport(const nlohmann::ordered_json& report, const std::string& version);

// The page of `gpufleet compare --html`: the comparison's table, and the runs' GPUs busy, IT
// power and JCT and queue-wait distributions overlaid (those of the runs whose reports have
// them); kUnavailable as HtmlReport.
Result<std::string> ComparisonPage(const Comparison& comparison,
                                   const std::vector<ComparedRun>& runs,
                                   const std::string& version);

// The dashboard's page, naming gpufleet's `version`; kUnavailable as HtmlReport.
Result<std::string> DashboardPage(const std::string& version);

}  // namespace gpufleet
