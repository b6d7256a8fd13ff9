// cpu_pool_lrn.cpp: max pooling (Caffe's ceil rounding expressed as extra
// right padding, or PyTorch's floor), average pooling, and across-channel
// LRN on oneDNN. Pooling keeps the
// workspace of the last training forward for backward. LRN's backward is our
// own: oneDNN 2.6 has only its reference kernel for plain NCHW, which took a
// third of the small net's step.
#include <oneapi/dnnl/dnnl.hpp>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/dnnl_util.h"

namespace xfer::cpu {

namespace {

// What this file takes from oneDNN, named (memory and its tags come with dnnl_util.h).
using dnnl::algorithm;
using dnnl::lrn_forward;
using dnnl::pooling_backward;
using dnnl::pooling_forward;
using dnnl::prop_kind;

class CpuPool final : public PoolOp {
 public:
  explicit CpuPool(const PoolDesc& d) {
    auto& c = ctx();
    const int oh = d.out_h(), ow = d.out_w();
    const memory::dims src{d.n, d.c, d.h, d.w}, dst{d.n, d.c, oh, ow};
    const memory::dims k{d.kernel, d.kernel}, s{d.stride, d.stride}, pl{d.pad, d.pad};
    // Right padding that makes oneDNN's floor formula give Caffe's ceil size
    // (with floor rounding it is at most the left padding, and never below 0).
    const memory::dims pr{std::max(0, (oh - 1) * d.stride + d.kernel - d.h - d.pad),
                          std::max(0, (ow - 1) * d.stride + d.kernel - d.w - d.pad)};
    average_ = d.average;
    const algorithm alg = d.average ? algorithm::pooling_avg_include_padding : algorithm::pooling_max;
    const auto src_md = plain(src, tag::nchw), dst_md = plain(dst, tag::nchw);
    pooling_forward::desc ftrain(prop_kind::forward_training, alg, src_md, dst_md, s, k, pl, pr);
    pooling_forward::desc finf(prop_kind::forward_inference, alg, src_md, dst_md, s, k, pl, pr);
    train_pd_ = pooling_forward::primitive_desc(ftrain, c.eng);
    infer_pd_ = pooling_forward::primitive_desc(finf, c.eng);
    pooling_backward::desc bd(alg, src_md, dst_md, s, k, pl, pr);
    bwd_pd_ = pooling_backward::primitive_desc(bd, c.eng, train_pd_);
    train_ = pooling_forward(train_pd_);
    infer_ = pooling_forward(infer_pd_);
    bwd_ = pooling_backward(bwd_pd_);
    ws_ = memory(train_pd_.workspace_desc(), c.eng);
    x_ = memory(src_md, c.eng, DNNL_MEMORY_NONE);
    y_ = memory(dst_md, c.eng, DNNL_MEMORY_NONE);
  }

  void forward(const float* x, float* y, bool train) override {
    x_.set_data_handle(const_cast<float*>(x));
    y_.set_data_handle(y);
    if (train) {
      if (average_)
        train_.execute(ctx().strm, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_DST, y_}});
      else
        train_.execute(ctx().strm, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_DST, y_}, {DNNL_ARG_WORKSPACE, ws_}});
    } else {
      infer_.execute(ctx().strm, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_DST, y_}});
    }
    ctx().strm.wait();
  }

  void backward(const float* dy, float* dx) override {
    y_.set_data_handle(const_cast<float*>(dy));
    x_.set_data_handle(dx);
    if (average_)
      bwd_.execute(ctx().strm, {{DNNL_ARG_DIFF_DST, y_}, {DNNL_ARG_DIFF_SRC, x_}});
    else
      bwd_.execute(ctx().strm, {{DNNL_ARG_DIFF_DST, y_}, {DNNL_ARG_DIFF_SRC, x_}, {DNNL_ARG_WORKSPACE, ws_}});
    ctx().strm.wait();
  }

 private:
  pooling_forward::primitive_desc train_pd_, infer_pd_;
  pooling_backward::primitive_desc bwd_pd_;
  pooling_forward train_, infer_;
  pooling_backward bwd_;
  memory ws_, x_, y_;
  bool average_ = false;
};

class CpuLrn final : public LrnOp {
 public:
  explicit CpuLrn(const LrnDesc& d) : d_(d) {
    auto& c = ctx();
    const auto md = plain({d.n, d.c, d.h, d.w}, tag::nchw);
    // oneDNN divides alpha by the window size, as Caffe does. Our backward
    // recomputes what it needs, so training runs the inference primitive.
    lrn_forward::desc finf(prop_kind::forward_inference, algorithm::lrn_across_channels, md,
                           d.size, d.alpha, d.beta, d.k);
    infer_ = lrn_forward(lrn_forward::primitive_desc(finf, c.eng));
    a_ = memory(md, c.eng, DNNL_MEMORY_NONE);
    b_ = memory(md, c.eng, DNNL_MEMORY_NONE);
  }

  void forward(const float* x, float* y, bool) override {
    a_.set_data_handle(const_cast<float*>(x));
    b_.set_data_handle(y);
    infer_.execute(ctx().strm, {{DNNL_ARG_SRC, a_}, {DNNL_ARG_DST, b_}});
    ctx().strm.wait();
  }

  // Caffe's LRN gradient, vectorised over the pixels of a channel plane:
  //   s_c = k + alpha/size * sum_{j in win(c)} x_j^2
  //   dx_c = dy_c * s_c^-beta - 2*alpha*beta/size * x_c * sum_{j in win(c)} dy_j x_j s_j^(-beta-1)
  void backward(const float* x, const float* dy, float* dx) override {
    const int C = d_.c, half = (d_.size - 1) / 2;
    const size_t hw = size_t(d_.h) * d_.w, per = C * hw;
    const float a = d_.alpha / d_.size, beta = d_.beta, coef = 2.f * a * beta;
#pragma omp parallel
    {
      std::vector<float> pw(per), ratio(per), acc(hw);
#pragma omp for schedule(static)
      for (int n = 0; n < d_.n; ++n) {
        const float* xs = x + n * per;
        const float* g = dy + n * per;
        float* out = dx + n * per;
        // Window sums of squares, sliding over channels.
        std::fill(acc.begin(), acc.end(), 0.f);
        for (int j = 0; j < std::min(half, C); ++j)
          for (size_t p = 0; p < hw; ++p) acc[p] += xs[j * hw + p] * xs[j * hw + p];
        for (int c = 0; c < C; ++c) {
          if (c + half < C) {
            const float* xa = xs + (c + half) * hw;
            for (size_t p = 0; p < hw; ++p) acc[p] += xa[p] * xa[p];
          }
          float* pc = pw.data() + c * hw;
          float* rc = ratio.data() + c * hw;
          const float* xc = xs + c * hw;
          const float* gc = g + c * hw;
          for (size_t p = 0; p < hw; ++p) {
            const float sc = d_.k + a * acc[p];
            const float sp = neg_beta_power(sc, beta);  // s^-beta
            pc[p] = sp;
            rc[p] = gc[p] * xc[p] * sp / sc;
          }
          if (c - half >= 0) {
            const float* xr = xs + (c - half) * hw;
            for (size_t p = 0; p < hw; ++p) acc[p] -= xr[p] * xr[p];
          }
        }
        // dx from the window sums of the ratios.
        std::fill(acc.begin(), acc.end(), 0.f);
        for (int j = 0; j < std::min(half, C); ++j)
          for (size_t p = 0; p < hw; ++p) acc[p] += ratio[j * hw + p];
        for (int c = 0; c < C; ++c) {
          if (c + half < C)
            for (size_t p = 0; p < hw; ++p) acc[p] += ratio[(c + half) * hw + p];
          const float* xc = xs + c * hw;
          const float* gc = g + c * hw;
          const float* pc = pw.data() + c * hw;
          float* oc = out + c * hw;
          for (size_t p = 0; p < hw; ++p) oc[p] = gc[p] * pc[p] - coef * xc[p] * acc[p];
          if (c - half >= 0)
            for (size_t p = 0; p < hw; ++p) acc[p] -= ratio[(c - half) * hw + p];
        }
      }
    }
  }

 private:
  // s^-beta, with the paper's beta = 0.75 done by square roots (vectorisable).
  static float neg_beta_power(float s, float beta) {
    if (beta == 0.75f) {
      const float r = std::sqrt(s);
      return 1.f / (r * std::sqrt(r));
    }
    return std::pow(s, -beta);
  }

  LrnDesc d_;
  lrn_forward infer_;
  memory a_, b_;
};

}  // namespace

std::unique_ptr<PoolOp> make_pool(const PoolDesc& d) { return std::make_unique<CpuPool>(d); }
std::unique_ptr<LrnOp> make_lrn(const LrnDesc& d) { return std::make_unique<CpuLrn>(d); }

}  // namespace xfer::cpu
