// gradient_sync.cpp: bucketed, overlapped gradient allreduce.
#include "train/gradient_sync.h"

#include <chrono>

#include "core/check.h"

namespace xfer {

namespace {
using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
}  // namespace

GradientSync::GradientSync(Communicator& comm, Net& net, size_t bucket_bytes)
    : comm_(comm), net_(net), bucket_elems_(std::max<size_t>(1, bucket_bytes / sizeof(float))) {
  if (comm_.enqueues_on_device()) device_queue_ = net_.backend().native_stream();
  net_.on_gradients_ready([this](size_t offset, size_t count) { on_ready(offset, count); });
  if (comm_.size() > 1 && !device_queue_) thread_ = std::thread(&GradientSync::worker, this);
}

GradientSync::~GradientSync() {
  net_.on_gradients_ready(nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void GradientSync::on_ready(size_t offset, size_t count) {
  // Layers complete top first, so ready ranges extend one prefix.
  XFER_CHECK(offset == ready_end_, "gradients reported out of order (offset " << offset
                                                                              << ", expected " << ready_end_ << ")");
  ready_end_ = offset + count;
  if (ready_end_ - sent_end_ >= bucket_elems_) {
    send(sent_end_, ready_end_);
    sent_end_ = ready_end_;
  }
}

void GradientSync::send(size_t begin, size_t end) {
  if (device_queue_) {
    // Ordered on the device behind the backward that wrote the bucket.
    comm_.enqueue_allreduce_sum(net_.grads().data() + begin, end - begin, device_queue_);
    stats_.bytes += (end - begin) * sizeof(float);
    return;
  }
  // Gradients written by the backend must be complete before another
  // thread reads them (a no-op on the CPU backend).
  if (comm_.size() > 1) net_.backend().synchronize();
  enqueue(begin, end);
}

void GradientSync::enqueue(size_t begin, size_t end) {
  if (comm_.size() == 1) {
    // Still account for what a real job would send.
    comm_.allreduce_sum(net_.grads().data() + begin, end - begin);
    stats_.bytes += (end - begin) * sizeof(float);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(begin, end);
    ++in_flight_;
  }
  cv_.notify_one();
}

void GradientSync::finish_step() {
  if (ready_end_ > sent_end_) send(sent_end_, ready_end_);
  auto t0 = Clock::now();
  if (device_queue_) {
    stats_.comm_s += comm_.wait_enqueued();
  } else {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return in_flight_ == 0 || error_; });
    if (error_) std::rethrow_exception(error_);
  }
  stats_.exposed_s += seconds(t0, Clock::now());
  ++stats_.steps;
  ready_end_ = sent_end_ = 0;
}

void GradientSync::worker() {
  while (true) {
    std::pair<size_t, size_t> b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      b = queue_.front();
      queue_.pop_front();
    }
    try {
      auto t0 = Clock::now();
      comm_.allreduce_sum(net_.grads().data() + b.first, b.second - b.first);
      double dt = seconds(t0, Clock::now());
      std::lock_guard<std::mutex> lock(mu_);
      stats_.comm_s += dt;
      stats_.bytes += (b.second - b.first) * sizeof(float);
      --in_flight_;
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = std::current_exception();
      queue_.clear();
      in_flight_ = 0;
    }
    done_cv_.notify_all();
  }
}

}  // namespace xfer
