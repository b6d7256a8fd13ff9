// shard_store.cpp: ShardStore (see shard_store.h).
#include "data/shard_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <cstdlib>
#include <map>
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
  open(open_data_folder(o.dir), o.subset, o.verify, false);
}

ShardStore::ShardStore(const DataFolder& folder, const std::string& subset, bool verify, bool remember) {
  open(folder, subset, verify, remember);
}

void ShardStore::open(const DataFolder& f, const std::string& subset, bool verify, bool remember) {
  dir_ = f.dir;
  auto it = f.store.subsets.find(subset);
  if (it == f.store.subsets.end() || it->second.num_images == 0 || it->second.shards.empty())
    throw std::runtime_error(f.dir + ": empty split (no " + subset + " images)");
  info_.channels = f.store.channels;
  info_.height = f.store.height;
  info_.width = f.store.width;
  info_.num_classes = static_cast<int>(f.class_ids.size());
  info_.class_names = f.class_names;
  bytes_ = static_cast<size_t>(f.store.channels) * f.store.height * f.store.width;
  taken_.assign(f.class_ids.size(), 0);
  // Only the store's shards that give the folder images are checked and read
  // (a reduced set's first K per class lie in the first shards of each class).
  const int64_t limit = f.per_class_limit(subset);
  std::vector<int64_t> quota(f.class_ids.size(), limit > 0 ? limit : std::numeric_limits<int64_t>::max());
  std::vector<const ManifestShard*> shards;
  for (const auto& sh : it->second.shards)
    if (f.gives(sh, quota)) shards.push_back(&sh);
  if (verify) {
    std::vector<BackgroundVerifier::Item> items;
    for (const auto* sh : shards) items.push_back({f.store_dir + "/" + sh->file, sh->sum()});
    verifier_ = std::make_unique<BackgroundVerifier>(std::move(items), kVerifyThreads, remember);
  }
  for (size_t k = 0; k < shards.size(); ++k) {
    try {
      open_part(f, f.store_dir + "/" + shards[k]->file, *shards[k], limit);
    } catch (const std::exception&) {
      // A damaged file fails in many ways; its checksum says so plainly.
      if (verifier_) verifier_->wait(k);
      throw;
    }
  }
  info_.num_examples = total_;
  if (total_ == 0) throw std::runtime_error(f.dir + ": empty split (no " + subset + " images)");
  check_counts(f, subset);
  // Small subsets (Fashion-MNIST, reduced ImageNet) are read once, checked first.
  if (bytes_ * static_cast<size_t>(total_) <= in_memory_limit())
    load_into_memory();
  else
    open_direct();
}

ShardStore::~ShardStore() {
  for (auto& p : parts_)
    if (p.fd >= 0) ::close(p.fd);
}

// A view must select what it selected when it was made: the store's identity
// vouches for the files, this for the selection made from them.
void ShardStore::check_counts(const DataFolder& f, const std::string& subset) const {
  if (!f.is_view) return;
  auto it = f.view.class_counts.find(subset);
  if (it == f.view.class_counts.end()) return;  // being made
  for (size_t c = 0; c < taken_.size(); ++c)
    if (taken_[c] != it->second[c])
      throw std::runtime_error(f.dir + "/view.json: selects " + std::to_string(taken_[c]) + " " +
                               subset + " images of class " + f.class_names[c] + " from " +
                               f.store_dir + ", the view was made with " +
                               std::to_string(it->second[c]) + "; make the view again");
}

// Reads the rows a part gives, in runs of consecutive rows, or the whole
// shard at once when it gives most of it.
void ShardStore::read_part(const Part& p, uint8_t* out) const {
  const int64_t n = p.reader->num_images();
  if (static_cast<int64_t>(p.rows.size()) == n) {
    p.reader->read_images(0, n, out);
    return;
  }
  if (static_cast<int64_t>(p.rows.size()) * 4 >= n) {
    std::vector<uint8_t> whole(bytes_ * static_cast<size_t>(n));
    p.reader->read_images(0, n, whole.data());
    for (size_t j = 0; j < p.rows.size(); ++j)
      std::copy_n(whole.data() + bytes_ * static_cast<size_t>(p.rows[j]), bytes_, out + bytes_ * j);
    return;
  }
  for (size_t j = 0; j < p.rows.size();) {
    size_t e = j + 1;
    while (e < p.rows.size() && p.rows[e] == p.rows[e - 1] + 1) ++e;
    p.reader->read_images(p.rows[j], static_cast<int64_t>(e - j), out + bytes_ * j);
    j = e;
  }
}

void ShardStore::load_into_memory() {
  if (verifier_) verifier_->wait_all();
  verifier_.reset();
  memory_.resize(bytes_ * static_cast<size_t>(total_));
  for (size_t s = 0; s < parts_.size(); ++s) {
    read_part(parts_[s], memory_.data() + bytes_ * static_cast<size_t>(starts_[s]));
    parts_[s].reader.reset();
  }
}

// Large subsets are read image by image with pread() at offsets HDF5 gives
// now, so the reader thread never calls HDF5 while the trainer's thread may
// (checkpoints): the library is not thread-safe.
void ShardStore::open_direct() {
  for (auto& p : parts_) {
    const std::vector<int64_t> all = p.reader->image_file_offsets();
    if (all.empty()) continue;
    for (int64_t r : p.rows) p.offsets.push_back(all[static_cast<size_t>(r)]);
    p.fd = ::open(p.reader->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (p.fd < 0) throw std::runtime_error(p.reader->path() + ": cannot open for reading");
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
  const Part& p = parts_[s];
  const auto j = static_cast<size_t>(i - starts_[s]);
  if (p.fd < 0) {  // filtered or unusual layout: through HDF5, under its lock
    p.reader->read_images(p.rows[j], 1, out);
    return;
  }
  const off_t at = static_cast<off_t>(p.offsets[j]);
  size_t done = 0;
  while (done < bytes_) {
    const ssize_t got = ::pread(p.fd, out + done, bytes_ - done, at + static_cast<off_t>(done));
    if (got <= 0)
      throw std::runtime_error(p.reader->path() + ": short read of image " +
                               std::to_string(p.rows[j]) + " (truncated shard?)");
    done += static_cast<size_t>(got);
  }
}

namespace {

// The shard's labels against the class counts the store's manifest records
// for it (version 2): the selection is planned from those counts.
void check_label_counts(const std::string& path, const ManifestShard& sh,
                        const std::vector<int32_t>& labels) {
  if (sh.class_counts.empty()) return;
  std::map<int32_t, int64_t> counts;
  for (int32_t l : labels) ++counts[l];
  if (std::vector<std::pair<int32_t, int64_t>>(counts.begin(), counts.end()) != sh.class_counts)
    throw std::runtime_error(path + ": its labels disagree with the class counts the manifest "
                                    "records for it (damaged shard?)");
}

}  // namespace

// Opens one shard, checks it against the manifest, and takes its rows and
// labels: for a view, those of its classes, up to `limit` per class.
void ShardStore::open_part(const DataFolder& f, const std::string& path, const ManifestShard& sh,
                           int64_t limit) {
  const Manifest& man = f.store;
  auto r = std::make_unique<ShardReader>(path);
  const ShardMeta& m = r->meta();
  if (m.channels != man.channels || m.height != man.height || m.width != man.width)
    throw std::runtime_error(r->path() + ": images are " + std::to_string(m.channels) + "x" +
                             std::to_string(m.height) + "x" + std::to_string(m.width) +
                             ", the manifest says " + std::to_string(man.channels) + "x" +
                             std::to_string(man.height) + "x" + std::to_string(man.width) +
                             " (image size mismatch)");
  if (m.class_ids != man.class_ids)
    throw std::runtime_error(r->path() + ": classes differ from the manifest's");
  if (r->num_images() != sh.num_images)
    throw std::runtime_error(r->path() + ": holds " + std::to_string(r->num_images()) +
                             " images, the manifest says " + std::to_string(sh.num_images));
  const std::vector<int32_t> labels = r->read_labels();
  check_label_counts(r->path(), sh, labels);
  Part p;
  for (size_t i = 0; i < labels.size(); ++i) {
    const int32_t local = f.local_of_store_label[static_cast<size_t>(labels[i])];
    if (local < 0 || (limit > 0 && taken_[static_cast<size_t>(local)] >= limit)) continue;
    ++taken_[static_cast<size_t>(local)];
    p.rows.push_back(static_cast<int64_t>(i));
    labels_.push_back(local);
  }
  p.reader = std::move(r);
  starts_.push_back(total_);
  total_ += static_cast<int64_t>(p.rows.size());
  parts_.push_back(std::move(p));
}

}  // namespace xfer
