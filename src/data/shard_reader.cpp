// shard_reader.cpp: ShardReader, one shard opened and checked for reading
// (format in shard_format.h).
#include <filesystem>
#include <stdexcept>

#include "data/shard_format.h"
#include "data/shard_layout.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

// One line for a shard whose HDF5 structure cannot be read: every shard this
// code writes has all its datasets and attributes, so a missing one is damage.
[[noreturn]] void damaged_shard(const std::string& path, const std::string& detail) {
  throw std::runtime_error(path + ": damaged shard (HDF5 metadata unreadable: " + detail +
                           "; xfer_verify_data checks every file of the folder against the "
                           "checksums in its manifest)");
}

H5Id open_dataset(hid_t file, const char* name, const std::string& ctx, hid_t dapl = H5P_DEFAULT) {
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    damaged_shard(ctx, std::string("no dataset '") + name + "'");
  }
  return XFER_H5_OPEN(H5Dopen2(file, name, dapl), Dataset, ctx + " dataset " + name);
}

// Reads a whole 1-d dataset of int32 and checks its length.
std::vector<int32_t> read_int_column(hid_t file, const char* name, int64_t n,
                                     const std::string& ctx) {
  H5Lock lock(h5_mutex());
  H5Id d = open_dataset(file, name, ctx);
  auto dims = h5_dims_stored(d, sizeof(int32_t), ctx);
  if (dims.size() != 1 || static_cast<int64_t>(dims[0]) != n)
    throw std::runtime_error(ctx + ": dataset '" + name + "' has " +
                             (dims.empty() ? std::string("no") : std::to_string(dims[0])) +
                             " rows, expected " + std::to_string(n));
  std::vector<int32_t> v(static_cast<size_t>(n));
  if (n > 0) XFER_H5_CHECK(H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), ctx);
  return v;
}

// The attributes every shard of a folder shares.
void read_meta(hid_t file, const std::string& c, ShardMeta& meta) {
  meta.dataset = h5_read_attr_str(file, "dataset", c);
  meta.split = h5_read_attr_str(file, "split", c);
  meta.subset = h5_read_attr_str(file, "subset", c);
  meta.channels = static_cast<int>(h5_read_attr_int(file, "channels", c));
  meta.height = static_cast<int>(h5_read_attr_int(file, "height", c));
  meta.width = static_cast<int>(h5_read_attr_int(file, "width", c));
  meta.class_ids = h5_read_attr_ints(file, "class_ids", c);
  meta.class_names = h5_read_attr_strs(file, "class_names", c);
}

// A failure while reading the structure is damage to a file this code wrote
// whole, and is reported as such rather than as its first symptom.
[[noreturn]] void rethrow_as_damage(const std::string& c, const std::runtime_error& e) {
  const std::string m = e.what();
  if (m.find(": damaged shard (") != std::string::npos || m.find(": not a shard") != std::string::npos)
    throw;
  // HDF5's messages start with the path; once is enough.
  const bool prefixed = m.compare(0, c.size(), c) == 0;
  std::string detail = prefixed ? m.substr(c.size()) : m;
  while (!detail.empty() && (detail[0] == ':' || detail[0] == ' ')) detail.erase(0, 1);
  damaged_shard(c, detail);
}

}  // namespace

ShardReader::ShardReader(std::string path) : path_(std::move(path)) {
  h5_silence_errors();
  const std::string& c = path_;
  std::error_code ec;
  if (!fs::is_regular_file(path_, ec)) throw std::runtime_error(c + ": missing shard file");
  H5Lock lock(h5_mutex());
  if (H5Fis_hdf5(c.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw std::runtime_error(c + ": unreadable shard (not an HDF5 file, or truncated or damaged)");
  }
  int64_t version = 0, num_classes = 0;
  std::vector<hsize_t> dims;
  try {
    const hid_t f = H5Fopen(c.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) XFER_H5_FAIL("cannot open", c);
    file_ = H5Id(f, H5Id::Kind::File);
    if (H5Aexists(file_, "schema_version") == 0)
      throw std::runtime_error(c + ": not a shard (no schema_version attribute)");
    version = h5_read_attr_int(file_, "schema_version", c);
    if (version == kShardSchemaVersion) {
      read_meta(file_, c, meta_);
      shard_index_ = static_cast<int>(h5_read_attr_int(file_, "shard_index", c));
      num_images_ = h5_read_attr_int(file_, "num_images", c);
      skipped_ = h5_read_attr_strs(file_, "skipped", c);
      num_classes = h5_read_attr_int(file_, "num_classes", c);
      H5Id dapl = XFER_H5_OPEN(H5Pcreate(H5P_DATASET_ACCESS), Plist, c);
      // Random single-image reads gain nothing from a chunk cache.
      XFER_H5_CHECK(H5Pset_chunk_cache(dapl, 0, 0, 1.0), c);
      images_ = open_dataset(file_, "images", c, dapl);
      dims = h5_dims_stored(images_, 1, c);
    }
  } catch (const std::runtime_error& e) {
    rethrow_as_damage(c, e);
  }
  check_structure(version, num_classes, dims);
}

// The schema version, and that the classes and the images' shape agree with
// the attributes.
void ShardReader::check_structure(int64_t version, int64_t num_classes,
                                  const std::vector<hsize_t>& dims) const {
  const std::string& c = path_;
  if (version != kShardSchemaVersion)
    throw std::runtime_error(c + ": shard schema version " + std::to_string(version) +
                             ", this program reads version " +
                             std::to_string(kShardSchemaVersion) + "; convert the data again");
  if (meta_.class_names.size() != meta_.class_ids.size() || num_classes != meta_.num_classes())
    throw std::runtime_error(c + ": class_ids, class_names and num_classes disagree");
  const std::vector<hsize_t> want = {static_cast<hsize_t>(num_images_),
                                     static_cast<hsize_t>(meta_.channels),
                                     static_cast<hsize_t>(meta_.height),
                                     static_cast<hsize_t>(meta_.width)};
  if (dims != want)
    throw std::runtime_error(c + ": images dataset is " + h5_dims_text(dims) +
                             ", attributes say " + h5_dims_text(want) + " (image size mismatch)");
}

void ShardReader::read_images(int64_t first, int64_t count, uint8_t* out) const {
  if (first < 0 || count < 0 || first + count > num_images_)
    throw std::runtime_error(path_ + ": image range [" + std::to_string(first) + ", " +
                             std::to_string(first + count) + ") outside [0, " +
                             std::to_string(num_images_) + ")");
  if (count == 0) return;
  H5Lock lock(h5_mutex());
  H5Id fspace = XFER_H5_OPEN(H5Dget_space(images_), Dataspace, path_);
  hsize_t start[4] = {static_cast<hsize_t>(first), 0, 0, 0};
  hsize_t cnt[4] = {static_cast<hsize_t>(count), static_cast<hsize_t>(meta_.channels),
                    static_cast<hsize_t>(meta_.height), static_cast<hsize_t>(meta_.width)};
  XFER_H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, cnt, nullptr), path_);
  H5Id mspace = XFER_H5_OPEN(H5Screate_simple(4, cnt, nullptr), Dataspace, path_);
  XFER_H5_CHECK(H5Dread(images_, H5T_NATIVE_UINT8, mspace, fspace, H5P_DEFAULT, out),
                path_ + " (reading images; truncated shard?)");
}

std::vector<int32_t> ShardReader::read_labels() const {
  auto v = read_int_column(file_, "labels", num_images_, path_);
  const int k = meta_.num_classes();
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] < 0 || v[i] >= k)
      throw std::runtime_error(path_ + ": label " + std::to_string(v[i]) + " of image " +
                               std::to_string(i) + " out of range [0, " + std::to_string(k) + ")");
  return v;
}

std::vector<int32_t> ShardReader::read_orig_labels() const {
  return read_int_column(file_, "orig_labels", num_images_, path_);
}

std::vector<std::string> ShardReader::read_keys() const {
  H5Lock lock(h5_mutex());
  H5Id d = open_dataset(file_, "keys", path_);
  H5Id space = XFER_H5_OPEN(H5Dget_space(d), Dataspace, path_);
  H5Id t = h5_string_type(path_);
  std::vector<char*> ptrs(static_cast<size_t>(num_images_), nullptr);
  std::vector<std::string> out;
  if (num_images_ == 0) return out;
  XFER_H5_CHECK(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), path_);
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  H5Dvlen_reclaim(t, space, H5P_DEFAULT, ptrs.data());
  return out;
}

std::vector<double> ShardReader::read_pixel_sum() const {
  H5Lock lock(h5_mutex());
  H5Id d = open_dataset(file_, "pixel_sum", path_);
  auto dims = h5_dims_stored(d, sizeof(double), path_);
  if (dims.size() != 3 || static_cast<int>(dims[0]) != meta_.channels ||
      static_cast<int>(dims[1]) != meta_.height || static_cast<int>(dims[2]) != meta_.width)
    throw std::runtime_error(path_ + ": pixel_sum has the wrong shape (image size mismatch)");
  std::vector<double> v(meta_.image_bytes());
  XFER_H5_CHECK(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), path_);
  return v;
}

std::vector<int64_t> ShardReader::image_file_offsets() const {
  H5Lock lock(h5_mutex());
  if (num_images_ == 0) return {};
  // Prefer the writer's table; check a spread of entries against HDF5, so a
  // repacked file (chunks moved, table copied) is caught and recomputed.
  if (H5Lexists(file_, "image_offsets", H5P_DEFAULT) > 0) {
    H5Id d = XFER_H5_OPEN(H5Dopen2(file_, "image_offsets", H5P_DEFAULT), Dataset, path_);
    auto dims = h5_dims_stored(d, sizeof(int64_t), path_);
    if (dims.size() == 1 && static_cast<int64_t>(dims[0]) == num_images_) {
      std::vector<int64_t> table(static_cast<size_t>(num_images_));
      XFER_H5_CHECK(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, table.data()),
                    path_);
      std::vector<int64_t> probe;
      for (int k = 0; k < 8; ++k) probe.push_back(num_images_ * k / 8);
      probe.push_back(num_images_ - 1);
      auto truth = raw_offsets(images_, num_images_, meta_, probe, path_);
      bool ok = truth.size() == probe.size();
      for (size_t k = 0; ok && k < probe.size(); ++k)
        ok = truth[k] == table[static_cast<size_t>(probe[k])];
      if (ok) return table;
    }
  }
  return raw_offsets(images_, num_images_, meta_, {}, path_);
}

bool shard_complete(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  try {
    ShardReader r(path);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace xfer
