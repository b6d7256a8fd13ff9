// synthetic_source.cpp: the generated batch. The training stream visits a
// fresh permutation each epoch; a global batch of B examples at step t is
// positions [tB, (t+1)B) of the stream, and rank r of R takes its contiguous
// B/R of them, so R ranks together see exactly what one rank would.
#include "data/synthetic_source.h"

#include <algorithm>
#include <numeric>

#include "core/check.h"
#include "core/rng.h"

namespace xfer {

int32_t synthetic_example(const SyntheticOptions& o, int64_t index, float* out) {
  const int n = o.channels * o.size * o.size;
  const uint64_t salt = o.validation ? 0x5a5a5a5aULL : 0;
  const int32_t label = static_cast<int32_t>(mix64(o.seed ^ salt ^ mix64(index)) % o.classes);
  for (int i = 0; i < n; ++i) {
    float t = hash_uniform(o.seed, 0x7e3a + label, i) * 2.f - 1.f;  // class template
    float e = hash_uniform(o.seed ^ salt, 0x90150 + index, i) * 2.f - 1.f;
    // On the scale of mean-subtracted 8-bit pixels, as the real data (and
    // the preset's fillers) expect.
    out[i] = 50.f * (t + o.noise * e);
  }
  return label;
}

namespace {

SourceInfo info_of(const SyntheticOptions& o) {
  SourceInfo s;
  s.channels = o.channels;
  s.height = s.width = o.size;
  s.num_classes = o.classes;
  s.num_examples = o.examples;
  for (int c = 0; c < o.classes; ++c) s.class_names.push_back("class" + std::to_string(c));
  return s;
}

void fill(const SyntheticOptions& o, HostBatch& b, int n) {
  b.n = n;
  b.c = o.channels;
  b.h = b.w = o.size;
  b.images.resize(size_t(n) * o.channels * o.size * o.size);
  b.labels.resize(n);
}

class SyntheticTrain final : public TrainSource {
 public:
  explicit SyntheticTrain(const SyntheticOptions& o) : o_(o) {}
  SourceInfo info() const override { return info_of(o_); }

  void next(int batch, HostBatch& out) override {
    fill(o_, out, batch);
    const size_t per = size_t(o_.channels) * o_.size * o_.size;
    // This rank's part of the global batch.
    for (int i = 0; i < batch; ++i) {
      int64_t p = pos_.index + int64_t(o_.rank) * batch + i;
      int64_t epoch = pos_.epoch + p / o_.examples;
      p %= o_.examples;
      out.labels[i] = synthetic_example(o_, order(epoch)[p], out.images.data() + i * per);
    }
    pos_.index += int64_t(batch) * o_.world;
    pos_.epoch += pos_.index / o_.examples;
    pos_.index %= o_.examples;
  }

  DataPosition position() const override { return pos_; }
  void seek(const DataPosition& p) override { pos_ = p; }

 private:
  const std::vector<int64_t>& order(int64_t epoch) {
    if (epoch != order_epoch_) {
      order_.resize(o_.examples);
      std::iota(order_.begin(), order_.end(), 0);
      std::vector<uint64_t> key(o_.examples);
      for (int64_t i = 0; i < o_.examples; ++i) key[i] = mix64(o_.order_seed ^ mix64(epoch * 7919 + i));
      std::sort(order_.begin(), order_.end(), [&](int64_t a, int64_t b) { return key[a] < key[b]; });
      order_epoch_ = epoch;
    }
    return order_;
  }

  SyntheticOptions o_;
  DataPosition pos_;
  std::vector<int64_t> order_;
  int64_t order_epoch_ = -1;
};

class SyntheticEval final : public EvalSource {
 public:
  explicit SyntheticEval(const SyntheticOptions& o) : o_(o) {}
  SourceInfo info() const override { return info_of(o_); }
  void begin() override { next_ = 0; }
  bool next(int batch, HostBatch& out) override {
    // Rank r scores examples r, r+R, r+2R, ...: together each exactly once.
    const size_t per = size_t(o_.channels) * o_.size * o_.size;
    int n = 0;
    fill(o_, out, batch);
    while (n < batch) {
      int64_t idx = next_ * o_.world + o_.rank;
      if (idx >= o_.examples) break;
      out.labels[n] = synthetic_example(o_, idx, out.images.data() + n * per);
      ++n;
      ++next_;
    }
    out.n = n;
    return n > 0;
  }

 private:
  SyntheticOptions o_;
  int64_t next_ = 0;
};

}  // namespace

std::unique_ptr<TrainSource> make_synthetic_train(const SyntheticOptions& o) {
  XFER_CHECK(o.examples > 0 && o.classes > 1, "the generated batch needs examples and >= 2 classes");
  return std::make_unique<SyntheticTrain>(o);
}

std::unique_ptr<EvalSource> make_synthetic_eval(const SyntheticOptions& o) {
  auto v = o;
  v.validation = true;
  return std::make_unique<SyntheticEval>(v);
}

}  // namespace xfer
