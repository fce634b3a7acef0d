// The page of `gpufleet plan capacity --html` (docs/REPORT.md, "HTML pages of plan and
// experiment"): the options compared, each seed's deadlines met drawn, what each provider's outage
// and the services cost, from the plan's JSON (the page's record).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "report/figures_page.h"

namespace gpufleet::cli {

// `plan`: what `plan capacity --json` prints; `command`: the command line that made it.
FiguresPage CapacityPlanPage(const std::string& command, const nlohmann::ordered_json& plan);

}  // namespace gpufleet::cli
