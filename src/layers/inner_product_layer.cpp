// inner_product_layer.cpp: fully connected layers with an optional fused ReLU
// (the passes are WeightedLayer's).
#include "layers/layer_impl.h"

namespace xfer {

namespace {

class InnerProductLayer final : public WeightedLayer {
 public:
  InnerProductLayer(const LayerSpec& s, int outputs) : WeightedLayer(s), outputs_(outputs) {}

  Shape plan(const Shape& in) override {
    shape_dim(in.c() * in.h() * in.w(), name(), "input size");  // the op's in() is an int
    d_ = InnerProductDesc{.n = shape_dim(in.n(), name(), "batch"), .c = shape_dim(in.c(), name(), "channels"),
                          .h = shape_dim(in.h(), name(), "height"), .w = shape_dim(in.w(), name(), "width"),
                          .out = outputs_, .relu = spec_.relu};
    return Shape(d_.n, d_.out);
  }

  void make_op(Backend& be) override { op_ = be.make_inner_product(d_); }

  Shape weight_shape() const override { return Shape(outputs_, d_.in()); }
  Shape bias_shape() const override { return Shape(outputs_); }

 private:
  int outputs_;
  InnerProductDesc d_;
};

}  // namespace

std::unique_ptr<Layer> make_inner_product_layer(const LayerSpec& s, int outputs) {
  return std::make_unique<InnerProductLayer>(s, outputs);
}

}  // namespace xfer
