// test_gradient_sync.cpp: only trainable layers are communicated: after one
// step of a net frozen up to n, the bytes handed to allreduce are exactly the
// trainable parameters', and they shrink as n grows.
#include <gtest/gtest.h>

#include "backend/backend.h"
#include "net/net_fixtures.h"
#include "train/gradient_sync.h"

namespace xfer {
namespace {

TEST(GradientSync, FrozenLayersSendNothing) {
  auto be = make_backend("cpu", 0, 1);
  NetSpec spec = net_preset("small");
  auto b = testing::synthetic_batch(spec, 8, 10);
  uint64_t last = UINT64_MAX;
  for (int n = 0; n <= 7; ++n) {
    auto comm = make_single_communicator();
    Net net(*be, spec, 8, 10);
    net.init_params(1);
    net.set_frozen(n);
    {
      GradientSync sync(*comm, net, 4096);  // small buckets: several per step
      net.forward(b, PassContext{true, 1, 0});
      net.backward(1.f / 8);
      sync.finish_step();
      EXPECT_EQ(sync.stats().bytes, net.trainable_count() * sizeof(float)) << "n=" << n;
    }
    EXPECT_EQ(comm->bytes_reduced(), net.trainable_count() * sizeof(float)) << "n=" << n;
    EXPECT_LT(comm->bytes_reduced(), last) << "n=" << n;
    last = comm->bytes_reduced();
  }
}

}  // namespace
}  // namespace xfer
