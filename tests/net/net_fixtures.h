// net_fixtures.h: small helpers shared by the net tests.
#pragma once

#include <filesystem>
#include <string>
#include <unistd.h>

#include "data/synthetic_source.h"
#include "net/net.h"

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

inline std::string temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("xfer_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

}  // namespace xfer::testing
