#include "sim/series_recorder.h"

#include <algorithm>
#include <utility>

namespace gpufleet {

SeriesRecorder::SeriesRecorder(const Fleet& fleet, std::vector<std::string> tenant_names,
                               SimTime interval, bool physics)
    : fleet_(fleet), physics_(physics) {
  out_.interval = interval;
  for (const Site& site : fleet.sites()) out_.gpus_busy_by_site.push_back({site.name, {}});
  for (const GpuModel& model : fleet.gpu_models())
    out_.gpus_busy_by_model.push_back({model.name, {}});
  for (std::string& tenant : tenant_names)
    out_.gpus_busy_by_tenant.push_back({std::move(tenant), {}});
  by_site_.assign(out_.gpus_busy_by_site.size(), 0);
  by_model_.assign(out_.gpus_busy_by_model.size(), 0);
  by_tenant_.assign(out_.gpus_busy_by_tenant.size(), 0);
  if (physics_) {
    for (const Site& site : fleet.sites()) {
      out_.sites.push_back({site.name, site.power_budget_mw * 1e6, {}, {}, {}, {}});
      energy_.emplace_back(site, HourlyPue(site));
    }
    cap_.assign(energy_.size(), 0);
    it_mark_.assign(energy_.size(), 0);
    facility_mark_.assign(energy_.size(), 0);
  }
}

void SeriesRecorder::Add(SimTime from, SimTime to, const SeriesState& state) {
  for (SimTime t = from; t < to;) {
    const SimTime boundary = open_start_ + out_.interval;
    const SimTime piece_end = std::min(to, boundary);
    AddPiece(t, piece_end, state);
    t = piece_end;
    if (t == boundary) Close(boundary);
  }
}

void SeriesRecorder::AddPiece(SimTime from, SimTime to, const SeriesState& s) {
  const auto dt = static_cast<long double>(to - from);
  busy_ += static_cast<long double>(s.held_milli) * dt;
  up_ += static_cast<long double>(s.up_milli) * dt;
  queue_jobs_ += static_cast<long double>(s.queue_jobs) * dt;
  queue_milli_ += static_cast<long double>(s.queue_milli) * dt;
  down_ += static_cast<long double>(s.nodes_down) * dt;
  auto add = [dt](std::vector<long double>& sums, const std::vector<std::int64_t>* held) {
    if (held == nullptr) return;
    for (size_t i = 0; i < sums.size() && i < held->size(); ++i)
      sums[i] += static_cast<long double>((*held)[i]) * dt;
  };
  add(by_site_, s.site_held_milli);
  add(by_model_, s.model_held_milli);
  add(by_tenant_, s.tenant_held_milli);
  if (physics_ && s.power != nullptr) {
    for (size_t i = 0; i < energy_.size(); ++i) {
      energy_[i].AddPower(from, to, s.power->PowerW(i));
      cap_[i] += static_cast<long double>(s.power->Cap(i)) * dt;
    }
  }
}

// A count is of the open interval: the simulator adds the time up to an event before the event,
// and Add closes an interval as soon as its end is reached.
void SeriesRecorder::CountInterruption(FailureCategory category) {
  auto& counts = out_.interruptions[static_cast<size_t>(category)];
  counts.resize(out_.size() + 1, 0);
  ++counts.back();
}

void SeriesRecorder::CountPreemption() {
  out_.preemptions.resize(out_.size() + 1, 0);
  ++out_.preemptions.back();
}

void SeriesRecorder::Close(SimTime at) {
  const auto len = static_cast<long double>(at - open_start_);
  constexpr long double kMilli = 1000;
  out_.start.push_back(open_start_);
  out_.gpus_busy.push_back(static_cast<double>(busy_ / kMilli / len));
  out_.gpus_up.push_back(static_cast<double>(up_ / kMilli / len));
  out_.queue_jobs.push_back(static_cast<double>(queue_jobs_ / len));
  out_.queue_gpus.push_back(static_cast<double>(queue_milli_ / kMilli / len));
  const auto nodes = static_cast<long double>(fleet_.num_nodes());
  out_.nodes_down.push_back(static_cast<double>(down_ / len));
  out_.nodes_up.push_back(static_cast<double>(nodes - down_ / len));
  auto close = [&](std::vector<TimeSeries::Named>& named, std::vector<long double>& sums) {
    for (size_t i = 0; i < sums.size(); ++i) {
      named[i].values.push_back(static_cast<double>(sums[i] / kMilli / len));
      sums[i] = 0;
    }
  };
  close(out_.gpus_busy_by_site, by_site_);
  close(out_.gpus_busy_by_model, by_model_);
  close(out_.gpus_busy_by_tenant, by_tenant_);
  for (size_t i = 0; i < energy_.size(); ++i) {
    TimeSeries::SitePower& site = out_.sites[i];
    const long double it = energy_[i].total().it_energy_wms - it_mark_[i];
    const long double facility = energy_[i].total().facility_energy_wms - facility_mark_[i];
    site.it_power_w.push_back(static_cast<double>(it / len));
    site.facility_power_w.push_back(static_cast<double>(facility / len));
    site.pue.push_back(it > 0 ? static_cast<double>(facility / it)
                              : fleet_.sites()[i].cooling.design_pue);
    site.gpu_cap.push_back(static_cast<double>(cap_[i] / len));
    it_mark_[i] = energy_[i].total().it_energy_wms;
    facility_mark_[i] = energy_[i].total().facility_energy_wms;
    cap_[i] = 0;
  }
  // Counts: one per interval, zero where nothing happened.
  for (auto& counts : out_.interruptions) counts.resize(out_.size(), 0);
  out_.preemptions.resize(out_.size(), 0);
  busy_ = up_ = queue_jobs_ = queue_milli_ = down_ = 0;
  open_start_ = at;
}

TimeSeries SeriesRecorder::Finish(SimTime end) {
  if (end > open_start_) {
    Close(end);
  } else if (out_.start.empty()) {
    for (auto& counts : out_.interruptions) counts.clear();
    out_.preemptions.clear();
  } else {
    // Counts at the very end, in an interval that has no length: they belong to the last one.
    const size_t n = out_.size();
    for (auto& counts : out_.interruptions) {
      if (counts.size() > n) counts[n - 1] += counts[n];
      counts.resize(n, 0);
    }
    if (out_.preemptions.size() > n) out_.preemptions[n - 1] += out_.preemptions[n];
    out_.preemptions.resize(n, 0);
  }
  out_.end = std::max(end, open_start_);
  return std::move(out_);
}

}  // namespace gpufleet
