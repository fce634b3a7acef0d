// Cooling and PUE against the weather (docs/MODELS.md, "Cooling"). REFERENCE.md gives the shape,
// not a curve: facility = IT x (1 + distribution losses) + cooling(T_outdoor), free cooling below a
// threshold, chiller efficiency falling as it gets hotter, and an annual mean to calibrate to. So:
//   PUE(T) = 1 + loss + s * (base + max(0, T - T_free) * slope)
// with loss = 0.03 (UPS and transformers), base = 0.02 (liquid) or 0.05 (air) for pumps and fans,
// slope = 0.01 per degree above the free-cooling threshold (chiller work rising with the lift), and
// s chosen so that the mean PUE over the climate's year equals the site's design PUE.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/fleet.h"
#include "util/result.h"
#include "util/time.h"

namespace gpufleet {

// An hourly outdoor temperature over a year: a named climate (seasonal and daily sinusoids from
// approximate 1991-2020 climate normals) or hours read from a file (spec/hourly_csv.h).
class Climate {
 public:
  static Result<Climate> Named(std::string_view name);
  static std::string Names();  // for messages
  Climate(std::string name, std::vector<double> hourly_c)
      : name_(std::move(name)), hourly_c_(std::move(hourly_c)) {}
  const std::vector<double>& hourly() const { return hourly_c_; }

  const std::string& name() const { return name_; }
  // Outdoor temperature in the hour containing simulated time t (t = 0 is 1 January, 00:00).
  double TemperatureC(SimTime t) const;
  size_t hours() const { return hourly_c_.size(); }

 private:
  Climate() = default;
  std::string name_;
  std::vector<double> hourly_c_;
};

class CoolingPlant {
 public:
  // Calibrates the plant of a site to its design PUE over the climate's year.
  static Result<CoolingPlant> Calibrate(const Cooling& cooling, const Climate& climate);
  double Pue(double outdoor_c) const;

 private:
  double loss_ = 0.03, base_ = 0.05, slope_ = 0.01, free_below_c_ = 18, scale_ = 1;
};

}  // namespace gpufleet
