// shard_mean.cpp: reading <dir>/mean.h5, the mean training image of a folder
// (format in shard_format.h; written by data_prep/shard_folder.cpp). Small
// enough to be read whole in memory, so only our own checked calls touch the disk.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "data/shard_format.h"
#include "data/shard_layout.h"
#include "data/view.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

std::vector<char> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return bytes;
}

// The bytes of mean.h5 as its manifest (or view.json) vouches for them.
std::vector<char> read_checked_mean(const std::string& dir, std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error(dir + ": missing data directory");
  const DataFolder folder = open_data_folder(dir);
  path = folder.mean_path();
  if (!fs::is_regular_file(path, ec)) throw std::runtime_error(path + ": missing mean image");
  const FileSum* recorded = folder.mean_sum();
  if (!recorded)
    throw std::runtime_error(dir + "/manifest.json: no checksum recorded for " + fs::path(path).filename().string() +
                             " (written by an older version; rerun the prep tool that made this "
                             "folder: it converts what has no recorded checksum again)");
  std::vector<char> bytes = read_whole_file(path);
  const FileSum now = buffer_checksum(bytes.data(), bytes.size());
  if (!(now == *recorded))
    throw std::runtime_error(mismatch_message(path, *recorded, now) + kDamagedAdvice);
  return bytes;
}

}  // namespace

MeanImage read_mean_image(const std::string& dir) {
  std::string path;
  // The bytes checked are the bytes used: read once, checked, opened from memory.
  std::vector<char> bytes = read_checked_mean(dir, path);
  H5Lock lock(h5_mutex());
  H5Id file = h5_open_image(path, bytes);
  const int64_t version = h5_read_attr_int(file, "schema_version", path);
  if (version != kShardSchemaVersion)
    throw std::runtime_error(path + ": schema version " + std::to_string(version) +
                             ", this program reads version " + std::to_string(kShardSchemaVersion));
  if (!h5_exists(file, "mean")) throw std::runtime_error(path + ": missing dataset 'mean'");
  const auto dims = h5_dims_stored(h5_open_dataset(file, "mean", path), sizeof(float), path);
  if (dims.size() != 3) throw std::runtime_error(path + ": 'mean' is not [C,H,W]");
  MeanImage m;
  m.c = static_cast<int>(dims[0]);
  m.h = static_cast<int>(dims[1]);
  m.w = static_cast<int>(dims[2]);
  m.data.resize(dims[0] * dims[1] * dims[2]);
  h5_read_floats(file, "mean", dims, m.data.data(), path);
  return m;
}

}  // namespace xfer
