// shard_store.h: all images and labels of one subset of a split-half folder,
// for the shard sources (shard_source.h). Opening checks every shard against
// the manifest; a small subset is then read into memory (checked against its
// recorded checksums first), a large one is read image by image with pread()
// at offsets HDF5 gives when it opens, so no later read enters HDF5.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "data/batch_source.h"
#include "data/checksum.h"
#include "data/manifest.h"
#include "data/shard_format.h"
#include "data/shard_source.h"

namespace xfer {

class ShardStore {
 public:
  explicit ShardStore(const ShardSourceOptions& o);
  ~ShardStore();
  ShardStore(const ShardStore&) = delete;
  ShardStore& operator=(const ShardStore&) = delete;

  const SourceInfo& info() const { return info_; }
  int64_t size() const { return total_; }
  size_t image_bytes() const { return bytes_; }
  int32_t label(int64_t i) const { return labels_[static_cast<size_t>(i)]; }
  // Image i when the subset is held in memory (any thread), else nullptr.
  const uint8_t* memory_image(int64_t i) const {
    return memory_.empty() ? nullptr : memory_.data() + bytes_ * static_cast<size_t>(i);
  }

  // Image i into `out` (image_bytes()); called by the loader's reader thread only.
  void read(int64_t i, uint8_t* out) const;

 private:
  void open_shard(const std::string& path, const ManifestShard& sh);
  void load_into_memory();
  void open_direct();

  Manifest man_;
  SourceInfo info_;
  size_t bytes_ = 0;
  int64_t total_ = 0;
  struct Direct {
    int fd = -1;
    std::vector<int64_t> offsets;  // of each image in the shard file
  };
  std::vector<std::unique_ptr<ShardReader>> readers_;
  std::vector<Direct> direct_;
  std::vector<int64_t> starts_;
  std::vector<int32_t> labels_;
  std::vector<uint8_t> memory_;
  std::unique_ptr<BackgroundVerifier> verifier_;  // of the streamed shards, until destroyed
};

}  // namespace xfer
