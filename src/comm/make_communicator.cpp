// make_communicator.cpp: the choice among single, MPI and NCCL, and the one
// #ifdef for NCCL (compiled only with CUDA).
#include "comm/make_communicator.h"

#include <cstdlib>

#include "comm/nccl_communicator.h"
#include "core/check.h"

namespace xfer {

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

std::unique_ptr<Communicator> make_communicator(int* argc, char*** argv) {
  const char* forced = std::getenv("XFER_COMM");
  std::string want = forced ? forced : (launched_by_mpi() ? "mpi" : "single");
  if (want == "single") return make_single_communicator();
  if (want == "mpi") return make_mpi_communicator(argc, argv);
  XFER_FAIL("XFER_COMM must be single or mpi, got '" << want << "'");
}

Communicators::Communicators(int* argc, char*** argv)
    : argc_(argc), argv_(argv), process_(make_communicator(argc, argv)) {}

Communicator& Communicators::for_gradients(const std::string& backend) {
  if (backend != "cuda" || process_->size() == 1) return *process_;
  if (!device_) {
#ifdef XFER_WITH_CUDA
    device_ = make_nccl_communicator(argc_, argv_);
#else
    XFER_FAIL("the NCCL communicator is not built into this binary (no CUDA toolkit, cuDNN or "
              "NCCL was found at configure time)");
#endif
  }
  return *device_;
}

}  // namespace xfer
