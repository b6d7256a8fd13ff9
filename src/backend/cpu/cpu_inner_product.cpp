// cpu_inner_product.cpp: fully connected layers on oneDNN's inner product,
// with ReLU fused into forward as a post-op. Activations stay plain (they are
// small next to the weights); the weights are staged into the primitive's
// preferred layout when it has one.
#include <oneapi/dnnl/dnnl.hpp>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/dnnl_util.h"

namespace xfer::cpu {

namespace {

using namespace dnnl;

class CpuInnerProduct final : public InnerProductOp {
 public:
  explicit CpuInnerProduct(const InnerProductDesc& d) {
    auto& c = ctx();
    // A spatial input (fc6 after pool5) is seen as [n, c*h*w]: NCHW rows and
    // OIHW weight rows flatten the same way, and oneDNN's fastest kernels
    // (brgemm) take plain 2-D tensors.
    const memory::dims src{d.n, d.in()}, wei{d.out, d.in()};
    const tag src_tag = tag::nc, wei_tag = tag::oi;
    const memory::dims dst{d.n, d.out}, bias{d.out};
    const auto src_md = plain(src, src_tag), dst_md = plain(dst, tag::nc);
    const auto wei_md = plain(wei, wei_tag), bias_md = plain(bias, tag::x);
    primitive_attr attr;
    if (d.relu) {
      post_ops ops;
      ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(ops);
    }
    // Plain weights: a blocked layout would cost a reorder of the whole
    // matrix (fc6: 37.7M values) in each of the three passes of every step.
    inner_product_forward::desc fd(prop_kind::forward_training, src_md, wei_md, bias_md, dst_md);
    fwd_pd_ = inner_product_forward::primitive_desc(fd, attr, c.eng);
    inner_product_backward_data::desc bdd(src_md, wei_md, dst_md);
    bwd_data_pd_ = inner_product_backward_data::primitive_desc(bdd, c.eng, fwd_pd_);
    inner_product_backward_weights::desc bwd(src_md, wei_md, bias_md, dst_md);
    bwd_w_pd_ = inner_product_backward_weights::primitive_desc(bwd, c.eng, fwd_pd_);
    fwd_ = inner_product_forward(fwd_pd_);
    bwd_data_ = inner_product_backward_data(bwd_data_pd_);
    bwd_w_ = inner_product_backward_weights(bwd_w_pd_);

    w_ = Staged(wei_md, fwd_pd_.weights_desc());
    bw_ = Staged(wei_md, bwd_data_pd_.weights_desc());
    dw_ = Staged(wei_md, bwd_w_pd_.diff_weights_desc());
    x_ = memory(src_md, c.eng, DNNL_MEMORY_NONE);
    dx_ = memory(src_md, c.eng, DNNL_MEMORY_NONE);
    y_ = memory(dst_md, c.eng, DNNL_MEMORY_NONE);
    dy_ = memory(dst_md, c.eng, DNNL_MEMORY_NONE);
    b_ = memory(bias_md, c.eng, DNNL_MEMORY_NONE);
    db_ = memory(bias_md, c.eng, DNNL_MEMORY_NONE);
  }

  void forward(const float* x, const float* w, const float* b, float* y) override {
    x_.set_data_handle(const_cast<float*>(x));
    b_.set_data_handle(const_cast<float*>(b));
    y_.set_data_handle(y);
    fwd_.execute(ctx().strm, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_WEIGHTS, w_.in(w)},
                              {DNNL_ARG_BIAS, b_}, {DNNL_ARG_DST, y_}});
    ctx().strm.wait();
  }

  void backward_data(const float* dy, const float* w, float* dx) override {
    dy_.set_data_handle(const_cast<float*>(dy));
    dx_.set_data_handle(dx);
    bwd_data_.execute(ctx().strm, {{DNNL_ARG_DIFF_DST, dy_}, {DNNL_ARG_WEIGHTS, bw_.in(w)},
                                   {DNNL_ARG_DIFF_SRC, dx_}});
    ctx().strm.wait();
  }

  void backward_weights(const float* x, const float* dy, float* dw, float* db) override {
    x_.set_data_handle(const_cast<float*>(x));
    dy_.set_data_handle(const_cast<float*>(dy));
    db_.set_data_handle(db);
    bwd_w_.execute(ctx().strm, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_DIFF_DST, dy_},
                                {DNNL_ARG_DIFF_WEIGHTS, dw_.out(dw)}, {DNNL_ARG_DIFF_BIAS, db_}});
    dw_.finish();
    ctx().strm.wait();
  }

 private:
  inner_product_forward::primitive_desc fwd_pd_;
  inner_product_backward_data::primitive_desc bwd_data_pd_;
  inner_product_backward_weights::primitive_desc bwd_w_pd_;
  inner_product_forward fwd_;
  inner_product_backward_data bwd_data_;
  inner_product_backward_weights bwd_w_;
  Staged w_, bw_, dw_;
  memory x_, dx_, y_, dy_, b_, db_;
};

}  // namespace

std::unique_ptr<InnerProductOp> make_inner_product(const InnerProductDesc& d) {
  return std::make_unique<CpuInnerProduct>(d);
}

}  // namespace xfer::cpu
