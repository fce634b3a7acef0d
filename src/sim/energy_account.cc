#include "sim/energy_account.h"

#include <algorithm>
#include <cmath>

#include "physics/cooling.h"
#include "physics/power.h"

namespace gpufleet {

// W x ms in one kWh.
constexpr long double kWmsPerKwh = 1000.0L * 3'600'000.0L;

SiteEnergy::SiteEnergy(const Site& site, std::vector<double> hourly_pue)
    : site_(&site), hourly_pue_(std::move(hourly_pue)) {}

void SiteEnergy::AddPower(SimTime from, SimTime to, double w) {
  const SimTime dt = to - from;
  total_.it_energy_wms += static_cast<long double>(w) * dt;
  const Site& site = *site_;
  const std::vector<double>& pue = hourly_pue_;
  const std::vector<double>& carbon = site.hourly_carbon_g_per_kwh;
  if (pue.empty() && carbon.empty()) {
    const long double facility = static_cast<long double>(w) * site.cooling.design_pue * dt;
    total_.facility_energy_wms += facility;
    total_.carbon_g += facility * site.carbon_g_per_kwh.value_or(0) / kWmsPerKwh;
  } else {
    // PUE follows the hourly outdoor temperature and carbon the hourly grid: split the interval
    // at hour boundaries.
    for (SimTime t = from; t < to;) {
      const SimTime next = std::min(to, (t / kHour + 1) * kHour);
      const auto hour = static_cast<size_t>(t / kHour);
      const long double facility =
          static_cast<long double>(w) *
          (pue.empty() ? site.cooling.design_pue : pue[hour % pue.size()]) * (next - t);
      total_.facility_energy_wms += facility;
      total_.carbon_g +=
          facility *
          (carbon.empty() ? site.carbon_g_per_kwh.value_or(0) : carbon[hour % carbon.size()]) /
          kWmsPerKwh;
      t = next;
    }
  }
  // The budget is a hard limit; this measures that it holds (a rounding margin of 1e-9).
  if (w > site.power_budget_mw * 1e6 * (1 + 1e-9)) total_.over_budget_ms += dt;
}

void SiteEnergy::AddCapped(SimTime dt, double cap, double busy_gpus) {
  total_.capped_ms += dt;
  total_.capped_lost_gpu_ms += static_cast<long double>(busy_gpus) * (1 - CappedSpeed(cap)) * dt;
}

// PUE hour by hour from the site's climate, computed once; a design PUE too low to calibrate was
// refused when the spec was read, so a failure here only keeps the design PUE.
std::vector<double> HourlyPue(const Site& site) {
  std::vector<double> pue;
  if (!site.hourly_temperature_c.empty()) {
    const Climate climate(site.climate, site.hourly_temperature_c);
    Result<CoolingPlant> plant = CoolingPlant::Calibrate(site.cooling, climate);
    if (plant.ok()) {
      for (double c : site.hourly_temperature_c) pue.push_back(plant.value().Pue(c));
    }
  }
  return pue;
}

EnergyAccount::EnergyAccount(const Fleet& fleet, bool physics)
    : fleet_(fleet), physics_(physics), up_gpus_(fleet.total_gpus()) {
  for (NodeId n = 0; n < fleet.num_nodes(); ++n) {
    up_cpu_ += NodeCpu(n);
    up_memory_ += NodeMemory(n);
  }
  for (const Site& site : fleet.sites()) sites_.emplace_back(site, HourlyPue(site));
}

std::int64_t EnergyAccount::NodeCpu(NodeId n) const {
  const NodeType& t = fleet_.node_types()[static_cast<size_t>(fleet_.NodeTypeOf(n))];
  return t.cpu_milli();
}

std::int64_t EnergyAccount::NodeMemory(NodeId n) const {
  const NodeType& t = fleet_.node_types()[static_cast<size_t>(fleet_.NodeTypeOf(n))];
  return t.memory_mib();
}

void EnergyAccount::NodeDown(NodeId n) {
  up_gpus_ -= fleet_.NodeGpus(n);
  up_cpu_ -= NodeCpu(n);
  up_memory_ -= NodeMemory(n);
}

void EnergyAccount::NodeUp(NodeId n) {
  up_gpus_ += fleet_.NodeGpus(n);
  up_cpu_ += NodeCpu(n);
  up_memory_ += NodeMemory(n);
}

void EnergyAccount::Add(SimTime from, SimTime to, const Held& held, const SitePowerLedger& power) {
  const SimTime dt = to - from;
  allocated_gpu_milli_ms_ += static_cast<long double>(held.gpu_milli) * dt;
  available_gpu_milli_ms_ += static_cast<long double>(up_gpus_) * kMilliPerGpu * dt;
  allocated_cpu_ms_ += static_cast<long double>(held.cpu_milli) * dt;
  available_cpu_ms_ += static_cast<long double>(up_cpu_) * dt;
  allocated_memory_ms_ += static_cast<long double>(held.memory_mib) * dt;
  available_memory_ms_ += static_cast<long double>(up_memory_) * dt;
  if (!physics_) return;
  for (size_t i = 0; i < sites_.size(); ++i) {
    sites_[i].AddPower(from, to, power.PowerW(i));
    if (power.Cap(i) < 1) sites_[i].AddCapped(dt, power.Cap(i), power.BusyGpus(i));
  }
}

void EnergyAccount::NotePeaks(const SitePowerLedger& power) {
  for (size_t i = 0; i < sites_.size(); ++i) sites_[i].NotePower(power.PowerW(i));
}

void EnergyAccount::WriteTo(SimResult& result) const {
  result.allocated_gpu_milli_ms = allocated_gpu_milli_ms_;
  result.available_gpu_milli_ms = available_gpu_milli_ms_;
  result.allocated_cpu_ms = allocated_cpu_ms_;
  result.available_cpu_ms = available_cpu_ms_;
  result.allocated_memory_ms = allocated_memory_ms_;
  result.available_memory_ms = available_memory_ms_;
  result.sites.clear();
  for (const SiteEnergy& site : sites_) result.sites.push_back(site.total());
}

}  // namespace gpufleet
