// net_fixtures.h: small helpers shared by the net tests.
#pragma once

#include <string>

#include "data/synthetic_source.h"
#include "net/net.h"
#include "test_util.h"

namespace xfer::testing {

inline HostBatch synthetic_batch(const NetSpec& spec, int n, int classes, uint64_t seed = 1) {
  SyntheticOptions o;
  o.channels = spec.channels;
  o.size = spec.crop;
  o.classes = classes;
  o.examples = n;
  o.seed = seed;
  auto src = make_synthetic_train(o);
  HostBatch b;
  src->next(n, b);
  return b;
}

// One SGD step of the net on batch b.
void train_step(Net& net, const HostBatch& b, int64_t iter);

}  // namespace xfer::testing
