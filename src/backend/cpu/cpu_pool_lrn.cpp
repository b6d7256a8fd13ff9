// cpu_pool_lrn.cpp: max pooling (Caffe's ceil rounding expressed as extra
// right padding) and across-channel LRN on oneDNN. Both keep the workspace of
// the last training forward for backward.
#include <oneapi/dnnl/dnnl.hpp>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/dnnl_util.h"

namespace xfer::cpu {

namespace {

using namespace dnnl;

class CpuPool final : public PoolOp {
 public:
  explicit CpuPool(const PoolDesc& d) {
    auto& c = ctx();
    const int oh = d.out_h(), ow = d.out_w();
    const memory::dims src{d.n, d.c, d.h, d.w}, dst{d.n, d.c, oh, ow};
    const memory::dims k{d.kernel, d.kernel}, s{d.stride, d.stride}, pl{d.pad, d.pad};
    // Right padding that makes oneDNN's floor formula give Caffe's ceil size.
    const memory::dims pr{(oh - 1) * d.stride + d.kernel - d.h - d.pad,
                          (ow - 1) * d.stride + d.kernel - d.w - d.pad};
    const auto src_md = plain(src, tag::nchw), dst_md = plain(dst, tag::nchw);
    pooling_forward::desc ftrain(prop_kind::forward_training, algorithm::pooling_max, src_md,
                                 dst_md, s, k, pl, pr);
    pooling_forward::desc finf(prop_kind::forward_inference, algorithm::pooling_max, src_md,
                               dst_md, s, k, pl, pr);
    train_pd_ = pooling_forward::primitive_desc(ftrain, c.eng);
    infer_pd_ = pooling_forward::primitive_desc(finf, c.eng);
    pooling_backward::desc bd(algorithm::pooling_max, src_md, dst_md, s, k, pl, pr);
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
      train_.execute(ctx().strm, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_DST, y_}, {DNNL_ARG_WORKSPACE, ws_}});
    } else {
      infer_.execute(ctx().strm, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_DST, y_}});
    }
    ctx().strm.wait();
  }

  void backward(const float* dy, float* dx) override {
    y_.set_data_handle(const_cast<float*>(dy));
    x_.set_data_handle(dx);
    bwd_.execute(ctx().strm, {{DNNL_ARG_DIFF_DST, y_}, {DNNL_ARG_DIFF_SRC, x_},
                              {DNNL_ARG_WORKSPACE, ws_}});
    ctx().strm.wait();
  }

 private:
  pooling_forward::primitive_desc train_pd_, infer_pd_;
  pooling_backward::primitive_desc bwd_pd_;
  pooling_forward train_, infer_;
  pooling_backward bwd_;
  memory ws_, x_, y_;
};

class CpuLrn final : public LrnOp {
 public:
  explicit CpuLrn(const LrnDesc& d) {
    auto& c = ctx();
    const auto md = plain({d.n, d.c, d.h, d.w}, tag::nchw);
    // oneDNN divides alpha by the window size, as Caffe does.
    lrn_forward::desc ftrain(prop_kind::forward_training, algorithm::lrn_across_channels, md,
                             d.size, d.alpha, d.beta, d.k);
    lrn_forward::desc finf(prop_kind::forward_inference, algorithm::lrn_across_channels, md,
                           d.size, d.alpha, d.beta, d.k);
    train_pd_ = lrn_forward::primitive_desc(ftrain, c.eng);
    infer_pd_ = lrn_forward::primitive_desc(finf, c.eng);
    lrn_backward::desc bd(algorithm::lrn_across_channels, md, md, d.size, d.alpha, d.beta, d.k);
    bwd_pd_ = lrn_backward::primitive_desc(bd, c.eng, train_pd_);
    train_ = lrn_forward(train_pd_);
    infer_ = lrn_forward(infer_pd_);
    bwd_ = lrn_backward(bwd_pd_);
    ws_ = memory(train_pd_.workspace_desc(), c.eng);
    a_ = memory(md, c.eng, DNNL_MEMORY_NONE);
    b_ = memory(md, c.eng, DNNL_MEMORY_NONE);
    g_ = memory(md, c.eng, DNNL_MEMORY_NONE);
  }

  void forward(const float* x, float* y, bool train) override {
    a_.set_data_handle(const_cast<float*>(x));
    b_.set_data_handle(y);
    if (train) {
      train_.execute(ctx().strm, {{DNNL_ARG_SRC, a_}, {DNNL_ARG_DST, b_}, {DNNL_ARG_WORKSPACE, ws_}});
    } else {
      infer_.execute(ctx().strm, {{DNNL_ARG_SRC, a_}, {DNNL_ARG_DST, b_}});
    }
    ctx().strm.wait();
  }

  void backward(const float* x, const float* dy, float* dx) override {
    a_.set_data_handle(const_cast<float*>(x));
    b_.set_data_handle(const_cast<float*>(dy));
    g_.set_data_handle(dx);
    bwd_.execute(ctx().strm, {{DNNL_ARG_SRC, a_}, {DNNL_ARG_DIFF_DST, b_},
                              {DNNL_ARG_DIFF_SRC, g_}, {DNNL_ARG_WORKSPACE, ws_}});
    ctx().strm.wait();
  }

 private:
  lrn_forward::primitive_desc train_pd_, infer_pd_;
  lrn_backward::primitive_desc bwd_pd_;
  lrn_forward train_, infer_;
  lrn_backward bwd_;
  memory ws_, a_, b_, g_;
};

}  // namespace

std::unique_ptr<PoolOp> make_pool(const PoolDesc& d) { return std::make_unique<CpuPool>(d); }
std::unique_ptr<LrnOp> make_lrn(const LrnDesc& d) { return std::make_unique<CpuLrn>(d); }

}  // namespace xfer::cpu
