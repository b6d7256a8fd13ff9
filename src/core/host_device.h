// host_device.h: XFER_HOST_DEVICE marks a function that the host compiler
// and nvcc's device pass compile from the same lines (the dropout hash, the
// scoring rule), so the CPU and the GPU cannot drift apart. Plain C++
// translation units see an empty macro.
#pragma once

#ifdef __CUDACC__
#define XFER_HOST_DEVICE __host__ __device__
#else
#define XFER_HOST_DEVICE
#endif
