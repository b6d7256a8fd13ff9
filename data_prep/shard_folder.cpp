// shard_folder.cpp: a folder of shards as a whole (a store, or a half an
// older version copied): its shards' names, the check that none is missing
// or damaged, and the manifest and mean made from them (format in
// data/shard_format.h; mean.h5 built in memory, then written atomically).
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <stdexcept>
#include <tuple>

#include "data/shard_layout.h"
#include "data_prep/shard_writer.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

std::string shard_file_name(const std::string& subset, int index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%05d.h5", subset.c_str(), index);
  return buf;
}

namespace {

// The in-memory mean.h5 grows in steps of this many bytes.
constexpr size_t kMeanIncrement = size_t{1} << 16;

// The shard files of a folder, by subset and index, checked to be numbered
// from 0 without gaps (and to be `expected_*` many, when >= 0).
std::map<std::string, std::map<int, std::string>> list_shards(const std::string& dir,
                                                              int expected_train, int expected_val) {
  const std::regex name_re(R"((train|val)-(\d{5})\.h5)");
  std::map<std::string, std::map<int, std::string>> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string fn = e.path().filename().string();
    if (std::regex_match(fn, m, name_re)) found[m[1]][std::stoi(m[2])] = fn;
  }
  for (const std::string subset : {"train", "val"}) {
    const auto& files = found[subset];
    const int expected = subset == "train" ? expected_train : expected_val;
    if (expected >= 0 && static_cast<int>(files.size()) != expected) {
      for (int i = 0; i < expected; ++i)
        if (!files.count(i))
          throw std::runtime_error(dir + "/" + shard_file_name(subset, i) +
                                   ": missing shard (conversion not finished?)");
      throw std::runtime_error(dir + ": " + std::to_string(files.size()) + " " + subset +
                               " shards, expected " + std::to_string(expected));
    }
    int next = 0;
    for (const auto& [idx, fn] : files)
      if (idx != next++)
        throw std::runtime_error(dir + "/" + shard_file_name(subset, next - 1) + ": missing shard");
  }
  return found;
}

// Adds one (verified) shard to the manifest being built: metadata checked
// against the other shards', class counts, skipped inputs, pixel sums.
void add_shard(Manifest& man, const std::string& dir, const std::string& subset,
               const std::string& fn, const FileSum& sum, std::vector<double>& pixel_sum) {
  const std::string path = dir + "/" + fn;
  ShardReader r(path);
  const ShardMeta& meta = r.meta();
  if (man.class_ids.empty() && man.channels == 0) {
    // The first shard describes the folder; the others must agree with it.
    std::tie(man.dataset, man.split, man.channels, man.height, man.width, man.class_ids,
             man.class_names) = std::tie(meta.dataset, meta.split, meta.channels, meta.height,
                                         meta.width, meta.class_ids, meta.class_names);
  } else if (meta.channels != man.channels || meta.height != man.height ||
             meta.width != man.width) {
    throw std::runtime_error(path + ": image size " + std::to_string(meta.channels) + "x" +
                             std::to_string(meta.height) + "x" + std::to_string(meta.width) +
                             " differs from the other shards' (image size mismatch)");
  } else if (meta.class_ids != man.class_ids || meta.split != man.split) {
    throw std::runtime_error(path + ": split or classes differ from the other shards'");
  }
  if (meta.subset != subset)
    throw std::runtime_error(path + ": subset attribute is '" + meta.subset + "'");
  ManifestSubset& s = man.subsets[subset];
  s.class_counts.resize(man.class_ids.size(), 0);
  std::map<int32_t, int64_t> here;  // this shard's class counts, for views
  for (int32_t l : r.read_labels()) {
    ++s.class_counts[static_cast<size_t>(l)];
    ++here[l];
  }
  if (subset == "train") {
    auto ps = r.read_pixel_sum();
    if (pixel_sum.empty()) pixel_sum.assign(ps.size(), 0.0);
    for (size_t i = 0; i < ps.size(); ++i) pixel_sum[i] += ps[i];
  }
  for (const auto& sk : r.skipped()) s.skipped.push_back(sk);
  s.num_images += r.num_images();
  s.shards.push_back({fn, r.num_images(), sum.bytes, sum.crc32, {here.begin(), here.end()}});
}

}  // namespace

FileSum write_mean_image(const std::string& dir, const MeanImage& mean, int64_t num_images,
                         const std::string& split) {
  const std::string path = dir + "/mean.h5";
  std::vector<char> image;
  {
    H5Lock lock(h5_mutex());
    H5Id file = h5_create_in_memory(path, kMeanIncrement);
    H5Id d = write_untimed_dataset(file, "mean", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
                                   {static_cast<hsize_t>(mean.c), static_cast<hsize_t>(mean.h),
                                    static_cast<hsize_t>(mean.w)},
                                   mean.data.data(), path);
    h5_write_attr_int(file, "schema_version", kShardSchemaVersion, path);
    h5_write_attr_str(file, "split", split, path);
    h5_write_attr_int(file, "num_images", num_images, path);
    d.reset();
    image = h5_file_image(file, path);
  }
  write_file_atomic(path, image.data(), image.size());
  return buffer_checksum(image.data(), image.size());
}

Manifest finalize_split_dir(const std::string& dir, const std::string& source_json,
                            int expected_train, int expected_val) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error(dir + ": missing data directory");
  const auto found = list_shards(dir, expected_train, expected_val);
  // The checksum each shard's writer recorded; the files are checked against
  // them on background threads while this one reads them in order, so no
  // damaged shard reaches the mean or the manifest.
  std::vector<BackgroundVerifier::Item> items;
  std::vector<std::pair<std::string, std::string>> order;  // subset, file
  for (const auto& [subset, files] : found)
    for (const auto& [idx, fn] : files) {
      const std::string path = dir + "/" + fn;
      auto rec = read_sidecar(path);
      if (!rec)
        throw std::runtime_error(path + ": no checksum recorded for it (no " + fn +
                                 ".crc32 beside it: written by an older version, or its writer "
                                 "was stopped); rerun the prep tool to convert it again");
      items.push_back({path, *rec});
      order.emplace_back(subset, fn);
    }
  BackgroundVerifier verifier(items, 4, /*remember=*/true);
  Manifest man;
  man.source_json = source_json;
  std::vector<double> sum;
  for (size_t k = 0; k < order.size(); ++k) {
    verifier.wait(k);
    add_shard(man, dir, order[k].first, order[k].second, items[k].recorded, sum);
  }
  if (!man.subsets.count("train") || man.subsets["train"].num_images == 0)
    throw std::runtime_error(dir + ": empty split (no training images)");
  MeanImage mean;
  mean.c = man.channels;
  mean.h = man.height;
  mean.w = man.width;
  const double n = static_cast<double>(man.subsets["train"].num_images);
  mean.data.resize(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) mean.data[i] = static_cast<float>(sum[i] / n);
  man.mean_sum = write_mean_image(dir, mean, man.subsets["train"].num_images, man.split);
  man.mean_num_images = man.subsets["train"].num_images;
  write_manifest(dir, man);
  return man;
}

}  // namespace xfer
