// buffer_sync.h: the running statistics (BatchNorm's buffers) of a
// data-parallel run. Each rank normalises its own share of the batch, so the
// estimates drift apart between ranks; before every test and every
// checkpoint they are averaged across the ranks, so that every rank tests
// with, and a checkpoint keeps, the same statistics: the mean of the ranks'
// estimates, which uses every rank's images (PyTorch's DistributedDataParallel
// broadcasts rank 0's instead). Statistics no step changes (frozen or eval
// batch normalisations) are left alone, bit for bit.
#pragma once

#include <functional>

#include "comm/communicator.h"
#include "net/net.h"

namespace xfer {

void average_buffers(Net& net, Communicator& comm);

// The random-filter control on a residual network: the batch normalisations
// of layers 1..n, random and frozen, take the statistics of `batches`
// training batches (batch statistics, running estimates updated, no
// backward), averaged across the ranks, and are then frozen. Without it they
// would normalise with their initial mean 0 and variance 1, scaling random
// features arbitrarily; with it the control is "random filters, normalised as
// trained ones are", the fair reading of the paper's control. Takes
// `next_batch` training batches from the run's own order.
void recalibrate_frozen_bn(Net& net, Communicator& comm, int n, int batches,
                           const std::function<const HostBatch&()>& next_batch);

}  // namespace xfer
