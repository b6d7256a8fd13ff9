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

std::vector<HalfSpec> halves_of(const ClassSplit& s) {
  return {HalfSpec{s.name + "A", s.a, 0}, HalfSpec{s.name + "B", s.b, 0}};
}

HalfSpec all_classes(int num_classes, int reduced_k) {
  HalfSpec h;
  h.folder = reduced_k > 0 ? "all-k" + std::to_string(reduced_k) : "all";
  for (int c = 0; c < num_classes; ++c) h.classes.push_back(c);
  h.reduced_k = reduced_k;
  return h;
}

void select_examples(const std::vector<int32_t>& labels, const HalfSpec& half, bool reduce,
                     std::vector<int64_t>& keep, std::vector<int32_t>& local) {
  keep.clear();
  local.clear();
  int32_t max_label = 0;
  for (int c : half.classes) max_label = std::max(max_label, c);
  for (int32_t l : labels) max_label = std::max(max_label, l);
  std::vector<int32_t> to_local(static_cast<size_t>(max_label) + 1, -1);
  for (size_t i = 0; i < half.classes.size(); ++i)
    to_local[static_cast<size_t>(half.classes[i])] = static_cast<int32_t>(i);
  std::vector<int64_t> taken(half.classes.size(), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) continue;
    const int32_t l = to_local[static_cast<size_t>(labels[i])];
    if (l < 0) continue;
    if (reduce && half.reduced_k > 0 && taken[static_cast<size_t>(l)] >= half.reduced_k) continue;
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

namespace {

// The shard header of a half's subset: the source's image geometry, the
// half's classes in the half's label order.
ShardMeta half_meta(const Manifest& all, const HalfSpec& half, const std::string& subset) {
  ShardMeta meta;
  meta.dataset = all.dataset;
  meta.split = half.folder;
  meta.subset = subset;
  meta.channels = all.channels;
  meta.height = all.height;
  meta.width = all.width;
  for (int c : half.classes) {
    meta.class_ids.push_back(all.class_ids[static_cast<size_t>(c)]);
    meta.class_names.push_back(all.class_names[static_cast<size_t>(c)]);
  }
  return meta;
}

}  // namespace

Manifest derive_from_all(const std::string& root, const HalfSpec& half, int64_t shard_size) {
  const std::string all_dir = root + "/all";
  const Manifest all = read_manifest(all_dir);
  // Copying from a damaged shard would give the half fresh, valid checksums
  // of bad data: the source is checked first (once per process).
  {
    std::vector<BackgroundVerifier::Item> items;
    for (const auto& f : recorded_files(all_dir, all, "")) items.push_back({f.path, f.sum});
    BackgroundVerifier(std::move(items), 4, /*remember=*/true).wait_all();
  }
  const std::string dir = root + "/" + half.folder;
  for (int c : half.classes)
    if (c < 0 || c >= static_cast<int>(all.class_ids.size()))
      throw std::runtime_error(dir + ": class " + std::to_string(c) + " not in " + all_dir);
  for (const auto& [subset, sub] : all.subsets) {
    // Dataset labels of every example, shard by shard.
    std::vector<std::unique_ptr<ShardReader>> readers;
    std::vector<int64_t> starts;
    std::vector<int32_t> labels, orig;
    std::vector<std::string> keys;
    for (const auto& sh : sub.shards) {
      auto r = std::make_unique<ShardReader>(all_dir + "/" + sh.file);
      auto l = r->read_orig_labels();
      auto k = r->read_keys();
      starts.push_back(static_cast<int64_t>(orig.size()));
      orig.insert(orig.end(), l.begin(), l.end());
      keys.insert(keys.end(), k.begin(), k.end());
      readers.push_back(std::move(r));
    }
    // The "all" folder's local labels are dataset labels (index into class_ids).
    for (const auto& r : readers) {
      auto l = r->read_labels();
      labels.insert(labels.end(), l.begin(), l.end());
    }
    std::vector<int64_t> keep;
    std::vector<int32_t> local;
    select_examples(labels, half, subset == "train", keep, local);
    const ShardMeta meta = half_meta(all, half, subset);
    Progress progress(half.folder + " " + subset, static_cast<int64_t>(keep.size()));
    std::vector<uint8_t> buf;
    write_planned_shards(
        dir, meta, static_cast<int64_t>(keep.size()), shard_size, 0, 1,
        [&](int64_t first, int64_t n, ShardWriter& w) {
          // Copy runs of consecutive source examples with one read each.
          int64_t i = first;
          while (i < first + n) {
            int64_t run = 1;
            const int64_t src = keep[static_cast<size_t>(i)];
            const auto s = static_cast<size_t>(
                std::upper_bound(starts.begin(), starts.end(), src) - starts.begin() - 1);
            const int64_t shard_end = starts[s] + readers[s]->num_images();
            while (i + run < first + n && run < 256 &&
                   keep[static_cast<size_t>(i + run)] == src + run && src + run < shard_end)
              ++run;
            buf.resize(static_cast<size_t>(run) * meta.image_bytes());
            readers[s]->read_images(src - starts[s], run, buf.data());
            for (int64_t k = 0; k < run; ++k) {
              const auto e = static_cast<size_t>(src + k);
              w.add(buf.data() + static_cast<size_t>(k) * meta.image_bytes(),
                    local[static_cast<size_t>(i + k)], orig[e], keys[e]);
            }
            progress.add(run);
            i += run;
          }
        },
        &progress);
    progress.finish();
  }
  nlohmann::json src = {{"derived_from", "all"}, {"reduced_k", half.reduced_k}};
  return finalize_split_dir(dir, src.dump(), -1, -1);
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
