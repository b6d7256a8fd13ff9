// test_torchvision_parity.cpp: xfer's resnet18 and resnet50 against
// torchvision's own (Debian's python3-torchvision), loaded with our weights
// through scripts/torchvision_weights.py (tests/net/torchvision_parity.py
// does that side): the inference forward's top-1 identical and its loss
// within 1e-6 relative; for resnet18 one SGD step with momentum and weight
// decay, BatchNorm in train mode, every parameter and running statistic
// within 1e-5 relative L2 of PyTorch's float64 step, or no farther from it
// than 3 times PyTorch's own float32 step (on images of pure noise, batch
// normalisation's backward at a batch of 4 puts float32 itself up to 1% from
// the exact step in the lowest layers: torchvision_parity.py).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdlib>
#include <iostream>

#include "backend/backend.h"
#include "io/h5.h"
#include "net/checkpoint.h"
#include "net/net_fixtures.h"
#include "solver/sgd.h"

namespace xfer {
namespace {

void write_floats(const std::string& path, const std::vector<std::pair<std::string, std::pair<std::vector<hsize_t>, std::vector<float>>>>& sets) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0) << path;
  for (const auto& [name, data] : sets) h5_write_floats(f, name, data.first, data.second.data(), path);
  H5Fclose(f);
}

// Running statistics of a trained net's kind: each batch normalisation's
// running estimates set to its statistics on `b` (a net whose momentum is 1
// takes one training forward). With the initial 0 and 1, an inference forward
// through 50 layers grows its logits until every loss saturates.
void calibrate_statistics(Backend& be, const NetSpec& spec, const HostBatch& b, const std::string& path) {
  NetSpec once = spec;
  for (auto& l : once.layers) l.bn_momentum = 1.f;
  Net net(be, once, b.n, 1000);
  net.init_params(7);
  net.forward(b, PassContext{true, 0, 0});
  TrainState st;
  st.config_hash = "parity";
  save_checkpoint(path, net, st, false);
}

void run_parity(const std::string& network, int batch, bool step) {
  auto be = make_backend("cpu", 0, 2);
  const NetSpec spec = net_preset(network);
  testing::TempDir scratch("torchvision_" + network);
  const std::string dir = scratch.str();
  const HostBatch b = testing::synthetic_batch(spec, batch, 1000, 9);
  calibrate_statistics(*be, spec, testing::synthetic_batch(spec, batch, 1000, 10), dir + "/before.h5");
  Net net(*be, spec, batch, 1000);
  load_checkpoint(dir + "/before.h5", net);
  TrainState st;
  st.config_hash = "parity";
  std::vector<float> labels(b.labels.begin(), b.labels.end());
  write_floats(dir + "/batch.h5", {{"images", {{hsize_t(batch), 3, hsize_t(spec.crop), hsize_t(spec.crop)}, b.images}},
                                   {"labels", {{hsize_t(batch)}, labels}}});
  const LossStats s = net.forward(b, PassContext{false, 0, 0});
  write_floats(dir + "/xfer.h5", {{"logits", {{hsize_t(batch), 1000}, net.boundary(net.boundary_count()).to_host()}},
                                  {"loss", {{1}, {float(s.loss_sum / batch)}}}});
  if (step) {
    // The preset's solver: lr 0.1, momentum 0.9, weight decay 1e-4 on every parameter.
    SgdSolver solver(net, spec.solver);
    net.forward(b, PassContext{true, 0, 0});
    net.backward(1.f / float(batch));  // the mean loss, as PyTorch's cross_entropy
    solver.update(0);
    save_checkpoint(dir + "/after.h5", net, st, false);
  }
  std::string out;
  const int rc = testing::run_command("/usr/bin/python3 " + std::string(std::getenv("XFER_SOURCE_DIR")) + "/tests/net/torchvision_parity.py " +
                                          network + " " + dir + (step ? " --step" : ""),
                                      &out);
  EXPECT_EQ(rc, 0) << out;
  std::cout << out;
}

TEST(TorchvisionParity, Resnet18ForwardAndOneStep) { run_parity("resnet18", 4, true); }
TEST(TorchvisionParity, Resnet50Forward) { run_parity("resnet50", 2, false); }

}  // namespace
}  // namespace xfer
