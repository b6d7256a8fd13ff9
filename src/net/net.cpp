// net.cpp: building the layers, the flat parameter buffers, forward and the
// truncated backward of frozen nets.
#include "net/net.h"

#include <algorithm>
#include <cmath>
#include <iomanip>

#include "core/check.h"
#include "core/rng.h"

namespace xfer {

NetLayout plan_net(const NetSpec& spec, int batch, int num_outputs) {
  XFER_CHECK(batch > 0, "batch must be positive, got " << batch);
  XFER_CHECK(num_outputs > 0, "the network needs at least one output, got " << num_outputs);
  NetLayout l;
  l.input = Shape(batch, spec.channels, spec.crop, spec.crop);
  Shape s = l.input;
  for (const auto& ls : spec.layers) {
    auto layer = make_layer(ls, num_outputs);
    s = layer->plan(s);
    l.outputs.push_back(s);
    l.layers.push_back(std::move(layer));
  }
  XFER_CHECK(s.c() == num_outputs && s.h() == 1,
             "the network's last layer must produce " << num_outputs << " logits, got " << s.str());
  // Flat buffers, top layer first.
  for (auto it = l.layers.rbegin(); it != l.layers.rend(); ++it) {
    Layer* layer = it->get();
    if (!layer->spec().has_params()) continue;
    ParamSlot p;
    p.layer = layer;
    p.transfer_index = layer->spec().transfer_index;
    p.offset = l.param_count;
    p.weight_count = layer->weight_shape().count();
    p.bias_count = layer->bias_shape().count();
    l.param_count += p.count();
    l.slots.push_back(p);
  }
  return l;
}

size_t NetLayout::bytes() const {
  size_t elements = input.count() + 3 * param_count;
  for (const auto& s : outputs) elements += 2 * s.count();
  return elements * sizeof(float);
}

Net::Net(Backend& be, const NetSpec& spec, int batch, int num_outputs)
    : be_(be), spec_(spec), batch_(batch), num_outputs_(num_outputs) {
  NetLayout layout = plan_net(spec, batch, num_outputs);
  // A size the backend cannot hold is refused before any of it is asked for
  // (a host's overcommitted pages would otherwise be found missing only as
  // they are zeroed, by the kernel's out-of-memory killer).
  const size_t need = layout.bytes(), have = be.memory_bytes();
  XFER_CHECK(need <= have, "the network needs " << std::fixed << std::setprecision(1) << need / 1e9 << " GB ("
                                                << layout.param_count << " parameters, fc8 outputs " << num_outputs
                                                << ", batch " << batch << ") but the " << be.name() << " backend has "
                                                << have / 1e9 << " GB: refused before allocating");
  layers_ = std::move(layout.layers);
  slots_ = std::move(layout.slots);
  input_ = Tensor(be, layout.input);
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->setup(be);
    acts_.emplace_back(be, layout.outputs[i]);
  }
  for (size_t i = 1; i < layers_.size(); ++i)
    if (layers_[i]->spec().has_params() && layers_[i]->spec().transfer_index >= 2) boundaries_.push_back(i - 1);
  boundaries_.push_back(layers_.size() - 1);
  params_ = Tensor(be, Shape(int64_t(layout.param_count)));
  grads_ = Tensor(be, Shape(int64_t(layout.param_count)));
  momentum_ = Tensor(be, Shape(int64_t(layout.param_count)));
  for (auto& p : slots_) {
    float* w = params_.data() + p.offset;
    float* g = grads_.data() + p.offset;
    p.layer->bind_params(Tensor::view(be, w, p.layer->weight_shape()),
                         Tensor::view(be, w + p.weight_count, p.layer->bias_shape()),
                         Tensor::view(be, g, p.layer->weight_shape()),
                         Tensor::view(be, g + p.weight_count, p.layer->bias_shape()));
  }
}

void Net::init_layer(const ParamSlot& p, uint64_t seed) {
  const LayerSpec& ls = p.layer->spec();
  Rng rng(derive_seed(seed, 1000 + p.transfer_index));
  std::vector<float> v(p.count());
  for (size_t i = 0; i < p.weight_count; ++i) v[i] = rng.gaussian(0.f, ls.weight_std);
  std::fill(v.begin() + p.weight_count, v.end(), ls.bias_value);
  be_.upload(params_.data() + p.offset, v.data(), v.size() * sizeof(float));
  be_.zero(momentum_.data() + p.offset, p.count() * sizeof(float));
}

void Net::init_params(uint64_t seed) {
  for (const auto& p : slots_) init_layer(p, seed);
}

void Net::set_frozen(int n) {
  XFER_CHECK(n >= 0 && n <= kMaxTransferLayer,
             "layers to freeze must be in 0.." << kMaxTransferLayer << ", got " << n);
  frozen_ = n;
  for (auto& p : slots_) p.frozen = p.transfer_index <= n;
}

const ParamSlot& Net::slot(const std::string& name) const {
  for (const auto& p : slots_)
    if (p.layer->name() == name) return p;
  XFER_FAIL("the network has no parameter layer named '" << name << "'");
}

std::string Net::nonfinite_params() const {
  std::vector<float> host(params_.count());
  be_.download(host.data(), params_.data(), host.size() * sizeof(float));
  for (auto it = slots_.rbegin(); it != slots_.rend(); ++it)  // slots_ is top layer first
    for (size_t i = it->offset; i < it->offset + it->count(); ++i)
      if (!std::isfinite(host[i])) return std::string(std::isnan(host[i]) ? "nan" : "inf") + " in " + it->layer->name();
  return "";
}

const Tensor& Net::boundary(int n) const {
  XFER_CHECK(n >= 1 && n <= boundary_count(), "boundary " << n << " is not one of the network's 1.." << boundary_count());
  return acts_[boundaries_[n - 1]];
}

std::vector<ParamBlock> Net::trainable_blocks() const {
  std::vector<ParamBlock> v;
  for (const auto& p : slots_)
    if (!p.frozen) v.push_back({p.offset, p.weight_count, p.bias_count});
  return v;
}

size_t Net::trainable_count() const {
  size_t n = 0;
  for (const auto& p : slots_)
    if (!p.frozen) n += p.count();
  return n;
}

LossStats Net::forward(const HostBatch& b, const PassContext& ctx) {
  const Shape in = input_.shape();
  XFER_CHECK(b.c == in.c() && b.h == in.h() && b.w == in.w(),
             "batch images are " << b.c << "x" << b.h << "x" << b.w << " but the network takes "
                                 << in.c() << "x" << in.h() << "x" << in.w());
  XFER_CHECK(b.n > 0 && b.n <= batch_, "batch of " << b.n << " for a network of batch " << batch_);
  const size_t per = size_t(in.c()) * in.h() * in.w();
  be_.upload(input_.data(), b.images.data(), size_t(b.n) * per * sizeof(float));
  if (b.n < batch_)
    be_.zero(input_.data() + size_t(b.n) * per, size_t(batch_ - b.n) * per * sizeof(float));
  labels_.assign(b.labels.begin(), b.labels.end());
  labels_.resize(batch_, 0);
  valid_ = b.n;
  for (size_t i = 0; i < layers_.size(); ++i)
    layers_[i]->forward(i == 0 ? input_ : acts_[i - 1], acts_[i], ctx);
  return be_.softmax_loss(acts_.back().data(), labels_.data(), batch_, valid_, num_outputs_);
}

void Net::backward(float scale) {
  // The lowest layer that needs any backward work: the lowest trainable one.
  size_t lowest = layers_.size();
  for (size_t i = 0; i < layers_.size(); ++i) {
    const auto& s = layers_[i]->spec();
    if (s.has_params() && s.transfer_index > frozen_) {
      lowest = i;
      break;
    }
  }
  XFER_CHECK(lowest < layers_.size(), "every layer is frozen: nothing to train");
  if (dacts_.empty()) {
    for (const auto& a : acts_) dacts_.emplace_back(be_, a.shape());
  }
  be_.softmax_loss_backward(acts_.back().data(), labels_.data(), batch_, valid_, num_outputs_,
                            scale, dacts_.back().data());
  for (size_t i = layers_.size(); i-- > lowest;) {
    Layer& l = *layers_[i];
    const Tensor& x = i == 0 ? input_ : acts_[i - 1];
    Tensor* dx = i > lowest ? &dacts_[i - 1] : nullptr;
    const bool param_grad = l.spec().has_params() && l.spec().transfer_index > frozen_;
    l.backward(x, acts_[i], dacts_[i], dx, param_grad);
    if (param_grad && grads_ready_) {
      const ParamSlot& p = slot(l.name());
      grads_ready_(p.offset, p.count());
    }
  }
}

}  // namespace xfer
