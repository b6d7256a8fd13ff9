// cpu_inner_product.cpp: fully connected layers as oneDNN's sgemm on plain
// row-major matrices, with the bias and the fused ReLU in one pass after it.
// At CaffeNet's small batches the layer is bound by reading fc6's 37.7M
// weights, and the inner-product primitive either reordered that matrix into
// a blocked layout on every pass or ran this same GEMM more slowly; calling
// the GEMM directly keeps one read of the plain weights per pass.
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>

#include "backend/cpu/cpu_ops.h"
#include "core/check.h"

namespace xfer::cpu {

namespace {

void gemm(char ta, char tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, float* c, int64_t ldc) {
  dnnl_status_t st = dnnl_sgemm(ta, tb, m, n, k, 1.f, a, lda, b, ldb, 0.f, c, ldc);
  XFER_CHECK(st == dnnl_success, "dnnl_sgemm(" << ta << tb << ", " << m << "x" << n << "x" << k
                                               << ") failed with status " << int(st));
}

class CpuInnerProduct final : public InnerProductOp {
 public:
  explicit CpuInnerProduct(const InnerProductDesc& d) : n_(d.n), in_(d.in()), out_(d.out), relu_(d.relu) {}

  // y[n,out] = x[n,in] W[out,in]^T + b, then ReLU.
  void forward(const float* x, const float* w, const float* b, float* y) override {
    gemm('N', 'T', n_, out_, in_, x, in_, w, in_, y, out_);
    const int64_t n = n_, out = out_;
    const bool relu = relu_;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      float* row = y + i * out;
      for (int64_t o = 0; o < out; ++o) {
        float v = row[o] + b[o];
        row[o] = relu ? std::max(v, 0.f) : v;
      }
    }
  }

  // dx[n,in] = dy[n,out] W[out,in].
  void backward_data(const float* dy, const float* w, float* dx) override {
    gemm('N', 'N', n_, in_, out_, dy, out_, w, in_, dx, in_);
  }

  // dW[out,in] = dy^T x; db = column sums of dy.
  void backward_weights(const float* x, const float* dy, float* dw, float* db) override {
    gemm('T', 'N', out_, in_, n_, dy, out_, x, in_, dw, in_);
    const int64_t n = n_, out = out_;
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < out; ++o) {
      float s = 0.f;
      for (int64_t i = 0; i < n; ++i) s += dy[i * out + o];
      db[o] = s;
    }
  }

 private:
  int64_t n_, in_, out_;
  bool relu_;
};

}  // namespace

std::unique_ptr<InnerProductOp> make_inner_product(const InnerProductDesc& d) {
  return std::make_unique<CpuInnerProduct>(d);
}

}  // namespace xfer::cpu
