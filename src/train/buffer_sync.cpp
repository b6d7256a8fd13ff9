// buffer_sync.cpp: see buffer_sync.h.
#include "train/buffer_sync.h"

namespace xfer {

void average_buffers(Net& net, Communicator& comm) {
  if (comm.size() == 1 || net.buffers().empty()) return;
  Backend& be = net.backend();
  be.synchronize();  // the last forward's updates are written
  for (const ParamSlot& p : net.slots()) {
    if (!p.buffer_count || !p.layer->updates_buffers()) continue;
    float* b = net.buffers().data() + p.buffer_offset;
    comm.allreduce_sum(b, p.buffer_count);
    be.scale(b, p.buffer_count, 1.f / float(comm.size()));
  }
}

void recalibrate_frozen_bn(Net& net, Communicator& comm, int n, int batches,
                           const std::function<const HostBatch&()>& next_batch) {
  net.set_bn_mode(n, BnMode::Train);
  for (int i = 0; i < batches; ++i) net.forward(next_batch(), PassContext{true, 0, uint64_t(i)});
  average_buffers(net, comm);
  net.set_bn_mode(n, BnMode::Frozen);
}

}  // namespace xfer
