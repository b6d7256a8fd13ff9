// dropout_layer.cpp: inverted dropout (scaled at training time, identity at
// test time). The mask comes from a hash of (seed, step, layer), so it is the
// same on every backend and after a resume.
#include "core/rng.h"
#include "layers/layer_impl.h"

namespace xfer {

namespace {

class DropoutLayer final : public Layer {
 public:
  using Layer::Layer;

  Shape plan(const Shape& in) override {
    in_ = in;
    return in;
  }

  void setup(Backend& be) override {
    be_ = &be;
    mask_ = Tensor(be, in_);
    stream_salt_ = fnv1a(name().c_str());
  }

  void forward(const Tensor& x, Tensor& y, const PassContext& ctx) override {
    if (!ctx.train || spec_.dropout_ratio <= 0.f) {
      be_->copy(y.data(), x.data(), x.bytes());
      return;
    }
    const uint64_t stream = ctx.step * 0x100000001b3ULL ^ stream_salt_;
    be_->dropout_forward(x.data(), y.data(), mask_.data(), x.count(), spec_.dropout_ratio,
                         ctx.dropout_seed, stream);
  }

  void backward(const Tensor&, const Tensor&, Tensor& dy, Tensor* dx, bool) override {
    if (!dx) return;
    if (spec_.dropout_ratio <= 0.f) {
      be_->copy(dx->data(), dy.data(), dy.bytes());
      return;
    }
    be_->multiply(dy.data(), mask_.data(), dx->data(), dy.count());
  }

 private:
  Backend* be_ = nullptr;
  Shape in_;
  Tensor mask_;
  uint64_t stream_salt_ = 0;
};

}  // namespace

std::unique_ptr<Layer> make_dropout_layer(const LayerSpec& s) {
  return std::make_unique<DropoutLayer>(s);
}

}  // namespace xfer
