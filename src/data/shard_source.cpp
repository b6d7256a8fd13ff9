// shard_source.cpp: the training and evaluation sources over HDF5 shards
// (contract in shard_source.h). One reader thread owns all HDF5 reads and
// plans batches; worker threads turn raw uint8 images into float crops.
#include "data/shard_source.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include "core/rng.h"  // mix64
#include "data/h5.h"
#include "data/shard_format.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

// ---------------------------------------------------------------------------
// The mean image

namespace {

std::vector<char> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return bytes;
}

// File access through HDF5's in-memory driver: small files are built or read
// whole in memory, and only our own checked calls touch the disk. HDF5 still
// wants a name, one that no file on disk has (the driver refuses those).
std::string in_memory_name(const std::string& path) { return path + ".in-memory"; }

H5Id in_memory_fapl(const std::string& ctx) {
  H5Id fapl = XFER_H5_OPEN(H5Pcreate(H5P_FILE_ACCESS), Plist, ctx);
  XFER_H5_CHECK(H5Pset_fapl_core(fapl, size_t{1} << 16, /*backing_store=*/false), ctx);
  return fapl;
}

}  // namespace

MeanImage read_mean_image(const std::string& dir) {
  h5_silence_errors();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::runtime_error(dir + ": missing data directory");
  const Manifest man = read_manifest(dir);
  const std::string path = dir + "/" + man.mean_file;
  if (!fs::is_regular_file(path, ec)) throw std::runtime_error(path + ": missing mean image");
  if (!man.mean_sum)
    throw std::runtime_error(dir + "/manifest.json: no checksum recorded for " + man.mean_file +
                             " (written by an older version; rerun the prep tool that made this "
                             "folder: it converts what has no recorded checksum again)");
  // The bytes checked are the bytes used: read once, checked, opened from memory.
  std::vector<char> bytes = read_whole_file(path);
  const FileSum now = buffer_checksum(bytes.data(), bytes.size());
  if (!(now == *man.mean_sum))
    throw std::runtime_error(mismatch_message(path, *man.mean_sum, now) + kDamagedAdvice);
  H5Lock lock(h5_mutex());
  H5Id fapl = in_memory_fapl(path);
  XFER_H5_CHECK(H5Pset_file_image(fapl, bytes.data(), bytes.size()), path);
  hid_t f = H5Fopen(in_memory_name(path).c_str(), H5F_ACC_RDONLY, fapl);
  if (f < 0) h5_fail("unreadable or truncated mean image", path);
  H5Id file(f, H5Id::Kind::File);
  const int64_t version = h5_read_attr_int(file, "schema_version", path);
  if (version != kShardSchemaVersion)
    throw std::runtime_error(path + ": schema version " + std::to_string(version) +
                             ", this program reads version " + std::to_string(kShardSchemaVersion));
  if (H5Lexists(file, "mean", H5P_DEFAULT) <= 0)
    throw std::runtime_error(path + ": missing dataset 'mean'");
  H5Id d = XFER_H5_OPEN(H5Dopen2(file, "mean", H5P_DEFAULT), Dataset, path);
  auto dims = h5_dims(d, path);
  if (dims.size() != 3) throw std::runtime_error(path + ": 'mean' is not [C,H,W]");
  MeanImage m;
  m.c = static_cast<int>(dims[0]);
  m.h = static_cast<int>(dims[1]);
  m.w = static_cast<int>(dims[2]);
  m.data.resize(dims[0] * dims[1] * dims[2]);
  XFER_H5_CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.data.data()), path);
  return m;
}

FileSum write_mean_image(const std::string& dir, const MeanImage& mean, int64_t num_images,
                         const std::string& split) {
  h5_silence_errors();
  const std::string path = dir + "/mean.h5";
  std::vector<char> image;
  {
    H5Lock lock(h5_mutex());
    H5Id fapl = in_memory_fapl(path);
    H5Id file = XFER_H5_OPEN(
        H5Fcreate(in_memory_name(path).c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), File, path);
    hsize_t dims[3] = {static_cast<hsize_t>(mean.c), static_cast<hsize_t>(mean.h),
                       static_cast<hsize_t>(mean.w)};
    H5Id space = XFER_H5_OPEN(H5Screate_simple(3, dims, nullptr), Dataspace, path);
    H5Id dcpl = XFER_H5_OPEN(H5Pcreate(H5P_DATASET_CREATE), Plist, path);
    XFER_H5_CHECK(H5Pset_obj_track_times(dcpl, false), path);  // same mean, same bytes
    H5Id d = XFER_H5_OPEN(
        H5Dcreate2(file, "mean", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), Dataset,
        path);
    XFER_H5_CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, mean.data.data()),
                  path);
    h5_write_attr_int(file, "schema_version", kShardSchemaVersion, path);
    h5_write_attr_str(file, "split", split, path);
    h5_write_attr_int(file, "num_images", num_images, path);
    d.reset();
    XFER_H5_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL), path);
    const ssize_t size = H5Fget_file_image(file, nullptr, 0);
    if (size <= 0) h5_fail("HDF5 call failed: H5Fget_file_image", path);
    image.resize(static_cast<size_t>(size));
    if (H5Fget_file_image(file, image.data(), image.size()) != size)
      h5_fail("HDF5 call failed: H5Fget_file_image", path);
  }
  write_file_atomic(path, image.data(), image.size());
  return buffer_checksum(image.data(), image.size());
}

namespace {

// ---------------------------------------------------------------------------
// All images of one subset, in memory or behind open shard readers.

// 2 GiB, or $XFER_DATA_MEMORY_MB (0 forces reading every batch from HDF5).
size_t in_memory_limit() {
  if (const char* v = std::getenv("XFER_DATA_MEMORY_MB"); v && *v)
    return static_cast<size_t>(std::strtoull(v, nullptr, 10)) << 20;
  return size_t{2} << 30;
}

// Shards checked at once: reading is what it costs, and a few readers in
// parallel fill a local disk or a parallel file system's client.
constexpr int kVerifyThreads = 4;

class ShardStore {
 public:
  explicit ShardStore(const ShardSourceOptions& o) {
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
    if (bytes_ * static_cast<size_t>(total_) <= in_memory_limit()) {
      if (verifier_) verifier_->wait_all();
      verifier_.reset();
      memory_.resize(bytes_ * static_cast<size_t>(total_));
      for (size_t s = 0; s < readers_.size(); ++s)
        readers_[s]->read_images(0, readers_[s]->num_images(),
                                 memory_.data() + bytes_ * static_cast<size_t>(starts_[s]));
      readers_.clear();
      return;
    }
    // Large ones are read image by image with pread() at offsets HDF5 gives
    // now, so the reader thread never calls HDF5 while the trainer's thread
    // may (checkpoints): the library is not thread-safe.
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

  ~ShardStore() {
    for (auto& d : direct_)
      if (d.fd >= 0) ::close(d.fd);
  }
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

  // Called by the reader thread only.
  void read(int64_t i, uint8_t* out) const {
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

 private:
  // Opens one shard, checks it against the manifest, and takes its labels.
  void open_shard(const std::string& path, const ManifestShard& sh) {
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

// ---------------------------------------------------------------------------
// Deterministic randomness: a permutation per epoch, a hash per example.

uint64_t mix3(uint64_t a, uint64_t b, uint64_t c) {
  return mix64(mix64(mix64(a) ^ b) ^ c);
}

// Fisher-Yates driven by mix64, bounded by multiply-shift (no modulo),
// so the order is the same on every platform and standard library.
std::vector<int64_t> epoch_permutation(uint64_t seed, int64_t epoch, int64_t n) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i;
  uint64_t state = mix3(seed, 0x5045524dULL, static_cast<uint64_t>(epoch));
  for (int64_t i = n - 1; i > 0; --i) {
    state = mix64(state);
    auto j = static_cast<int64_t>(
        (static_cast<unsigned __int128>(state) * static_cast<uint64_t>(i + 1)) >> 64);
    std::swap(p[static_cast<size_t>(i)], p[static_cast<size_t>(j)]);
  }
  return p;
}

// ---------------------------------------------------------------------------
// The pipeline: jobs planned and read by one thread, transformed by workers.

struct Item {
  int64_t index = 0;  // example in the store
  int y0 = 0, x0 = 0;
  bool mirror = false;
};

struct Job {
  uint64_t generation = 0;
  int64_t seq = 0;
  std::vector<Item> items;
  std::vector<uint8_t> raw;
  HostBatch out;
  std::exception_ptr error;
};

struct Transform {
  int c = 0, h = 0, w = 0, crop_h = 0, crop_w = 0;
  const float* mean = nullptr;  // c*h*w
};

void transform_item(const Transform& t, const uint8_t* src, const Item& it, float* dst) {
  for (int c = 0; c < t.c; ++c) {
    for (int y = 0; y < t.crop_h; ++y) {
      const size_t off = (static_cast<size_t>(c) * t.h + it.y0 + y) * t.w + it.x0;
      const uint8_t* s = src + off;
      const float* m = t.mean + off;
      float* d = dst + (static_cast<size_t>(c) * t.crop_h + y) * t.crop_w;
      const int n = t.crop_w;
      // Forward (vectorises), then flipped in cache: faster than writing backwards.
      for (int x = 0; x < n; ++x) d[x] = static_cast<float>(s[x]) - m[x];
      if (it.mirror) std::reverse(d, d + n);
    }
  }
}

// Plans job `seq` of the current run: fills items, returns false when the
// run has no such job (end of an evaluation pass). Runs on the reader thread.
// `start` is the run's first rank-local example (training) or unused.
using Planner =
    std::function<bool(int64_t start, int64_t seq, int batch, std::vector<Item>& items)>;

class Pipeline {
 public:
  Pipeline(const ShardStore& store, Transform t, int threads, int prefetch, Planner planner)
      : store_(store), t_(t), prefetch_(std::max(1, prefetch)), planner_(std::move(planner)) {
    reader_ = std::thread([this] { reader_loop(); });
    for (int i = 0; i < std::max(1, threads); ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  ~Pipeline() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    reader_.join();
    for (auto& w : workers_) w.join();
  }

  // Starts a new run of jobs 0, 1, ... of `batch` examples each; anything
  // prepared for an earlier run is dropped.
  void restart(int batch, int64_t start) {
    std::lock_guard<std::mutex> lk(mu_);
    ++generation_;
    batch_ = batch;
    start_ = start;
    planned_ = 0;
    consumed_ = 0;
    in_flight_ = 0;
    run_ended_ = false;
    work_.clear();
    done_.clear();
    cv_.notify_all();
  }

  int batch() const { return batch_; }

  // The next job of the current run, or false when the run has ended.
  bool pop(HostBatch& out) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] {
        return done_.count(consumed_) || (run_ended_ && planned_ <= consumed_);
      });
      auto it = done_.find(consumed_);
      if (it == done_.end()) return false;
      job = std::move(it->second);
      done_.erase(it);
      ++consumed_;
      --in_flight_;
    }
    cv_.notify_all();
    if (job->error) std::rethrow_exception(job->error);
    // Hand the caller's old buffer back to the pool instead of freeing it.
    std::swap(out, job->out);
    recycle(std::move(job->out.images));
    return true;
  }

 private:
  void recycle(std::vector<float>&& buf) {
    std::lock_guard<std::mutex> lk(mu_);
    if (buf.capacity() > 0 && pool_.size() < static_cast<size_t>(prefetch_ + 2))
      pool_.push_back(std::move(buf));
  }

  void reader_loop() {
    for (;;) {
      auto job = std::make_unique<Job>();
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || (!run_ended_ && in_flight_ < prefetch_); });
        if (stop_) return;
        job->generation = generation_;
        job->seq = planned_;
        const int batch = batch_;
        const int64_t start = start_;
        lk.unlock();
        bool more = false;
        try {
          more = planner_(start, job->seq, batch, job->items);
        } catch (...) {
          job->error = std::current_exception();
          more = true;
        }
        lk.lock();
        if (job->generation != generation_) continue;
        if (!more) {
          run_ended_ = true;
          cv_.notify_all();
          continue;
        }
        ++planned_;
        ++in_flight_;
      }
      // In-memory subsets need no reading: the workers crop from memory.
      if (!job->error && !store_.memory_image(0)) {
        try {
          {
            std::lock_guard<std::mutex> lk(mu_);
            if (!raw_pool_.empty()) {
              job->raw = std::move(raw_pool_.back());
              raw_pool_.pop_back();
            }
          }
          job->raw.resize(job->items.size() * store_.image_bytes());
          for (size_t i = 0; i < job->items.size(); ++i)
            store_.read(job->items[i].index, job->raw.data() + i * store_.image_bytes());
        } catch (...) {
          job->error = std::current_exception();
        }
      }
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (job->generation != generation_) continue;
        work_.push_back(std::move(job));
      }
      cv_.notify_all();
    }
  }

  void worker_loop() {
    for (;;) {
      std::unique_ptr<Job> job;
      std::vector<float> buf;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || !work_.empty(); });
        if (stop_) return;
        job = std::move(work_.front());
        work_.pop_front();
        if (!pool_.empty()) {
          buf = std::move(pool_.back());
          pool_.pop_back();
        }
      }
      if (!job->error) {
        try {
          run(*job, std::move(buf));
        } catch (...) {
          job->error = std::current_exception();
        }
      }
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (job->raw.capacity() > 0 && raw_pool_.size() < static_cast<size_t>(prefetch_ + 2))
          raw_pool_.push_back(std::move(job->raw));
        if (job->generation != generation_) continue;
        done_[job->seq] = std::move(job);
      }
      cv_.notify_all();
    }
  }

  void run(Job& job, std::vector<float>&& buf) {
    HostBatch& b = job.out;
    b.n = static_cast<int>(job.items.size());
    b.c = t_.c;
    b.h = t_.crop_h;
    b.w = t_.crop_w;
    const size_t per = static_cast<size_t>(t_.c) * t_.crop_h * t_.crop_w;
    b.images = std::move(buf);
    b.images.resize(per * static_cast<size_t>(b.n));
    b.labels.resize(static_cast<size_t>(b.n));
    for (int i = 0; i < b.n; ++i) {
      const Item& it = job.items[static_cast<size_t>(i)];
      const uint8_t* src = job.raw.empty()
                               ? store_.memory_image(it.index)
                               : job.raw.data() + static_cast<size_t>(i) * store_.image_bytes();
      transform_item(t_, src, it, b.images.data() + per * static_cast<size_t>(i));
      b.labels[static_cast<size_t>(i)] = store_.label(it.index);
    }
  }

  const ShardStore& store_;
  Transform t_;
  int prefetch_;
  Planner planner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, run_ended_ = true;
  uint64_t generation_ = 0;
  int batch_ = 0;
  int64_t start_ = 0;
  int64_t planned_ = 0, consumed_ = 0;
  int in_flight_ = 0;
  std::deque<std::unique_ptr<Job>> work_;
  std::map<int64_t, std::unique_ptr<Job>> done_;
  std::vector<std::vector<float>> pool_;
  std::vector<std::vector<uint8_t>> raw_pool_;
  std::thread reader_;
  std::vector<std::thread> workers_;
};

// ---------------------------------------------------------------------------
// Shared setup: store, mean, crop geometry.

struct Setup {
  std::unique_ptr<ShardStore> store;
  MeanImage mean;
  Transform t;
  SourceInfo info;
};

Setup make_setup(const ShardSourceOptions& o) {
  h5_silence_errors();
  if (o.world < 1 || o.rank < 0 || o.rank >= o.world)
    throw std::runtime_error(o.dir + ": rank " + std::to_string(o.rank) + " outside world of " +
                             std::to_string(o.world));
  Setup s;
  s.store = std::make_unique<ShardStore>(o);
  const SourceInfo& si = s.store->info();
  s.mean = o.mean.data.empty() ? read_mean_image(o.dir) : o.mean;
  if (s.mean.c != si.channels || s.mean.h != si.height || s.mean.w != si.width ||
      s.mean.data.size() != s.store->image_bytes())
    throw std::runtime_error(o.dir + ": mean image is " + std::to_string(s.mean.c) + "x" +
                             std::to_string(s.mean.h) + "x" + std::to_string(s.mean.w) +
                             ", the images are " + std::to_string(si.channels) + "x" +
                             std::to_string(si.height) + "x" + std::to_string(si.width) +
                             " (image size mismatch)");
  if (o.crop < 0 || o.crop > si.height || o.crop > si.width)
    throw std::runtime_error(o.dir + ": crop " + std::to_string(o.crop) +
                             " does not fit images of " + std::to_string(si.height) + "x" +
                             std::to_string(si.width));
  s.t.c = si.channels;
  s.t.h = si.height;
  s.t.w = si.width;
  s.t.crop_h = o.crop > 0 ? o.crop : si.height;
  s.t.crop_w = o.crop > 0 ? o.crop : si.width;
  s.t.mean = s.mean.data.data();
  s.info = si;
  s.info.height = s.t.crop_h;
  s.info.width = s.t.crop_w;
  return s;
}

// ---------------------------------------------------------------------------
// Training

class ShardTrainSource : public TrainSource {
 public:
  explicit ShardTrainSource(const ShardSourceOptions& o)
      : o_(o), s_(make_setup(o)), n_(s_.store->size()) {
    pipe_ = std::make_unique<Pipeline>(
        *s_.store, s_.t, o.threads, o.prefetch,
        [this](int64_t start, int64_t seq, int batch, std::vector<Item>& items) {
          return plan(start, seq, batch, items);
        });
  }

  SourceInfo info() const override { return s_.info; }

  void next(int batch, HostBatch& out) override {
    if (batch <= 0) throw std::runtime_error(o_.dir + ": batch size must be positive");
    if (need_restart_ || batch != pipe_->batch()) {
      pipe_->restart(batch, cursor_);
      need_restart_ = false;
    }
    try {
      pipe_->pop(out);
    } catch (...) {
      need_restart_ = true;
      throw;
    }
    cursor_ += batch;
  }

  DataPosition position() const override {
    const int64_t g = global(cursor_);
    DataPosition p;
    p.epoch = g / n_;
    p.index = (g - first_of_epoch(p.epoch)) / o_.world;
    return p;
  }

  void seek(const DataPosition& pos) override {
    if (pos.epoch < 0 || pos.index < 0)
      throw std::runtime_error(o_.dir + ": cannot seek to a negative position");
    const int64_t g = first_of_epoch(pos.epoch) + pos.index * o_.world;
    if (g >= (pos.epoch + 1) * n_ && pos.index > 0)
      throw std::runtime_error(o_.dir + ": position index " + std::to_string(pos.index) +
                               " is past this rank's slice of epoch " +
                               std::to_string(pos.epoch));
    cursor_ = (g - o_.rank) / o_.world;
    need_restart_ = true;
  }

 private:
  // Rank-local example j is global stream position rank + j*world.
  int64_t global(int64_t j) const { return o_.rank + j * o_.world; }
  // The first stream position of epoch e that belongs to this rank.
  int64_t first_of_epoch(int64_t e) const {
    const int64_t start = e * n_;
    const int64_t r = ((o_.rank - start) % o_.world + o_.world) % o_.world;
    return start + r;
  }

  // Reader thread only (it alone touches perms_).
  const std::vector<int64_t>& permutation(int64_t epoch) {
    auto it = perms_.find(epoch);
    if (it != perms_.end()) return it->second;
    while (perms_.size() >= 3) perms_.erase(perms_.begin());
    return perms_[epoch] = epoch_permutation(o_.seed, epoch, n_);
  }

  bool plan(int64_t start, int64_t seq, int batch, std::vector<Item>& items) {
    items.resize(static_cast<size_t>(batch));
    const int64_t j0 = start + seq * batch;
    const int ry = s_.t.h - s_.t.crop_h + 1, rx = s_.t.w - s_.t.crop_w + 1;
    for (int i = 0; i < batch; ++i) {
      const int64_t g = global(j0 + i);
      const int64_t epoch = g / n_, pos = g % n_;
      Item& it = items[static_cast<size_t>(i)];
      it.index = permutation(epoch)[static_cast<size_t>(pos)];
      const uint64_t h = mix3(o_.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(pos));
      it.y0 = static_cast<int>((h & 0xffffffffULL) % static_cast<uint64_t>(ry));
      it.x0 = static_cast<int>(((h >> 32) & 0x7fffffffULL) % static_cast<uint64_t>(rx));
      it.mirror = o_.mirror && ((h >> 63) & 1ULL);
    }
    return true;
  }

  ShardSourceOptions o_;
  Setup s_;
  int64_t n_;
  int64_t cursor_ = 0;  // rank-local examples handed out so far
  bool need_restart_ = true;
  std::map<int64_t, std::vector<int64_t>> perms_;
  std::unique_ptr<Pipeline> pipe_;  // last: its threads stop before the rest goes
};

// ---------------------------------------------------------------------------
// Evaluation

class ShardEvalSource : public EvalSource {
 public:
  explicit ShardEvalSource(const ShardSourceOptions& o) : o_(o), s_(make_setup(o)) {
    const int64_t n = s_.store->size();
    lo_ = n * o.rank / o.world;
    hi_ = n * (o.rank + 1) / o.world;
    pipe_ = std::make_unique<Pipeline>(
        *s_.store, s_.t, o.threads, o.prefetch,
        [this](int64_t start, int64_t seq, int batch, std::vector<Item>& items) {
          return plan(start, seq, batch, items);
        });
  }

  SourceInfo info() const override { return s_.info; }

  void begin() override { need_restart_ = true; }

  bool next(int batch, HostBatch& out) override {
    if (batch <= 0) throw std::runtime_error(o_.dir + ": batch size must be positive");
    if (need_restart_ || batch != pipe_->batch()) {
      // A new batch size mid-pass goes on from where the caller stands.
      base_ = need_restart_ ? lo_ : base_ + taken_;
      taken_ = 0;
      need_restart_ = false;
      pipe_->restart(batch, base_);
    }
    if (!pipe_->pop(out)) {
      out.n = 0;
      out.images.clear();
      out.labels.clear();
      return false;
    }
    taken_ += out.n;
    return true;
  }

 private:
  bool plan(int64_t start, int64_t seq, int batch, std::vector<Item>& items) {
    const int64_t first = start + seq * batch;
    if (first >= hi_) return false;
    const int64_t count = std::min<int64_t>(batch, hi_ - first);
    items.resize(static_cast<size_t>(count));
    const int y0 = (s_.t.h - s_.t.crop_h) / 2, x0 = (s_.t.w - s_.t.crop_w) / 2;
    for (int64_t i = 0; i < count; ++i)
      items[static_cast<size_t>(i)] = Item{first + i, y0, x0, false};
    return true;
  }

  ShardSourceOptions o_;
  Setup s_;
  int64_t lo_ = 0, hi_ = 0;
  int64_t base_ = 0;
  int64_t taken_ = 0;
  bool need_restart_ = true;
  std::unique_ptr<Pipeline> pipe_;
};

}  // namespace

std::unique_ptr<TrainSource> open_train_shards(const ShardSourceOptions& o) {
  return std::make_unique<ShardTrainSource>(o);
}

std::unique_ptr<EvalSource> open_eval_shards(const ShardSourceOptions& o) {
  return std::make_unique<ShardEvalSource>(o);
}

}  // namespace xfer
