// sgd.h: the paper's solver (Caffe's SGD with momentum, weight decay, the
// "step" learning-rate policy and per-parameter lr/decay multipliers).
#pragma once

#include "net/net.h"
#include "net/net_spec.h"

namespace xfer {

class SgdSolver {
 public:
  SgdSolver(Net& net, const SolverSpec& s) : net_(net), s_(s) {}
  // base_lr * gamma ^ floor(iter / lr_step).
  double learning_rate(int64_t iter) const;
  // One update of every trainable parameter from the gradients in the net's
  // buffer: v = momentum*v + lr*mult*(g + decay*decay_mult*w); w -= v.
  void update(int64_t iter);
  const SolverSpec& spec() const { return s_; }

 private:
  Net& net_;
  SolverSpec s_;
};

}  // namespace xfer
