// shard_writer.cpp: ShardWriter, one shard written under a temporary name
// and renamed when whole (format in data/shard_format.h).
#include "data_prep/shard_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <stdexcept>

#include "data/shard_layout.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

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
  H5Lock lock(h5_mutex());
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
    H5Id st = h5_string_type(tmp_path_);
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
    H5Id st = h5_string_type(tmp_path_);
    append_rows(keys_, st, flushed_, n, ptrs.data(), tmp_path_);
  });
  flushed_ = count_;
  buf_images_.clear();
  buf_labels_.clear();
  buf_orig_.clear();
  buf_keys_.clear();
}

// Where each image's bytes lie, for readers that bypass HDF5 (pread).
void ShardWriter::write_offsets() {
  if (count_ == 0) return;
  const auto offsets = raw_offsets(images_, count_, meta_, {}, tmp_path_);
  if (offsets.empty()) return;
  write_untimed_dataset(file_, "image_offsets", H5T_STD_I64LE, H5T_NATIVE_INT64,
                        {static_cast<hsize_t>(count_)}, offsets.data(), tmp_path_);
}

void ShardWriter::write_attributes() {
  const std::string& c = tmp_path_;
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
}

// The image offsets, the pixel sum and the attributes; then everything is
// flushed, so that closing the file has nothing left to write.
void ShardWriter::write_trailer() {
  H5Lock lock(h5_mutex());
  const std::string& c = tmp_path_;
  write_offsets();
  H5Id sum = write_untimed_dataset(file_, "pixel_sum", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                   {static_cast<hsize_t>(meta_.channels),
                                    static_cast<hsize_t>(meta_.height),
                                    static_cast<hsize_t>(meta_.width)},
                                   pixel_sum_.data(), c);
  write_attributes();
  for (H5Id* d : {&images_, &labels_, &orig_labels_, &keys_, &sum})
    if (d->close() < 0) XFER_H5_FAIL("HDF5 call failed: H5Dclose", c);
  XFER_H5_CHECK(H5Fflush(file_, H5F_SCOPE_GLOBAL), c);
}

void ShardWriter::finish() {
  flush();
  fold_sum();
  guard([&] { write_trailer(); });
  guard([&] {
    if (file_.close() < 0) XFER_H5_FAIL("HDF5 call failed: H5Fclose", tmp_path_);
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

}  // namespace xfer
