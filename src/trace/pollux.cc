#include "trace/pollux.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "trace/csv.h"

namespace gpufleet {
namespace {

namespace fs = std::filesystem;

// The study's constants (§3.1 of pollux-baselines.md, from the artifact's applications.py).
const std::map<std::string, ApplicationConstants>& StudyConstants() {
  static const std::map<std::string, ApplicationConstants> constants = {
      {"bert", {2, 0, 0}},      {"cifar10", {100, 0, 0}}, {"deepspeech2", {80, 0, 0}},
      {"imagenet", {90, 0, 0}}, {"ncf", {10, 0, 1}},  // Pollux and Optimus run ncf on one GPU
      {"yolov3", {50, 8, 0}},  // the artifact overrides max_local_bsz; placements.csv goes to 16
  };
  return constants;
}

Result<std::vector<int>> Columns(const CsvFile& f, std::initializer_list<const char*> names) {
  std::vector<int> out;
  for (const char* n : names) {
    Result<int> c = f.Column(n);
    if (!c.ok()) return c.error();
    out.push_back(c.value());
  }
  return out;
}

// A whole number in [lo, hi], or an error naming the field and the range.
Result<int> ReadIntIn(const CsvFile& f, int column, std::int64_t lo, std::int64_t hi,
                      const std::string& what) {
  Result<std::int64_t> v = ReadInteger(f, column);
  if (!v.ok()) return v.error();
  if (v.value() < lo || v.value() > hi) {
    return Error{f.Where(column) + "expected " + what + ", got " + std::to_string(v.value())};
  }
  return static_cast<int>(v.value());
}

Result<double> ReadNonNegative(const CsvFile& f, int column) {
  Result<double> v = ReadNumber(f, column);
  if (!v.ok()) return v.error();
  if (v.value() < 0) {
    return Error{f.Where(column) + "expected a non-negative number, got " +
                 std::string(f.Field(column))};
  }
  return v.value();
}

// local_bsz, step_time and sync_time of a profile row.
Result<ProfilePoint> ReadProfilePoint(const CsvFile& f, int local_col, int step_col, int sync_col) {
  Result<int> local = ReadIntIn(f, local_col, 1, 1 << 24, "a positive local batch size");
  if (!local.ok()) return local.error();
  Result<double> step = ReadNonNegative(f, step_col);
  if (!step.ok()) return step.error();
  Result<double> sync = ReadNonNegative(f, sync_col);
  if (!sync.ok()) return sync.error();
  return ProfilePoint{local.value(), ProfileStepTime{step.value(), sync.value()}};
}

Result<ValidationCurve> LoadValidation(const std::string& path, int batch_size) {
  Result<CsvFile> opened = CsvFile::Open(path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  Result<std::vector<int>> cols = Columns(f, {"progress", "iteration", "grad_sqr", "grad_var"});
  if (!cols.ok()) return cols.error();
  ValidationCurve v;
  v.batch_size = batch_size;
  std::vector<double>* targets[4] = {&v.progress, &v.iteration, &v.grad_sqr, &v.grad_var};
  while (f.Next()) {
    for (int i = 0; i < 4; ++i) {
      Result<double> x = ReadNonNegative(f, cols.value()[static_cast<size_t>(i)]);
      if (!x.ok()) return x.error();
      targets[i]->push_back(x.value());
    }
    if (v.progress.size() > 1 && v.progress.back() < v.progress[v.progress.size() - 2]) {
      return Error{f.Where(cols.value()[0]) + "expected progress that never decreases"};
    }
  }
  return v;
}

Status LoadPlacements(const std::string& path, Application& app) {
  Result<CsvFile> opened = CsvFile::Open(path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  Result<std::vector<int>> cols = Columns(f, {"placement", "local_bsz", "step_time", "sync_time"});
  if (!cols.ok()) return cols.error();
  const std::vector<int>& c = cols.value();
  while (f.Next()) {
    const std::string_view digits = f.Field(c[0]);
    if (digits.empty() || digits.size() > 16 ||
        !std::all_of(digits.begin(), digits.end(), [](char d) { return d >= '1' && d <= '9'; })) {
      return Error{f.Where(c[0]) + "expected GPUs per node as digits 1-9 (e.g. 1344), got '" +
                   std::string(digits) + "'"};
    }
    const std::int64_t code = std::stoll(std::string(digits));
    Result<ProfilePoint> point = ReadProfilePoint(f, c[1], c[2], c[3]);
    if (!point.ok()) return point.error();
    const int local_bsz = point.value().local_bsz;
    std::vector<ProfilePoint>& points = app.placements[code];
    for (const ProfilePoint& p : points) {
      if (p.local_bsz == local_bsz) {
        return Error{f.Where(c[1]) + "expected one row per placement and local batch size; " +
                     std::string(digits) + " at " + std::to_string(local_bsz) + " is repeated"};
      }
    }
    points.push_back(point.value());
  }
  if (app.placements.empty()) return Error{path + ": expected profiled placements, got none"};
  int min_local = 1 << 30, max_local = 0;
  for (auto& [code, points] : app.placements) {
    std::sort(points.begin(), points.end(), [](const ProfilePoint& a, const ProfilePoint& b) {
      return a.local_bsz < b.local_bsz;
    });
    min_local = std::min(min_local, points.front().local_bsz);
    max_local = std::max(max_local, points.back().local_bsz);
  }
  app.min_local_bsz = min_local;
  if (app.max_local_bsz == 0) app.max_local_bsz = max_local;
  return Status::Ok();
}

Status LoadSpreadTable(const std::string& path, PolluxApplications& apps) {
  Result<CsvFile> opened = CsvFile::Open(path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  Result<std::vector<int>> cols = Columns(
      f, {"application", "num_nodes", "num_replicas", "local_bsz", "step_time", "sync_time"});
  if (!cols.ok()) return cols.error();
  const std::vector<int>& c = cols.value();
  while (f.Next()) {
    const std::string name(f.Field(c[0]));
    auto app = apps.find(name);
    if (app == apps.end()) {
      std::string known;
      for (const auto& [n, a] : apps) known += (known.empty() ? "" : ", ") + n;
      return Error{f.Where(c[0]) + "expected one of " + known + ", got '" + name + "'"};
    }
    Result<int> nodes = ReadIntIn(f, c[1], 1, 1 << 20, "a positive node count");
    if (!nodes.ok()) return nodes.error();
    Result<int> replicas =
        ReadIntIn(f, c[2], nodes.value(), 1 << 24, "a GPU count at least the node count");
    if (!replicas.ok()) return replicas.error();
    Result<ProfilePoint> point = ReadProfilePoint(f, c[3], c[4], c[5]);
    if (!point.ok()) return point.error();
    app->second.spread[SpreadKey{nodes.value(), replicas.value(), point.value().local_bsz}] =
        point.value().time;
  }
  return Status::Ok();
}

}  // namespace

Result<Application> LoadApplication(const std::string& dir, const std::string& name,
                                    const ApplicationConstants& constants) {
  Application app;
  app.name = name;
  app.max_epochs = constants.max_epochs;
  app.max_local_bsz = constants.max_local_bsz;
  app.max_replicas_cap = constants.max_replicas_cap;
  std::error_code ec;
  std::vector<std::pair<int, std::string>> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string file = e.path().filename().string();
    if (file.rfind("validation-", 0) != 0 || e.path().extension() != ".csv") continue;
    const std::string digits = file.substr(11, file.size() - 15);
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char d) { return d >= '0' && d <= '9'; }) ||
        std::stoi(digits) <= 0) {
      return Error{e.path().string() + ": expected a file name validation-<batch size>.csv"};
    }
    files.emplace_back(std::stoi(digits), e.path().string());
  }
  if (ec) return Error{dir + ": cannot list the folder: " + ec.message()};
  if (files.empty()) return Error{dir + ": expected validation-<batch size>.csv files, found none"};
  std::sort(files.begin(), files.end());
  for (const auto& [bsz, path] : files) {
    Result<ValidationCurve> v = LoadValidation(path, bsz);
    if (!v.ok()) return v.error();
    if (static_cast<int>(v.value().progress.size()) < app.max_epochs) {
      return Error{path + ": expected at least " + std::to_string(app.max_epochs) +
                   " epoch rows (" + name + " trains for " + std::to_string(app.max_epochs) +
                   " epochs), got " + std::to_string(v.value().progress.size())};
    }
    app.validation.push_back(std::move(v).value());
  }
  app.init_batch_size = app.validation.front().batch_size;
  app.max_batch_size = app.validation.back().batch_size;
  if (Status s = LoadPlacements(dir + "/placements.csv", app); !s.ok()) return Error{s.message()};
  app.ComputeEpochBoundaries();
  return app;
}

Result<PolluxApplications> LoadPolluxApplications(const std::string& profiles_dir,
                                                  const std::string& spread_table) {
  PolluxApplications apps;
  for (const auto& [name, constants] : StudyConstants()) {
    Result<Application> app = LoadApplication(profiles_dir + "/" + name, name, constants);
    if (!app.ok()) return app.error();
    apps.emplace(name, std::move(app).value());
  }
  if (Status s = LoadSpreadTable(spread_table, apps); !s.ok()) return Error{s.message()};
  return apps;
}

Result<std::vector<PolluxJob>> LoadPolluxWorkload(const std::string& path,
                                                  const PolluxApplications& apps) {
  Result<CsvFile> opened = CsvFile::Open(path);
  if (!opened.ok()) return opened.error();
  CsvFile& f = opened.value();
  Result<std::vector<int>> cols =
      Columns(f, {"name", "time", "application", "num_replicas", "batch_size"});
  if (!cols.ok()) return cols.error();
  const std::vector<int>& c = cols.value();
  std::vector<PolluxJob> jobs;
  std::set<std::string> names;
  while (f.Next()) {
    PolluxJob j;
    j.name = std::string(f.Field(c[0]));
    if (j.name.empty()) return Error{f.Where(c[0]) + "expected a job name"};
    if (!names.insert(j.name).second) {
      return Error{f.Where(c[0]) + "expected unique job names; '" + j.name + "' is repeated"};
    }
    Result<std::int64_t> time = ReadInteger(f, c[1]);
    if (!time.ok()) return time.error();
    if (time.value() < 0 || time.value() > (std::int64_t{1} << 40)) {
      return Error{f.Where(c[1]) + "expected a submission time in seconds from 0, got " +
                   std::to_string(time.value())};
    }
    // At most 2^40 s: the conversion cannot fail.
    j.submit = WholeSecondsToMs(time.value()).value();
    j.application = std::string(f.Field(c[2]));
    auto app = apps.find(j.application);
    if (app == apps.end()) {
      std::string known;
      for (const auto& [n, a] : apps) known += (known.empty() ? "" : ", ") + n;
      return Error{f.Where(c[2]) + "expected one of " + known + ", got '" + j.application + "'"};
    }
    Result<int> replicas = ReadIntIn(f, c[3], 1, 1 << 20, "a positive GPU count");
    if (!replicas.ok()) return replicas.error();
    j.replicas = replicas.value();
    const Application& a = app->second;
    Result<int> batch = ReadIntIn(f, c[4], a.init_batch_size, a.max_batch_size,
                                  "a batch size " + a.name + " has statistics for (" +
                                      std::to_string(a.init_batch_size) + " to " +
                                      std::to_string(a.max_batch_size) + ")");
    if (!batch.ok()) return batch.error();
    j.batch_size = batch.value();
    jobs.push_back(std::move(j));
  }
  if (jobs.empty()) return Error{path + ": expected jobs, got none"};
  return jobs;
}

}  // namespace gpufleet
