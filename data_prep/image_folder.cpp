// image_folder.cpp: listing class folders of images and converting them into
// the store "all" (see image_folder.h).
#include "data_prep/image_folder.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "core/rng.h"
#include "data_prep/image_codec.h"
#include "data_prep/progress.h"
#include "data_prep/split_writer.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

// ---------------------------------------------------------------------------
// Listing

bool is_image_file_name(const std::string& name) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ext == "jpg" || ext == "jpeg" || ext == "png";
}

std::vector<std::string> sorted_class_folders(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> class_image_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && is_image_file_name(name)) out.push_back(name);
  }
  if (out.empty()) throw std::runtime_error(dir + ": no image file (*.jpg, *.jpeg, *.png) in this class folder");
  std::sort(out.begin(), out.end());
  return out;
}

void list_class_images(const std::string& root, const std::string& sub,
                       const std::vector<std::string>& classes, std::vector<ImageItem>& items) {
  const fs::path dir = fs::path(root) / sub;
  for (size_t c = 0; c < classes.size(); ++c) {
    const fs::path cdir = dir / classes[c];
    for (const auto& f : class_image_files(cdir.string()))
      items.push_back({(cdir / f).string(), sub + "/" + classes[c] + "/" + f, static_cast<int32_t>(c)});
  }
}

void check_distinct_files(const std::vector<ImageItem>& train, const std::vector<ImageItem>& val,
                          int threads) {
  const size_t n = train.size() + val.size();
  auto item = [&](size_t i) -> const ImageItem& { return i < train.size() ? train[i] : val[i - train.size()]; };
  // (device, inode, position); a file that cannot be stat'ed now is left to
  // the conversion, which reports it as skipped.
  std::vector<std::tuple<uint64_t, uint64_t, size_t>> ids(n);
  std::vector<char> known(n, 0);
  parallel_for(static_cast<int64_t>(n), threads, [&](int64_t k) {
    const auto i = static_cast<size_t>(k);
    struct stat st {};
    if (::stat(item(i).path.c_str(), &st) != 0) return;
    ids[i] = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), i};
    known[i] = 1;
  });
  std::vector<std::tuple<uint64_t, uint64_t, size_t>> seen;
  seen.reserve(n);
  for (size_t i = 0; i < n; ++i)
    if (known[i]) seen.push_back(ids[i]);
  std::sort(seen.begin(), seen.end());
  for (size_t i = 1; i < seen.size(); ++i)
    if (std::get<0>(seen[i]) == std::get<0>(seen[i - 1]) && std::get<1>(seen[i]) == std::get<1>(seen[i - 1]))
      throw std::runtime_error(item(std::get<2>(seen[i - 1])).path + " and " +
                               item(std::get<2>(seen[i])).path +
                               " are the same file (a link): each image may be listed once");
}

namespace {

// Moves round(n * fraction) (at most n - 1) of each class's training items
// to `val`, both keeping file-name order. Which ones: a partial
// Fisher-Yates shuffle of the class's positions by a counter-based
// generator seeded from (seed, class name).
void hold_out(ImageFolderSource& s, double fraction, uint64_t seed) {
  std::vector<ImageItem> train;
  size_t begin = 0;
  while (begin < s.train.size()) {
    const int32_t c = s.train[begin].label;
    size_t end = begin;
    while (end < s.train.size() && s.train[end].label == c) ++end;
    const size_t n = end - begin;
    const size_t k = std::min(n - 1, static_cast<size_t>(std::floor(static_cast<double>(n) * fraction + 0.5)));
    const uint64_t class_seed = mix64(seed ^ fnv1a(s.classes[static_cast<size_t>(c)]));
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    for (size_t i = 0; i < k; ++i) {
      const size_t j = i + static_cast<size_t>(mix64(class_seed + i) % (n - i));
      std::swap(order[i], order[j]);
    }
    std::vector<char> held(n, 0);
    for (size_t i = 0; i < k; ++i) held[order[i]] = 1;
    for (size_t i = 0; i < n; ++i)
      (held[i] ? s.val : train).push_back(std::move(s.train[begin + i]));
    begin = end;
  }
  s.train = std::move(train);
}

}  // namespace

ImageFolderSource scan_image_folder(const ImageFolderOptions& o) {
  if (!(o.val_fraction >= 0 && o.val_fraction < 1))
    throw std::runtime_error("validation fraction " + std::to_string(o.val_fraction) + " outside [0, 1)");
  const fs::path root(o.root), train = root / "train", val = root / "val";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw std::runtime_error(o.root + ": missing image folder");
  if (!fs::is_directory(train, ec))
    throw std::runtime_error(train.string() + ": missing training folder (train/<class>/*.jpg)");
  ImageFolderSource s;
  s.root = o.root;
  s.classes = sorted_class_folders(train.string());
  if (s.classes.empty()) throw std::runtime_error(train.string() + ": no class folders");
  list_class_images(o.root, "train", s.classes, s.train);
  if (fs::is_directory(val, ec)) {
    const std::vector<std::string> vc = sorted_class_folders(val.string());
    const std::set<std::string> in_train(s.classes.begin(), s.classes.end()), in_val(vc.begin(), vc.end());
    for (const auto& c : vc)
      if (!in_train.count(c))
        throw std::runtime_error((val / c).string() + ": class folder that train/ does not have");
    for (const auto& c : s.classes)
      if (!in_val.count(c))
        throw std::runtime_error((val / c).string() + ": missing (train/" + c +
                                 " is a class; val/ must have the same class folders)");
    list_class_images(o.root, "val", s.classes, s.val);
  } else {
    s.val_held_out = true;
    hold_out(s, o.val_fraction, o.val_seed);
    // Found here, not when a trainer starts on an empty validation set.
    if (s.val.empty()) {
      std::ostringstream f;
      f << o.val_fraction;
      throw std::runtime_error(train.string() + ": --val-fraction " + f.str() +
                               " holds out no image of any class (there is no val/ folder): nothing to "
                               "validate on; raise it, or give val/");
    }
  }
  check_distinct_files(s.train, s.val, o.threads);
  return s;
}

// ---------------------------------------------------------------------------
// Converting

void load_and_warp(const std::string& path, int height, int width, int channels, bool fast,
                   uint8_t* chw) {
  const auto bytes = read_file_bytes(path);
  if (channels == 1)
    decode_and_warp_gray(bytes.data(), bytes.size(), width, height, chw, fast);
  else
    decode_and_warp(bytes.data(), bytes.size(), width, height, chw, fast);
}

namespace {

std::string folder_of(const std::string& key) {
  const auto slash = key.rfind('/');
  return slash == std::string::npos ? std::string() : key.substr(0, slash);
}

// The key of a shard's "key: reason" skipped entry.
std::string skipped_key(const std::string& entry) { return entry.substr(0, entry.find(": ")); }

// A shard an earlier run left is kept when it still matches its checksum
// (write_planned_shards), but it must also hold the images this listing puts
// there: a rerun with other files or another held-out pick would otherwise
// mix two listings in one store. A shard that differs only because it is
// damaged is left to the writer, which converts it again.
void check_kept_shards_hold(const std::vector<ImageItem>& items, const std::string& dir,
                            const std::string& subset, const ConvertOptions& o) {
  const auto total = static_cast<int64_t>(items.size());
  for (int64_t j = o.part; j * o.shard_size < total; j += o.parts) {
    const std::string path = dir + "/" + shard_file_name(subset, static_cast<int>(j));
    std::error_code ec;
    if (!fs::exists(path, ec)) continue;
    std::set<std::string> had, planned;
    try {
      ShardReader r(path);
      for (auto& k : r.read_keys()) had.insert(std::move(k));
      for (const auto& s : r.skipped()) had.insert(skipped_key(s));
    } catch (const std::exception&) {
      continue;
    }
    for (int64_t i = j * o.shard_size; i < std::min(total, (j + 1) * o.shard_size); ++i)
      planned.insert(items[static_cast<size_t>(i)].key);
    if (had == planned) continue;
    const auto recorded = read_sidecar(path);
    if (!recorded || !check_file(path, *recorded).empty()) continue;
    throw std::runtime_error(path + ": holds other images than the source now lists for it (other "
                             "files, or another held-out pick); remove " + dir + " to convert again");
  }
}

// Converts one subset's images into this part's shards of `dir`: threads
// decode a block while this thread writes the one before. Returns the
// subset's number of shards.
int convert_subset(const std::vector<ImageItem>& items, const ShardMeta& meta, const std::string& dir,
                   const ConvertOptions& o, ConvertReport& rep) {
  const std::string& subset = meta.subset;
  const size_t bytes = meta.image_bytes();
  check_kept_shards_hold(items, dir, subset, o);
  // This part's share, for the progress bar.
  int64_t mine = 0;
  const int64_t shards = (static_cast<int64_t>(items.size()) + o.shard_size - 1) / o.shard_size;
  for (int64_t j = o.part; j < shards; j += o.parts)
    mine += std::min<int64_t>(o.shard_size, static_cast<int64_t>(items.size()) - j * o.shard_size);
  Progress progress(meta.dataset + " " + subset, mine);
  // Two buffers: the threads decode block k+1 while this thread writes
  // block k (one HDF5 writer; decoding dominates but writing is not free).
  const int64_t block = 32 * std::max(1, o.threads);
  struct Slot {
    std::vector<uint8_t> images;
    std::vector<std::string> errors;
  };
  Slot slots[2];
  for (auto& sl : slots) {
    sl.images.resize(static_cast<size_t>(block) * bytes);
    sl.errors.resize(static_cast<size_t>(block));
  }
  auto decode = [&](int64_t b0, int64_t bn, Slot& sl) {
    parallel_for(bn, o.threads, [&](int64_t i) {
      sl.errors[static_cast<size_t>(i)].clear();
      try {
        load_and_warp(items[static_cast<size_t>(b0 + i)].path, meta.height, meta.width, meta.channels,
                      o.fast_decode, sl.images.data() + static_cast<size_t>(i) * bytes);
      } catch (const std::exception& e) {
        sl.errors[static_cast<size_t>(i)] = e.what();
        if (sl.errors[static_cast<size_t>(i)].empty()) sl.errors[static_cast<size_t>(i)] = "?";
      }
      progress.add(1);
    });
  };
  const int n = write_planned_shards(
      dir, meta, static_cast<int64_t>(items.size()), o.shard_size, o.part, o.parts,
      [&](int64_t first, int64_t count, ShardWriter& w) {
        std::future<void> pending = std::async(std::launch::async, decode, first,
                                               std::min(block, count), std::ref(slots[0]));
        for (int64_t b0 = first, k = 0; b0 < first + count; b0 += block, ++k) {
          const int64_t bn = std::min(block, first + count - b0);
          pending.get();
          const int64_t next = b0 + block;
          if (next < first + count)
            pending = std::async(std::launch::async, decode, next,
                                 std::min(block, first + count - next), std::ref(slots[(k + 1) % 2]));
          Slot& sl = slots[k % 2];
          for (int64_t i = 0; i < bn; ++i) {
            const ImageItem& it = items[static_cast<size_t>(b0 + i)];
            const std::string& err = sl.errors[static_cast<size_t>(i)];
            if (!err.empty()) {
              w.add_skipped(it.key, err);
              rep.skipped.push_back(it.key + ": " + err);
              continue;
            }
            w.add(sl.images.data() + static_cast<size_t>(i) * bytes, it.label, it.label, it.key);
            ++rep.converted;
          }
        }
      },
      &progress);
  progress.finish();
  return n;
}

nlohmann::json read_plan(const std::string& dir) {
  std::ifstream in(dir + "/plan.json");
  if (!in) throw std::runtime_error(dir + "/plan.json: missing (run the convert stage first)");
  return nlohmann::json::parse(in);
}

}  // namespace

ConvertReport convert_image_store(const std::vector<std::string>& class_names,
                                  const std::vector<ImageItem>& train,
                                  const std::vector<ImageItem>& val, const ConvertOptions& o) {
  if (o.parts < 1 || o.part < 0 || o.part >= o.parts)
    throw std::runtime_error("part " + std::to_string(o.part) + " outside 0.." +
                             std::to_string(o.parts - 1));
  if (o.channels != 1 && o.channels != 3)
    throw std::runtime_error("channels must be 1 or 3, got " + std::to_string(o.channels));
  if (train.empty()) throw std::runtime_error(o.out_root + ": empty split (no training images)");
  const std::string dir = o.out_root + "/all";
  fs::create_directories(dir);
  ShardMeta meta;
  meta.dataset = o.dataset;
  meta.split = "all";
  meta.channels = o.channels;
  meta.height = o.stored_height();
  meta.width = o.stored_width();
  for (size_t c = 0; c < class_names.size(); ++c) {
    meta.class_ids.push_back(static_cast<int32_t>(c));
    meta.class_names.push_back(class_names[c]);
  }
  ConvertReport rep;
  for (const std::string subset : {"train", "val"}) {
    const auto& items = subset == "train" ? train : val;
    if (items.empty()) continue;
    meta.subset = subset;
    (subset == "train" ? rep.train_shards : rep.val_shards) = convert_subset(items, meta, dir, o, rep);
  }
  nlohmann::json plan = {{"train_shards", rep.train_shards},
                         {"val_shards", rep.val_shards},
                         {"train_images", train.size()},
                         {"val_images", val.size()},
                         {"shard_size", o.shard_size},
                         {"fast_decode", o.fast_decode}};
  // A square store keeps the plan ImageNet's stores always had.
  if (meta.height == meta.width) {
    plan["size"] = meta.height;
  } else {
    plan["height"] = meta.height;
    plan["width"] = meta.width;
  }
  // Every part writes the same plan; each under its own temporary name.
  write_file_atomic(dir + "/plan.json", plan.dump(1) + "\n");
  return rep;
}

void check_every_folder_converted(const std::string& out_root, const std::string& src_root,
                                  const std::vector<ImageItem>& train,
                                  const std::vector<ImageItem>& val) {
  const std::string dir = out_root + "/all";
  const nlohmann::json plan = read_plan(dir);
  std::set<std::string> converted;
  std::map<std::string, std::string> first_skip;  // folder -> "file: reason"
  for (const char* subset : {"train", "val"}) {
    const int shards = plan.at(std::string(subset) + "_shards").get<int>();
    for (int j = 0; j < shards; ++j) {
      const std::string path = dir + "/" + shard_file_name(subset, j);
      std::error_code ec;
      if (!fs::exists(path, ec)) continue;  // finalizing names a missing shard
      ShardReader r(path);
      for (const auto& k : r.read_keys()) converted.insert(folder_of(k));
      for (const auto& s : r.skipped()) first_skip.emplace(folder_of(skipped_key(s)), s);
    }
  }
  for (const auto* items : {&train, &val})
    for (const auto& it : *items) {
      const std::string folder = folder_of(it.key);
      if (converted.count(folder)) continue;
      size_t listed = 0;
      for (const auto* all : {&train, &val})
        for (const auto& other : *all) listed += folder_of(other.key) == folder;
      auto why = first_skip.find(folder);
      throw std::runtime_error(
          (fs::path(src_root) / folder).string() + ": no readable image (" + std::to_string(listed) +
          " listed, none decoded" + (why == first_skip.end() ? "" : "; " + why->second) + ")");
    }
}

Manifest finalize_image_store(const std::string& out_root, const std::string& source_json) {
  const std::string dir = out_root + "/all";
  const nlohmann::json plan = read_plan(dir);
  nlohmann::json source = nlohmann::json::parse(source_json);
  source["plan"] = plan;
  return finalize_split_dir(dir, source.dump(), plan.at("train_shards").get<int>(),
                            plan.at("val_shards").get<int>());
}

}  // namespace xfer
