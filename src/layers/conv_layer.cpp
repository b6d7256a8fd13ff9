// conv_layer.cpp: grouped convolution with a fused ReLU (the passes are
// WeightedLayer's).
#include "core/check.h"
#include "layers/layer_impl.h"

namespace xfer {

namespace {

class ConvLayer final : public WeightedLayer {
 public:
  using WeightedLayer::WeightedLayer;

  Shape plan(const Shape& in) override {
    d_ = ConvDesc{.n = shape_dim(in.n(), name(), "batch"), .c = shape_dim(in.c(), name(), "input channels"),
                  .h = shape_dim(in.h(), name(), "height"), .w = shape_dim(in.w(), name(), "width"),
                  .out_c = spec_.outputs,
                  .kernel = spec_.kernel, .stride = spec_.stride, .pad = spec_.pad,
                  .groups = spec_.groups, .relu = spec_.relu};
    XFER_CHECK(d_.c % d_.groups == 0 && d_.out_c % d_.groups == 0,
               "layer " << name() << ": " << d_.c << " inputs and " << d_.out_c
                        << " outputs must both divide into " << d_.groups << " groups");
    XFER_CHECK(d_.out_h() > 0 && d_.out_w() > 0,
               "layer " << name() << ": input " << in.str() << " is smaller than its kernel");
    return Shape(d_.n, d_.out_c, d_.out_h(), d_.out_w());
  }

  void make_op(Backend& be) override { op_ = be.make_conv(d_); }

  Shape weight_shape() const override {
    return Shape(spec_.outputs, d_.c / spec_.groups, spec_.kernel, spec_.kernel);
  }
  Shape bias_shape() const override { return Shape(spec_.bias ? spec_.outputs : 0); }

 private:
  ConvDesc d_;
};

}  // namespace

std::unique_ptr<Layer> make_conv_layer(const LayerSpec& s) { return std::make_unique<ConvLayer>(s); }

}  // namespace xfer
