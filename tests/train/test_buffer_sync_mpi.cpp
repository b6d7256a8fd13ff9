// test_buffer_sync_mpi.cpp: under `mpirun -np 2`, the running statistics of a
// residual network are averaged across the ranks before a test or a
// checkpoint (train/buffer_sync.h): each rank starts with its own, and after
// average_buffers every rank holds their mean, while the statistics of
// frozen batch normalisations, which no step changes, keep every bit.
#include <gtest/gtest.h>

#include "backend/backend.h"
#include "mpi_gtest_main.h"
#include "net/net.h"
#include "train/buffer_sync.h"

namespace xfer {

Communicator* g_comm = nullptr;

namespace {

// What rank r's buffers hold before the average: distinct per rank and per element.
float start_value(int rank, size_t i) { return float(rank + 1) * 0.5f + float(i % 97) * 0.01f; }

TEST(BufferSyncMpi, TrainingStatisticsAreAveragedFrozenOnesKept) {
  ASSERT_EQ(g_comm->size(), 2) << "run under mpirun -np 2";
  auto be = make_backend("cpu", 0, 1);
  Net net(*be, net_preset("resnet-small"), 2, 10);
  net.set_bn_mode(1, BnMode::Frozen);  // the stem's, as a copied stage's
  std::vector<float> v(net.buffers().count());
  for (size_t i = 0; i < v.size(); ++i) v[i] = start_value(g_comm->rank(), i);
  net.buffers().from_host(v);
  average_buffers(net, *g_comm);
  const std::vector<float> got = net.buffers().to_host();
  for (const ParamSlot& p : net.slots())
    for (size_t i = p.buffer_offset; i < p.buffer_offset + p.buffer_count; ++i) {
      const float mine = start_value(g_comm->rank(), i);
      const float mean = (start_value(0, i) + start_value(1, i)) / 2;
      ASSERT_EQ(got[i], p.transfer_index == 1 ? mine : mean) << p.layer->name() << " element " << i;
    }
}

}  // namespace
}  // namespace xfer

int main(int argc, char** argv) { return run_mpi_gtests(argc, argv); }
