// cpu_backend.cpp: the CPU backend: memory, the oneDNN ops, and the
// elementwise loops oneDNN has no primitive for (dropout with our hash,
// Caffe's fused SGD update, the loss and its top-k counts).
#include "backend/cpu/cpu_backend.h"
#include "backend/loss_rule.h"

#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

#include "backend/cpu/cpu_ops.h"
#include "core/cpus.h"
#include "backend/cpu/dnnl_util.h"
#include "core/check.h"
#include "core/rng.h"

namespace xfer {

namespace {

using namespace dnnl;

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads) {
    if (threads > 0) omp_set_num_threads(threads);
  }
  std::string name() const override { return "cpu"; }

  void* alloc(size_t bytes) override {
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    XFER_CHECK(p, "out of host memory allocating " << bytes << " bytes");
    return p;
  }
  size_t memory_bytes() const override { return usable_memory_bytes(); }
  void release(void* p) noexcept override { std::free(p); }
  void upload(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void zero(void* p, size_t bytes) override { std::memset(p, 0, bytes); }
  void synchronize() override {}

  std::unique_ptr<ConvOp> make_conv(const ConvDesc& d) override { return cpu::make_conv(d); }
  std::unique_ptr<InnerProductOp> make_inner_product(const InnerProductDesc& d) override {
    return cpu::make_inner_product(d);
  }
  std::unique_ptr<PoolOp> make_pool(const PoolDesc& d) override { return cpu::make_pool(d); }
  std::unique_ptr<LrnOp> make_lrn(const LrnDesc& d) override { return cpu::make_lrn(d); }
  std::unique_ptr<BatchNormOp> make_batch_norm(const BatchNormDesc& d) override { return cpu::make_batch_norm(d); }

  void relu_backward(const float* y, float* dy, size_t count) override {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) dy[i] = y[i] > 0.f ? dy[i] : 0.f;
  }

  void dropout_forward(const float* x, float* y, float* mask, size_t count, float ratio,
                       uint64_t seed, uint64_t stream) override {
    const float keep_scale = 1.f / (1.f - ratio);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; ++i) {
      float m = hash_uniform(seed, stream, i) >= ratio ? keep_scale : 0.f;
      mask[i] = m;
      y[i] = x[i] * m;
    }
  }

  void multiply(const float* a, const float* b, float* y, size_t count) override {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) y[i] = a[i] * b[i];
  }

  void add(const float* a, const float* b, float* y, size_t count) override {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) y[i] = a[i] + b[i];
  }

  void relu(float* y, size_t count) override {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) y[i] = y[i] < 0.f ? 0.f : y[i];  // a NaN stays NaN
  }

  void scale(float* x, size_t count, float alpha) override {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) x[i] *= alpha;
  }

  LossStats softmax_loss(const float* logits, const int32_t* labels, int n, int valid,
                         int k) override {
    softmax(logits, n, k);
    LossStats st;
    for (int i = 0; i < valid; ++i) {
      const float* p = probs_.data() + size_t(i) * k;
      const int y = labels[i];
      XFER_CHECK(y >= 0 && y < k, "label " << y << " out of range [0, " << k << ")");
      // Rank of the true class: how many classes score strictly higher (a
      // NaN anywhere ranks it out of the top 5; see loss_rule.h).
      int32_t rank = 0;
      for (int j = 0; j < k; ++j) rank += rank_contribution(p[j], p[y]);
      st.loss_sum += row_loss(p[y], rank);
      st.top1 += top_k_hit(rank, 1);
      st.top5 += top_k_hit(rank, 5);
    }
    st.count = valid;
    return st;
  }

  void softmax_loss_backward(const float* logits, const int32_t* labels, int n, int valid, int k,
                             float scale, float* dlogits) override {
    softmax(logits, n, k);  // cheap next to the network; no state to go stale
    for (int i = 0; i < n; ++i) {
      float* d = dlogits + size_t(i) * k;
      if (i >= valid) {
        std::fill(d, d + k, 0.f);
        continue;
      }
      const float* p = probs_.data() + size_t(i) * k;
      for (int j = 0; j < k; ++j) d[j] = p[j] * scale;
      d[labels[i]] -= scale;
    }
  }

  void sgd_update(float* w, const float* g, float* v, size_t count, float lr, float momentum,
                  float decay) override {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < count; ++i) {
      float vi = momentum * v[i] + lr * (g[i] + decay * w[i]);
      v[i] = vi;
      w[i] -= vi;
    }
  }

 private:
  // oneDNN softmax over the class axis into probs_.
  void softmax(const float* logits, int n, int k) {
    auto key = std::make_pair(n, k);
    auto it = softmax_.find(key);
    if (it == softmax_.end()) {
      auto md = cpu::plain({n, k}, cpu::tag::nc);
      softmax_forward::desc d(prop_kind::forward_inference, md, 1);
      it = softmax_.emplace(key, softmax_forward(softmax_forward::primitive_desc(d, cpu::ctx().eng)))
               .first;
    }
    probs_.resize(size_t(n) * k);
    auto md = cpu::plain({n, k}, cpu::tag::nc);
    memory src(md, cpu::ctx().eng, const_cast<float*>(logits));
    memory dst(md, cpu::ctx().eng, probs_.data());
    it->second.execute(cpu::ctx().strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
    cpu::ctx().strm.wait();
  }

  std::map<std::pair<int, int>, softmax_forward> softmax_;
  std::vector<float> probs_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads) { return std::make_unique<CpuBackend>(threads); }

}  // namespace xfer
