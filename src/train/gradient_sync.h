// gradient_sync.h: averages gradients over the ranks while backward is still
// running. The net reports each parameter layer's gradients as soon as they
// are final (top layer first, a growing prefix of the flat buffer); full
// buckets are sent at once, so the allreduce of fc8 and fc7 overlaps the
// backward of the convolutions. A device communicator (NCCL) gets each bucket
// enqueued behind the backend's stream, and the host waits once, at the end
// of the step; others get it from a communication thread after the host has
// waited for the backend. Frozen layers are never reported, so never sent.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>

#include "comm/communicator.h"
#include "net/net.h"

namespace xfer {

struct SyncStats {
  double comm_s = 0;     // time spent inside allreduce calls (on a device
                         // queue: the sums' own time on the device)
  double exposed_s = 0;  // time backward's caller waited for them after backward
  uint64_t bytes = 0;    // gradient bytes reduced
  int64_t steps = 0;
  // The share of communication hidden behind backward.
  double hidden_fraction() const { return comm_s > 0 ? 1.0 - exposed_s / comm_s : 1.0; }
};

class GradientSync {
 public:
  // bucket_bytes: the size at which a bucket is sent. With one rank nothing
  // is sent at all.
  GradientSync(Communicator& comm, Net& net, size_t bucket_bytes = 16u << 20);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  // Blocks until every bucket of this step has been reduced.
  void finish_step();
  const SyncStats& stats() const { return stats_; }

 private:
  void on_ready(size_t offset, size_t count);
  void send(size_t begin, size_t end);
  void enqueue(size_t begin, size_t end);
  void worker();

  Communicator& comm_;
  Net& net_;
  size_t bucket_elems_;
  void* device_queue_ = nullptr;  // the backend's stream, where comm_ enqueues on the device
  size_t ready_end_ = 0, sent_end_ = 0;  // prefix complete / handed to the thread
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::deque<std::pair<size_t, size_t>> queue_;
  size_t in_flight_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  SyncStats stats_;
  std::thread thread_;
};

}  // namespace xfer
