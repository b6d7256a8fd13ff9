// solver_spec.h: the solver's settings, one plain struct: what the trainer's
// --base-lr ... --snapshot-interval set, what a network preset gives as
// defaults and what the grid's [solver] section writes. Header only, so the
// grid and the configuration use it without linking the solver.
#pragma once

namespace xfer {

// The defaults are the paper's imagenet_solver.prototxt (caffenet's preset).
struct SolverSpec {
  double base_lr = 0.01;
  double gamma = 0.1;
  int lr_step = 100000;
  int max_iter = 450000;
  double momentum = 0.9;
  double weight_decay = 0.0005;
  int batch = 256;
  int test_interval = 1000;
  // The first iteration tested (then every test_interval, and always the
  // last). 0: from the start, as the paper did; later keeps the paper's
  // statistic, the mean of the 10 best tests, on the converged end of a run
  // that has far fewer tests than the paper's 450.
  int test_start = 0;
  int snapshot_interval = 10000;
  double weight_lr_mult = 1, weight_decay_mult = 1;  // Caffe's per-parameter multipliers
  double bias_lr_mult = 2, bias_decay_mult = 0;
};

}  // namespace xfer
