// provenance.h: the record of what produced a run, as result.json and the
// checkpoints keep it (the parts are in core/provenance.h): code version,
// every library the trainer runs with, host, CPU model, GPUs and driver (among
// the libraries), ranks and the command line.
#pragma once

#include <string>

#include "core/provenance.h"

namespace xfer {

// HDF5, oneDNN, MPI and, with CUDA, cuDNN, cuBLAS, NCCL, runtime, driver, GPUs.
LibraryVersions engine_library_versions();

// The record as a JSON object's text.
std::string provenance_json(int ranks);

}  // namespace xfer
