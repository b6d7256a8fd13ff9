// cpus.h: how many CPUs and how much memory this process may use: its
// affinity mask and its cgroup (what taskset, SLURM's cgroups and cpusets
// allow), not the machine's cores and memory.
#pragma once

#include <cstddef>

namespace xfer {

int usable_cpus();  // at least 1

// How many bytes of memory this process may use: the machine's physical
// memory, or less where a cgroup (SLURM's --mem, a container) limits it.
size_t usable_memory_bytes();

}  // namespace xfer
