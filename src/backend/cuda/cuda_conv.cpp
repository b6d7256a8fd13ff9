// cuda_conv.cpp: grouped convolution on cuDNN. Each direction (forward,
// backward data, backward filter) gets its algorithm once, when the op is
// made for its shape, and keeps it: only deterministic algorithms (no
// atomics: the same inputs give the same bits), only ones whose workspace
// fits the bound, only tensor-core ones when TF32 is on. By default the
// choice is cuDNN's heuristic (cudnnGet*_v7), which depends only on the
// shape, the cuDNN version and the GPU, so every process of a run, and a
// resumed run, picks the same algorithms and repeats the same bits. With
// XFER_CUDNN_BENCHMARK=1 the fastest by timing (cudnnFind*) is taken
// instead: quicker steps, but the choice may differ between processes.
// Each direction has its own convolution descriptor set to its winner's
// math type, and the shared workspace is sized for the final choices, so
// steps never allocate. Bias and the fused ReLU are one kernel of ours after
// the convolution.
#include <algorithm>
#include <string>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_kernels.h"

// cuDNN 9 marks its whole descriptor API for convolutions (descriptors,
// cudnnFind*/cudnnGet*_v7, cudnnConvolution*) deprecated in favour of the
// graph API; it is still supported in 9.x and is the plainest way to run
// fixed convolutions. Moving to the graph API (cudnn_frontend) is the
// replacement when a cuDNN release drops it.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace xfer::cuda {

namespace {

bool uses_tensor_cores(cudnnMathType_t m) {
  return m == CUDNN_TENSOR_OP_MATH || m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

// TF32 and cuDNN's math types for fp32 data (cuDNN 9, cudnnMathType_t):
// CUDNN_FMA_MATH allows only FMA kernels, strict fp32. CUDNN_DEFAULT_MATH
// and CUDNN_TENSOR_OP_MATH both allow TF32 tensor-core kernels on Ampere and
// later (the fp32 inputs are rounded to TF32 inside the kernel; that is not
// the "down conversion" that ALLOW_CONVERSION is about). The environment
// variable NVIDIA_TF32_OVERRIDE=0 forbids TF32 in every math type, but no
// setting turns it on where FMA_MATH is set. So: strict fp32 searches and
// runs with FMA_MATH; TF32 searches with TENSOR_OP_MATH, where cuDNN reports
// for each algorithm the math type it was measured with, and runs each
// direction with its winner's math type.
cudnnMathType_t search_math(bool tf32) { return tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH; }

struct Choice {
  int algo = 0;
  size_t bytes = 0;
  cudnnMathType_t math = CUDNN_FMA_MATH;
};

// The first usable result (they come best first): succeeded, deterministic,
// within the workspace bound, and keeping to the requested precision.
template <class Perf>
Choice pick(const std::vector<Perf>& perf, int returned, const Context& ctx, const char* what,
            const ConvDesc& d) {
  for (int i = 0; i < returned; ++i) {
    const Perf& p = perf[size_t(i)];
    if (p.status != CUDNN_STATUS_SUCCESS || p.memory > ctx.workspace_limit) continue;
    if (p.determinism != CUDNN_DETERMINISTIC) continue;
    if (!ctx.tf32 && uses_tensor_cores(p.mathType)) continue;
    // Strict fp32 keeps FMA_MATH whatever the result says (a DEFAULT_MATH
    // label would allow TF32 when the descriptor is set to it).
    return Choice{int(p.algo), p.memory, ctx.tf32 ? p.mathType : CUDNN_FMA_MATH};
  }
  XFER_FAIL("cuDNN found no deterministic " << what << " algorithm for convolution " << d.n << "x"
                                            << d.c << "x" << d.h << "x" << d.w << " -> "
                                            << d.out_c << " (kernel " << d.kernel << ", groups "
                                            << d.groups << ") within a workspace of "
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
    XFER_CUDNN(cudnnSetTensor4dDescriptor(x_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.n, d.c, d.h,
                                          d.w));
    XFER_CUDNN(cudnnSetTensor4dDescriptor(y_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.n, d.out_c,
                                          d.out_h(), d.out_w()));
    XFER_CUDNN(cudnnSetTensor4dDescriptor(b_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, d.out_c, 1, 1));
    XFER_CUDNN(cudnnSetFilter4dDescriptor(w_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d.out_c,
                                          d.c / d.groups, d.kernel, d.kernel));
    for (auto& c : conv_) c = make_conv_descriptor();
    int n = 0, c = 0, h = 0, w = 0;
    XFER_CUDNN(cudnnGetConvolution2dForwardOutputDim(conv_[kFwd], x_, w_, &n, &c, &h, &w));
    XFER_CHECK(n == d.n && c == d.out_c && h == d.out_h() && w == d.out_w(),
               "cuDNN's convolution output " << n << "x" << c << "x" << h << "x" << w
                                             << " differs from the layer's " << d.n << "x"
                                             << d.out_c << "x" << d.out_h() << "x" << d.out_w());
    fwd_ = choose_forward();
    data_ = choose_backward_data();
    filter_ = choose_backward_filter();
    // Size the shared workspace now so that no step allocates.
    ctx_.workspace(std::max({fwd_.bytes, data_.bytes, filter_.bytes}));
  }

  ~Conv() override {
    cudnnDestroyTensorDescriptor(x_);
    cudnnDestroyTensorDescriptor(y_);
    cudnnDestroyTensorDescriptor(b_);
    cudnnDestroyFilterDescriptor(w_);
    for (auto c : conv_)
      if (c) cudnnDestroyConvolutionDescriptor(c);
  }

  void forward(const float* x, const float* w, const float* b, float* y) override {
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnConvolutionForward(ctx_.cudnn, &one, x_, x, w_, w, conv_[kFwd],
                                       cudnnConvolutionFwdAlgo_t(fwd_.algo),
                                       ctx_.workspace(fwd_.bytes), fwd_.bytes, &zero, y_, y));
    bias_relu(y, b, d_.n, d_.out_c, d_.out_h() * d_.out_w(), d_.relu, ctx_.stream);
  }

  void backward_data(const float* dy, const float* w, float* dx) override {
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnConvolutionBackwardData(ctx_.cudnn, &one, w_, w, y_, dy, conv_[kData],
                                            cudnnConvolutionBwdDataAlgo_t(data_.algo),
                                            ctx_.workspace(data_.bytes), data_.bytes, &zero, x_,
                                            dx));
  }

  void backward_weights(const float* x, const float* dy, float* dw, float* db) override {
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnConvolutionBackwardFilter(ctx_.cudnn, &one, x_, x, y_, dy, conv_[kFilter],
                                              cudnnConvolutionBwdFilterAlgo_t(filter_.algo),
                                              ctx_.workspace(filter_.bytes), filter_.bytes,
                                              &zero, w_, dw));
    XFER_CUDNN(cudnnConvolutionBackwardBias(ctx_.cudnn, &one, y_, dy, &zero, b_, db));
  }

 private:
  enum Direction { kFwd = 0, kData = 1, kFilter = 2 };

  cudnnConvolutionDescriptor_t make_conv_descriptor() {
    cudnnConvolutionDescriptor_t c = nullptr;
    XFER_CUDNN(cudnnCreateConvolutionDescriptor(&c));
    XFER_CUDNN(cudnnSetConvolution2dDescriptor(c, d_.pad, d_.pad, d_.stride, d_.stride, 1, 1,
                                               CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    XFER_CUDNN(cudnnSetConvolutionGroupCount(c, d_.groups));
    XFER_CUDNN(cudnnSetConvolutionMathType(c, search_math(ctx_.tf32)));
    return c;
  }

  // Sets the direction's descriptor to the winner's math type (the
  // workspace is then asked again for exactly that configuration).
  void settle(Direction dir, const Choice& c) {
    XFER_CUDNN(cudnnSetConvolutionMathType(conv_[dir], c.math));
  }

  // The workspace of the settled configuration, which must still fit the bound.
  void fit(Choice& c, size_t bytes, const char* what) const {
    c.bytes = std::max(c.bytes, bytes);
    XFER_CHECK(c.bytes <= ctx_.workspace_limit,
               "cuDNN's " << what << " algorithm " << c.algo << " needs " << (c.bytes >> 20)
                          << " MiB of workspace with its math type, over the bound of "
                          << (ctx_.workspace_limit >> 20) << " MiB; raise XFER_CUDNN_WORKSPACE_MB");
  }

  // One direction's choice: ask cuDNN for its candidates (timed by `find`,
  // cudnnFind*, or by the heuristic `get`, cudnnGet*_v7: one signature),
  // keep the first deterministic one that fits, set the direction's
  // descriptor to its math type, and size the workspace for that with
  // `workspace`. The directions' calls take the same descriptors in
  // different orders: `a`, `b`, then the convolution, then `out`.
  template <class Perf, class Algo, class Search, class Workspace, class A, class B, class Out>
  Choice choose(Direction dir, const char* what, int count, Search find, Search get,
                Workspace workspace, A a, B b, Out out) {
    std::vector<Perf> perf(static_cast<size_t>(count));
    int got = 0;
    const Search search = ctx_.benchmark ? find : get;
    const cudnnStatus_t found = search(ctx_.cudnn, a, b, conv_[dir], out, count, &got, perf.data());
    XFER_CHECK(status::ok(found), "cuDNN call " << (ctx_.benchmark ? "cudnnFindConvolution*Algorithm"
                                                                   : "cudnnGetConvolution*Algorithm_v7")
                                                << " (" << what << ") failed: " << status::text(found));
    Choice c = pick(perf, got, ctx_, what, d_);
    settle(dir, c);
    size_t bytes = 0;
    const cudnnStatus_t sized = workspace(ctx_.cudnn, a, b, conv_[dir], out, Algo(c.algo), &bytes);
    XFER_CHECK(status::ok(sized), "cuDNN call cudnnGetConvolution*WorkspaceSize ("
                                      << what << ", algorithm " << c.algo
                                      << ") failed: " << status::text(sized));
    fit(c, bytes, what);
    return c;
  }

  Choice choose_forward() {
    return choose<cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionFwdAlgo_t>(
        kFwd, "forward", CUDNN_CONVOLUTION_FWD_ALGO_COUNT, cudnnFindConvolutionForwardAlgorithm,
        cudnnGetConvolutionForwardAlgorithm_v7, cudnnGetConvolutionForwardWorkspaceSize, x_, w_, y_);
  }

  Choice choose_backward_data() {
    return choose<cudnnConvolutionBwdDataAlgoPerf_t, cudnnConvolutionBwdDataAlgo_t>(
        kData, "backward-data", CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
        cudnnFindConvolutionBackwardDataAlgorithm, cudnnGetConvolutionBackwardDataAlgorithm_v7,
        cudnnGetConvolutionBackwardDataWorkspaceSize, w_, y_, x_);
  }

  Choice choose_backward_filter() {
    return choose<cudnnConvolutionBwdFilterAlgoPerf_t, cudnnConvolutionBwdFilterAlgo_t>(
        kFilter, "backward-filter", CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
        cudnnFindConvolutionBackwardFilterAlgorithm, cudnnGetConvolutionBackwardFilterAlgorithm_v7,
        cudnnGetConvolutionBackwardFilterWorkspaceSize, x_, y_, w_);
  }

  Context& ctx_;
  ConvDesc d_;
  cudnnTensorDescriptor_t x_ = nullptr, y_ = nullptr, b_ = nullptr;
  cudnnFilterDescriptor_t w_ = nullptr;
  cudnnConvolutionDescriptor_t conv_[3] = {nullptr, nullptr, nullptr};  // per Direction
  Choice fwd_, data_, filter_;
};

}  // namespace

std::unique_ptr<ConvOp> make_conv(Context& ctx, const ConvDesc& d) {
  return std::make_unique<Conv>(ctx, d);
}

}  // namespace xfer::cuda
