// shard_format.cpp: writing, reading and checking shards, the manifest and
// the mean image (formats in shard_format.h).
#include "data/shard_format.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>

#include "data/shard_source.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

std::string shard_file_name(const std::string& subset, int index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%05d.h5", subset.c_str(), index);
  return buf;
}

namespace {

H5Id vlen_str_type(const std::string& ctx) {
  H5Id t = XFER_H5_OPEN(H5Tcopy(H5T_C_S1), Datatype, ctx);
  XFER_H5_CHECK(H5Tset_size(t, H5T_VARIABLE), ctx);
  XFER_H5_CHECK(H5Tset_cset(t, H5T_CSET_UTF8), ctx);
  return t;
}

// Dataset creation properties without modification times, so that writing
// the same shard twice gives the same bytes (and the same checksum).
H5Id untimed_dcpl(const std::string& ctx) {
  H5Id dcpl = XFER_H5_OPEN(H5Pcreate(H5P_DATASET_CREATE), Plist, ctx);
  XFER_H5_CHECK(H5Pset_obj_track_times(dcpl, false), ctx);
  return dcpl;
}

// A 1-d or 4-d extendible chunked dataset starting empty.
H5Id create_extendible(hid_t file, const char* name, hid_t type, const std::vector<hsize_t>& row,
                       hsize_t chunk_rows, const std::string& ctx) {
  std::vector<hsize_t> dims{0}, maxdims{H5S_UNLIMITED}, chunk{chunk_rows};
  for (hsize_t d : row) {
    dims.push_back(d);
    maxdims.push_back(d);
    chunk.push_back(d);
  }
  const int rank = static_cast<int>(dims.size());
  H5Id space = XFER_H5_OPEN(H5Screate_simple(rank, dims.data(), maxdims.data()), Dataspace, ctx);
  H5Id dcpl = untimed_dcpl(ctx);
  XFER_H5_CHECK(H5Pset_chunk(dcpl, rank, chunk.data()), ctx);
  return XFER_H5_OPEN(H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                      Dataset, ctx + " dataset " + name);
}

// Appends rows [first, first+n) of an extendible dataset from memory.
void append_rows(hid_t dset, hid_t memtype, int64_t first, int64_t n, const void* data,
                 const std::string& ctx) {
  auto dims = h5_dims(dset, ctx);
  dims[0] = static_cast<hsize_t>(first + n);
  XFER_H5_CHECK(H5Dset_extent(dset, dims.data()), ctx);
  H5Id fspace = XFER_H5_OPEN(H5Dget_space(dset), Dataspace, ctx);
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = static_cast<hsize_t>(first);
  count[0] = static_cast<hsize_t>(n);
  XFER_H5_CHECK(
      H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
      ctx);
  H5Id mspace = XFER_H5_OPEN(
      H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), Dataspace, ctx);
  XFER_H5_CHECK(H5Dwrite(dset, memtype, mspace, fspace, H5P_DEFAULT, data), ctx);
}

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
  auto dims = h5_dims(d, ctx);
  if (dims.size() != 1 || static_cast<int64_t>(dims[0]) != n)
    throw std::runtime_error(ctx + ": dataset '" + name + "' has " +
                             (dims.empty() ? std::string("no") : std::to_string(dims[0])) +
                             " rows, expected " + std::to_string(n));
  std::vector<int32_t> v(static_cast<size_t>(n));
  if (n > 0) XFER_H5_CHECK(H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), ctx);
  return v;
}

}  // namespace

namespace {

// Where the raw bytes of image i of a [N,C,H,W] uint8 dataset lie in its
// file, for the images listed in `which` (all when empty); an empty result
// when they are not stored raw (filters, other chunk shapes, unallocated).
// HDF5 1.10 looks a chunk up by walking the index, so asking for every image
// costs O(N^2): the writer does it once and stores the answer.
std::vector<int64_t> raw_offsets(hid_t images, int64_t n, const ShardMeta& meta,
                                 const std::vector<int64_t>& which, const std::string& ctx) {
  std::vector<int64_t> out;
  const auto bytes = static_cast<int64_t>(meta.image_bytes());
  H5Id dcpl = XFER_H5_OPEN(H5Dget_create_plist(images), Plist, ctx);
  const H5D_layout_t layout = H5Pget_layout(dcpl);
  std::vector<int64_t> all;
  const std::vector<int64_t>* idx = &which;
  if (which.empty()) {
    for (int64_t i = 0; i < n; ++i) all.push_back(i);
    idx = &all;
  }
  if (layout == H5D_CONTIGUOUS) {
    const haddr_t base = H5Dget_offset(images);
    if (base == HADDR_UNDEF) return out;
    for (int64_t i : *idx) out.push_back(static_cast<int64_t>(base) + i * bytes);
    return out;
  }
  if (layout != H5D_CHUNKED || H5Pget_nfilters(dcpl) != 0) return out;
  hsize_t cdims[4] = {0, 0, 0, 0};
  if (H5Pget_chunk(dcpl, 4, cdims) != 4 || static_cast<int>(cdims[1]) != meta.channels ||
      static_cast<int>(cdims[2]) != meta.height || static_cast<int>(cdims[3]) != meta.width)
    return out;
  const auto rows = static_cast<int64_t>(cdims[0]);
  int64_t cached_first = -1;
  haddr_t cached_addr = HADDR_UNDEF;
  for (int64_t i : *idx) {
    const int64_t first = i - i % rows;
    if (first != cached_first) {
      hsize_t coord[4] = {static_cast<hsize_t>(first), 0, 0, 0};
      unsigned mask = 0;
      hsize_t size = 0;
      cached_addr = HADDR_UNDEF;
      if (H5Dget_chunk_info_by_coord(images, coord, &mask, &cached_addr, &size) < 0 ||
          cached_addr == HADDR_UNDEF || mask != 0) {
        H5Eclear2(H5E_DEFAULT);
        return {};
      }
      cached_first = first;
    }
    out.push_back(static_cast<int64_t>(cached_addr) + (i - first) * bytes);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// ShardWriter

namespace {

// Roughly what a shard of n images takes on disk (images, labels, keys, the
// pixel sum and HDF5's bookkeeping): to refuse a shard that cannot fit before
// writing it, and to say how much room was missing.
uint64_t shard_bytes_estimate(const ShardMeta& meta, int64_t n) {
  return static_cast<uint64_t>(n) * (meta.image_bytes() + 64) + meta.image_bytes() * 8 +
         (uint64_t{64} << 10);
}

}  // namespace

ShardWriter::ShardWriter(std::string path, ShardMeta meta, int shard_index, int64_t expected_images)
    : path_(std::move(path)), meta_(std::move(meta)), shard_index_(shard_index),
      expected_(expected_images) {
  h5_silence_errors();
  tmp_path_ = temp_path_for(path_);
  if (meta_.image_bytes() == 0) throw std::runtime_error(path_ + ": image size is zero");
  if (expected_ > 0) {
    const uint64_t need = shard_bytes_estimate(meta_, expected_);
    if (free_bytes(path_) < need) throw std::runtime_error(write_failure_message(path_, ENOSPC, need));
  }
  pixel_sum_.assign(meta_.image_bytes(), 0.0);
  pixel_sum_u32_.assign(meta_.image_bytes(), 0);
  guard([&] {
    H5Lock lock(h5_mutex());
    file_ = XFER_H5_OPEN(H5Fcreate(tmp_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                         File, tmp_path_);
    const hsize_t img = meta_.image_bytes();
    const hsize_t rows = std::max<hsize_t>(1, 65536 / img);
    images_ = create_extendible(file_, "images", H5T_STD_U8LE,
                                {static_cast<hsize_t>(meta_.channels),
                                 static_cast<hsize_t>(meta_.height),
                                 static_cast<hsize_t>(meta_.width)},
                                rows, tmp_path_);
    labels_ = create_extendible(file_, "labels", H5T_STD_I32LE, {}, 4096, tmp_path_);
    orig_labels_ = create_extendible(file_, "orig_labels", H5T_STD_I32LE, {}, 4096, tmp_path_);
    H5Id st = vlen_str_type(tmp_path_);
    keys_ = create_extendible(file_, "keys", st, {}, 1024, tmp_path_);
  });
}

ShardWriter::~ShardWriter() {
  if (!finished_) abandon();
}

// Gives the temporary file up. Its space is freed first: HDF5 writes its
// caches when a file is closed, and a close that fails (the disk still full)
// leaves HDF5 1.10 in a state that crashes at exit (in H5F__close_cb).
// Truncated, the file has room again for those last writes.
void ShardWriter::abandon() noexcept {
  if (::truncate(tmp_path_.c_str(), 0) != 0) {
    // Nothing there to free (never created, or already gone).
  }
  images_.reset();
  labels_.reset();
  orig_labels_.reset();
  keys_.reset();
  file_.reset();
  std::error_code ec;
  fs::remove(tmp_path_, ec);
}

// Runs one step that writes through HDF5. On failure the temporary file is
// abandoned and one line thrown: the disk-full message when there is no room
// left (HDF5's own message says only "can't write data"), else HDF5's error.
void ShardWriter::guard(const std::function<void()>& step) {
  try {
    step();
  } catch (const std::exception& e) {
    const int err = errno;
    const uint64_t need = shard_bytes_estimate(meta_, std::max(expected_, count_));
    const bool full = err == ENOSPC || err == EDQUOT || free_bytes(path_) < need;
    const std::string msg = full ? write_failure_message(path_, ENOSPC, need) : e.what();
    abandon();
    throw std::runtime_error(msg);
  }
}

void ShardWriter::add(const uint8_t* chw, int32_t label, int32_t orig_label,
                      const std::string& key) {
  if (label < 0 || label >= meta_.num_classes())
    throw std::runtime_error(path_ + ": label " + std::to_string(label) + " of '" + key +
                             "' out of range [0, " + std::to_string(meta_.num_classes()) + ")");
  const size_t n = meta_.image_bytes();
  buf_images_.insert(buf_images_.end(), chw, chw + n);
  // Integer sums vectorise; folded into doubles long before they could overflow.
  for (size_t i = 0; i < n; ++i) pixel_sum_u32_[i] += chw[i];
  if (++since_fold_ == (1 << 24)) fold_sum();
  buf_labels_.push_back(label);
  buf_orig_.push_back(orig_label);
  buf_keys_.push_back(key);
  ++count_;
  if (buf_images_.size() >= (size_t{4} << 20)) flush();
}

void ShardWriter::fold_sum() {
  for (size_t i = 0; i < pixel_sum_.size(); ++i) {
    pixel_sum_[i] += pixel_sum_u32_[i];
    pixel_sum_u32_[i] = 0;
  }
  since_fold_ = 0;
}

void ShardWriter::add_skipped(const std::string& key, const std::string& reason) {
  skipped_.push_back(key + ": " + reason);
}

void ShardWriter::flush() {
  const int64_t n = count_ - flushed_;
  if (n == 0) return;
  guard([&] {
    H5Lock lock(h5_mutex());
    append_rows(images_, H5T_NATIVE_UINT8, flushed_, n, buf_images_.data(), tmp_path_);
    append_rows(labels_, H5T_NATIVE_INT32, flushed_, n, buf_labels_.data(), tmp_path_);
    append_rows(orig_labels_, H5T_NATIVE_INT32, flushed_, n, buf_orig_.data(), tmp_path_);
    std::vector<const char*> ptrs;
    for (const auto& k : buf_keys_) ptrs.push_back(k.c_str());
    H5Id st = vlen_str_type(tmp_path_);
    append_rows(keys_, st, flushed_, n, ptrs.data(), tmp_path_);
  });
  flushed_ = count_;
  buf_images_.clear();
  buf_labels_.clear();
  buf_orig_.clear();
  buf_keys_.clear();
}

// The image offsets, the pixel sum and the attributes; then everything is
// flushed, so that closing the file has nothing left to write.
void ShardWriter::write_trailer() {
  H5Lock lock(h5_mutex());
  const std::string& c = tmp_path_;
  // Where each image's bytes lie, for readers that bypass HDF5 (pread).
  if (count_ > 0) {
    auto offsets = raw_offsets(images_, count_, meta_, {}, c);
    if (!offsets.empty()) {
      hsize_t n = static_cast<hsize_t>(count_);
      H5Id space = XFER_H5_OPEN(H5Screate_simple(1, &n, nullptr), Dataspace, c);
      H5Id d = XFER_H5_OPEN(H5Dcreate2(file_, "image_offsets", H5T_STD_I64LE, space,
                                       H5P_DEFAULT, untimed_dcpl(c), H5P_DEFAULT),
                            Dataset, c);
      XFER_H5_CHECK(H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, offsets.data()),
                    c);
    }
  }
  hsize_t dims[3] = {static_cast<hsize_t>(meta_.channels), static_cast<hsize_t>(meta_.height),
                     static_cast<hsize_t>(meta_.width)};
  H5Id space = XFER_H5_OPEN(H5Screate_simple(3, dims, nullptr), Dataspace, c);
  H5Id sum = XFER_H5_OPEN(H5Dcreate2(file_, "pixel_sum", H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                     untimed_dcpl(c), H5P_DEFAULT),
                          Dataset, c);
  XFER_H5_CHECK(
      H5Dwrite(sum, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, pixel_sum_.data()), c);
  h5_write_attr_int(file_, "schema_version", kShardSchemaVersion, c);
  h5_write_attr_str(file_, "dataset", meta_.dataset, c);
  h5_write_attr_str(file_, "split", meta_.split, c);
  h5_write_attr_str(file_, "subset", meta_.subset, c);
  h5_write_attr_int(file_, "channels", meta_.channels, c);
  h5_write_attr_int(file_, "height", meta_.height, c);
  h5_write_attr_int(file_, "width", meta_.width, c);
  h5_write_attr_int(file_, "num_classes", meta_.num_classes(), c);
  h5_write_attr_ints(file_, "class_ids", meta_.class_ids, c);
  h5_write_attr_strs(file_, "class_names", meta_.class_names, c);
  h5_write_attr_int(file_, "shard_index", shard_index_, c);
  h5_write_attr_int(file_, "num_images", count_, c);
  h5_write_attr_strs(file_, "skipped", skipped_, c);
  for (H5Id* d : {&images_, &labels_, &orig_labels_, &keys_, &sum})
    if (d->close() < 0) h5_fail("HDF5 call failed: H5Dclose", c);
  XFER_H5_CHECK(H5Fflush(file_, H5F_SCOPE_GLOBAL), c);
}

void ShardWriter::finish() {
  flush();
  fold_sum();
  guard([&] { write_trailer(); });
  guard([&] {
    if (file_.close() < 0) h5_fail("HDF5 call failed: H5Fclose", tmp_path_);
  });
  // The checksum is of the closed file as it lies on disk: what a reader
  // will find if nothing changes it.
  try {
    sum_ = file_checksum(tmp_path_);
    write_sidecar(path_, sum_);
  } catch (...) {
    abandon();
    throw;
  }
  commit_file(tmp_path_, path_);
  finished_ = true;
}

// ---------------------------------------------------------------------------
// ShardReader

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
  // Reading the structure: any failure here is damage to a file this code
  // wrote whole, and is reported as such rather than as its first symptom.
  try {
    hid_t f = H5Fopen(c.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) h5_fail("cannot open", c);
    file_ = H5Id(f, H5Id::Kind::File);
    const htri_t has_version = H5Aexists(file_, "schema_version");
    if (has_version == 0) throw std::runtime_error(c + ": not a shard (no schema_version attribute)");
    version = h5_read_attr_int(file_, "schema_version", c);
    if (version == kShardSchemaVersion) {
      meta_.dataset = h5_read_attr_str(file_, "dataset", c);
      meta_.split = h5_read_attr_str(file_, "split", c);
      meta_.subset = h5_read_attr_str(file_, "subset", c);
      meta_.channels = static_cast<int>(h5_read_attr_int(file_, "channels", c));
      meta_.height = static_cast<int>(h5_read_attr_int(file_, "height", c));
      meta_.width = static_cast<int>(h5_read_attr_int(file_, "width", c));
      meta_.class_ids = h5_read_attr_ints(file_, "class_ids", c);
      meta_.class_names = h5_read_attr_strs(file_, "class_names", c);
      shard_index_ = static_cast<int>(h5_read_attr_int(file_, "shard_index", c));
      num_images_ = h5_read_attr_int(file_, "num_images", c);
      skipped_ = h5_read_attr_strs(file_, "skipped", c);
      num_classes = h5_read_attr_int(file_, "num_classes", c);
      H5Id dapl = XFER_H5_OPEN(H5Pcreate(H5P_DATASET_ACCESS), Plist, c);
      // Random single-image reads gain nothing from a chunk cache.
      XFER_H5_CHECK(H5Pset_chunk_cache(dapl, 0, 0, 1.0), c);
      images_ = open_dataset(file_, "images", c, dapl);
      dims = h5_dims(images_, c);
    }
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    if (m.find(": damaged shard (") != std::string::npos || m.find(": not a shard") != std::string::npos)
      throw;
    // HDF5's messages start with the path; once is enough.
    const bool prefixed = m.compare(0, c.size(), c) == 0;
    std::string detail = prefixed ? m.substr(c.size()) : m;
    while (!detail.empty() && (detail[0] == ':' || detail[0] == ' ')) detail.erase(0, 1);
    damaged_shard(c, detail);
  }
  if (version != kShardSchemaVersion)
    throw std::runtime_error(c + ": shard schema version " + std::to_string(version) +
                             ", this program reads version " +
                             std::to_string(kShardSchemaVersion) + "; convert the data again");
  if (meta_.class_names.size() != meta_.class_ids.size() || num_classes != meta_.num_classes())
    throw std::runtime_error(c + ": class_ids, class_names and num_classes disagree");
  if (dims.size() != 4 || static_cast<int64_t>(dims[0]) != num_images_ ||
      static_cast<int>(dims[1]) != meta_.channels || static_cast<int>(dims[2]) != meta_.height ||
      static_cast<int>(dims[3]) != meta_.width) {
    std::string shape;
    for (auto d : dims) {
      if (!shape.empty()) shape += 'x';
      shape += std::to_string(d);
    }
    throw std::runtime_error(c + ": images dataset is " + shape + ", attributes say " +
                             std::to_string(num_images_) + "x" + std::to_string(meta_.channels) +
                             "x" + std::to_string(meta_.height) + "x" +
                             std::to_string(meta_.width) + " (image size mismatch)");
  }
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
  H5Id t = vlen_str_type(path_);
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
  auto dims = h5_dims(d, path_);
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
    auto dims = h5_dims(d, path_);
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

namespace {

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
    man.dataset = meta.dataset;
    man.split = meta.split;
    man.channels = meta.channels;
    man.height = meta.height;
    man.width = meta.width;
    man.class_ids = meta.class_ids;
    man.class_names = meta.class_names;
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
  for (int32_t l : r.read_labels()) ++s.class_counts[static_cast<size_t>(l)];
  if (subset == "train") {
    auto ps = r.read_pixel_sum();
    if (pixel_sum.empty()) pixel_sum.assign(ps.size(), 0.0);
    for (size_t i = 0; i < ps.size(); ++i) pixel_sum[i] += ps[i];
  }
  for (const auto& sk : r.skipped()) s.skipped.push_back(sk);
  s.num_images += r.num_images();
  s.shards.push_back({fn, r.num_images(), sum.bytes, sum.crc32});
}

}  // namespace

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
