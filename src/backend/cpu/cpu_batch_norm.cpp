// cpu_batch_norm.cpp: batch normalisation on plain NCHW as OpenMP loops, one
// channel per iteration, with the ReLU that follows it fused (desc.relu). The
// formulas are Ioffe and Szegedy's (ICML 2015, algorithm 1 and section 3's
// backward); the running estimates move in PyTorch's convention (backend.h).
// Why not oneDNN's primitive: on plain NCHW oneDNN 2.6 has only its
// reference-grade ncsp kernel, which took 37% of a resnet-small training step
// (38 of 108 ms at batch 128 on 2 cores, ONEDNN_VERBOSE); these loops are
// bound by memory traffic, and fusing the ReLU saves a pass each way.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/cpu_ops.h"

namespace xfer::cpu {

namespace {

// The double sums run in AVX2 where the CPU has it (chosen at load time;
// the build itself targets any x86-64): float-to-double conversion makes
// them compute-bound in SSE2.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define XFER_WIDE __attribute__((target_clones("avx2", "default")))
#else
#define XFER_WIDE
#endif

class CpuBatchNorm final : public BatchNormOp {
 public:
  explicit CpuBatchNorm(const BatchNormDesc& d)
      : d_(d), hw_(size_t(d.h) * d.w), mean_(d.c), var_(d.c), scale_of_(d.c), mean_of_(d.c), shift_of_(d.c) {}

  bool fuses_relu() const override { return d_.relu; }

  void forward_batch(const float* x, const float* scale, const float* shift, float* running_mean,
                     float* running_var, float* y, bool update_running) override {
    const double count = double(d_.per_channel());
#pragma omp parallel for schedule(static)
    for (int c = 0; c < d_.c; ++c) {
      // Two passes (the mean, then the squares about it), summed in double as
      // PyTorch's CPU kernels do: a gradient's sum over a channel cancels to
      // far below its terms, and float sums put it 1e-3 from the exact one.
      double sum = 0;
      for (int n = 0; n < d_.n; ++n) sum += block_sum(plane(x, n, c));
      const float mean = float(sum / count);
      double squares = 0;
      for (int n = 0; n < d_.n; ++n) squares += block_squares(plane(x, n, c), mean);
      mean_[c] = mean;
      var_[c] = float(squares / count);  // biased: what normalises the batch
    }
    if (update_running) {
      const double m = d_.momentum, unbias = count > 1 ? count / (count - 1) : 1.0;
      for (int c = 0; c < d_.c; ++c) {
        running_mean[c] = float((1 - m) * running_mean[c] + m * mean_[c]);
        running_var[c] = float((1 - m) * running_var[c] + m * var_[c] * unbias);
      }
    }
    normalise(x, scale, shift, mean_.data(), var_.data(), y);
  }

  void forward_global(const float* x, const float* scale, const float* shift, const float* mean, const float* var,
                      float* y) override {
    normalise(x, scale, shift, mean, var, y);
  }

  // dx = scale / sqrt(var + eps) * (g - mean(g) - xhat * mean(g * xhat)),
  // dscale = sum(g * xhat), dshift = sum(g); g is dy where the fused ReLU passed.
  void backward_batch(const float* x, const float* dy, const float* scale, float* dx, float* dscale,
                      float* dshift) override {
    const double count = double(d_.per_channel());
#pragma omp parallel for schedule(static)
    for (int c = 0; c < d_.c; ++c) {
      const float inv = inv_std(var_[c]);
      const Sums sums = channel_gradients(x, dy, c, mean_[c], inv, dscale, dshift);
      if (!dx) continue;
      const float k = scale[c] * inv, mean_g = float(sums.g / count), mean_gx = float(sums.gx / count);
      const float mean = mean_[c];
      const Mask mask = mask_of(c);
      for (int n = 0; n < d_.n; ++n) {
        const float* xp = plane(x, n, c);
        const float* dyp = plane(dy, n, c);
        float* dxp = plane(dx, n, c);
        if (mask.relu) {
#pragma omp simd
          for (size_t i = 0; i < hw_; ++i) {
            const float g = float((xp[i] - mask.mean) * mask.scale + mask.shift > 0.f) * dyp[i];
            dxp[i] = k * (g - mean_g - (xp[i] - mean) * inv * mean_gx);
          }
        } else {
#pragma omp simd
          for (size_t i = 0; i < hw_; ++i) dxp[i] = k * (dyp[i] - mean_g - (xp[i] - mean) * inv * mean_gx);
        }
      }
    }
  }

  // The statistics are constants: dx = g * scale / sqrt(var + eps).
  void backward_global(const float* x, const float* dy, const float* scale, const float* mean, const float* var,
                       float* dx, float* dscale, float* dshift) override {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < d_.c; ++c) {
      const float inv = inv_std(var[c]);
      if (dscale || dshift) channel_gradients(x, dy, c, mean[c], inv, dscale, dshift);
      if (!dx) continue;
      const float k = scale[c] * inv;
      const Mask mask = mask_of(c);
      for (int n = 0; n < d_.n; ++n) {
        const float* xp = plane(x, n, c);
        const float* dyp = plane(dy, n, c);
        float* dxp = plane(dx, n, c);
        if (mask.relu) {
#pragma omp simd
          for (size_t i = 0; i < hw_; ++i)
            dxp[i] = float((xp[i] - mask.mean) * mask.scale + mask.shift > 0.f) * k * dyp[i];
        } else {
#pragma omp simd
          for (size_t i = 0; i < hw_; ++i) dxp[i] = k * dyp[i];
        }
      }
    }
  }

 private:
  template <class T>
  T* plane(T* p, int n, int c) const {
    return p + (size_t(n) * d_.c + c) * hw_;
  }
  float inv_std(float var) const { return float(1.0 / std::sqrt(double(var) + d_.eps)); }

  XFER_WIDE double block_sum(const float* p) const {
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < hw_; ++i) s += p[i];
    return s;
  }
  XFER_WIDE double block_squares(const float* p, float mean) const {
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < hw_; ++i) s += double(p[i] - mean) * double(p[i] - mean);
    return s;
  }

  // y = (x - mean) * scale / sqrt(var + eps) + shift, then the fused ReLU (a
  // NaN stays NaN, as Backend::relu keeps it). The per-channel factors are
  // kept: the backward's ReLU mask is this very expression, recomputed.
  void normalise(const float* x, const float* scale, const float* shift, const float* mean, const float* var,
                 float* y) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < d_.c; ++c) {
      const float k = scale[c] * inv_std(var[c]), m = mean[c], b = shift[c];
      scale_of_[c] = k;
      mean_of_[c] = m;
      shift_of_[c] = b;
      for (int n = 0; n < d_.n; ++n) {
        const float* xp = plane(x, n, c);
        float* yp = plane(y, n, c);
        if (d_.relu) {
#pragma omp simd
          for (size_t i = 0; i < hw_; ++i) {
            const float v = (xp[i] - m) * k + b;
            yp[i] = v < 0.f ? 0.f : v;
          }
        } else {
#pragma omp simd
          for (size_t i = 0; i < hw_; ++i) yp[i] = (xp[i] - m) * k + b;
        }
      }
    }
  }

  // The last forward's per-channel affine: its output at x passed the fused
  // ReLU where (x - mean) * scale + shift > 0, the very expression it computed
  // (a NaN output passes no gradient). The mask multiplies the gradient (a
  // select would not vectorize), so a NaN in dy stays NaN where it is masked.
  struct Mask {
    bool relu;
    float mean, scale, shift;
  };
  Mask mask_of(int c) const { return {d_.relu, mean_of_[c], scale_of_[c], shift_of_[c]}; }

  struct Sums {
    double g, gx;
  };
  // Channel c's sum(g) and sum(g * xhat), written to dshift and dscale where given.
  Sums channel_gradients(const float* x, const float* dy, int c, float mean, float inv, float* dscale,
                         float* dshift) const {
    Sums s{0, 0};
    for (int n = 0; n < d_.n; ++n) {
      const Sums p = gradient_sums(plane(x, n, c), plane(dy, n, c), c, mean, inv);
      s.g += p.g;
      s.gx += p.gx;
    }
    if (dshift) dshift[c] = float(s.g);
    if (dscale) dscale[c] = float(s.gx);
    return s;
  }
  // sum(g) and sum(g * xhat) over one plane, g the gradient through the ReLU.
  XFER_WIDE Sums gradient_sums(const float* xp, const float* dyp, int c, float mean, float inv) const {
    double g = 0, gx = 0;
    const Mask mask = mask_of(c);
    if (mask.relu) {
#pragma omp simd reduction(+ : g, gx)
      for (size_t i = 0; i < hw_; ++i) {
        const float gi = float((xp[i] - mask.mean) * mask.scale + mask.shift > 0.f) * dyp[i];
        g += gi;
        gx += double(gi) * double(xp[i] - mean);
      }
    } else {
#pragma omp simd reduction(+ : g, gx)
      for (size_t i = 0; i < hw_; ++i) {
        g += dyp[i];
        gx += double(dyp[i]) * double(xp[i] - mean);
      }
    }
    return {g, gx * inv};
  }

  BatchNormDesc d_;
  size_t hw_;
  std::vector<float> mean_, var_;                   // the last batch's statistics, for backward_batch
  std::vector<float> scale_of_, mean_of_, shift_of_;  // the last forward's per-channel affine, for the mask
};

}  // namespace

std::unique_ptr<BatchNormOp> make_batch_norm(const BatchNormDesc& d) { return std::make_unique<CpuBatchNorm>(d); }

}  // namespace xfer::cpu
