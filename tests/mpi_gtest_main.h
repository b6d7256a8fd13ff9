// mpi_gtest_main.h: the main of a GoogleTest binary run under mpirun: one
// communicator for the whole process (g_comm), results printed by rank 0
// only, and a failure on any rank a failure of every rank.
#pragma once

#include <gtest/gtest.h>

#include "comm/make_communicator.h"

namespace xfer {
extern Communicator* g_comm;
}  // namespace xfer

inline int run_mpi_gtests(int argc, char** argv) {
  auto comm = xfer::make_communicator(&argc, &argv);
  xfer::g_comm = comm.get();
  ::testing::InitGoogleTest(&argc, argv);
  if (comm->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int rc = RUN_ALL_TESTS();
  double failed = rc != 0;  // every rank must pass
  comm->allreduce_host_sum(&failed, 1);
  comm.reset();
  return failed > 0 ? 1 : 0;
}
