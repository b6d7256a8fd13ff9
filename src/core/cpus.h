// cpus.h: how many CPUs this process may use: its affinity mask (what
// taskset, SLURM's cgroups and cpusets allow), not the machine's cores.
#pragma once

namespace xfer {

int usable_cpus();  // at least 1

}  // namespace xfer
