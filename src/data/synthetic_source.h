// synthetic_source.h: the generated batch, for runs without a dataset (the
// engine's tests and benchmarks, and a first try of the trainer). Each class
// has a fixed random template; an example is its class template plus noise,
// so a network can learn it and overfit it. Deterministic for a seed.
#pragma once

#include <memory>

#include "data/batch_source.h"

namespace xfer {

struct SyntheticOptions {
  int channels = 1, size = 24;  // images are generated at the network's input size
  int classes = 10;
  int64_t examples = 2048;
  float noise = 0.5f;
  uint64_t seed = 1;        // the data (templates and noise)
  uint64_t order_seed = 1;  // the shuffle of each epoch
  int rank = 0, world = 1;
  bool validation = false;  // a disjoint stream of examples
};

std::unique_ptr<TrainSource> make_synthetic_train(const SyntheticOptions& o);
std::unique_ptr<EvalSource> make_synthetic_eval(const SyntheticOptions& o);

// Fills one example (c*size*size floats) and returns its label.
int32_t synthetic_example(const SyntheticOptions& o, int64_t index, float* out);

}  // namespace xfer
