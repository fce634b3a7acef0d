// A map from 64-bit ids to small non-negative integers (a job's id to its slot), kept in one flat
// array with linear probing: a lookup is one cache line where std::unordered_map, with a node per
// entry, costs two misses - the scheduler looks a job up on every event, among hundreds of
// thousands alive (docs/PERFORMANCE.md, "Scale"). Its size follows the entries alive: it grows
// at half full and shrinks below an eighth, and deletion shifts entries back (no tombstones).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace gpufleet {

class IdMap {
 public:
  std::optional<std::int32_t> Find(std::int64_t id) const {
    if (size_ == 0) return std::nullopt;
    for (std::size_t i = Home(id);; i = (i + 1) & mask_) {
      const Entry& e = table_[i];
      if (e.value < 0) return std::nullopt;
      if (e.id == id) return e.value;
    }
  }
  // False, and nothing changes, when `id` is there already. `value` must be >= 0.
  bool Insert(std::int64_t id, std::int32_t value) {
    if (2 * (size_ + 1) > table_.size()) Rehash(table_.empty() ? 16 : 2 * table_.size());
    std::size_t i = Home(id);
    for (; table_[i].value >= 0; i = (i + 1) & mask_) {
      if (table_[i].id == id) return false;
    }
    table_[i] = Entry{id, value};
    ++size_;
    return true;
  }
  // False when `id` is not there.
  bool Erase(std::int64_t id) {
    if (size_ == 0) return false;
    std::size_t i = Home(id);
    for (;; i = (i + 1) & mask_) {
      if (table_[i].value < 0) return false;
      if (table_[i].id == id) break;
    }
    // Backward shift: move up each later entry of the run whose home is not between the hole
    // and it, so that every entry stays reachable from its home without a gap.
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (table_[j].value < 0) break;
      const std::size_t home = Home(table_[j].id);
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        table_[i] = table_[j];
        i = j;
      }
    }
    table_[i].value = -1;
    --size_;
    if (table_.size() > 16 && 8 * size_ < table_.size()) Rehash(table_.size() / 2);
    return true;
  }
  std::size_t size() const { return size_; }
  void clear() {
    table_.clear();
    mask_ = 0;
    size_ = 0;
  }

 private:
  struct Entry {
    std::int64_t id = 0;
    std::int32_t value = -1;  // < 0: empty
  };
  // Fibonacci hashing: ids are often consecutive, and the multiply spreads them.
  std::size_t Home(std::int64_t id) const {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15ULL) >>
                                    32) &
           mask_;
  }
  void Rehash(std::size_t capacity) {
    std::vector<Entry> old = std::move(table_);
    table_.assign(capacity, Entry{});
    mask_ = capacity - 1;
    size_ = 0;
    for (const Entry& e : old) {
      if (e.value >= 0) Insert(e.id, e.value);
    }
  }

  std::vector<Entry> table_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace gpufleet
