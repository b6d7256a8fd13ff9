// library_versions.cpp: see library_versions.h. MPI_Get_library_version may
// be called before MPI_Init, so --version needs no launcher.
#include "comm/library_versions.h"

#include <mpi.h>
#ifdef XFER_WITH_CUDA
#include <nccl.h>
#endif

namespace xfer {

std::vector<std::pair<std::string, std::string>> comm_library_versions() {
  std::vector<std::pair<std::string, std::string>> out;
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int len = 0;
  if (MPI_Get_library_version(text, &len) == MPI_SUCCESS) {
    std::string v(text, size_t(len));
    v = v.substr(0, v.find_first_of(",\n"));  // "Open MPI v4.1.4"
    out.push_back({"MPI", v});
  }
#ifdef XFER_WITH_CUDA
  int nccl = 0;
  if (ncclGetVersion(&nccl) == ncclSuccess)  // 22304 -> 2.23.4
    out.push_back({"NCCL", std::to_string(nccl / 10000) + "." + std::to_string(nccl % 10000 / 100) +
                               "." + std::to_string(nccl % 100)});
#endif
  return out;
}

}  // namespace xfer
