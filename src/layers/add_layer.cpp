// add_layer.cpp: the sum of a residual block: y = x_0 + x_1 (+ ...), of
// equal shapes, with an optional ReLU after it. Its backward hands dy to
// every input that needs a gradient; where an input also feeds another layer,
// the net adds the two gradients (net.cpp).
#include "core/check.h"
#include "layers/layer_impl.h"

namespace xfer {

namespace {

class AddLayer final : public Layer {
 public:
  using Layer::Layer;

  Shape plan_inputs(const std::vector<Shape>& in) override {
    XFER_CHECK(in.size() >= 2, "layer " << name() << " sums at least two inputs, got " << in.size());
    for (size_t k = 1; k < in.size(); ++k)
      XFER_CHECK(in[k] == in[0], "layer " << name() << ": input " << spec_.inputs[k] << " is " << in[k].str()
                                          << " but " << spec_.inputs[0] << " is " << in[0].str());
    return in[0];
  }
  Shape plan(const Shape&) override { XFER_FAIL("layer " << name() << " sums several inputs"); }
  void setup(Backend& be) override { be_ = &be; }
  bool passes_gradient_through() const override { return true; }

  void forward_inputs(const std::vector<const Tensor*>& xs, Tensor& y, const PassContext&) override {
    be_->add(xs[0]->data(), xs[1]->data(), y.data(), y.count());
    for (size_t k = 2; k < xs.size(); ++k) be_->add(y.data(), xs[k]->data(), y.data(), y.count());
    if (spec_.relu) be_->relu(y.data(), y.count());
  }

  void backward_inputs(const std::vector<const Tensor*>&, const Tensor& y, Tensor& dy,
                       const std::vector<Tensor*>& dxs, bool) override {
    if (spec_.relu) be_->relu_backward(y.data(), dy.data(), dy.count());
    for (Tensor* dx : dxs)
      if (dx) be_->copy(dx->data(), dy.data(), dy.bytes());
  }

  void forward(const Tensor&, Tensor&, const PassContext&) override { XFER_FAIL("layer " << name() << " sums several inputs"); }
  void backward(const Tensor&, const Tensor&, Tensor&, Tensor*, bool) override {
    XFER_FAIL("layer " << name() << " sums several inputs");
  }

 private:
  Backend* be_ = nullptr;
};

}  // namespace

std::unique_ptr<Layer> make_add_layer(const LayerSpec& s) { return std::make_unique<AddLayer>(s); }

}  // namespace xfer
