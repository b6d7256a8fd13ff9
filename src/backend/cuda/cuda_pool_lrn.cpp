// cuda_pool_lrn.cpp: max and average pooling and across-channel LRN on the GPU.
// Pooling is our own kernel: cuDNN pools with floor rounding and symmetric
// padding only, which cannot express Caffe's ceil-rounded output size (the
// small preset's 24 -> 12 pools need it), and Caffe's first-maximum rule
// for ties is kept exactly. LRN is cuDNN's, which divides alpha by the
// window size as Caffe does; its backward needs the forward's output, which
// is recomputed from x into the op's own buffer rather than trusting that
// the caller's output buffer is still intact.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_kernels.h"

namespace xfer::cuda {

namespace {

class Pool final : public PoolOp {
 public:
  Pool(Context& ctx, const PoolDesc& d) : ctx_(ctx) {
    g_ = PoolGeometry{d.n, d.c, d.h, d.w, d.out_h(), d.out_w(), d.kernel, d.stride, d.pad};
    XFER_CHECK(g_.out_h > 0 && g_.out_w > 0 && d.kernel > 0 && d.stride > 0,
               "pooling of " << d.h << "x" << d.w << " with kernel " << d.kernel << " stride "
                             << d.stride << " has no output");
    average_ = d.average;
    if (!average_) XFER_CUDA(cudaMalloc(&argmax_, size_t(d.n) * d.c * g_.out_h * g_.out_w * sizeof(int32_t)));
  }
  ~Pool() override { cudaFree(argmax_); }

  void forward(const float* x, float* y, bool train) override {
    if (average_) return avg_pool_forward(x, y, g_, ctx_.stream);
    // Inference leaves the training forward's argmax untouched.
    max_pool_forward(x, y, train ? argmax_ : nullptr, g_, ctx_.stream);
  }

  void backward(const float* dy, float* dx) override {
    if (average_) return avg_pool_backward(dy, dx, g_, ctx_.stream);
    max_pool_backward(dy, argmax_, dx, g_, ctx_.stream);
  }

 private:
  Context& ctx_;
  PoolGeometry g_{};
  int32_t* argmax_ = nullptr;
  bool average_ = false;
};

class Lrn final : public LrnOp {
 public:
  Lrn(Context& ctx, const LrnDesc& d) : ctx_(ctx) {
    XFER_CHECK(d.size >= 1 && d.size <= 16 && d.size % 2 == 1,
               "cuDNN's LRN needs an odd window of 1..16 channels, got " << d.size);
    XFER_CUDNN(cudnnCreateTensorDescriptor(&t_));
    XFER_CUDNN(cudnnSetTensor4dDescriptor(t_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.n, d.c, d.h,
                                          d.w));
    XFER_CUDNN(cudnnCreateLRNDescriptor(&lrn_));
    XFER_CUDNN(cudnnSetLRNDescriptor(lrn_, unsigned(d.size), d.alpha, d.beta, d.k));
    XFER_CUDA(cudaMalloc(&y_, size_t(d.n) * d.c * d.h * d.w * sizeof(float)));
  }
  ~Lrn() override {
    cudnnDestroyLRNDescriptor(lrn_);
    cudnnDestroyTensorDescriptor(t_);
    cudaFree(y_);
  }

  void forward(const float* x, float* y, bool) override {
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnLRNCrossChannelForward(ctx_.cudnn, lrn_, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one,
                                           t_, x, &zero, t_, y));
  }

  void backward(const float* x, const float* dy, float* dx) override {
    forward(x, y_, true);
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnLRNCrossChannelBackward(ctx_.cudnn, lrn_, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one,
                                            t_, y_, t_, dy, t_, x, &zero, t_, dx));
  }

 private:
  Context& ctx_;
  cudnnTensorDescriptor_t t_ = nullptr;
  cudnnLRNDescriptor_t lrn_ = nullptr;
  float* y_ = nullptr;
};

}  // namespace

std::unique_ptr<PoolOp> make_pool(Context& ctx, const PoolDesc& d) {
  return std::make_unique<Pool>(ctx, d);
}
std::unique_ptr<LrnOp> make_lrn(Context& ctx, const LrnDesc& d) {
  return std::make_unique<Lrn>(ctx, d);
}

}  // namespace xfer::cuda
