#include "cli/html_output.h"

#include <cmath>
#include <iostream>

#include "cli/output_file.h"
#include "physics/checkpoint.h"
#include "report/html_report.h"

namespace gpufleet::cli {

bool HtmlPagesPossible(const std::string& me) {
  if (HtmlReportsAvailable()) return true;
  std::cerr << me << "--html: " << HtmlUnavailableReason() << "\n";
  return false;
}

bool WriteHtmlPage(const std::string& path, const Result<std::string>& page,
                   const std::string& me) {
  if (!page.ok()) {
    std::cerr << me << "--html: " << page.message() << "\n";
    return false;
  }
  OutputFile out;
  if (!out.Open(path)) {
    std::cerr << me << "--html: " << out.error() << "\n";
    return false;
  }
  out.stream() << page.value();
  if (!out.Commit()) {
    std::cerr << me << "--html: " << out.error() << "\n";
    return false;
  }
  return true;
}

bool WriteFiguresPage(const std::string& path, const FiguresPage& page, const std::string& me) {
  return WriteHtmlPage(path, FiguresPageHtml(page, "gpufleet " GPUFLEET_VERSION), me);
}

FiguresPage::Plot EttrAgainstInterval(double write_s, double restart_s, double mtbf_s) {
  FiguresPage::Plot p;
  p.id = "ettr";
  p.title = "Effective training time ratio against the checkpoint interval";
  p.unit = "ETTR (useful / wall time)";
  p.x_label = "checkpoint interval (s, log scale)";
  p.x_name = "interval (s)";
  p.log_x = true;
  const double young = YoungInterval(write_s, mtbf_s);
  FiguresPage::Line ettr{"ETTR", {}, false};
  // 81 intervals, ten per doubling, Young's in the middle.
  for (int i = -40; i <= 40; ++i) {
    const double interval = young * std::exp2(i / 10.0);
    p.x.push_back(interval);
    ettr.values.push_back(ExpectedEttr(interval, write_s, restart_s, mtbf_s));
  }
  p.lines.push_back(std::move(ettr));
  return p;
}

}  // namespace gpufleet::cli
