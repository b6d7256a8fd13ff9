// split_writer.cpp: the shard-folder writing of split_writer.h.
#include "data_prep/split_writer.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

ViewSpec all_classes(int num_classes, int64_t per_class) {
  ViewSpec v;
  v.name = per_class > 0 ? "all-k" + std::to_string(per_class) : "all";
  for (int c = 0; c < num_classes; ++c) v.class_ids.push_back(c);
  v.train_per_class = per_class;
  return v;
}

void select_examples(const std::vector<int32_t>& labels, const ViewSpec& view, bool reduce,
                     std::vector<int64_t>& keep, std::vector<int32_t>& local) {
  keep.clear();
  local.clear();
  int32_t max_label = 0;
  for (int32_t c : view.class_ids) max_label = std::max(max_label, c);
  for (int32_t l : labels) max_label = std::max(max_label, l);
  std::vector<int32_t> to_local(static_cast<size_t>(max_label) + 1, -1);
  for (size_t i = 0; i < view.class_ids.size(); ++i)
    to_local[static_cast<size_t>(view.class_ids[i])] = static_cast<int32_t>(i);
  std::vector<int64_t> taken(view.class_ids.size(), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) continue;
    const int32_t l = to_local[static_cast<size_t>(labels[i])];
    if (l < 0) continue;
    if (reduce && view.train_per_class > 0 && taken[static_cast<size_t>(l)] >= view.train_per_class) continue;
    ++taken[static_cast<size_t>(l)];
    keep.push_back(static_cast<int64_t>(i));
    local.push_back(l);
  }
}

namespace {

// Whether the shard an earlier run left at `path` can be kept: it must still
// match the checksum its writer recorded, and have been written with the same
// settings. A damaged one (or one without a recorded checksum) is announced
// and written again; one of other settings is an error, not silently kept.
bool keep_existing_shard(const std::string& path, const ShardMeta& meta, int64_t n) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return false;
  const auto recorded = read_sidecar(path);
  std::string why;
  if (!recorded) {
    why = path + ": no checksum recorded for it (written by an older version)";
  } else {
    why = check_file(path, *recorded);
    if (why.empty() && !shard_complete(path)) why = path + ": not a readable shard";
  }
  if (!why.empty()) {
    std::fprintf(stderr, "%s; converting it again\n", why.c_str());
    return false;
  }
  ShardReader r(path);
  const ShardMeta& m = r.meta();
  const int64_t had = r.num_images() + static_cast<int64_t>(r.skipped().size());
  if (m.channels != meta.channels || m.height != meta.height || m.width != meta.width ||
      m.class_ids != meta.class_ids || m.split != meta.split || m.subset != meta.subset ||
      m.dataset != meta.dataset || had != n)
    throw std::runtime_error(
        path + ": left by an earlier run with other settings (" + std::to_string(m.channels) +
        "x" + std::to_string(m.height) + "x" + std::to_string(m.width) + ", " +
        std::to_string(had) + " inputs; now " + std::to_string(meta.channels) + "x" +
        std::to_string(meta.height) + "x" + std::to_string(meta.width) + ", " +
        std::to_string(n) + "); remove " + fs::path(path).parent_path().string() +
        " to convert again");
  return true;
}

}  // namespace

int write_planned_shards(const std::string& dir, const ShardMeta& meta, int64_t total,
                         int64_t shard_size, int part, int parts, const ShardProducer& produce,
                         Progress* progress) {
  if (shard_size <= 0) throw std::runtime_error("shard size must be positive");
  if (total == 0 && meta.subset == "train")
    throw std::runtime_error(dir + ": empty split (no training images for " + meta.split + ")");
  fs::create_directories(dir);
  const int shards = static_cast<int>((total + shard_size - 1) / shard_size);
  for (int j = 0; j < shards; ++j) {
    if (j % parts != part) continue;
    const int64_t first = j * shard_size;
    const int64_t n = std::min(shard_size, total - first);
    const std::string path = dir + "/" + shard_file_name(meta.subset, j);
    // This shard is ours (the caller holds the lock that covers it): any
    // temporary file of it was left by a writer that died.
    remove_stale_temps(path);
    remove_stale_temps(sidecar_path(path));
    if (keep_existing_shard(path, meta, n)) {
      if (progress) progress->add(n);
      continue;
    }
    ShardWriter w(path, meta, j, n);
    produce(first, n, w);
    w.finish();
  }
  return shards;
}

void parallel_for(int64_t n, int threads, const std::function<void(int64_t)>& fn) {
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex mu;
  auto body = [&] {
    for (;;) {
      const int64_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
  };
  if (threads == 1) {
    body();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(body);
    for (auto& t : pool) t.join();
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace xfer
