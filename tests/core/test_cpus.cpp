// test_cpus.cpp: thread defaults follow the CPUs a process may use (its
// affinity mask, as taskset and SLURM's cgroups set it), not the machine's.
#include <gtest/gtest.h>
#include <sched.h>

#include "core/cpus.h"

namespace xfer {
namespace {

TEST(UsableCpus, FollowTheAffinityMask) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  EXPECT_EQ(usable_cpus(), CPU_COUNT(&before));
  int first = 0;
  while (!CPU_ISSET(first, &before)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);  // as `taskset -c <first>`
  EXPECT_EQ(usable_cpus(), 1);
  ASSERT_EQ(sched_setaffinity(0, sizeof before, &before), 0);
}

}  // namespace
}  // namespace xfer
