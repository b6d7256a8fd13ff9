// test_mpi_communicator.cpp: the MPI communicator's collectives on 2 ranks
// (run by ctest under mpirun -np 2).
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "mpi_gtest_main.h"

namespace xfer {

Communicator* g_comm = nullptr;

namespace {

TEST(MpiCommunicator, RanksAndLocalRanks) {
  ASSERT_EQ(g_comm->name(), "mpi");
  EXPECT_EQ(g_comm->size(), 2);
  EXPECT_EQ(g_comm->local_size(), 2);  // one node
  EXPECT_EQ(g_comm->local_rank(), g_comm->rank());
}

TEST(MpiCommunicator, AllreduceSumsAndCountsBytes) {
  std::vector<float> v(1000);
  std::iota(v.begin(), v.end(), float(g_comm->rank()));
  uint64_t before = g_comm->bytes_reduced();
  g_comm->allreduce_sum(v.data(), v.size());
  for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i], float(2 * i + 1));
  EXPECT_EQ(g_comm->bytes_reduced() - before, v.size() * sizeof(float));
  double s[2] = {1.0, double(g_comm->rank())};
  g_comm->allreduce_host_sum(s, 2);
  EXPECT_EQ(s[0], 2.0);
  EXPECT_EQ(s[1], 1.0);
}

TEST(MpiCommunicator, BroadcastFromRoot) {
  int v = g_comm->rank() == 0 ? 42 : -1;
  g_comm->broadcast(&v, sizeof(v), 0);
  EXPECT_EQ(v, 42);
  g_comm->barrier();
}

}  // namespace
}  // namespace xfer

int main(int argc, char** argv) { return run_mpi_gtests(argc, argv); }
