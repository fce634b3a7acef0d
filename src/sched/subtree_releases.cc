#include "sched/subtree_releases.h"

#include <algorithm>
#include <iterator>

namespace gpufleet {
namespace {

// Gang sizes and models whose crossings are kept at once: heads come in a few dozen sizes (1 to
// 72 GPUs in an NVLink rack), and a size not kept costs one pass over every subtree's releases (a
// replay) when it comes back. Each costs ~100 bytes per subtree (2 MB for 22,400 racks).
constexpr size_t kMaxCrossings = 64;
// Releases per block of a subtree's list (blocks split at twice this).
constexpr size_t kBlock = 128;

}  // namespace

std::int32_t SubtreeReleases::SubtreesAt(const Fleet& fleet, Level level) {
  std::int32_t n = 0;
  for (const auto& t : fleet.topo()) n += t.level == level ? 1 : 0;
  return n;
}

SubtreeReleases::SubtreeReleases(const Fleet& fleet, Level level)
    : level_(level), dense_of_(fleet.topo().size(), -1) {
  for (size_t t = 0; t < fleet.topo().size(); ++t) {
    if (fleet.topo()[t].level != level) continue;
    dense_of_[t] = static_cast<std::int32_t>(subtree_of_.size());
    subtree_of_.push_back(static_cast<TopoId>(t));
  }
  releases_.resize(subtree_of_.size());
}

void SubtreeReleases::MarkStale(std::int32_t dense) {
  for (Crossings& c : caches_) {
    if (c.is_stale[static_cast<size_t>(dense)] != 0) continue;
    c.is_stale[static_cast<size_t>(dense)] = 1;
    c.stale.push_back(dense);
  }
}

void SubtreeReleases::SortedReleases::Insert(const Release& r) {
  const Key k = KeyOf(r);
  // The first block whose last key is above k takes it (the last block when none is).
  auto b =
      std::partition_point(blocks_.begin(), blocks_.end(),
                           [&k](const std::vector<Release>& x) { return KeyOf(x.back()) < k; });
  if (b == blocks_.end()) {
    if (blocks_.empty()) blocks_.emplace_back();
    b = std::prev(blocks_.end());
  }
  b->insert(std::upper_bound(b->begin(), b->end(), k,
                             [](const Key& key, const Release& x) { return key < KeyOf(x); }),
            r);
  if (b->size() > 2 * kBlock) {
    std::vector<Release> upper(b->begin() + static_cast<std::ptrdiff_t>(kBlock), b->end());
    b->resize(kBlock);
    blocks_.insert(std::next(b), std::move(upper));
  }
}

void SubtreeReleases::SortedReleases::Erase(const Release& r) {
  const Key k = KeyOf(r);
  const auto b =
      std::partition_point(blocks_.begin(), blocks_.end(),
                           [&k](const std::vector<Release>& x) { return KeyOf(x.back()) < k; });
  if (b == blocks_.end()) return;
  const auto at = std::lower_bound(b->begin(), b->end(), k,
                                   [](const Release& x, const Key& key) { return KeyOf(x) < key; });
  if (at == b->end() || KeyOf(*at) != k) return;
  b->erase(at);
  if (b->empty()) blocks_.erase(b);
}

void SubtreeReleases::Add(TopoId subtree, const Release& r) {
  const std::int32_t d = dense_of_[static_cast<size_t>(subtree)];
  releases_[static_cast<size_t>(d)].Insert(r);
  MarkStale(d);
}

void SubtreeReleases::Remove(TopoId subtree, const Release& r) {
  const std::int32_t d = dense_of_[static_cast<size_t>(subtree)];
  releases_[static_cast<size_t>(d)].Erase(r);
  MarkStale(d);
}

std::optional<SubtreeReleases::Key> SubtreeReleases::CrossingOf(const CapacityIndex& index,
                                                                std::int32_t dense,
                                                                std::int32_t gpus,
                                                                ModelId model) const {
  // As the replay counts: from the subtree's free GPUs, a release at a time; it looks for the
  // gang only when a release adds to the count.
  int free = index.Free(subtree_of_[static_cast<size_t>(dense)], model);
  std::optional<Key> crossing;
  releases_[static_cast<size_t>(dense)].ForEach([&](const Release& r) {
    if (r.model != model) return true;
    free += r.gpus;
    if (free < gpus) return true;
    crossing = KeyOf(r);
    return false;
  });
  return crossing;
}

void SubtreeReleases::Update(const CapacityIndex& index, Crossings& c, std::int32_t dense) {
  std::optional<Key>& known = c.of[static_cast<size_t>(dense)];
  if (known) c.order.erase({*known, dense});
  known = CrossingOf(index, dense, c.gpus, c.model);
  if (known) c.order.insert({*known, dense});
}

SubtreeReleases::Crossings& SubtreeReleases::CrossingsFor(const CapacityIndex& index,
                                                          std::int32_t gpus, ModelId model) {
  ++uses_;
  for (Crossings& c : caches_) {
    if (c.gpus != gpus || c.model != model) continue;
    c.last_used = uses_;
    for (std::int32_t d : c.stale) {
      c.is_stale[static_cast<size_t>(d)] = 0;
      Update(index, c, d);
    }
    c.stale.clear();
    return c;
  }
  if (caches_.size() >= kMaxCrossings) {
    caches_.erase(std::min_element(
        caches_.begin(), caches_.end(),
        [](const Crossings& a, const Crossings& b) { return a.last_used < b.last_used; }));
  }
  Crossings& c = caches_.emplace_back();
  c.gpus = gpus;
  c.model = model;
  c.last_used = uses_;
  c.of.assign(subtree_of_.size(), std::nullopt);
  c.is_stale.assign(subtree_of_.size(), 0);
  for (std::int32_t d = 0; d < static_cast<std::int32_t>(subtree_of_.size()); ++d) {
    Update(index, c, d);
  }
  return c;
}

std::optional<SubtreeReleases::Crossing> SubtreeReleases::Find(const CapacityIndex& index,
                                                               std::int32_t gpus, ModelId model,
                                                               SimTime now) {
  const Crossings& c = CrossingsFor(index, gpus, model);
  if (c.order.empty()) return std::nullopt;
  const auto& [key, dense] = *c.order.begin();
  Crossing out;
  out.subtree = subtree_of_[static_cast<size_t>(dense)];
  out.shadow = std::max(std::get<0>(key), now);
  out.blocker = std::get<1>(key);
  // The replay goes on through every release due by the shadow time: those of the subtree count
  // towards what it has left beyond the gang.
  int free = index.Free(out.subtree, model);
  releases_[static_cast<size_t>(dense)].ForEach([&](const Release& r) {
    if (r.end > out.shadow) return false;
    if (r.model == model) free += r.gpus;
    return true;
  });
  out.extra = free - gpus;
  return out;
}

}  // namespace gpufleet
