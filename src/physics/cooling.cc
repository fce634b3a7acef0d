#include "physics/cooling.h"

#include <cmath>

namespace gpufleet {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kHoursPerYear = 8760;

// Approximate 1991-2020 climate normals (NOAA for the US sites, Met Eireann, SMHI): annual mean,
// half the difference between the warmest and coldest monthly means, half the mean daily range,
// and the warmest day of the year. Daily minimum at 05:00, maximum at 17:00.
struct Normals {
  const char* name;
  double mean_c, seasonal_c, daily_c;
  int warmest_day;
};
constexpr Normals kNormals[] = {
    {"abilene-tx", 18.0, 11.0, 6.5, 200},  // Abilene, Texas: Jan 6.9, Jul 29.0 C
    {"phoenix-az", 24.2, 11.0, 6.5, 197},  // Phoenix, Arizona: Jan 13.4, Jul 35.3 C
    {"ashburn-va", 12.7, 12.6, 5.5, 200},  // Dulles, Virginia: Jan 0.4, Jul 25.6 C
    {"dublin-ie", 9.8, 5.2, 3.5, 205},     // Dublin, Ireland: Jan 5.3, Jul 15.6 C
    {"lulea-se", 2.4, 13.0, 3.0, 200},     // Lulea, Sweden: Jan -10, Jul 16 C
    // The further Stargate campuses (examples/fleets/stargate-4.5gw.yaml): Dona Ana County's high
    // desert, with a wide daily range, and Lordstown's humid continental climate.
    {"las-cruces-nm", 17.0, 10.6, 8.5, 192},  // Las Cruces, New Mexico: Jan 6.4, Jul 27.6 C
    {"youngstown-oh", 9.6, 12.8, 5.5, 200},   // Youngstown, Ohio: Jan -3.4, Jul 22.1 C
};

}  // namespace

std::string Climate::Names() {
  std::string out;
  for (const Normals& n : kNormals) out += (out.empty() ? "" : ", ") + std::string(n.name);
  return out;
}

Result<Climate> Climate::Named(std::string_view name) {
  for (const Normals& n : kNormals) {
    if (name != n.name) continue;
    Climate c;
    c.name_ = n.name;
    c.hourly_c_.resize(kHoursPerYear);
    for (int h = 0; h < kHoursPerYear; ++h) {
      const double day = h / 24.0;
      const double hour = h % 24;
      c.hourly_c_[static_cast<size_t>(h)] =
          n.mean_c + n.seasonal_c * std::cos(2 * kPi * (day - n.warmest_day) / 365) +
          n.daily_c * std::cos(2 * kPi * (hour - 17) / 24);
    }
    return c;
  }
  return Error{"unknown climate '" + std::string(name) + "'; expected one of " + Names() +
               " or {file: hourly.csv}"};
}

double Climate::TemperatureC(SimTime t) const {
  const auto hour = static_cast<size_t>((t < 0 ? 0 : t) / kHour);
  return hourly_c_[hour % hourly_c_.size()];
}

Result<CoolingPlant> CoolingPlant::Calibrate(const Cooling& cooling, const Climate& climate) {
  CoolingPlant p;
  p.base_ = cooling.kind == Cooling::Kind::kLiquid ? 0.02 : 0.05;
  p.free_below_c_ = cooling.free_cooling_below_c;
  double shape = 0;
  for (size_t h = 0; h < climate.hours(); ++h) {
    const double t = climate.TemperatureC(static_cast<SimTime>(h) * kHour);
    shape += p.base_ + std::max(0.0, t - p.free_below_c_) * p.slope_;
  }
  shape /= static_cast<double>(climate.hours());
  const double cooling_share = cooling.design_pue - 1 - p.loss_;
  if (cooling_share <= 0) {
    return Error{"design PUE " + std::to_string(cooling.design_pue) +
                 " leaves nothing for cooling after " + std::to_string(p.loss_) +
                 " of distribution losses; expected a design PUE above " +
                 std::to_string(1 + p.loss_)};
  }
  p.scale_ = cooling_share / shape;
  return p;
}

double CoolingPlant::Pue(double outdoor_c) const {
  return 1 + loss_ + scale_ * (base_ + std::max(0.0, outdoor_c - free_below_c_) * slope_);
}

}  // namespace gpufleet
