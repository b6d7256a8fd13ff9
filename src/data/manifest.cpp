// manifest.cpp: reading, writing and identifying a data folder's manifest.json.
#include "data/manifest.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "core/rng.h"
#include "data/json_whole.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

void write_manifest(const std::string& dir, const Manifest& m) {
  nlohmann::json j;
  j["schema_version"] = m.schema_version;
  j["dataset"] = m.dataset;
  j["split"] = m.split;
  j["channels"] = m.channels;
  j["height"] = m.height;
  j["width"] = m.width;
  j["num_classes"] = m.class_ids.size();
  j["class_ids"] = m.class_ids;
  j["class_names"] = m.class_names;
  j["mean"] = {{"file", m.mean_file}, {"num_images", m.mean_num_images}};
  if (m.mean_sum) {
    j["mean"]["crc32"] = crc_hex(m.mean_sum->crc32);
    j["mean"]["bytes"] = m.mean_sum->bytes;
  }
  for (const auto& [name, s] : m.subsets) {
    nlohmann::json js;
    js["num_images"] = s.num_images;
    js["class_counts"] = s.class_counts;
    js["skipped"] = s.skipped;
    js["shards"] = nlohmann::json::array();
    for (const auto& sh : s.shards) {
      nlohmann::json e = {{"file", sh.file},
                          {"num_images", sh.num_images},
                          {"bytes", sh.bytes},
                          {"crc32", crc_hex(sh.crc32)}};
      if (!sh.class_counts.empty()) e["class_counts"] = sh.class_counts;
      js["shards"].push_back(e);
    }
    j["subsets"][name] = js;
  }
  j["source"] = nlohmann::json::parse(m.source_json.empty() ? "{}" : m.source_json);
  write_file_atomic(dir + "/manifest.json", j.dump(1) + "\n");
}


namespace {

// A shard's [[class, count], ...], each a whole number in range: a count of
// 1e51 must be refused, not converted (that is undefined behaviour).
std::vector<std::pair<int32_t, int64_t>> class_count_pairs(const nlohmann::json& v, const std::string& where) {
  const std::string what = where + " class_counts";
  if (!v.is_array()) throw std::runtime_error(what + " is " + std::string(v.type_name()) + ", not an array");
  std::vector<std::pair<int32_t, int64_t>> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = what + "[" + std::to_string(i) + "]";
    if (!v[i].is_array() || v[i].size() != 2) throw std::runtime_error(at + " is " + v[i].dump() + ", not [class, count]");
    out.emplace_back(whole<int32_t>(v[i][0], at + " class", 0), whole<int64_t>(v[i][1], at + " count", 0));
  }
  return out;
}

}  // namespace

Manifest read_manifest(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw std::runtime_error(dir + ": a file, not a data directory (give the folder the data_prep tools wrote)");
  if (!fs::is_directory(dir, ec))
    throw std::runtime_error(dir + ": missing data directory (run the data_prep tools first)");
  const std::string path = dir + "/manifest.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": missing manifest (conversion not finished?)");
  Manifest m;
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    m.schema_version = j.at("schema_version").get<int>();
    if (m.schema_version < 1 || m.schema_version > kDataSchemaVersion)
      throw std::runtime_error("schema version " + std::to_string(m.schema_version) +
                               ", this program reads versions 1 to " +
                               std::to_string(kDataSchemaVersion) +
                               " (written by a newer version?)");
    m.dataset = j.at("dataset").get<std::string>();
    m.split = j.at("split").get<std::string>();
    // A side beyond 65,535 is no image a network here reads; the bound keeps
    // channels x height x width, the bytes of one image, far from overflow.
    m.channels = whole<int>(j.at("channels"), "channels", 1, 4);
    m.height = whole<int>(j.at("height"), "height", 1, 65535);
    m.width = whole<int>(j.at("width"), "width", 1, 65535);
    m.class_ids = wholes<int32_t>(j.at("class_ids"), "class_ids", 0);
    m.class_names = j.at("class_names").get<std::vector<std::string>>();
    m.mean_file = j.at("mean").at("file").get<std::string>();
    m.mean_num_images = whole<int64_t>(j.at("mean").at("num_images"), "mean.num_images", 0);
    if (j.at("mean").contains("crc32"))
      m.mean_sum = FileSum{parse_crc_hex(j["mean"]["crc32"].get<std::string>(), path),
                           whole<int64_t>(j["mean"].at("bytes"), "mean.bytes", 0)};
    for (const auto& [name, js] : j.at("subsets").items()) {
      ManifestSubset s;
      s.num_images = whole<int64_t>(js.at("num_images"), name + ".num_images", 0);
      s.class_counts = wholes<int64_t>(js.at("class_counts"), name + ".class_counts", 0);
      s.skipped = js.at("skipped").get<std::vector<std::string>>();
      for (const auto& sh : js.at("shards")) {
        ManifestShard x;
        x.file = sh.at("file").get<std::string>();
        x.num_images = whole<int64_t>(sh.at("num_images"), name + " shard " + x.file + " num_images", 0);
        x.bytes = whole<int64_t>(sh.at("bytes"), name + " shard " + x.file + " bytes", 0);
        x.crc32 = parse_crc_hex(sh.at("crc32").get<std::string>(), path);
        if (sh.contains("class_counts")) x.class_counts = class_count_pairs(sh["class_counts"], name + " shard " + x.file);
        s.shards.push_back(x);
      }
      m.subsets[name] = std::move(s);
    }
    m.source_json = j.value("source", nlohmann::json::object()).dump();
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": bad manifest: " + e.what());
  }
  return m;
}

std::vector<RecordedFile> recorded_files(const std::string& dir, const Manifest& m,
                                         const std::string& subset) {
  std::vector<RecordedFile> out;
  for (const auto& [name, sub] : m.subsets)
    if (subset.empty() || name == subset)
      for (const auto& sh : sub.shards) out.push_back({dir + "/" + sh.file, sh.sum()});
  if (subset.empty() && m.mean_sum) out.push_back({dir + "/" + m.mean_file, *m.mean_sum});
  return out;
}

std::string data_identity(const Manifest& m) {
  std::ostringstream o;
  // The shard files' version: the checksums below are of files of that
  // layout. Version 2 manifests only add counts derived from the same bytes,
  // so rewriting a manifest as version 2 leaves the data's identity as it was.
  o << "schema " << kShardSchemaVersion << "\ndataset " << m.dataset << "\nsplit " << m.split
    << "\nimage " << m.channels << "x" << m.height << "x" << m.width << "\nclasses";
  for (int32_t c : m.class_ids) o << ' ' << c;
  for (const auto& [name, sub] : m.subsets)
    for (const auto& sh : sub.shards)
      o << "\n" << name << ' ' << sh.file << ' ' << sh.num_images << ' ' << sh.bytes << ' '
        << crc_hex(sh.crc32);
  if (m.mean_sum) o << "\nmean " << m.mean_sum->bytes << ' ' << crc_hex(m.mean_sum->crc32);
  return fnv1a_hex(o.str());
}

}  // namespace xfer
