// cpu_batch_norm.cpp: batch normalisation on oneDNN's batch_normalization
// primitives (plain NCHW, scale and shift as separate vectors). The batch
// forward keeps the batch's mean and biased variance for its backward;
// the running estimates are moved here, in PyTorch's convention (backend.h).
#include <oneapi/dnnl/dnnl.hpp>

#include <vector>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/dnnl_util.h"

namespace xfer::cpu {

namespace {

using dnnl::batch_normalization_backward;
using dnnl::batch_normalization_forward;
using dnnl::normalization_flags;
using dnnl::prop_kind;

class CpuBatchNorm final : public BatchNormOp {
 public:
  explicit CpuBatchNorm(const BatchNormDesc& d) : d_(d), mean_(d.c), var_(d.c), dscale_(d.c), dshift_(d.c), unused_shift_(d.c) {
    auto& c = ctx();
    const auto data = plain({d.n, d.c, d.h, d.w}, tag::nchw);
    const auto affine = normalization_flags::use_scale | normalization_flags::use_shift;
    const auto global = affine | normalization_flags::use_global_stats;
    const batch_normalization_forward::primitive_desc batch_pd(
        {prop_kind::forward_training, data, d.eps, affine}, c.eng);
    const batch_normalization_forward::primitive_desc global_hint(
        {prop_kind::forward_training, data, d.eps, global}, c.eng);
    fwd_batch_ = batch_normalization_forward(batch_pd);
    fwd_global_ = batch_normalization_forward(
        batch_normalization_forward::primitive_desc({prop_kind::forward_inference, data, d.eps, global}, c.eng));
    bwd_batch_ = batch_normalization_backward(
        batch_normalization_backward::primitive_desc({prop_kind::backward, data, data, d.eps, affine}, c.eng, batch_pd));
    bwd_global_ = batch_normalization_backward(batch_normalization_backward::primitive_desc(
        {prop_kind::backward, data, data, d.eps, global}, c.eng, global_hint));
    const auto vec = plain({d.c}, tag::a);
    for (memory* m : {&x_, &y_, &dy_, &dx_}) *m = memory(data, c.eng, DNNL_MEMORY_NONE);
    for (memory* m : {&scale_, &shift_, &mean_m_, &var_m_, &dscale_m_, &dshift_m_})
      *m = memory(vec, c.eng, DNNL_MEMORY_NONE);
  }

  void forward_batch(const float* x, const float* scale, const float* shift, float* running_mean,
                     float* running_var, float* y, bool update_running) override {
    bind(x, scale, shift, mean_.data(), var_.data());
    y_.set_data_handle(y);
    fwd_batch_.execute(ctx().strm, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_DST, y_}, {DNNL_ARG_SCALE, scale_},
                                    {DNNL_ARG_SHIFT, shift_}, {DNNL_ARG_MEAN, mean_m_}, {DNNL_ARG_VARIANCE, var_m_}});
    ctx().strm.wait();
    if (!update_running) return;
    const double m = d_.momentum, count = double(d_.per_channel());
    const double unbias = count > 1 ? count / (count - 1) : 1.0;
    for (int c = 0; c < d_.c; ++c) {
      running_mean[c] = float((1 - m) * running_mean[c] + m * mean_[c]);
      running_var[c] = float((1 - m) * running_var[c] + m * var_[c] * unbias);
    }
  }

  void forward_global(const float* x, const float* scale, const float* shift, const float* mean, const float* var,
                      float* y) override {
    bind(x, scale, shift, mean, var);
    y_.set_data_handle(y);
    fwd_global_.execute(ctx().strm, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_DST, y_}, {DNNL_ARG_SCALE, scale_},
                                     {DNNL_ARG_SHIFT, shift_}, {DNNL_ARG_MEAN, mean_m_}, {DNNL_ARG_VARIANCE, var_m_}});
    ctx().strm.wait();
  }

  void backward_batch(const float* x, const float* dy, const float* scale, float* dx, float* dscale,
                      float* dshift) override {
    backward(bwd_batch_, x, dy, scale, mean_.data(), var_.data(), dx, dscale, dshift);
  }

  void backward_global(const float* x, const float* dy, const float* scale, const float* mean, const float* var,
                       float* dx, float* dscale, float* dshift) override {
    backward(bwd_global_, x, dy, scale, mean, var, dx, dscale, dshift);
  }

 private:
  void bind(const float* x, const float* scale, const float* shift, const float* mean, const float* var) {
    x_.set_data_handle(const_cast<float*>(x));
    scale_.set_data_handle(const_cast<float*>(scale));
    shift_.set_data_handle(const_cast<float*>(shift));
    mean_m_.set_data_handle(const_cast<float*>(mean));
    var_m_.set_data_handle(const_cast<float*>(var));
  }

  // One primitive computes all three; what is not wanted goes to scratch.
  void backward(batch_normalization_backward& p, const float* x, const float* dy, const float* scale,
                const float* mean, const float* var, float* dx, float* dscale, float* dshift) {
    if (!dx) dx_scratch_.resize(size_t(d_.per_channel()) * d_.c);
    bind(x, scale, unused_shift_.data(), mean, var);  // oneDNN 2.6 asks for it, and ignores it
    dy_.set_data_handle(const_cast<float*>(dy));
    dx_.set_data_handle(dx ? dx : dx_scratch_.data());
    dscale_m_.set_data_handle(dscale ? dscale : dscale_.data());
    dshift_m_.set_data_handle(dshift ? dshift : dshift_.data());
    p.execute(ctx().strm, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_DIFF_DST, dy_}, {DNNL_ARG_SCALE, scale_},
                           {DNNL_ARG_SHIFT, shift_}, {DNNL_ARG_MEAN, mean_m_}, {DNNL_ARG_VARIANCE, var_m_}, {DNNL_ARG_DIFF_SRC, dx_},
                           {DNNL_ARG_DIFF_SCALE, dscale_m_}, {DNNL_ARG_DIFF_SHIFT, dshift_m_}});
    ctx().strm.wait();
  }

  BatchNormDesc d_;
  batch_normalization_forward fwd_batch_, fwd_global_;
  batch_normalization_backward bwd_batch_, bwd_global_;
  memory x_, y_, dy_, dx_, scale_, shift_, mean_m_, var_m_, dscale_m_, dshift_m_;
  std::vector<float> mean_, var_, dscale_, dshift_, unused_shift_, dx_scratch_;
};

}  // namespace

std::unique_ptr<BatchNormOp> make_batch_norm(const BatchNormDesc& d) { return std::make_unique<CpuBatchNorm>(d); }

}  // namespace xfer::cpu
