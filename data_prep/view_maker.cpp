// view_maker.cpp: make_view and its checks (view_maker.h).
#include "data_prep/view_maker.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "data/shard_format.h"
#include "data/shard_store.h"
#include "data_prep/shard_writer.h"  // write_mean_image

namespace fs = std::filesystem;

namespace xfer {

bool holds_own_shards(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "manifest.json", ec);
}

namespace {

std::string store_dir_of(const std::string& root) { return root + "/" + kStoreFolder; }

// The view's classes, ascending, each checked to be in the store once.
std::vector<int32_t> resolve_classes(const std::string& root, const std::string& split, const ViewSpec& v,
                                     const Manifest& store) {
  const std::string dir = root + "/" + v.name;
  if (v.class_ids.empty())
    throw std::runtime_error(dir + ": split " + split + " gives it no class");
  std::set<int32_t> seen;
  for (int32_t c : v.class_ids) {
    if (!seen.insert(c).second)
      throw std::runtime_error(dir + ": split " + split + " names class " + std::to_string(c) + " twice");
    if (std::find(store.class_ids.begin(), store.class_ids.end(), c) == store.class_ids.end())
      throw std::runtime_error(dir + ": split " + split + " names class " +
                               std::to_string(c) + ", which the store " + store_dir_of(root) +
                               " does not have (it has " + std::to_string(store.class_ids.size()) +
                               " classes)");
  }
  return {seen.begin(), seen.end()};
}

// The view as far as it is known before its images are read.
View plan_view(const std::string& root, const SplitDef& split, const ViewSpec& spec, const Manifest& store) {
  View v;
  v.name = spec.name;
  v.split = split.name;
  v.definition = split.text;
  v.source = split.source;
  v.store = std::string("../") + kStoreFolder;
  v.store_identity = data_identity(store);
  v.class_ids = resolve_classes(root, split.name, spec, store);
  for (int32_t c : v.class_ids) {
    auto at = std::find(store.class_ids.begin(), store.class_ids.end(), c) - store.class_ids.begin();
    v.class_names.push_back(store.class_names[static_cast<size_t>(at)]);
  }
  v.train_per_class = spec.train_per_class;
  return v;
}

Manifest read_store(const std::string& root) {
  Manifest store = read_manifest(store_dir_of(root));
  if (store.schema_version < kDataSchemaVersion)
    throw std::runtime_error(store_dir_of(root) + "/manifest.json: schema version " +
                             std::to_string(store.schema_version) +
                             " (an older version's store, without the per-shard class counts "
                             "views need); rerun the prep tool that made it (it keeps the shards)");
  return store;
}

// Sum of the training images the view selects, per pixel (exact: integers
// below 2^53), divided as the folders' finalize does.
MeanImage mean_of(const ShardStore& s, const Manifest& store) {
  std::vector<double> sum(s.image_bytes(), 0.0);
  std::vector<uint8_t> img(s.image_bytes());
  for (int64_t i = 0; i < s.size(); ++i) {
    const uint8_t* p = s.memory_image(i);
    if (!p) {
      s.read(i, img.data());
      p = img.data();
    }
    for (size_t k = 0; k < sum.size(); ++k) sum[k] += p[k];
  }
  MeanImage m;
  m.c = store.channels;
  m.h = store.height;
  m.w = store.width;
  m.data.resize(sum.size());
  for (size_t k = 0; k < sum.size(); ++k)
    m.data[k] = static_cast<float>(sum[k] / static_cast<double>(s.size()));
  return m;
}

}  // namespace

bool view_is_current(const std::string& root, const ViewSpec& v) {
  const std::string dir = root + "/" + v.name;
  if (!is_view_folder(dir)) return false;
  try {
    const DataFolder f = open_data_folder(dir);  // checks the store's identity
    std::vector<int32_t> want = v.class_ids;
    std::sort(want.begin(), want.end());
    return f.view.class_ids == want && f.view.train_per_class == v.train_per_class &&
           f.store_dir == fs::weakly_canonical(store_dir_of(root)).string();
  } catch (const std::exception&) {
    return false;  // stale or damaged: made again
  }
}

View make_view(const std::string& root, const SplitDef& split, const ViewSpec& spec) {
  const std::string dir = root + "/" + spec.name;
  if (holds_own_shards(dir))
    throw std::runtime_error(dir + ": holds shards of its own (a copy made by an older version); "
                             "remove the folder to make it a view of " + store_dir_of(root));
  const Manifest store = read_store(root);
  View v = plan_view(root, split, spec, store);
  const DataFolder f = resolve_view(dir, v, store, store_folder(dir, v));
  const ShardStore train(f, "train", /*verify=*/true, /*remember=*/true);
  for (size_t c = 0; c < v.class_ids.size(); ++c)
    if (train.class_counts()[c] == 0)
      throw std::runtime_error(dir + ": class " + v.class_names[c] + " (" +
                               std::to_string(v.class_ids[c]) + ") has no training image in " +
                               store_dir_of(root));
  v.class_counts["train"] = train.class_counts();
  if (store.subsets.count("val") && store.subsets.at("val").num_images > 0)
    v.class_counts["val"] = ShardStore(f, "val", true, true).class_counts();
  v.mean_num_images = train.size();
  fs::create_directories(dir);  // only now: a refused view leaves nothing behind
  // A view remade: its old view.json goes first, so no reader ever pairs it
  // with the new mean (it finds no view, and the grid makes it).
  fs::remove(dir + "/view.json");
  v.mean_sum = write_mean_image(dir, mean_of(train, store), train.size(), spec.name);
  write_view(dir, v);
  return v;
}

}  // namespace xfer
