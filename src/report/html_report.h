// gpufleet's HTML pages, each one self-contained, with uPlot and the page's scripts
// (src/report/web/) embedded as code:
// - the HTML report (`gpufleet sim --html FILE`; docs/REPORT.md, "HTML report"): the JSON report
//   embedded as data, no request to any other host;
// - the dashboard of `gpufleet serve` (docs/API.md, "Dashboard"): no data, it asks the API.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "util/result.h"

namespace gpufleet {

// Whether this build embeds uPlot (scripts/install-web-deps before the build).
bool HtmlReportsAvailable();

// Why a build without uPlot has no HTML pages, and how to get them.
std::string HtmlUnavailableReason();

// The page for `report` (as ReportJson writes it), naming gpufleet's `version`; kUnavailable when
// this build has no uPlot, saying how to get it.
Result<std::string> HtmlReport(const nlohmann::ordered_json& report, const std::string& version);

// The dashboard's page, naming gpufleet's `version`; kUnavailable as HtmlReport.
Result<std::string> DashboardPage(const std::string& version);

}  // namespace gpufleet
