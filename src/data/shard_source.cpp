// shard_source.cpp: the training and evaluation sources over HDF5 shards
// (contract in shard_source.h): the order of examples, crops and flips, over
// the store (shard_store.h) and the batch pipeline (loader_pipeline.h).
#include "data/shard_source.h"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

#include "core/rng.h"  // mix64
#include "data/loader_pipeline.h"
#include "data/shard_store.h"

namespace xfer {

namespace {

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
// Shared setup: store, mean, crop geometry.

struct Setup {
  std::unique_ptr<ShardStore> store;
  MeanImage mean;
  CropTransform t;
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
    pipe_ = std::make_unique<LoaderPipeline>(
        *s_.store, s_.t, o.threads, o.prefetch,
        [this](int64_t start, int64_t seq, int batch, std::vector<BatchItem>& items) {
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

  bool plan(int64_t start, int64_t seq, int batch, std::vector<BatchItem>& items) {
    items.resize(static_cast<size_t>(batch));
    const int64_t j0 = start + seq * batch;
    const int ry = s_.t.h - s_.t.crop_h + 1, rx = s_.t.w - s_.t.crop_w + 1;
    for (int i = 0; i < batch; ++i) {
      const int64_t g = global(j0 + i);
      const int64_t epoch = g / n_, pos = g % n_;
      BatchItem& it = items[static_cast<size_t>(i)];
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
  std::unique_ptr<LoaderPipeline> pipe_;  // last: its threads stop before the rest goes
};

// ---------------------------------------------------------------------------
// Evaluation

class ShardEvalSource : public EvalSource {
 public:
  explicit ShardEvalSource(const ShardSourceOptions& o) : o_(o), s_(make_setup(o)) {
    const int64_t n = s_.store->size();
    lo_ = n * o.rank / o.world;
    hi_ = n * (o.rank + 1) / o.world;
    pipe_ = std::make_unique<LoaderPipeline>(
        *s_.store, s_.t, o.threads, o.prefetch,
        [this](int64_t start, int64_t seq, int batch, std::vector<BatchItem>& items) {
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
  bool plan(int64_t start, int64_t seq, int batch, std::vector<BatchItem>& items) {
    const int64_t first = start + seq * batch;
    if (first >= hi_) return false;
    const int64_t count = std::min<int64_t>(batch, hi_ - first);
    items.resize(static_cast<size_t>(count));
    const int y0 = (s_.t.h - s_.t.crop_h) / 2, x0 = (s_.t.w - s_.t.crop_w) / 2;
    for (int64_t i = 0; i < count; ++i)
      items[static_cast<size_t>(i)] = BatchItem{first + i, y0, x0, false};
    return true;
  }

  ShardSourceOptions o_;
  Setup s_;
  int64_t lo_ = 0, hi_ = 0;
  int64_t base_ = 0;
  int64_t taken_ = 0;
  bool need_restart_ = true;
  std::unique_ptr<LoaderPipeline> pipe_;
};

}  // namespace

std::unique_ptr<TrainSource> open_train_shards(const ShardSourceOptions& o) {
  return std::make_unique<ShardTrainSource>(o);
}

std::unique_ptr<EvalSource> open_eval_shards(const ShardSourceOptions& o) {
  return std::make_unique<ShardEvalSource>(o);
}

}  // namespace xfer
