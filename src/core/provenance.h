// provenance.h: what produced a result, recorded beside it (result.json and
// checkpoints) and printed by every tool's --version: the code version (git
// describe of the build, see cmake/version.cmake), the libraries it runs
// with, the machine, and the command line. A result is identified by what
// defines it; this says what made it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace xfer {

// "0.9.0+3433fdb-dirty", or "0.9.0-nogit" for a tree without git.
const char* code_version();

// (library, version) pairs. Each library of the program contributes its own:
// h5_library_versions() (HDF5, io/h5.h), backend_library_versions() (oneDNN;
// cuDNN, cuBLAS, CUDA runtime and driver, GPU model) and
// comm_library_versions() (MPI; NCCL), so a tool lists exactly what it links.
using LibraryVersions = std::vector<std::pair<std::string, std::string>>;

// The CPU model from /proc/cpuinfo ("unknown" elsewhere).
std::string cpu_model();

// The command line of this process, set once by main() (for the record).
void set_command_line(int argc, char** argv);
const std::string& command_line();

// The text of --version: "<tool> <version>" and one line per library.
std::string version_text(const std::string& tool, const LibraryVersions& libraries);
// Every tool's --version, handled before anything else (no launcher, no
// other option needed): prints version_text and returns true when asked.
bool print_version_if_asked(int argc, char** argv, const std::string& tool,
                            const LibraryVersions& libraries);

}  // namespace xfer
