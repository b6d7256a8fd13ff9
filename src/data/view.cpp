// view.cpp: view.json, and opening a data folder as a view or as it is (view.h).
#include "data/view.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "core/rng.h"
#include "data/json_whole.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

int64_t View::num_images(const std::string& subset) const {
  auto it = class_counts.find(subset);
  if (it == class_counts.end()) return 0;
  int64_t n = 0;
  for (int64_t c : it->second) n += c;
  return n;
}

bool is_view_folder(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "view.json", ec);
}

void write_view(const std::string& dir, const View& v) {
  nlohmann::json j;
  j["schema_version"] = v.schema_version;
  j["kind"] = "view";
  j["name"] = v.name;
  j["split"] = v.split;
  j["definition"] = v.definition;
  j["source"] = v.source;
  j["store"] = {{"folder", v.store}, {"identity", v.store_identity}};
  j["class_ids"] = v.class_ids;
  j["class_names"] = v.class_names;
  j["train_per_class"] = v.train_per_class;
  j["class_counts"] = v.class_counts;
  j["mean"] = {{"file", v.mean_file},
               {"num_images", v.mean_num_images},
               {"crc32", crc_hex(v.mean_sum.crc32)},
               {"bytes", v.mean_sum.bytes}};
  write_file_atomic(dir + "/view.json", j.dump(1) + "\n");
}

namespace {

void check_view(const View& v) {
  if (v.class_ids.empty()) throw std::runtime_error("no classes");
  if (v.class_names.size() != v.class_ids.size())
    throw std::runtime_error("class_names and class_ids differ in length");
  if (!std::is_sorted(v.class_ids.begin(), v.class_ids.end()) ||
      std::adjacent_find(v.class_ids.begin(), v.class_ids.end()) != v.class_ids.end())
    throw std::runtime_error("class_ids are not ascending and distinct");
  if (v.train_per_class < 0) throw std::runtime_error("train_per_class is negative");
  for (const auto& [subset, counts] : v.class_counts)
    if (counts.size() != v.class_ids.size())
      throw std::runtime_error("class_counts of " + subset + " has the wrong length");
}

}  // namespace

View read_view(const std::string& dir) {
  const std::string path = dir + "/view.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": missing view definition");
  View v;
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    v.schema_version = whole<int>(j.at("schema_version"), "schema_version", 0);
    if (v.schema_version != kDataSchemaVersion)
      throw std::runtime_error("schema version " + std::to_string(v.schema_version) +
                               ", this program reads version " + std::to_string(kDataSchemaVersion));
    v.name = j.at("name").get<std::string>();
    v.split = j.at("split").get<std::string>();
    v.definition = j.at("definition").get<std::string>();
    v.source = j.value("source", "");
    v.store = j.at("store").at("folder").get<std::string>();
    v.store_identity = j.at("store").at("identity").get<std::string>();
    v.class_ids = wholes<int32_t>(j.at("class_ids"), "class_ids", 0);
    v.class_names = j.at("class_names").get<std::vector<std::string>>();
    v.train_per_class = whole<int64_t>(j.at("train_per_class"), "train_per_class", 0);
    const auto& counts = j.at("class_counts");
    if (!counts.is_object()) throw std::runtime_error("class_counts is not an object");
    for (const auto& [subset, per_class] : counts.items())
      v.class_counts[subset] = wholes<int64_t>(per_class, "class_counts." + subset, 0);
    const auto& m = j.at("mean");
    v.mean_file = m.at("file").get<std::string>();
    v.mean_num_images = whole<int64_t>(m.at("num_images"), "mean.num_images", 0);
    v.mean_sum = {parse_crc_hex(m.at("crc32").get<std::string>(), path), whole<int64_t>(m.at("bytes"), "mean.bytes", 0)};
    check_view(v);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": bad view definition: " + e.what());
  }
  return v;
}

std::string store_folder(const std::string& dir, const View& v) {
  // Resolved as the file system does: a view reached through a symlink
  // finds the store beside the folder the link points to.
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::path(dir) / v.store, ec);
  return ec ? (fs::path(dir) / v.store).lexically_normal().string() : p.string();
}

int64_t DataFolder::per_class_limit(const std::string& subset) const {
  return is_view && subset == "train" ? view.train_per_class : 0;
}

bool DataFolder::gives(const ManifestShard& sh, std::vector<int64_t>& quota) const {
  if (!is_view) return true;
  bool any = false;
  for (const auto& [label, n] : sh.class_counts) {
    if (n <= 0 || label < 0 || static_cast<size_t>(label) >= local_of_store_label.size()) continue;
    const int32_t local = local_of_store_label[static_cast<size_t>(label)];
    if (local < 0 || quota[static_cast<size_t>(local)] <= 0) continue;
    quota[static_cast<size_t>(local)] -= std::min(n, quota[static_cast<size_t>(local)]);
    any = true;
  }
  return any;
}

std::string DataFolder::mean_path() const {
  return dir + "/" + (is_view ? view.mean_file : store.mean_file);
}

const FileSum* DataFolder::mean_sum() const {
  if (is_view) return &view.mean_sum;
  return store.mean_sum ? &*store.mean_sum : nullptr;
}

namespace {

// The store of view `v` (in `dir`), checked to be the one it was made from.
Manifest read_view_store(const std::string& dir, const View& v) {
  const std::string where = dir + "/view.json";
  const std::string store_dir = store_folder(dir, v);
  std::error_code ec;
  if (!fs::is_directory(store_dir, ec))
    throw std::runtime_error(where + ": its store " + store_dir + " is missing");
  Manifest m = read_manifest(store_dir);
  if (m.schema_version < kDataSchemaVersion)
    throw std::runtime_error(store_dir + "/manifest.json: schema version " +
                             std::to_string(m.schema_version) +
                             " (an older version's store, without the per-shard class counts "
                             "views need); rerun the prep tool that made it (it keeps the shards)");
  const std::string now = data_identity(m);
  if (now != v.store_identity) {
    const std::string root = fs::path(dir).lexically_normal().parent_path().string();
    throw std::runtime_error(where + ": the store " + store_dir + " changed since this view was made (identity " +
                             v.store_identity + " then, " + now + " now); make the view again: " +
                             (v.source.empty() ? "rerun the prep tool that made it (split " + v.split + ")"
                                               : "xfer_make_views --data " + (root.empty() ? "." : root) +
                                                     " --split " + v.source));
  }
  return m;
}

}  // namespace

DataFolder open_data_folder(const std::string& dir) {
  DataFolder f;
  f.dir = dir;
  if (!is_view_folder(dir)) {
    f.store_dir = dir;
    f.store = read_manifest(dir);
    f.class_ids = f.store.class_ids;
    f.class_names = f.store.class_names;
    f.local_of_store_label.resize(f.class_ids.size());
    for (size_t i = 0; i < f.class_ids.size(); ++i) f.local_of_store_label[i] = static_cast<int32_t>(i);
    return f;
  }
  View v = read_view(dir);
  const std::string store_dir = store_folder(dir, v);
  Manifest store = read_view_store(dir, v);
  return resolve_view(dir, std::move(v), std::move(store), store_dir);
}

DataFolder resolve_view(const std::string& dir, View v, Manifest store, const std::string& store_dir) {
  DataFolder f;
  f.dir = dir;
  f.is_view = true;
  f.view = std::move(v);
  f.store_dir = store_dir;
  f.store = std::move(store);
  f.class_ids = f.view.class_ids;
  f.class_names = f.view.class_names;
  f.local_of_store_label.assign(f.store.class_ids.size(), -1);
  for (size_t i = 0; i < f.class_ids.size(); ++i) {
    auto it = std::find(f.store.class_ids.begin(), f.store.class_ids.end(), f.class_ids[i]);
    if (it == f.store.class_ids.end())
      throw std::runtime_error(dir + "/view.json: class " + std::to_string(f.class_ids[i]) + " (" +
                               f.class_names[i] + ") is not in the store " + f.store_dir);
    f.local_of_store_label[static_cast<size_t>(it - f.store.class_ids.begin())] = static_cast<int32_t>(i);
  }
  return f;
}

std::string view_identity(const View& v) {
  std::ostringstream o;
  o << "view " << v.schema_version << "\nstore " << v.store_identity << "\nclasses";
  for (int32_t c : v.class_ids) o << ' ' << c;
  o << "\ntrain_per_class " << v.train_per_class;
  for (const auto& [subset, counts] : v.class_counts) {
    o << "\n" << subset;
    for (int64_t c : counts) o << ' ' << c;
  }
  o << "\nmean " << v.mean_sum.bytes << ' ' << crc_hex(v.mean_sum.crc32);
  return fnv1a_hex(o.str());
}

std::string data_folder_identity(const std::string& dir) {
  const DataFolder f = open_data_folder(dir);
  return f.is_view ? view_identity(f.view) : data_identity(f.store);
}

}  // namespace xfer
