// library_versions.h: the MPI library's version, and NCCL's when built with
// CUDA, for --version and the provenance of results.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace xfer {

std::vector<std::pair<std::string, std::string>> comm_library_versions();

}  // namespace xfer
