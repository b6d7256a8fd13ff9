// cpu_conv.cpp: grouped convolution on oneDNN. The primitives pick their
// own (blocked) layouts; Staged reorders our plain NCHW / GOIHW buffers at
// the boundary. Forward keeps its reordered input for backward_weights, and
// the reordered output gradient is shared by both backward passes.
#include <oneapi/dnnl/dnnl.hpp>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/dnnl_util.h"

namespace xfer::cpu {

namespace {

using namespace dnnl;

class CpuConv final : public ConvOp {
 public:
  explicit CpuConv(const ConvDesc& d) {
    auto& c = ctx();
    const memory::dims src{d.n, d.c, d.h, d.w}, dst{d.n, d.out_c, d.out_h(), d.out_w()};
    const memory::dims bias{d.out_c}, strides{d.stride, d.stride}, pad{d.pad, d.pad};
    memory::dims wei;
    tag wei_tag;
    if (d.groups > 1) {
      wei = {d.groups, d.out_c / d.groups, d.c / d.groups, d.kernel, d.kernel};
      wei_tag = tag::goihw;
    } else {
      wei = {d.out_c, d.c, d.kernel, d.kernel};
      wei_tag = tag::oihw;
    }
    primitive_attr attr;
    if (d.relu) {
      post_ops ops;
      ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(ops);
    }
    convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct,
                                 any(src), any(wei), plain(bias, tag::x), any(dst), strides, pad,
                                 pad);
    fwd_pd_ = convolution_forward::primitive_desc(fd, attr, c.eng);
    fwd_ = convolution_forward(fwd_pd_);
    convolution_backward_data::desc bdd(algorithm::convolution_direct, any(src), any(wei),
                                        any(dst), strides, pad, pad);
    bwd_data_pd_ = convolution_backward_data::primitive_desc(bdd, c.eng, fwd_pd_);
    bwd_data_ = convolution_backward_data(bwd_data_pd_);
    convolution_backward_weights::desc bwd(algorithm::convolution_direct, any(src), any(wei),
                                           plain(bias, tag::x), any(dst), strides, pad, pad);
    bwd_w_pd_ = convolution_backward_weights::primitive_desc(bwd, c.eng, fwd_pd_);
    bwd_w_ = convolution_backward_weights(bwd_w_pd_);

    const auto src_md = plain(src, tag::nchw), dst_md = plain(dst, tag::nchw);
    const auto wei_md = plain(wei, wei_tag);
    x_ = Staged(src_md, fwd_pd_.src_desc());
    w_ = Staged(wei_md, fwd_pd_.weights_desc());
    y_ = Staged(dst_md, fwd_pd_.dst_desc());
    // Backward passes may prefer other layouts than forward; stage separately.
    bx_ = Staged(src_md, bwd_w_pd_.src_desc());
    same_x_ = fwd_pd_.src_desc() == bwd_w_pd_.src_desc();
    dy_data_ = Staged(dst_md, bwd_data_pd_.diff_dst_desc());
    dy_w_ = Staged(dst_md, bwd_w_pd_.diff_dst_desc());
    same_dy_ = bwd_data_pd_.diff_dst_desc() == bwd_w_pd_.diff_dst_desc();
    bw_ = Staged(wei_md, bwd_data_pd_.weights_desc());
    dx_ = Staged(src_md, bwd_data_pd_.diff_src_desc());
    dw_ = Staged(wei_md, bwd_w_pd_.diff_weights_desc());
    bias_ = memory(plain(bias, tag::x), c.eng, DNNL_MEMORY_NONE);
    dbias_ = memory(plain(bias, tag::x), c.eng, DNNL_MEMORY_NONE);
  }

  void forward(const float* x, const float* w, const float* b, float* y) override {
    auto& s = ctx().strm;
    bias_.set_data_handle(const_cast<float*>(b));
    x_mem_ = &x_.in(x);
    last_x_ = x;
    fwd_.execute(s, {{DNNL_ARG_SRC, *x_mem_},
                     {DNNL_ARG_WEIGHTS, w_.in(w)},
                     {DNNL_ARG_BIAS, bias_},
                     {DNNL_ARG_DST, y_.out(y)}});
    y_.finish();
    s.wait();
  }

  void backward_data(const float* dy, const float* w, float* dx) override {
    auto& s = ctx().strm;
    dy_data_mem_ = &dy_data_.in(dy);
    bwd_data_.execute(s, {{DNNL_ARG_DIFF_DST, *dy_data_mem_},
                          {DNNL_ARG_WEIGHTS, bw_.in(w)},
                          {DNNL_ARG_DIFF_SRC, dx_.out(dx)}});
    dx_.finish();
    s.wait();
    last_dy_ = dy;
  }

  void backward_weights(const float* x, const float* dy, float* dw, float* db) override {
    auto& s = ctx().strm;
    dbias_.set_data_handle(db);
    // Reuse the staged input of forward and the staged gradient of
    // backward_data when the layouts agree and the buffers are the same.
    memory& xm = (same_x_ && x_mem_ && last_x_ == x) ? *x_mem_ : bx_.in(x);
    memory& dym = (same_dy_ && dy_data_mem_ && last_dy_ == dy) ? *dy_data_mem_ : dy_w_.in(dy);
    bwd_w_.execute(s, {{DNNL_ARG_SRC, xm},
                       {DNNL_ARG_DIFF_DST, dym},
                       {DNNL_ARG_DIFF_WEIGHTS, dw_.out(dw)},
                       {DNNL_ARG_DIFF_BIAS, dbias_}});
    dw_.finish();
    s.wait();
    last_dy_ = nullptr;
  }

 private:
  convolution_forward::primitive_desc fwd_pd_;
  convolution_backward_data::primitive_desc bwd_data_pd_;
  convolution_backward_weights::primitive_desc bwd_w_pd_;
  convolution_forward fwd_;
  convolution_backward_data bwd_data_;
  convolution_backward_weights bwd_w_;
  Staged x_, w_, y_, bx_, dy_data_, dy_w_, bw_, dx_, dw_;
  bool same_x_ = false, same_dy_ = false;
  memory bias_, dbias_;
  memory* x_mem_ = nullptr;
  memory* dy_data_mem_ = nullptr;
  const float* last_dy_ = nullptr;
  const float* last_x_ = nullptr;
};

}  // namespace

std::unique_ptr<ConvOp> make_conv(const ConvDesc& d) { return std::make_unique<CpuConv>(d); }

}  // namespace xfer::cpu
