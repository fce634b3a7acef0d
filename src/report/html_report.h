// The HTML report (`gpufleet sim --html FILE`; docs/REPORT.md, "HTML report"): one self-contained
// page - the JSON report embedded as data, uPlot and the page's renderer
// (src/report/html/report.js) embedded as code, no request to any other host - that draws the
// report's plots in a browser.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "util/result.h"

namespace gpufleet {

// Whether this build embeds uPlot (scripts/install-web-deps before the build).
bool HtmlReportsAvailable();

// The page for `report` (as ReportJson writes it), naming gpufleet's `version`; kUnavailable when
// this build has no uPlot, saying how to get it.
Result<std::string> HtmlReport(const nlohmann::ordered_json& report, const std::string& version);

}  // namespace gpufleet
