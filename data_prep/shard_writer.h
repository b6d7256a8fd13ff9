// shard_writer.h: the writing side of the data's format (data/shard_format.h):
// one shard written under a temporary name and renamed when whole, and a
// folder of finished shards made a store: checked against the checksums
// their writers recorded, then given its mean.h5 and manifest.json. Only
// data_prep/ writes data; the trainer reads it (xfer_data).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/shard_format.h"

namespace xfer {

// "train-00012.h5".
std::string shard_file_name(const std::string& subset, int index);

// Writes one shard. Images are appended in order; finish() writes the
// attributes, closes the file, computes its CRC-32, writes the sidecar and
// renames the temporary file to `path`. Destroyed before finish(), it removes
// the temporary file. With `expected_images` > 0 it refuses, before writing,
// a shard the disk has no room for. Every write is checked: a failure (a full
// disk: "no space left on device writing PATH (about N MB needed, M MB free)")
// removes the temporary file and throws; `path` is never touched.
class ShardWriter {
 public:
  ShardWriter(std::string path, ShardMeta meta, int shard_index, int64_t expected_images = 0);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // `chw` holds meta.image_bytes() bytes.
  void add(const uint8_t* chw, int32_t label, int32_t orig_label, const std::string& key);
  void add_skipped(const std::string& key, const std::string& reason);
  int64_t count() const { return count_; }
  void finish();
  const FileSum& checksum() const { return sum_; }  // after finish()

 private:
  void flush();
  void fold_sum();
  void write_offsets();
  void write_attributes();
  void write_trailer();
  void guard(const std::function<void()>& step);
  void abandon() noexcept;
  std::string path_, tmp_path_;
  ShardMeta meta_;
  int shard_index_;
  int64_t expected_ = 0;
  FileSum sum_;
  H5Id file_, images_, labels_, orig_labels_, keys_;
  int64_t count_ = 0, flushed_ = 0;
  std::vector<uint8_t> buf_images_;
  std::vector<int32_t> buf_labels_, buf_orig_;
  std::vector<std::string> buf_keys_, skipped_;
  std::vector<double> pixel_sum_;
  std::vector<uint32_t> pixel_sum_u32_;
  int64_t since_fold_ = 0;
  bool finished_ = false;
};

// Writes <dir>/mean.h5 (dataset "mean" float32 [C,H,W], attributes
// schema_version, split, num_images): built in memory, then written with
// write_file_atomic. Returns the checksum of the bytes written.
FileSum write_mean_image(const std::string& dir, const MeanImage& mean, int64_t num_images,
                         const std::string& split);

// Checks the shards of `dir` (train-*, val-*, numbered from 0 without gaps;
// `expected_*` >= 0 also checks their number) against the checksums their
// writers recorded in the sidecars, computes class counts and the mean of the
// training images, and writes mean.h5 and manifest.json with those checksums.
Manifest finalize_split_dir(const std::string& dir, const std::string& source_json,
                            int expected_train = -1, int expected_val = -1);

}  // namespace xfer
