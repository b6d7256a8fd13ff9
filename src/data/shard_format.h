// shard_format.h: the on-disk format of the data, read by the loader, h5py
// and h5dump alike. A dataset has one store (e.g. data/fmnist/all) holding
// every image once, and views of it (data/view.h: a split half or a reduced
// set is a small folder of view.json and mean.h5 that selects from the store):
//
// <store>/train-00000.h5, train-00001.h5, ..., val-00000.h5, ...   the shards
// <store>/mean.h5       dataset "mean" float32 [C,H,W]: the mean training image
//                       (a view's own mean.h5: of the images it selects)
// <store>/manifest.json counts, shard list with CRC-32s and per-shard class
//                       counts, classes (see Manifest)
//
// In each shard:
//   images       uint8  [N,C,H,W]  chunked by whole images (one image per chunk
//                                  at ImageNet size; ~64 KiB of small images)
//   labels       int32  [N]        local label 0..K-1 (order of class_ids)
//   orig_labels  int32  [N]        the dataset's own label (ImageNet: index of
//                                  the sorted WNID; Fashion-MNIST: 0..9)
//   keys         string [N]        source key: file name, or "train:123"
//   pixel_sum    float64 [C,H,W]   sum of this shard's images (for the mean)
//   image_offsets int64 [N]        byte offset of each image's raw bytes in
//                                  this file (readers may pread() them)
// and attributes: schema_version, dataset, split, subset, channels, height,
// width, num_classes, class_ids (int32 [K]), class_names (string [K]),
// shard_index, num_images, skipped (string [S]: "key: reason" of inputs that
// could not be decoded). A shard is written under a temporary name unique to
// its writer (temp_path_for) and renamed when complete and closed without
// error, so a file with the final name is always whole. Beside it,
// "<name>.crc32" holds the CRC-32 its writer computed of it (checksum.h).
// This header is the reading side; the writing side (ShardWriter, the
// manifest and mean made from finished shards) is data_prep/shard_writer.h.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "data/checksum.h"
#include "data/manifest.h"
#include "io/h5.h"

namespace xfer {

// What all shards of one folder and subset share.
struct ShardMeta {
  std::string dataset;  // "imagenet", "fashion-mnist"
  std::string split;    // the folder name: "half0A", "natmanB", "all-k25"
  std::string subset;   // "train" or "val"
  int channels = 0, height = 0, width = 0;
  std::vector<int32_t> class_ids;        // dataset label of each local label
  std::vector<std::string> class_names;  // in local label order
  int num_classes() const { return static_cast<int>(class_ids.size()); }
  size_t image_bytes() const {
    return static_cast<size_t>(channels) * static_cast<size_t>(height) *
           static_cast<size_t>(width);
  }
};

// One shard opened for reading; the constructor checks the schema version,
// the attributes and that the datasets' shapes agree with them.
class ShardReader {
 public:
  explicit ShardReader(std::string path);
  const ShardMeta& meta() const { return meta_; }
  const std::string& path() const { return path_; }
  int shard_index() const { return shard_index_; }
  int64_t num_images() const { return num_images_; }
  const std::vector<std::string>& skipped() const { return skipped_; }

  // Images [first, first+count) into `out` (count * image_bytes bytes).
  void read_images(int64_t first, int64_t count, uint8_t* out) const;
  // Local labels, each checked to be in [0, num_classes).
  std::vector<int32_t> read_labels() const;
  std::vector<int32_t> read_orig_labels() const;
  std::vector<std::string> read_keys() const;
  std::vector<double> read_pixel_sum() const;
  // Byte offset in the file of every image, when the images are stored raw
  // (contiguous, or chunked by whole images without filters); empty when not.
  // From the image_offsets table when it checks out, else asked of HDF5.
  // Lets the loader read images with pread() off the HDF5 thread.
  std::vector<int64_t> image_file_offsets() const;

 private:
  void check_structure(int64_t version, int64_t num_classes, const std::vector<hsize_t>& dims) const;
  std::string path_;
  ShardMeta meta_;
  int shard_index_ = 0;
  int64_t num_images_ = 0;
  std::vector<std::string> skipped_;
  H5Id file_, images_;
};

// The mean training image of a folder, C*H*W at the stored image size.
struct MeanImage { int c = 0, h = 0, w = 0; std::vector<float> data; };
// Reads the mean.h5 of <dir> (a store, or a view: data/view.h): checked against
// the checksum its manifest or view.json records first, then opened from those same bytes.
MeanImage read_mean_image(const std::string& dir);
// Whether `path` is a finished shard (exists and opens as one).
bool shard_complete(const std::string& path);

}  // namespace xfer
