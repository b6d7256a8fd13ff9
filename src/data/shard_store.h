// shard_store.h: the images and labels one subset of a data folder gives a
// run, for the shard sources (shard_source.h). The folder is opened with
// open_data_folder (view.h): a view takes, in store order, the images of its
// classes (at most K per class for a reduced set) from the store's shards
// that hold any, with labels remapped to the view's; a plain folder takes
// all of its own. Every shard read is checked against the store's manifest;
// a small subset is then read into memory (checked against its recorded
// checksums first), a large one is read image by image with pread() at
// offsets HDF5 gives when it opens, so no later read enters HDF5.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "data/batch_source.h"
#include "data/checksum.h"
#include "data/manifest.h"
#include "data/shard_format.h"
#include "data/shard_source.h"
#include "data/view.h"

namespace xfer {

class ShardStore {
 public:
  explicit ShardStore(const ShardSourceOptions& o);
  // `subset` of an opened folder; make_view (data_prep/view_maker.h) opens the view it
  // is making this way, before its view.json exists. `remember`: a shard this
  // process has checked once is not checked again (views made one after another).
  ShardStore(const DataFolder& folder, const std::string& subset, bool verify, bool remember = false);
  ~ShardStore();
  ShardStore(const ShardStore&) = delete;
  ShardStore& operator=(const ShardStore&) = delete;

  const SourceInfo& info() const { return info_; }
  int64_t size() const { return total_; }
  size_t image_bytes() const { return bytes_; }
  int32_t label(int64_t i) const { return labels_[static_cast<size_t>(i)]; }
  // Images per local label.
  const std::vector<int64_t>& class_counts() const { return taken_; }
  // Image i when the subset is held in memory (any thread), else nullptr.
  const uint8_t* memory_image(int64_t i) const {
    return memory_.empty() ? nullptr : memory_.data() + bytes_ * static_cast<size_t>(i);
  }

  // Image i into `out` (image_bytes()); called by the loader's reader thread only.
  void read(int64_t i, uint8_t* out) const;

 private:
  // One store shard that holds images of the folder: the rows it gives.
  struct Part {
    std::unique_ptr<ShardReader> reader;
    std::vector<int64_t> rows;     // ascending rows of the shard
    int fd = -1;                   // for pread(), when streamed
    std::vector<int64_t> offsets;  // file offset of each of `rows`' images
  };
  void open(const DataFolder& f, const std::string& subset, bool verify, bool remember);
  void open_part(const DataFolder& f, const std::string& path, const ManifestShard& sh, int64_t limit);
  void check_counts(const DataFolder& f, const std::string& subset) const;
  void load_into_memory();
  void read_part(const Part& p, uint8_t* out) const;
  void open_direct();

  std::string dir_;
  SourceInfo info_;
  size_t bytes_ = 0;
  int64_t total_ = 0;
  std::vector<Part> parts_;
  std::vector<int64_t> starts_;  // of each part in the subset
  std::vector<int32_t> labels_;  // local labels
  std::vector<int64_t> taken_;   // per local label
  std::vector<uint8_t> memory_;
  std::unique_ptr<BackgroundVerifier> verifier_;  // of the streamed shards, until destroyed
};

}  // namespace xfer
