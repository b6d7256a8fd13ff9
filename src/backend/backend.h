// backend.h: the one Backend interface. A backend owns device memory and
// makes the operations the layers need; layers hold op objects and never
// branch on the device. Ops are created once per shape (oneDNN primitives,
// cuDNN descriptors and algorithm choices live inside them) and reused every
// step. All pointers passed to ops and to the elementwise calls are device
// pointers of this backend (host pointers for the CPU backend).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xfer {

// Geometry of a convolution (NCHW input, grouped OIHW weights).
struct ConvDesc {
  int n = 0, c = 0, h = 0, w = 0;
  int out_c = 0, kernel = 0, stride = 1, pad = 0, groups = 1;
  bool relu = false;  // forward applies ReLU to its output (fused)
  int out_h() const { return (h + 2 * pad - kernel) / stride + 1; }
  int out_w() const { return (w + 2 * pad - kernel) / stride + 1; }
};

// Max pooling with Caffe's ceil rounding of the output size (CaffeNet), or
// PyTorch's floor rounding (ResNet's stem); or average pooling (ResNet's
// global average pool: a window of the whole plane).
struct PoolDesc {
  int n = 0, c = 0, h = 0, w = 0;
  int kernel = 0, stride = 1, pad = 0;
  bool ceil = true;
  bool average = false;
  int out_h() const;
  int out_w() const;
};

// Local response normalisation across channels, Caffe's formula:
// y = x / (k + alpha/size * sum_{window} x^2)^beta.
struct LrnDesc {
  int n = 0, c = 0, h = 0, w = 0;
  int size = 5;
  float alpha = 1e-4f, beta = 0.75f, k = 1.0f;
};

// Fully connected: input [n, in] (a 4-D input is flattened C,H,W-major).
struct InnerProductDesc {
  int n = 0, c = 0, h = 1, w = 1;  // input geometry; in = c*h*w
  int out = 0;
  bool relu = false;
  int in() const { return c * h * w; }
};

// Convolution and inner product: ops with weights and a bias (and the fused
// ReLU their desc asks for). One contract; the two family types keep each
// factory saying which one it makes.
class WeightedOp {
 public:
  virtual ~WeightedOp() = default;
  virtual void forward(const float* x, const float* w, const float* b, float* y) = 0;
  virtual void backward_data(const float* dy, const float* w, float* dx) = 0;
  // dw, db are overwritten (not accumulated).
  virtual void backward_weights(const float* x, const float* dy, float* dw, float* db) = 0;
};

class ConvOp : public WeightedOp {};
class InnerProductOp : public WeightedOp {};

// Pooling and LRN keep what backward needs (argmax, scales) from the last
// training forward inside the op.
class PoolOp {
 public:
  virtual ~PoolOp() = default;
  virtual void forward(const float* x, float* y, bool train) = 0;
  virtual void backward(const float* dy, float* dx) = 0;
};

class LrnOp {
 public:
  virtual ~LrnOp() = default;
  virtual void forward(const float* x, float* y, bool train) = 0;
  virtual void backward(const float* x, const float* dy, float* dx) = 0;
};

// Batch normalisation per channel over N, H and W (Ioffe and Szegedy 2015,
// Algorithm 1), in PyTorch's BatchNorm2d conventions: y = (x - mean) /
// sqrt(var + eps) * scale + shift with the biased batch variance; the running
// estimates move as running = (1 - momentum) * running + momentum * batch,
// the running variance from the unbiased batch variance (times M / (M - 1),
// M = N*H*W). eps 1e-5 and momentum 0.1 are PyTorch's defaults.
struct BatchNormDesc {
  int n = 0, c = 0, h = 1, w = 1;
  float eps = 1e-5f, momentum = 0.1f;
  bool relu = false;  // a ReLU follows: an op that fuses it says so (BatchNormOp::fuses_relu)
  size_t per_channel() const { return size_t(n) * h * w; }
};

class BatchNormOp {
 public:
  virtual ~BatchNormOp() = default;
  // Whether the desc's ReLU is applied here: forward's outputs are after it,
  // and the backward passes take dy of the ReLU's output (its mask applied
  // inside). Otherwise the caller applies the ReLU and its backward.
  virtual bool fuses_relu() const { return false; }
  // With the batch's statistics, kept for backward_batch; the running ones
  // move toward them when `update_running`.
  virtual void forward_batch(const float* x, const float* scale, const float* shift, float* running_mean,
                             float* running_var, float* y, bool update_running) = 0;
  // With given statistics (the running ones: test time, and training in the
  // eval and frozen behaviours).
  virtual void forward_global(const float* x, const float* scale, const float* shift, const float* mean,
                              const float* var, float* y) = 0;
  // Backward of the last forward_batch. dx, or dscale and dshift, may be
  // null (not wanted); what is given is overwritten.
  virtual void backward_batch(const float* x, const float* dy, const float* scale, float* dx, float* dscale,
                              float* dshift) = 0;
  // Backward of forward_global, the statistics constants:
  // dx = dy * scale / sqrt(var + eps). Nulls as above.
  virtual void backward_global(const float* x, const float* dy, const float* scale, const float* mean,
                               const float* var, float* dx, float* dscale, float* dshift) = 0;
};

// Sums over a batch of softmax cross-entropy: loss and top-1/top-5 hits.
struct LossStats {
  double loss_sum = 0;
  int64_t top1 = 0, top5 = 0, count = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "cpu", "cuda"
  // TF32 math for convolutions and GEMMs where the device has it; ops made
  // after the call use it. The CPU backend computes in fp32 regardless.
  virtual void set_tf32(bool on) {}
  virtual bool tf32() const { return false; }

  // Memory. release never throws (it runs in destructors): a failure to
  // free is logged and the memory leaked.
  virtual void* alloc(size_t bytes) = 0;
  // The most its allocations can hold in all (the host memory this process
  // may use; the device's memory): sizes are checked against it before asking.
  virtual size_t memory_bytes() const = 0;
  virtual void release(void* p) noexcept = 0;
  virtual void upload(void* dst, const void* src, size_t bytes) = 0;
  virtual void download(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  virtual void zero(void* p, size_t bytes) = 0;
  virtual void synchronize() = 0;
  // The native queue every op is enqueued on (the cudaStream_t of the CUDA
  // backend), for communicators that order their work behind it; null where
  // ops complete on return (CPU).
  virtual void* native_stream() { return nullptr; }

  // Ops made once per shape.
  virtual std::unique_ptr<ConvOp> make_conv(const ConvDesc& d) = 0;
  virtual std::unique_ptr<InnerProductOp> make_inner_product(const InnerProductDesc& d) = 0;
  virtual std::unique_ptr<PoolOp> make_pool(const PoolDesc& d) = 0;
  virtual std::unique_ptr<LrnOp> make_lrn(const LrnDesc& d) = 0;
  virtual std::unique_ptr<BatchNormOp> make_batch_norm(const BatchNormDesc& d) = 0;

  // Elementwise work.
  // dy *= (y > 0): the backward of a ReLU fused into the op that made y.
  virtual void relu_backward(const float* y, float* dy, size_t count) = 0;
  // Inverted dropout: mask = (u >= ratio) / (1 - ratio), y = x * mask, where
  // u = hash_uniform(seed, stream, i): identical masks on every backend.
  virtual void dropout_forward(const float* x, float* y, float* mask, size_t count, float ratio,
                               uint64_t seed, uint64_t stream) = 0;
  virtual void multiply(const float* a, const float* b, float* y, size_t count) = 0;
  // y = a + b (y may be a or b): a residual connection, and gradients that
  // meet where one activation feeds two layers.
  virtual void add(const float* a, const float* b, float* y, size_t count) = 0;
  // y = max(y, 0) in place: the ReLU after a batch normalisation or a sum.
  virtual void relu(float* y, size_t count) = 0;
  virtual void scale(float* x, size_t count, float alpha) = 0;
  // Softmax cross-entropy over logits [n, k] for the first `valid` rows;
  // labels are host ints. Stats are sums over the valid rows.
  virtual LossStats softmax_loss(const float* logits, const int32_t* labels, int n, int valid,
                                 int k) = 0;
  // dlogits = (softmax(logits) - onehot(label)) * scale, for the last
  // softmax_loss call's logits (rows >= valid get zero).
  virtual void softmax_loss_backward(const float* logits, const int32_t* labels, int n, int valid,
                                     int k, float scale, float* dlogits) = 0;
  // Caffe's SGD: v = momentum*v + lr*(g + decay*w); w -= v. One pass.
  virtual void sgd_update(float* w, const float* g, float* v, size_t count, float lr,
                          float momentum, float decay) = 0;
};

// Creates the backend by name: "cpu", or "cuda" where it was built and a
// device is present. Throws with the reason otherwise.
std::unique_ptr<Backend> make_backend(const std::string& name, int device = 0, int threads = 0);
// Names of the backends built into this binary, "cpu" first.
std::vector<std::string> built_backends();
// oneDNN's version, and with CUDA built cuDNN's, cuBLAS's, the CUDA runtime's
// and driver's, and the GPU models present (for --version and result.json).
std::vector<std::pair<std::string, std::string>> backend_library_versions();
// Whether a CUDA device is usable here (false without a driver or device).
bool cuda_device_available(std::string* why = nullptr);
// Whether make_backend(name) can succeed here: the backend is built and, for
// a device backend, a device is usable; false with the reason otherwise.
bool backend_available(const std::string& name, std::string* why = nullptr);

}  // namespace xfer
