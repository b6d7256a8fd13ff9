// cuda_inner_product.cpp: fully connected layers on cuBLAS. Our buffers are
// row-major (x [n, in], W [out, in], y [n, out]); cuBLAS is column-major, so
// each product is written for the transposes: y^T = W x^T, dx^T = W^T dy^T,
// dW^T = x^T dy, and db = dy^T 1. TF32 is chosen per call through the
// compute type, so no handle-wide state leaks between ops.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_kernels.h"

namespace xfer::cuda {

namespace {

class InnerProduct final : public InnerProductOp {
 public:
  InnerProduct(Context& ctx, const InnerProductDesc& d)
      : ctx_(ctx), d_(d), compute_(ctx.tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F) {
    ctx_.ones(size_t(d.n));  // allocate now, not during a step
  }

  void forward(const float* x, const float* w, const float* b, float* y) override {
    const int in = d_.in();
    gemm(CUBLAS_OP_T, CUBLAS_OP_N, d_.out, d_.n, in, w, in, x, in, y, d_.out);
    bias_relu(y, b, d_.n, d_.out, 1, d_.relu, ctx_.stream);
  }

  void backward_data(const float* dy, const float* w, float* dx) override {
    const int in = d_.in();
    gemm(CUBLAS_OP_N, CUBLAS_OP_N, in, d_.n, d_.out, w, in, dy, d_.out, dx, in);
  }

  void backward_weights(const float* x, const float* dy, float* dw, float* db) override {
    const int in = d_.in();
    gemm(CUBLAS_OP_N, CUBLAS_OP_T, in, d_.out, d_.n, x, in, dy, d_.out, dw, in);
    const float one = 1.f, zero = 0.f;
    XFER_CUBLAS(cublasSgemv(ctx_.cublas, CUBLAS_OP_N, d_.out, d_.n, &one, dy, d_.out,
                            ctx_.ones(size_t(d_.n)), 1, &zero, db, 1));
  }

 private:
  // C (m x n) = op(A) op(B), column-major, overwriting C.
  void gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float* a,
            int lda, const float* b, int ldb, float* c, int ldc) {
    const float one = 1.f, zero = 0.f;
    XFER_CUBLAS(cublasGemmEx(ctx_.cublas, ta, tb, m, n, k, &one, a, CUDA_R_32F, lda, b,
                             CUDA_R_32F, ldb, &zero, c, CUDA_R_32F, ldc, compute_,
                             CUBLAS_GEMM_DEFAULT));
  }

  Context& ctx_;
  InnerProductDesc d_;
  cublasComputeType_t compute_;
};

}  // namespace

std::unique_ptr<InnerProductOp> make_inner_product(Context& ctx, const InnerProductDesc& d) {
  return std::make_unique<InnerProduct>(ctx, d);
}

}  // namespace xfer::cuda
