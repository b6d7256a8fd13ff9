// cuda_backend.cpp: the CUDA backend: device memory (plain cudaMalloc,
// never managed memory), uploads through pinned staging buffers on a copy
// stream, the ops on cuDNN/cuBLAS/our kernels, and the loss with cuDNN's
// softmax. Every op is enqueued on one compute stream; the host waits only
// where a value comes back (download, the loss statistics).
#include "backend/cuda/cuda_backend.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_kernels.h"
#include "backend/loss_rule.h"
#include "core/log.h"

namespace xfer {

namespace cuda {

void* Context::workspace(size_t bytes) {
  if (bytes <= workspace_bytes_) return workspace_;
  // Growth happens while ops are made, never mid-step; wait for any user of
  // the old buffer before freeing it.
  XFER_CUDA(cudaStreamSynchronize(stream));
  if (workspace_) XFER_CUDA(cudaFree(workspace_));
  workspace_ = nullptr;
  XFER_CUDA(cudaMalloc(&workspace_, bytes));
  workspace_bytes_ = bytes;
  return workspace_;
}

const float* Context::ones(size_t n) {
  if (n <= ones_count_) return ones_;
  XFER_CUDA(cudaStreamSynchronize(stream));
  if (ones_) XFER_CUDA(cudaFree(ones_));
  ones_ = nullptr;
  XFER_CUDA(cudaMalloc(&ones_, n * sizeof(float)));
  fill(ones_, n, 1.f, stream);
  ones_count_ = n;
  return ones_;
}

}  // namespace cuda

namespace {

// Growable device buffer for the loss's scratch.
template <class T>
struct DeviceBuffer {
  T* p = nullptr;
  size_t count = 0;
  T* get(size_t n) {
    if (n > count) {
      if (p) XFER_CUDA(cudaFree(p));
      p = nullptr;
      XFER_CUDA(cudaMalloc(&p, n * sizeof(T)));
      count = n;
    }
    return p;
  }
  ~DeviceBuffer() { cudaFree(p); }
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) {
    std::string why;
    XFER_CHECK(cuda_device_present(&why), "the CUDA backend needs a GPU: " << why);
    int count = 0;
    XFER_CUDA(cudaGetDeviceCount(&count));
    // `device` is the node-local rank; where SLURM gives each rank its own
    // single visible GPU, that GPU is device 0.
    if (count == 1) device = 0;
    XFER_CHECK(device >= 0 && device < count,
               "CUDA device " << device << " requested but " << count << " present");
    ctx_.device = device;
    XFER_CUDA(cudaSetDevice(device));
    XFER_CUDA(cudaStreamCreateWithFlags(&ctx_.stream, cudaStreamNonBlocking));
    XFER_CUDA(cudaStreamCreateWithFlags(&copy_stream_, cudaStreamNonBlocking));
    XFER_CUDNN(cudnnCreate(&ctx_.cudnn));
    XFER_CUDNN(cudnnSetStream(ctx_.cudnn, ctx_.stream));
    XFER_CUBLAS(cublasCreate(&ctx_.cublas));
    XFER_CUBLAS(cublasSetStream(ctx_.cublas, ctx_.stream));
    if (const char* mb = std::getenv("XFER_CUDNN_WORKSPACE_MB"))
      ctx_.workspace_limit = size_t(std::strtoull(mb, nullptr, 10)) << 20;
    if (const char* b = std::getenv("XFER_CUDNN_BENCHMARK"))
      ctx_.benchmark = std::strcmp(b, "1") == 0;
    for (auto& s : stage_) XFER_CUDA(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming));
    XFER_CUDA(cudaEventCreateWithFlags(&compute_mark_, cudaEventDisableTiming));
    XFER_CUDA(cudaEventCreateWithFlags(&copy_mark_, cudaEventDisableTiming));
    XFER_CUDNN(cudnnCreateTensorDescriptor(&logits_desc_));
  }

  ~CudaBackend() override {
    // No throwing here: release what was made, ignore errors.
    cudaStreamSynchronize(copy_stream_);
    cudaStreamSynchronize(ctx_.stream);
    cudnnDestroyTensorDescriptor(logits_desc_);
    for (auto& s : stage_) {
      cudaEventDestroy(s.done);
      cudaFreeHost(s.host);
    }
    cudaEventDestroy(compute_mark_);
    cudaEventDestroy(copy_mark_);
    cudaFree(ctx_.workspace_);
    cudaFree(ctx_.ones_);
    cublasDestroy(ctx_.cublas);
    cudnnDestroy(ctx_.cudnn);
    cudaStreamDestroy(copy_stream_);
    cudaStreamDestroy(ctx_.stream);
  }

  std::string name() const override { return "cuda"; }
  void set_tf32(bool on) override { ctx_.tf32 = on; }
  bool tf32() const override { return ctx_.tf32; }

  // ---------------------------------------------------------------------
  // Memory.

  void* alloc(size_t bytes) override {
    void* p = nullptr;
    XFER_CUDA(cudaMalloc(&p, std::max<size_t>(bytes, 256)));
    return p;
  }
  size_t memory_bytes() const override {
    size_t free = 0, total = 0;
    XFER_CUDA(cudaMemGetInfo(&free, &total));
    return total;
  }
  void release(void* p) noexcept override {
    if (!p) return;
    const cudaError_t e = cudaFree(p);
    if (e == cudaSuccess) return;
    try {
      log_line(std::string("warning: cudaFree failed, memory leaked: ") + cudaGetErrorName(e) +
               ": " + cudaGetErrorString(e) + " [" + error_context() + "]");
    } catch (...) {
    }
  }

  // The host copy goes into a pinned staging buffer and the transfer runs on
  // the copy stream, so the caller's buffer is free on return and the host
  // copies the next batch while the GPU is still busy with the last step.
  // The transfer waits for the work already queued (which may read dst) and
  // the work queued later waits for the transfer. The two staging buffers
  // grow to the largest upload (up to kMaxStageBytes), so a whole batch
  // stages in one piece after the first steps.
  void upload(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    XFER_CUDA(cudaEventRecord(compute_mark_, ctx_.stream));
    XFER_CUDA(cudaStreamWaitEvent(copy_stream_, compute_mark_, 0));
    auto* d = static_cast<char*>(dst);
    const auto* s = static_cast<const char*>(src);
    while (bytes > 0) {
      const size_t n = std::min(bytes, kMaxStageBytes);
      Stage& st = stage_[next_stage_];
      next_stage_ = (next_stage_ + 1) % stage_.size();
      XFER_CUDA(cudaEventSynchronize(st.done));  // its previous transfer has left
      if (st.bytes < n) {
        if (st.host) XFER_CUDA(cudaFreeHost(st.host));
        st.host = nullptr;
        XFER_CUDA(cudaMallocHost(&st.host, n));
        st.bytes = n;
      }
      std::memcpy(st.host, s, n);
      XFER_CUDA(cudaMemcpyAsync(d, st.host, n, cudaMemcpyHostToDevice, copy_stream_));
      XFER_CUDA(cudaEventRecord(st.done, copy_stream_));
      d += n;
      s += n;
      bytes -= n;
    }
    XFER_CUDA(cudaEventRecord(copy_mark_, copy_stream_));
    XFER_CUDA(cudaStreamWaitEvent(ctx_.stream, copy_mark_, 0));
  }

  void download(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    XFER_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx_.stream));
    XFER_CUDA(cudaStreamSynchronize(ctx_.stream));
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    XFER_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, ctx_.stream));
  }
  void zero(void* p, size_t bytes) override {
    if (bytes == 0) return;
    XFER_CUDA(cudaMemsetAsync(p, 0, bytes, ctx_.stream));
  }
  void synchronize() override {
    XFER_CUDA(cudaStreamSynchronize(copy_stream_));
    XFER_CUDA(cudaStreamSynchronize(ctx_.stream));
  }
  // Uploads are ordered onto this stream too (copy_mark_), so work behind
  // it sees them.
  void* native_stream() override { return ctx_.stream; }

  // ---------------------------------------------------------------------
  // Ops.

  std::unique_ptr<ConvOp> make_conv(const ConvDesc& d) override { return cuda::make_conv(ctx_, d); }
  std::unique_ptr<InnerProductOp> make_inner_product(const InnerProductDesc& d) override {
    return cuda::make_inner_product(ctx_, d);
  }
  std::unique_ptr<PoolOp> make_pool(const PoolDesc& d) override { return cuda::make_pool(ctx_, d); }
  std::unique_ptr<LrnOp> make_lrn(const LrnDesc& d) override { return cuda::make_lrn(ctx_, d); }
  std::unique_ptr<BatchNormOp> make_batch_norm(const BatchNormDesc& d) override {
    return cuda::make_batch_norm(ctx_, d);
  }

  // ---------------------------------------------------------------------
  // Elementwise.

  void relu_backward(const float* y, float* dy, size_t count) override {
    cuda::relu_backward(y, dy, count, ctx_.stream);
  }
  void dropout_forward(const float* x, float* y, float* mask, size_t count, float ratio,
                       uint64_t seed, uint64_t stream) override {
    cuda::dropout_forward(x, y, mask, count, ratio, seed, stream, ctx_.stream);
  }
  void multiply(const float* a, const float* b, float* y, size_t count) override {
    cuda::multiply(a, b, y, count, ctx_.stream);
  }
  void add(const float* a, const float* b, float* y, size_t count) override {
    cuda::add(a, b, y, count, ctx_.stream);
  }
  void relu(float* y, size_t count) override { cuda::relu(y, count, ctx_.stream); }
  void scale(float* x, size_t count, float alpha) override {
    cuda::scale(x, count, alpha, ctx_.stream);
  }
  void sgd_update(float* w, const float* g, float* v, size_t count, float lr, float momentum,
                  float decay) override {
    if (count == 0) return;
    cuda::sgd_update(w, g, v, count, lr, momentum, decay, ctx_.stream);
  }

  // ---------------------------------------------------------------------
  // Loss.

  LossStats softmax_loss(const float* logits, const int32_t* labels, int n, int valid,
                         int k) override {
    const float* p = softmax(logits, n, k);
    const int32_t* lab = upload_labels(labels, valid, k);
    LossStats st;
    st.count = valid;
    if (valid == 0) return st;
    float* loss = row_loss_.get(size_t(valid));
    int32_t* rank = row_rank_.get(size_t(valid));
    cuda::loss_rows(p, lab, valid, k, loss, rank, ctx_.stream);
    host_loss_.resize(size_t(valid));
    host_rank_.resize(size_t(valid));
    XFER_CUDA(cudaMemcpyAsync(host_loss_.data(), loss, valid * sizeof(float),
                              cudaMemcpyDeviceToHost, ctx_.stream));
    XFER_CUDA(cudaMemcpyAsync(host_rank_.data(), rank, valid * sizeof(int32_t),
                              cudaMemcpyDeviceToHost, ctx_.stream));
    XFER_CUDA(cudaStreamSynchronize(ctx_.stream));
    for (int i = 0; i < valid; ++i) {
      st.loss_sum += host_loss_[size_t(i)];
      st.top1 += top_k_hit(host_rank_[size_t(i)], 1);
      st.top5 += top_k_hit(host_rank_[size_t(i)], 5);
    }
    return st;
  }

  void softmax_loss_backward(const float* logits, const int32_t* labels, int n, int valid, int k,
                             float scale, float* dlogits) override {
    const float* p = softmax(logits, n, k);  // cheap next to the network; no state to go stale
    const int32_t* lab = upload_labels(labels, valid, k);
    cuda::loss_gradient(p, lab, n, valid, k, scale, dlogits, ctx_.stream);
  }

  // See cuda_transform_batch in cuda_backend.h.
  void transform_batch(const uint8_t* raw, const float* mean, const std::vector<GpuCrop>& crops,
                       int c, int h, int w, int crop_h, int crop_w, float* out) {
    const int n = int(crops.size());
    if (n == 0) return;
    XFER_CHECK(crop_h <= h && crop_w <= w, "crop " << crop_h << "x" << crop_w
                                                   << " larger than the image " << h << "x" << w);
    std::vector<cuda::CropItem> items(crops.size());
    for (size_t i = 0; i < crops.size(); ++i) {
      const GpuCrop& g = crops[i];
      XFER_CHECK(g.y0 >= 0 && g.x0 >= 0 && g.y0 + crop_h <= h && g.x0 + crop_w <= w,
                 "crop of example " << i << " at (" << g.y0 << ", " << g.x0
                                    << ") leaves the image");
      items[i] = cuda::CropItem{g.y0, g.x0, g.mirror ? 1 : 0};
    }
    cuda::CropItem* d = crop_items_.get(items.size());
    upload(d, items.data(), items.size() * sizeof(cuda::CropItem));
    cuda::crop_mirror_mean(raw, mean, d, n, c, h, w, crop_h, crop_w, out, ctx_.stream);
  }

 private:
  static constexpr size_t kMaxStageBytes = size_t(256) << 20;
  struct Stage {
    void* host = nullptr;
    size_t bytes = 0;
    cudaEvent_t done = nullptr;
  };

  // cuDNN's softmax over the class axis into probs_.
  const float* softmax(const float* logits, int n, int k) {
    if (n != softmax_n_ || k != softmax_k_) {
      XFER_CUDNN(cudnnSetTensor4dDescriptor(logits_desc_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n,
                                            k, 1, 1));
      softmax_n_ = n;
      softmax_k_ = k;
    }
    float* p = probs_.get(size_t(n) * k);
    const float one = 1.f, zero = 0.f;
    XFER_CUDNN(cudnnSoftmaxForward(ctx_.cudnn, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_INSTANCE,
                                   &one, logits_desc_, logits, &zero, logits_desc_, p));
    return p;
  }

  // Checks the host labels as the CPU backend does, then copies them over.
  const int32_t* upload_labels(const int32_t* labels, int valid, int k) {
    for (int i = 0; i < valid; ++i)
      XFER_CHECK(labels[i] >= 0 && labels[i] < k,
                 "label " << labels[i] << " out of range [0, " << k << ")");
    int32_t* d = labels_.get(size_t(std::max(valid, 1)));
    if (valid > 0) upload(d, labels, size_t(valid) * sizeof(int32_t));
    return d;
  }

  cuda::Context ctx_;
  cudaStream_t copy_stream_ = nullptr;
  std::vector<Stage> stage_ = std::vector<Stage>(2);
  size_t next_stage_ = 0;
  cudaEvent_t compute_mark_ = nullptr, copy_mark_ = nullptr;
  cudnnTensorDescriptor_t logits_desc_ = nullptr;
  int softmax_n_ = 0, softmax_k_ = 0;
  DeviceBuffer<float> probs_, row_loss_;
  DeviceBuffer<int32_t> labels_, row_rank_;
  DeviceBuffer<cuda::CropItem> crop_items_;
  std::vector<float> host_loss_;
  std::vector<int32_t> host_rank_;
};

}  // namespace

bool cuda_device_present(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    if (why) *why = std::string("no usable CUDA driver or device: ") + cudaGetErrorString(e);
    return false;
  }
  if (count == 0) {
    if (why) *why = "the CUDA driver reports no device";
    return false;
  }
  return true;
}

std::unique_ptr<Backend> make_cuda_backend(int device) {
  return std::make_unique<CudaBackend>(device);
}

void cuda_transform_batch(Backend& be, const uint8_t* raw, const float* mean,
                          const std::vector<GpuCrop>& crops, int c, int h, int w, int crop_h,
                          int crop_w, float* out) {
  auto* cuda = dynamic_cast<CudaBackend*>(&be);
  XFER_CHECK(cuda, "the GPU data transform needs the CUDA backend, not '" << be.name() << "'");
  cuda->transform_batch(raw, mean, crops, c, h, w, crop_h, crop_w, out);
}

}  // namespace xfer
