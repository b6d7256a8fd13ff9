// cuda_conv.cpp: grouped convolution on cuDNN. The three algorithms
// (forward, backward data, backward filter) are measured once when the op is
// made for its shape (cudnnFind*) and the fastest whose workspace fits the
// bound is kept; the shared workspace is sized then, so steps never allocate.
// Math: strict fp32 (FMA) by default, TF32 tensor cores when the backend's
// tf32 switch was on when the op was made. Bias and the fused ReLU are one
// kernel of ours after the convolution.
#include <algorithm>
#include <string>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_kernels.h"

// cuDNN 9 marks its descriptor API deprecated in favour of the graph API;
// it is still supported and is the plainest way to run fixed convolutions.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace xfer::cuda {

namespace {

bool uses_tensor_cores(cudnnMathType_t m) {
  return m == CUDNN_TENSOR_OP_MATH || m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

// The first (fastest) successful result that fits the workspace bound and
// keeps to the requested precision.
template <class Perf>
const Perf& pick(const std::vector<Perf>& perf, int returned, const Context& ctx, const char* what,
                 const ConvDesc& d) {
  for (int i = 0; i < returned; ++i) {
    const Perf& p = perf[i];
    if (p.status != CUDNN_STATUS_SUCCESS || p.memory > ctx.workspace_limit) continue;
    if (!ctx.tf32 && uses_tensor_cores(p.mathType)) continue;
    return p;
  }
  XFER_FAIL("cuDNN found no " << what << " algorithm for convolution " << d.n << "x" << d.c << "x"
                              << d.h << "x" << d.w << " -> " << d.out_c << " (kernel " << d.kernel
                              << ", groups " << d.groups << ") within a workspace of "
                              << (ctx.workspace_limit >> 20)
                              << " MiB; raise XFER_CUDNN_WORKSPACE_MB");
}

class Conv final : public ConvOp {
 public:
  Conv(Context& ctx, const ConvDesc& d) : ctx_(ctx), d_(d) {
    XFER_CUDNN(cudnnCreateTensorDescriptor(&x_));
    XFER_CUDNN(cudnnCreateTensorDescriptor(&y_));
    XFER_CUDNN(cudnnCreateTensorDescriptor(&b_));
    XFER_CUDNN(cudnnCreateFilterDescriptor(&w_));
    XFER_CUDNN(cudnnCreateConvolutionDescriptor(&conv_));
    XFER_CUDNN(cudnnSetTensor4dDescriptor(x_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.n, d.c, d.h,
                                          d.w));
    XFER_CUDNN(cudnnSetTensor4dDescriptor(y_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.n, d.out_c,
                                          d.out_h(), d.out_w()));
    XFER_CUDNN(cudnnSetTensor4dDescriptor(b_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, d.out_c, 1, 1));
    XFER_CUDNN(cudnnSetFilter4dDescriptor(w_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d.out_c,
                                          d.c / d.groups, d.kernel, d.kernel));
    XFER_CUDNN(cudnnSetConvolution2dDescriptor(conv_, d.pad, d.pad, d.stride, d.stride, 1, 1,
                                               CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    XFER_CUDNN(cudnnSetConvolutionGroupCount(conv_, d.groups));
    XFER_CUDNN(cudnnSetConvolutionMathType(conv_, ctx.tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    int n = 0, c = 0, h = 0, w = 0;
    XFER_CUDNN(cudnnGetConvolution2dForwardOutputDim(conv_, x_, w_, &n, &c, &h, &w));
    XFER_CHECK(n == d.n && c == d.out_c && h == d.out_h() && w == d.out_w(),
               "cuDNN's convolution output " << n << "x" << c << "x" << h << "x" << w
                                             << " differs from the layer's " << d.n << "x"
                                             << d.out_c << "x" << d.out_h() << "x" << d.out_w());
    choose_algorithms();
  }

  ~Conv() override {
    cudnnDestroyTensorDescriptor(x_);
    cudnnDestroyTensorDescriptor(y_);
    cudnnDestroyTensorDescriptor(b_);
    cudnnDestroyFilterDescriptor(w_);
    cudnnDestroyConvolutionDescriptor(conv_);
  }

  void forward(const float* x, const float* w, const float* b, float* y) override {
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnConvolutionForward(ctx_.cudnn, &one, x_, x, w_, w, conv_, fwd_algo_,
                                       ctx_.workspace(fwd_bytes_), fwd_bytes_, &zero, y_, y));
    bias_relu(y, b, d_.n, d_.out_c, d_.out_h() * d_.out_w(), d_.relu, ctx_.stream);
  }

  void backward_data(const float* dy, const float* w, float* dx) override {
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnConvolutionBackwardData(ctx_.cudnn, &one, w_, w, y_, dy, conv_, data_algo_,
                                            ctx_.workspace(data_bytes_), data_bytes_, &zero, x_,
                                            dx));
  }

  void backward_weights(const float* x, const float* dy, float* dw, float* db) override {
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnConvolutionBackwardFilter(ctx_.cudnn, &one, x_, x, y_, dy, conv_,
                                              filter_algo_, ctx_.workspace(filter_bytes_),
                                              filter_bytes_, &zero, w_, dw));
    XFER_CUDNN(cudnnConvolutionBackwardBias(ctx_.cudnn, &one, y_, dy, &zero, b_, db));
  }

 private:
  void choose_algorithms() {
    int returned = 0;
    {
      std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
      XFER_CUDNN(cudnnFindConvolutionForwardAlgorithm(ctx_.cudnn, x_, w_, conv_, y_,
                                                      int(perf.size()), &returned, perf.data()));
      const auto& p = pick(perf, returned, ctx_, "forward", d_);
      fwd_algo_ = p.algo;
      fwd_bytes_ = p.memory;
    }
    {
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
      XFER_CUDNN(cudnnFindConvolutionBackwardDataAlgorithm(
          ctx_.cudnn, w_, y_, conv_, x_, int(perf.size()), &returned, perf.data()));
      const auto& p = pick(perf, returned, ctx_, "backward-data", d_);
      data_algo_ = p.algo;
      data_bytes_ = p.memory;
    }
    {
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(
          CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
      XFER_CUDNN(cudnnFindConvolutionBackwardFilterAlgorithm(
          ctx_.cudnn, x_, y_, conv_, w_, int(perf.size()), &returned, perf.data()));
      const auto& p = pick(perf, returned, ctx_, "backward-filter", d_);
      filter_algo_ = p.algo;
      filter_bytes_ = p.memory;
    }
    // Size the shared workspace now so that no step allocates.
    ctx_.workspace(std::max({fwd_bytes_, data_bytes_, filter_bytes_}));
  }

  Context& ctx_;
  ConvDesc d_;
  cudnnTensorDescriptor_t x_ = nullptr, y_ = nullptr, b_ = nullptr;
  cudnnFilterDescriptor_t w_ = nullptr;
  cudnnConvolutionDescriptor_t conv_ = nullptr;
  cudnnConvolutionFwdAlgo_t fwd_algo_{};
  cudnnConvolutionBwdDataAlgo_t data_algo_{};
  cudnnConvolutionBwdFilterAlgo_t filter_algo_{};
  size_t fwd_bytes_ = 0, data_bytes_ = 0, filter_bytes_ = 0;
};

}  // namespace

std::unique_ptr<ConvOp> make_conv(Context& ctx, const ConvDesc& d) {
  return std::make_unique<Conv>(ctx, d);
}

}  // namespace xfer::cuda
