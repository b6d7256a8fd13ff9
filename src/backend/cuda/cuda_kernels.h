// cuda_kernels.h: our own CUDA kernels, for the work no library call fits:
// the fused bias + ReLU after cuDNN/cuBLAS, ReLU backward and dropout in
// place, Caffe's SGD update, max pooling with Caffe's ceil rounding, the
// loss and its top-k counts, and uint8 crop + mirror + mean subtraction.
// Each launcher enqueues on `s` and checks the launch; all pointers are
// device pointers unless said otherwise. Plain C++ callers may include this.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace xfer::cuda {

// y[i] += b[(i / hw) % c], then ReLU when `relu`: y is [n, c, hw].
void bias_relu(float* y, const float* b, int n, int c, int hw, bool relu, cudaStream_t s);
void relu_backward(const float* y, float* dy, size_t count, cudaStream_t s);
void dropout_forward(const float* x, float* y, float* mask, size_t count, float ratio,
                     uint64_t seed, uint64_t stream, cudaStream_t s);
void multiply(const float* a, const float* b, float* y, size_t count, cudaStream_t s);
void add(const float* a, const float* b, float* y, size_t count, cudaStream_t s);
void relu(float* y, size_t count, cudaStream_t s);  // a NaN stays NaN
// Batch normalisation's backward with fixed statistics (backend.h): dx =
// dy * scale / sqrt(var + eps); per channel dshift = sum dy, dscale = sum dy *
// (x - mean) / sqrt(var + eps). x, dy, dx are [n, c, hw]; any output may be null.
void batch_norm_backward_global(const float* x, const float* dy, const float* scale, const float* mean,
                                const float* var, float eps, float* dx, float* dscale, float* dshift, int n, int c,
                                int hw, cudaStream_t s);
void scale(float* x, size_t count, float alpha, cudaStream_t s);
void fill(float* x, size_t count, float value, cudaStream_t s);
void sgd_update(float* w, const float* g, float* v, size_t count, float lr, float momentum,
                float decay, cudaStream_t s);
// out[i] = hash_uniform(seed, stream, i) computed on the device (for tests).
void hash_uniform_fill(uint64_t seed, uint64_t stream, float* out, size_t count, cudaStream_t s);

// Max pooling, Caffe's way: windows clipped to the image, the first maximum
// wins; `argmax` (plane-local index, may be null at inference) feeds backward.
struct PoolGeometry {
  int n, c, h, w, out_h, out_w, kernel, stride, pad;
};
void max_pool_forward(const float* x, float* y, int32_t* argmax, const PoolGeometry& g,
                      cudaStream_t s);
void max_pool_backward(const float* dy, const int32_t* argmax, float* dx, const PoolGeometry& g,
                       cudaStream_t s);
// Average pooling, windows clipped to the padded image and divided by the
// whole window (PyTorch's count_include_pad); ResNet's global pool is a
// window of the whole plane.
void avg_pool_forward(const float* x, float* y, const PoolGeometry& g, cudaStream_t s);
void avg_pool_backward(const float* dy, float* dx, const PoolGeometry& g, cudaStream_t s);

// Per valid row of probabilities [rows, k]: -log(max(p[label], FLT_MIN)) and
// the rank of the label (classes with strictly higher probability).
void loss_rows(const float* probs, const int32_t* labels, int valid, int k, float* row_loss,
               int32_t* row_rank, cudaStream_t s);
// d = (p - onehot(label)) * scale for rows < valid, 0 for the other rows < n.
void loss_gradient(const float* probs, const int32_t* labels, int n, int valid, int k,
                   float scale, float* d, cudaStream_t s);

// Caffe's data transform on the device: for each example i, the crop at
// (y0[i], x0[i]) of raw uint8 images [n, c, h, w], minus the mean image
// [c, h, w] at the same pixels, mirrored horizontally when mirror[i] != 0;
// out is float [n, c, crop_h, crop_w].
struct CropItem {
  int32_t y0 = 0, x0 = 0, mirror = 0;
};
void crop_mirror_mean(const uint8_t* raw, const float* mean, const CropItem* items, int n, int c,
                      int h, int w, int crop_h, int crop_w, float* out, cudaStream_t s);

}  // namespace xfer::cuda
