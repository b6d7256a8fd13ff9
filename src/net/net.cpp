// net.cpp: building the layers, the flat parameter buffers, forward and the
// truncated backward of frozen nets.
#include "net/net.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <utility>

#include "core/check.h"
#include "core/rng.h"

namespace xfer {

NetLayout plan_net(const NetSpec& spec, int batch, int num_outputs) {
  XFER_CHECK(batch > 0, "batch must be positive, got " << batch);
  XFER_CHECK(num_outputs > 0, "the network needs at least one output, got " << num_outputs);
  NetLayout l;
  l.input = Shape(batch, spec.channels, spec.crop, spec.crop);
  Shape s = l.input;
  std::map<std::string, int> index;  // of each layer named so far
  for (const auto& ls : spec.layers) {
    const int i = int(l.layers.size());
    std::vector<int> in;
    if (ls.inputs.empty()) in.push_back(i - 1);  // -1: the network's input
    for (const std::string& name : ls.inputs) {
      const auto it = index.find(name);
      XFER_CHECK(it != index.end(), "layer " << ls.name << " takes '" << name << "', which is not a layer before it");
      in.push_back(it->second);
    }
    XFER_CHECK(index.emplace(ls.name, i).second, "two layers are named '" << ls.name << "'");
    std::vector<Shape> shapes;
    for (int j : in) shapes.push_back(j < 0 ? l.input : l.outputs[j]);
    auto layer = make_layer(ls, num_outputs);
    s = layer->plan_inputs(shapes);
    l.outputs.push_back(s);
    l.inputs.push_back(std::move(in));
    l.layers.push_back(std::move(layer));
  }
  XFER_CHECK(s.c() == num_outputs && s.h() == 1,
             "the network's last layer must produce " << num_outputs << " logits, got " << s.str());
  std::vector<int> used(l.layers.size(), 0);
  for (const auto& in : l.inputs)
    for (int j : in)
      if (j >= 0) ++used[size_t(j)];
  for (size_t i = 0; i + 1 < l.layers.size(); ++i)
    XFER_CHECK(used[i], "the output of layer " << l.layers[i]->name() << " is taken by no layer");
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
    p.buffer_offset = l.buffer_count;
    p.buffer_count = layer->initial_buffers().size();
    l.param_count += p.count();
    l.buffer_count += p.buffer_count;
    l.slots.push_back(p);
  }
  std::map<int, int> seen;  // ordinals bottom up, so a layer added on top changes none below
  for (auto it = l.slots.rbegin(); it != l.slots.rend(); ++it) it->ordinal = seen[it->transfer_index]++;
  return l;
}

size_t NetLayout::bytes() const {
  size_t elements = input.count() + 3 * param_count + buffer_count;
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
  inputs_ = std::move(layout.inputs);
  input_ = Tensor(be, layout.input);
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->setup(be);
    acts_.emplace_back(be, layout.outputs[i]);
  }
  for (const auto& in : inputs_) {
    in_tensors_.emplace_back();
    for (int j : in) in_tensors_.back().push_back(j < 0 ? &input_ : &acts_[size_t(j)]);
  }
  scratch_.resize(layers_.size());
  slot_of_.assign(layers_.size(), -1);
  for (size_t k = 0; k < slots_.size(); ++k)
    for (size_t i = 0; i < layers_.size(); ++i)
      if (layers_[i].get() == slots_[k].layer) slot_of_[i] = int(k);
  // Boundary n: what the first layer of transfer index n + 1 receives.
  int last_index = 0;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const LayerSpec& s = layers_[i]->spec();
    if (!s.has_params() || s.transfer_index == last_index) continue;
    if (i > 0 && last_index > 0) boundaries_.push_back(i - 1);
    last_index = s.transfer_index;
  }
  boundaries_.push_back(layers_.size() - 1);
  params_ = Tensor(be, Shape(int64_t(layout.param_count)));
  grads_ = Tensor(be, Shape(int64_t(layout.param_count)));
  momentum_ = Tensor(be, Shape(int64_t(layout.param_count)));
  if (layout.buffer_count) buffers_ = Tensor(be, Shape(int64_t(layout.buffer_count)));
  for (auto& p : slots_) {
    float* w = params_.data() + p.offset;
    float* g = grads_.data() + p.offset;
    p.layer->bind_params(Tensor::view(be, w, p.layer->weight_shape()),
                         Tensor::view(be, w + p.weight_count, p.layer->bias_shape()),
                         Tensor::view(be, g, p.layer->weight_shape()),
                         Tensor::view(be, g + p.weight_count, p.layer->bias_shape()));
    if (p.buffer_count) {
      p.layer->bind_buffers(Tensor::view(be, buffers_.data() + p.buffer_offset, Shape(int64_t(p.buffer_count))));
      reset_buffers(p);
    }
  }
}

void Net::init_layer(const ParamSlot& p, uint64_t seed) {
  const LayerSpec& ls = p.layer->spec();
  // CaffeNet's layers draw from the stream of their transfer index, as they
  // always have; a later layer of the same index from one of its own.
  uint64_t stream = derive_seed(seed, 1000 + p.transfer_index);
  if (p.ordinal > 0) stream = derive_seed(stream, uint64_t(p.ordinal));
  Rng rng(stream);
  std::vector<float> v(p.count());
  for (size_t i = 0; i < p.weight_count; ++i) v[i] = ls.weight_std > 0 ? rng.gaussian(0.f, ls.weight_std) : ls.weight_value;
  std::fill(v.begin() + p.weight_count, v.end(), ls.bias_value);
  be_.upload(params_.data() + p.offset, v.data(), v.size() * sizeof(float));
  be_.zero(momentum_.data() + p.offset, p.count() * sizeof(float));
  reset_buffers(p);
}

void Net::reset_buffers(const ParamSlot& p) {
  const std::vector<float> b = p.layer->initial_buffers();
  if (!b.empty()) be_.upload(buffers_.data() + p.buffer_offset, b.data(), b.size() * sizeof(float));
}

void Net::init_params(uint64_t seed) {
  for (const auto& p : slots_) init_layer(p, seed);
}

void Net::set_frozen(int n) {
  XFER_CHECK(n >= 0 && n <= spec_.transfer_layers(),
             "layers to freeze must be in 0.." << spec_.transfer_layers() << " for network " << spec_.preset << ", got "
                                               << n);
  frozen_ = n;
  for (auto& p : slots_) p.frozen = p.transfer_index <= n || (p.bn_frozen && p.transfer_index <= bn_up_to_);
}

void Net::set_bn_mode(int n, BnMode mode) {
  bn_up_to_ = n;
  for (auto& p : slots_) {
    if (p.layer->spec().type != LayerType::BatchNorm) continue;
    const BnMode m = p.transfer_index <= n ? mode : BnMode::Train;
    p.layer->set_bn_mode(m);
    p.bn_frozen = m == BnMode::Frozen;
  }
  set_frozen(frozen_);
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
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->forward_inputs(in_tensors_[i], acts_[i], ctx);
  return be_.softmax_loss(acts_.back().data(), labels_.data(), batch_, valid_, num_outputs_);
}

void Net::backward(float scale) {
  // The lowest layer that needs any backward work: the lowest trainable one.
  // Nothing below it runs backward, and no activation below it gets a gradient.
  size_t lowest = layers_.size();
  for (size_t i = 0; i < layers_.size() && lowest == layers_.size(); ++i)
    if (trains(i)) lowest = i;
  XFER_CHECK(lowest < layers_.size(), "every layer is frozen: nothing to train");
  if (dacts_.empty()) {
    for (const auto& a : acts_) dacts_.emplace_back(be_, a.shape());
  }
  be_.softmax_loss_backward(acts_.back().data(), labels_.data(), batch_, valid_, num_outputs_,
                            scale, dacts_.back().data());
  // An activation that feeds several layers (a residual block's input): the
  // first of them backward, the highest, writes its gradient; each other
  // writes into a scratch tensor that is then added.
  std::vector<char> written(layers_.size(), 0);
  for (size_t i = layers_.size(); i-- > lowest;) {
    if (layers_[i]->passes_gradient_through()) {
      pass_gradient_through(i, lowest, written);
      continue;
    }
    std::vector<Tensor*> dxs;
    std::vector<int> added;
    for (int j : inputs_[i]) {
      if (j < 0 || size_t(j) < lowest) {
        dxs.push_back(nullptr);
      } else if (!written[j]) {
        written[j] = 1;
        dxs.push_back(&dacts_[j]);
      } else {
        if (scratch_[j].empty()) scratch_[j] = Tensor(be_, acts_[j].shape());
        dxs.push_back(&scratch_[j]);
        added.push_back(j);
      }
    }
    Layer& l = *layers_[i];
    const bool param_grad = trains(i);
    l.backward_inputs(in_tensors_[i], acts_[i], dacts_[i], dxs, param_grad);
    for (int j : added) be_.add(dacts_[j].data(), scratch_[j].data(), dacts_[j].data(), dacts_[j].count());
    // Every parameter layer from the top down to the lowest trainable one
    // is reported, so the ranges stay one prefix: a frozen batch
    // normalisation among them sends its zero gradients (never written).
    if (slot_of_[i] >= 0 && grads_ready_) {
      const ParamSlot& p = slots_[size_t(slot_of_[i])];
      grads_ready_(p.offset, p.count());
    }
  }
}

// A sum hands its (ReLU-masked) dy to every input unchanged: added where an
// input already has a gradient, copied to the others, and the last of them
// takes dy's own buffer (the sum's output gradient is not read again), so a
// residual block costs no copy of its own.
void Net::pass_gradient_through(size_t i, size_t lowest, std::vector<char>& written) {
  const std::vector<Tensor*> none(inputs_[i].size(), nullptr);
  layers_[i]->backward_inputs(in_tensors_[i], acts_[i], dacts_[i], none, false);  // the mask
  std::vector<int> fresh;
  for (int j : inputs_[i]) {
    if (j < 0 || size_t(j) < lowest) continue;
    if (written[j]) {
      be_.add(dacts_[j].data(), dacts_[i].data(), dacts_[j].data(), dacts_[j].count());
    } else {
      written[j] = 1;
      fresh.push_back(j);
    }
  }
  for (size_t k = 0; k + 1 < fresh.size(); ++k) be_.copy(dacts_[fresh[k]].data(), dacts_[i].data(), dacts_[i].bytes());
  if (!fresh.empty()) std::swap(dacts_[i], dacts_[fresh.back()]);
}

bool Net::trains(size_t layer) const { return slot_of_[layer] >= 0 && !slots_[size_t(slot_of_[layer])].frozen; }

}  // namespace xfer
