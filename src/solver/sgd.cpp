// sgd.cpp: the update, one fused pass per parameter tensor on the backend.
#include "solver/sgd.h"

#include <cmath>

#include "backend/backend.h"

namespace xfer {

double SgdSolver::learning_rate(int64_t iter) const {
  return s_.base_lr * std::pow(s_.gamma, static_cast<double>(iter / s_.lr_step));
}

void SgdSolver::update(int64_t iter) {
  const double lr = learning_rate(iter);
  Backend& be = target_.backend();
  float* w = target_.params().data();
  float* g = target_.grads().data();
  float* v = target_.momentum().data();
  for (const ParamBlock& p : target_.trainable_blocks()) {
    const size_t o = p.offset, b = p.offset + p.weights;
    be.sgd_update(w + o, g + o, v + o, p.weights, float(lr * s_.weight_lr_mult),
                  float(s_.momentum), float(s_.weight_decay * s_.weight_decay_mult));
    be.sgd_update(w + b, g + b, v + b, p.biases, float(lr * s_.bias_lr_mult),
                  float(s_.momentum), float(s_.weight_decay * s_.bias_decay_mult));
  }
}

}  // namespace xfer
