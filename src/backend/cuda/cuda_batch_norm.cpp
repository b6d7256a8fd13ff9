// cuda_batch_norm.cpp: batch normalisation on cuDNN (spatial mode). With the
// batch's statistics, cuDNN's training forward and backward, which keep the
// batch mean and inverse deviation between them and move the running
// estimates with exponentialAverageFactor = momentum, the variance unbiased
// (PyTorch's convention, backend.h). With fixed statistics, cuDNN's inference
// forward and our own backward kernel (cuDNN's backward only knows batch
// statistics).
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_kernels.h"

namespace xfer::cuda {

namespace {

class BatchNorm final : public BatchNormOp {
 public:
  BatchNorm(Context& ctx, const BatchNormDesc& d) : ctx_(ctx), d_(d) {
    XFER_CHECK(d.eps >= CUDNN_BN_MIN_EPSILON, "cuDNN's batch normalisation needs eps >= " << CUDNN_BN_MIN_EPSILON
                                                                                          << ", got " << d.eps);
    XFER_CUDNN(cudnnCreateTensorDescriptor(&data_));
    XFER_CUDNN(cudnnSetTensor4dDescriptor(data_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.n, d.c, d.h, d.w));
    XFER_CUDNN(cudnnCreateTensorDescriptor(&channel_));
    XFER_CUDNN(cudnnDeriveBNTensorDescriptor(channel_, data_, CUDNN_BATCHNORM_SPATIAL));
    XFER_CUDA(cudaMalloc(&saved_, 4 * size_t(d.c) * sizeof(float)));
  }
  ~BatchNorm() override {
    cudnnDestroyTensorDescriptor(channel_);
    cudnnDestroyTensorDescriptor(data_);
    cudaFree(saved_);
    cudaFree(dx_scratch_);
  }

  void forward_batch(const float* x, const float* scale, const float* shift, float* running_mean,
                     float* running_var, float* y, bool update_running) override {
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnBatchNormalizationForwardTraining(
        ctx_.cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, data_, x, data_, y, channel_, scale, shift,
        update_running ? double(d_.momentum) : 0.0, running_mean, running_var, double(d_.eps), saved_mean(),
        saved_inv_std()));
  }

  void forward_global(const float* x, const float* scale, const float* shift, const float* mean, const float* var,
                      float* y) override {
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnBatchNormalizationForwardInference(ctx_.cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, data_, x,
                                                       data_, y, channel_, scale, shift, mean, var, double(d_.eps)));
  }

  void backward_batch(const float* x, const float* dy, const float* scale, float* dx, float* dscale,
                      float* dshift) override {
    const float one = 1.f, zero = 0.f;
    float* params = saved_ + 2 * size_t(d_.c);  // scratch for unwanted parameter gradients
    XFER_CUDNN(cudnnBatchNormalizationBackward(ctx_.cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one, &zero, data_,
                                               x, data_, dy, data_, dx ? dx : dx_scratch(), channel_, scale,
                                               dscale ? dscale : params, dshift ? dshift : params + d_.c,
                                               double(d_.eps), saved_mean(), saved_inv_std()));
  }

  void backward_global(const float* x, const float* dy, const float* scale, const float* mean, const float* var,
                       float* dx, float* dscale, float* dshift) override {
    batch_norm_backward_global(x, dy, scale, mean, var, d_.eps, dx, dscale, dshift, d_.n, d_.c, d_.h * d_.w,
                               ctx_.stream);
  }

 private:
  float* saved_mean() { return saved_; }
  float* saved_inv_std() { return saved_ + d_.c; }
  float* dx_scratch() {
    if (!dx_scratch_) XFER_CUDA(cudaMalloc(&dx_scratch_, d_.per_channel() * d_.c * sizeof(float)));
    return dx_scratch_;
  }

  Context& ctx_;
  BatchNormDesc d_;
  cudnnTensorDescriptor_t data_ = nullptr, channel_ = nullptr;
  float* saved_ = nullptr;  // batch mean, inverse deviation, two scratch vectors: [4, c]
  float* dx_scratch_ = nullptr;
};

}  // namespace

std::unique_ptr<BatchNormOp> make_batch_norm(Context& ctx, const BatchNormDesc& d) {
  return std::make_unique<BatchNorm>(ctx, d);
}

}  // namespace xfer::cuda
