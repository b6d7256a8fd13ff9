// cuda_kernels.cu: the elementwise, pooling, loss and data-transform kernels
// declared in cuda_kernels.h. Arithmetic that the CPU backend does as
// separate multiplies and adds is written with __fmul_rn/__fadd_rn so nvcc
// does not contract it into FMAs, which keeps the two backends closer.
#include <cfloat>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"
#include "backend/loss_rule.h"
#include "core/rng.h"

namespace xfer::cuda {

namespace {

constexpr int kThreads = 256;

// Kernels that split a flat index into coordinates do it in 32 bits (64-bit
// division is many times slower on the GPU); every tensor here is far
// smaller than 2^32 elements, and this says so if one is not.
void check_32bit(size_t count, const char* kernel) {
  XFER_CHECK(count <= 0xffffffffull,
             "kernel " << kernel << " indexes in 32 bits but got " << count << " elements");
}

// Enough blocks to cover `count` with a grid-stride loop, capped so huge
// tensors reuse threads instead of launching millions of blocks.
unsigned blocks_for(size_t count) {
  size_t b = (count + kThreads - 1) / kThreads;
  if (b > 65535u * 8u) b = 65535u * 8u;
  return static_cast<unsigned>(b > 0 ? b : 1);
}

#define XFER_GRID_STRIDE(i, count)                                                  \
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (count);       \
       i += size_t(gridDim.x) * blockDim.x)

// A flat NCHW index into planes of height x width: which plane (n*C + c)
// and which pixel in it, in 32 bits (see check_32bit).
struct PlanePixel {
  size_t plane;
  int row, col;
};
__device__ __forceinline__ PlanePixel split_plane(size_t i, int height, int width) {
  const unsigned j = unsigned(i), plane_size = unsigned(width) * height;
  return {j / plane_size, int((j / width) % height), int(j % width)};
}

__global__ void bias_relu_kernel(float* y, const float* b, size_t count, unsigned c,
                                 unsigned hw, bool relu) {
  XFER_GRID_STRIDE(i, count) {
    float v = __fadd_rn(y[i], b[(unsigned(i) / hw) % c]);
    y[i] = relu ? fmaxf(v, 0.f) : v;
  }
}

__global__ void relu_backward_kernel(const float* y, float* dy, size_t count) {
  XFER_GRID_STRIDE(i, count) dy[i] = y[i] > 0.f ? dy[i] : 0.f;
}

__global__ void dropout_kernel(const float* x, float* y, float* mask, size_t count, float ratio,
                               float keep_scale, uint64_t seed, uint64_t stream) {
  XFER_GRID_STRIDE(i, count) {
    const float m = hash_uniform(seed, stream, i) >= ratio ? keep_scale : 0.f;
    mask[i] = m;
    y[i] = __fmul_rn(x[i], m);
  }
}

__global__ void multiply_kernel(const float* a, const float* b, float* y, size_t count) {
  XFER_GRID_STRIDE(i, count) y[i] = __fmul_rn(a[i], b[i]);
}

__global__ void add_kernel(const float* a, const float* b, float* y, size_t count) {
  XFER_GRID_STRIDE(i, count) y[i] = __fadd_rn(a[i], b[i]);
}

__global__ void relu_kernel(float* y, size_t count) {
  XFER_GRID_STRIDE(i, count) y[i] = y[i] < 0.f ? 0.f : y[i];
}

__global__ void bn_global_dx_kernel(const float* dy, const float* scale, const float* var, float eps, float* dx,
                                    size_t count, unsigned c, unsigned hw) {
  XFER_GRID_STRIDE(i, count) {
    const unsigned ch = (unsigned(i) / hw) % c;
    dx[i] = __fmul_rn(dy[i], __fdiv_rn(scale[ch], sqrtf(__fadd_rn(var[ch], eps))));
  }
}

// One block per channel: the two sums over its n * hw elements, in float64.
__global__ void bn_global_param_kernel(const float* x, const float* dy, const float* mean, const float* var,
                                       float eps, float* dscale, float* dshift, int n, int c, int hw) {
  __shared__ double s_dy[kThreads], s_dyx[kThreads];
  const int ch = blockIdx.x;
  double sum_dy = 0, sum_dyx = 0;
  for (int i = threadIdx.x; i < n * hw; i += blockDim.x) {
    const size_t at = (size_t(i / hw) * c + ch) * hw + i % hw;
    sum_dy += dy[at];
    sum_dyx += double(dy[at]) * (double(x[at]) - mean[ch]);
  }
  s_dy[threadIdx.x] = sum_dy;
  s_dyx[threadIdx.x] = sum_dyx;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) {
      s_dy[threadIdx.x] += s_dy[threadIdx.x + half];
      s_dyx[threadIdx.x] += s_dyx[threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    if (dshift) dshift[ch] = float(s_dy[0]);
    if (dscale) dscale[ch] = float(s_dyx[0] / sqrt(double(var[ch]) + eps));
  }
}

__global__ void scale_kernel(float* x, size_t count, float alpha) {
  XFER_GRID_STRIDE(i, count) x[i] = __fmul_rn(x[i], alpha);
}

__global__ void fill_kernel(float* x, size_t count, float value) {
  XFER_GRID_STRIDE(i, count) x[i] = value;
}

// Caffe's SGD: v = momentum*v + lr*(g + decay*w); w -= v.
__global__ void sgd_kernel(float* w, const float* g, float* v, size_t count, float lr,
                           float momentum, float decay) {
  XFER_GRID_STRIDE(i, count) {
    const float wi = w[i];
    const float vi =
        __fadd_rn(__fmul_rn(momentum, v[i]), __fmul_rn(lr, __fadd_rn(g[i], __fmul_rn(decay, wi))));
    v[i] = vi;
    w[i] = __fsub_rn(wi, vi);
  }
}

__global__ void hash_kernel(uint64_t seed, uint64_t stream, float* out, size_t count) {
  XFER_GRID_STRIDE(i, count) out[i] = hash_uniform(seed, stream, i);
}

__global__ void max_pool_forward_kernel(const float* x, float* y, int32_t* argmax,
                                        PoolGeometry g) {
  const size_t count = size_t(g.n) * g.c * g.out_h * g.out_w;
  XFER_GRID_STRIDE(i, count) {
    const PlanePixel out = split_plane(i, g.out_h, g.out_w);
    int h0 = out.row * g.stride - g.pad, w0 = out.col * g.stride - g.pad;
    const int h1 = min(h0 + g.kernel, g.h), w1 = min(w0 + g.kernel, g.w);
    h0 = max(h0, 0);
    w0 = max(w0, 0);
    const float* xp = x + out.plane * g.h * g.w;
    float best = -FLT_MAX;
    int best_at = -1;
    for (int hh = h0; hh < h1; ++hh)
      for (int ww = w0; ww < w1; ++ww) {
        const float v = xp[hh * g.w + ww];
        if (v > best) {
          best = v;
          best_at = hh * g.w + ww;
        }
      }
    y[i] = best;
    if (argmax) argmax[i] = best_at;
  }
}

// The output windows [ph0, ph1) x [pw0, pw1) that hold input pixel (hh, ww).
struct PoolWindows {
  int ph0, ph1, pw0, pw1;
};
__device__ __forceinline__ PoolWindows windows_holding(int hh, int ww, const PoolGeometry& g) {
  return {(hh + g.pad < g.kernel) ? 0 : (hh + g.pad - g.kernel) / g.stride + 1,
          min((hh + g.pad) / g.stride + 1, g.out_h),
          (ww + g.pad < g.kernel) ? 0 : (ww + g.pad - g.kernel) / g.stride + 1,
          min((ww + g.pad) / g.stride + 1, g.out_w)};
}

// Gathers, for each input pixel, the gradients of the windows whose maximum
// it was: deterministic, no atomics.
__global__ void max_pool_backward_kernel(const float* dy, const int32_t* argmax, float* dx,
                                         PoolGeometry g) {
  const size_t count = size_t(g.n) * g.c * g.h * g.w;
  XFER_GRID_STRIDE(i, count) {
    const PlanePixel in = split_plane(i, g.h, g.w);
    const int hh = in.row, ww = in.col;
    const PoolWindows win = windows_holding(hh, ww, g);
    const int ph0 = win.ph0, ph1 = win.ph1, pw0 = win.pw0, pw1 = win.pw1;
    const size_t o = in.plane * g.out_h * g.out_w;
    const int self = hh * g.w + ww;
    float sum = 0.f;
    for (int ph = ph0; ph < ph1; ++ph)
      for (int pw = pw0; pw < pw1; ++pw) {
        const size_t j = o + size_t(ph) * g.out_w + pw;
        if (argmax[j] == self) sum += dy[j];
      }
    dx[i] = sum;
  }
}

__global__ void avg_pool_forward_kernel(const float* x, float* y, PoolGeometry g) {
  const size_t count = size_t(g.n) * g.c * g.out_h * g.out_w;
  XFER_GRID_STRIDE(i, count) {
    const PlanePixel out = split_plane(i, g.out_h, g.out_w);
    const int h0 = max(out.row * g.stride - g.pad, 0), w0 = max(out.col * g.stride - g.pad, 0);
    const int h1 = min(out.row * g.stride - g.pad + g.kernel, g.h), w1 = min(out.col * g.stride - g.pad + g.kernel, g.w);
    const float* xp = x + out.plane * g.h * g.w;
    float sum = 0.f;
    for (int hh = h0; hh < h1; ++hh)
      for (int ww = w0; ww < w1; ++ww) sum += xp[hh * g.w + ww];
    y[i] = sum / float(g.kernel * g.kernel);
  }
}

// Gathers, for each input pixel, its share of every window that holds it.
__global__ void avg_pool_backward_kernel(const float* dy, float* dx, PoolGeometry g) {
  const size_t count = size_t(g.n) * g.c * g.h * g.w;
  XFER_GRID_STRIDE(i, count) {
    const PlanePixel in = split_plane(i, g.h, g.w);
    const int hh = in.row, ww = in.col;
    const PoolWindows win = windows_holding(hh, ww, g);
    const int ph0 = win.ph0, ph1 = win.ph1, pw0 = win.pw0, pw1 = win.pw1;
    const size_t o = in.plane * g.out_h * g.out_w;
    float sum = 0.f;
    for (int ph = ph0; ph < ph1; ++ph)
      for (int pw = pw0; pw < pw1; ++pw) sum += dy[o + size_t(ph) * g.out_w + pw];
    dx[i] = sum / float(g.kernel * g.kernel);
  }
}

// One block per row: the loss of the label and how many classes beat it.
__global__ void loss_rows_kernel(const float* probs, const int32_t* labels, int k,
                                 float* row_loss, int32_t* row_rank) {
  __shared__ int32_t partial[kThreads];
  const int row = blockIdx.x;
  const float* p = probs + size_t(row) * k;
  const int label = labels[row];
  const float py = p[label];
  int32_t higher = 0;
  for (int j = threadIdx.x; j < k; j += blockDim.x) higher += rank_contribution(p[j], py);
  partial[threadIdx.x] = higher;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    row_rank[row] = partial[0];
    row_loss[row] = xfer::row_loss(py, partial[0]);
  }
}

__global__ void loss_gradient_kernel(const float* probs, const int32_t* labels, int n, int valid,
                                     int k, float scale, float* d) {
  const size_t count = size_t(n) * k;
  XFER_GRID_STRIDE(i, count) {
    const int row = int(unsigned(i) / k), col = int(unsigned(i) % k);
    if (row >= valid) {
      d[i] = 0.f;
    } else {
      const float v = __fmul_rn(probs[i], scale);
      d[i] = col == labels[row] ? __fsub_rn(v, scale) : v;
    }
  }
}

__global__ void crop_kernel(const uint8_t* raw, const float* mean, const CropItem* items, int n,
                            int c, int h, int w, int crop_h, int crop_w, float* out) {
  const size_t count = size_t(n) * c * crop_h * crop_w;
  XFER_GRID_STRIDE(i, count) {
    const PlanePixel p = split_plane(i, crop_h, crop_w);
    const int ch = int(p.plane % c), ex = int(p.plane / c);
    const CropItem it = items[ex];
    const int x = it.mirror ? crop_w - 1 - p.col : p.col;
    const size_t off = (size_t(ch) * h + it.y0 + p.row) * w + it.x0 + x;
    out[i] = __fsub_rn(static_cast<float>(raw[size_t(ex) * c * h * w + off]), mean[off]);
  }
}

}  // namespace

void bias_relu(float* y, const float* b, int n, int c, int hw, bool relu, cudaStream_t s) {
  const size_t count = size_t(n) * c * hw;
  check_32bit(count, "bias_relu");
  bias_relu_kernel<<<blocks_for(count), kThreads, 0, s>>>(y, b, count, c, hw, relu);
  XFER_CUDA_LAUNCH_CHECK("bias_relu");
}

void relu_backward(const float* y, float* dy, size_t count, cudaStream_t s) {
  relu_backward_kernel<<<blocks_for(count), kThreads, 0, s>>>(y, dy, count);
  XFER_CUDA_LAUNCH_CHECK("relu_backward");
}

void dropout_forward(const float* x, float* y, float* mask, size_t count, float ratio,
                     uint64_t seed, uint64_t stream, cudaStream_t s) {
  const float keep_scale = 1.f / (1.f - ratio);  // computed on the host, as the CPU does
  dropout_kernel<<<blocks_for(count), kThreads, 0, s>>>(x, y, mask, count, ratio, keep_scale,
                                                         seed, stream);
  XFER_CUDA_LAUNCH_CHECK("dropout_forward");
}

void multiply(const float* a, const float* b, float* y, size_t count, cudaStream_t s) {
  multiply_kernel<<<blocks_for(count), kThreads, 0, s>>>(a, b, y, count);
  XFER_CUDA_LAUNCH_CHECK("multiply");
}

void add(const float* a, const float* b, float* y, size_t count, cudaStream_t s) {
  add_kernel<<<blocks_for(count), kThreads, 0, s>>>(a, b, y, count);
  XFER_CUDA_LAUNCH_CHECK("add");
}

void relu(float* y, size_t count, cudaStream_t s) {
  relu_kernel<<<blocks_for(count), kThreads, 0, s>>>(y, count);
  XFER_CUDA_LAUNCH_CHECK("relu");
}

void batch_norm_backward_global(const float* x, const float* dy, const float* scale, const float* mean,
                                const float* var, float eps, float* dx, float* dscale, float* dshift, int n, int c,
                                int hw, cudaStream_t s) {
  const size_t count = size_t(n) * c * hw;
  check_32bit(count, "batch_norm_backward_global");
  if (dx) {
    bn_global_dx_kernel<<<blocks_for(count), kThreads, 0, s>>>(dy, scale, var, eps, dx, count, unsigned(c),
                                                                 unsigned(hw));
    XFER_CUDA_LAUNCH_CHECK("batch_norm_backward_global dx");
  }
  if (dscale || dshift) {
    bn_global_param_kernel<<<c, kThreads, 0, s>>>(x, dy, mean, var, eps, dscale, dshift, n, c, hw);
    XFER_CUDA_LAUNCH_CHECK("batch_norm_backward_global params");
  }
}

void scale(float* x, size_t count, float alpha, cudaStream_t s) {
  scale_kernel<<<blocks_for(count), kThreads, 0, s>>>(x, count, alpha);
  XFER_CUDA_LAUNCH_CHECK("scale");
}

void fill(float* x, size_t count, float value, cudaStream_t s) {
  fill_kernel<<<blocks_for(count), kThreads, 0, s>>>(x, count, value);
  XFER_CUDA_LAUNCH_CHECK("fill");
}

void sgd_update(float* w, const float* g, float* v, size_t count, float lr, float momentum,
                float decay, cudaStream_t s) {
  sgd_kernel<<<blocks_for(count), kThreads, 0, s>>>(w, g, v, count, lr, momentum, decay);
  XFER_CUDA_LAUNCH_CHECK("sgd_update");
}

void hash_uniform_fill(uint64_t seed, uint64_t stream, float* out, size_t count, cudaStream_t s) {
  hash_kernel<<<blocks_for(count), kThreads, 0, s>>>(seed, stream, out, count);
  XFER_CUDA_LAUNCH_CHECK("hash_uniform_fill");
}

void max_pool_forward(const float* x, float* y, int32_t* argmax, const PoolGeometry& g,
                      cudaStream_t s) {
  const size_t count = size_t(g.n) * g.c * g.out_h * g.out_w;
  check_32bit(size_t(g.n) * g.c * g.h * g.w, "max_pool_forward");
  max_pool_forward_kernel<<<blocks_for(count), kThreads, 0, s>>>(x, y, argmax, g);
  XFER_CUDA_LAUNCH_CHECK("max_pool_forward");
}

void max_pool_backward(const float* dy, const int32_t* argmax, float* dx, const PoolGeometry& g,
                       cudaStream_t s) {
  const size_t count = size_t(g.n) * g.c * g.h * g.w;
  check_32bit(count, "max_pool_backward");
  max_pool_backward_kernel<<<blocks_for(count), kThreads, 0, s>>>(dy, argmax, dx, g);
  XFER_CUDA_LAUNCH_CHECK("max_pool_backward");
}

void avg_pool_forward(const float* x, float* y, const PoolGeometry& g, cudaStream_t s) {
  const size_t count = size_t(g.n) * g.c * g.out_h * g.out_w;
  check_32bit(size_t(g.n) * g.c * g.h * g.w, "avg_pool_forward");
  avg_pool_forward_kernel<<<blocks_for(count), kThreads, 0, s>>>(x, y, g);
  XFER_CUDA_LAUNCH_CHECK("avg_pool_forward");
}

void avg_pool_backward(const float* dy, float* dx, const PoolGeometry& g, cudaStream_t s) {
  const size_t count = size_t(g.n) * g.c * g.h * g.w;
  check_32bit(count, "avg_pool_backward");
  avg_pool_backward_kernel<<<blocks_for(count), kThreads, 0, s>>>(dy, dx, g);
  XFER_CUDA_LAUNCH_CHECK("avg_pool_backward");
}

void loss_rows(const float* probs, const int32_t* labels, int valid, int k, float* row_loss,
               int32_t* row_rank, cudaStream_t s) {
  if (valid <= 0) return;
  loss_rows_kernel<<<valid, kThreads, 0, s>>>(probs, labels, k, row_loss, row_rank);
  XFER_CUDA_LAUNCH_CHECK("loss_rows");
}

void loss_gradient(const float* probs, const int32_t* labels, int n, int valid, int k,
                   float scale, float* d, cudaStream_t s) {
  const size_t count = size_t(n) * k;
  check_32bit(count, "loss_gradient");
  loss_gradient_kernel<<<blocks_for(count), kThreads, 0, s>>>(probs, labels, n, valid, k, scale,
                                                               d);
  XFER_CUDA_LAUNCH_CHECK("loss_gradient");
}

void crop_mirror_mean(const uint8_t* raw, const float* mean, const CropItem* items, int n, int c,
                      int h, int w, int crop_h, int crop_w, float* out, cudaStream_t s) {
  const size_t count = size_t(n) * c * crop_h * crop_w;
  check_32bit(count, "crop_mirror_mean");
  check_32bit(size_t(n) * c * h * w, "crop_mirror_mean");
  crop_kernel<<<blocks_for(count), kThreads, 0, s>>>(raw, mean, items, n, c, h, w, crop_h,
                                                      crop_w, out);
  XFER_CUDA_LAUNCH_CHECK("crop_mirror_mean");
}

}  // namespace xfer::cuda
