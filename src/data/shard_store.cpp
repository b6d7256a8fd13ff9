// shard_store.cpp: ShardStore (see shard_store.h).
#include "data/shard_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace xfer {

namespace {

// 2 GiB, or $XFER_DATA_MEMORY_MB (0 forces reading every batch from HDF5).
size_t in_memory_limit() {
  if (const char* v = std::getenv("XFER_DATA_MEMORY_MB"); v && *v)
    return static_cast<size_t>(std::strtoull(v, nullptr, 10)) << 20;
  return size_t{2} << 30;
}

// Shards checked at once: reading is what it costs, and a few readers in
// parallel fill a local disk or a parallel file system's client.
constexpr int kVerifyThreads = 4;

}  // namespace

ShardStore::ShardStore(const ShardSourceOptions& o) {
  if (o.subset != "train" && o.subset != "val")
    throw std::runtime_error(o.dir + ": subset must be 'train' or 'val', not '" + o.subset + "'");
  man_ = read_manifest(o.dir);
  auto it = man_.subsets.find(o.subset);
  if (it == man_.subsets.end() || it->second.num_images == 0 || it->second.shards.empty())
    throw std::runtime_error(o.dir + ": empty split (no " + o.subset + " images)");
  const ManifestSubset& sub = it->second;
  info_.channels = man_.channels;
  info_.height = man_.height;
  info_.width = man_.width;
  info_.num_classes = static_cast<int>(man_.class_ids.size());
  info_.class_names = man_.class_names;
  bytes_ = static_cast<size_t>(man_.channels) * man_.height * man_.width;
  if (o.verify) {
    std::vector<BackgroundVerifier::Item> items;
    for (const auto& f : recorded_files(o.dir, man_, o.subset)) items.push_back({f.path, f.sum});
    verifier_ = std::make_unique<BackgroundVerifier>(std::move(items), kVerifyThreads);
  }
  for (size_t k = 0; k < sub.shards.size(); ++k) {
    try {
      open_shard(o.dir + "/" + sub.shards[k].file, sub.shards[k]);
    } catch (const std::exception&) {
      // A damaged file fails in many ways; its checksum says so plainly.
      if (verifier_) verifier_->wait(k);
      throw;
    }
  }
  info_.num_examples = total_;
  if (total_ == 0) throw std::runtime_error(o.dir + ": empty split (no " + o.subset + " images)");
  // Small subsets (Fashion-MNIST, reduced ImageNet) are read once, checked first.
  if (bytes_ * static_cast<size_t>(total_) <= in_memory_limit())
    load_into_memory();
  else
    open_direct();
}

ShardStore::~ShardStore() {
  for (auto& d : direct_)
    if (d.fd >= 0) ::close(d.fd);
}

void ShardStore::load_into_memory() {
  if (verifier_) verifier_->wait_all();
  verifier_.reset();
  memory_.resize(bytes_ * static_cast<size_t>(total_));
  for (size_t s = 0; s < readers_.size(); ++s)
    readers_[s]->read_images(0, readers_[s]->num_images(),
                             memory_.data() + bytes_ * static_cast<size_t>(starts_[s]));
  readers_.clear();
}

// Large subsets are read image by image with pread() at offsets HDF5 gives
// now, so the reader thread never calls HDF5 while the trainer's thread may
// (checkpoints): the library is not thread-safe.
void ShardStore::open_direct() {
  for (auto& r : readers_) {
    Direct d;
    d.offsets = r->image_file_offsets();
    if (!d.offsets.empty()) {
      d.fd = ::open(r->path().c_str(), O_RDONLY | O_CLOEXEC);
      if (d.fd < 0) throw std::runtime_error(r->path() + ": cannot open for reading");
    }
    direct_.push_back(std::move(d));
  }
}

void ShardStore::read(int64_t i, uint8_t* out) const {
  if (!memory_.empty()) {
    std::copy_n(memory_.data() + bytes_ * static_cast<size_t>(i), bytes_, out);
    return;
  }
  auto s = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), i) -
                               starts_.begin() - 1);
  if (verifier_) verifier_->wait(s);  // no image of a shard before its check
  const Direct& d = direct_[s];
  if (d.fd < 0) {  // filtered or unusual layout: through HDF5, under its lock
    readers_[s]->read_images(i - starts_[s], 1, out);
    return;
  }
  const off_t at = static_cast<off_t>(d.offsets[static_cast<size_t>(i - starts_[s])]);
  size_t done = 0;
  while (done < bytes_) {
    const ssize_t got = ::pread(d.fd, out + done, bytes_ - done, at + static_cast<off_t>(done));
    if (got <= 0)
      throw std::runtime_error(readers_[s]->path() + ": short read of image " +
                               std::to_string(i - starts_[s]) + " (truncated shard?)");
    done += static_cast<size_t>(got);
  }
}

// Opens one shard, checks it against the manifest, and takes its labels.
void ShardStore::open_shard(const std::string& path, const ManifestShard& sh) {
  auto r = std::make_unique<ShardReader>(path);
  const ShardMeta& m = r->meta();
  if (m.channels != man_.channels || m.height != man_.height || m.width != man_.width)
    throw std::runtime_error(r->path() + ": images are " + std::to_string(m.channels) + "x" +
                             std::to_string(m.height) + "x" + std::to_string(m.width) +
                             ", the manifest says " + std::to_string(man_.channels) + "x" +
                             std::to_string(man_.height) + "x" + std::to_string(man_.width) +
                             " (image size mismatch)");
  if (m.class_ids != man_.class_ids)
    throw std::runtime_error(r->path() + ": classes differ from the manifest's");
  if (r->num_images() != sh.num_images)
    throw std::runtime_error(r->path() + ": holds " + std::to_string(r->num_images()) +
                             " images, the manifest says " + std::to_string(sh.num_images));
  auto l = r->read_labels();
  labels_.insert(labels_.end(), l.begin(), l.end());
  starts_.push_back(total_);
  total_ += r->num_images();
  readers_.push_back(std::move(r));
}

}  // namespace xfer
