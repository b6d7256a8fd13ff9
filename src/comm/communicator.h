// communicator.h: the one Communicator interface. Data-parallel training
// needs only these collectives; a single-process implementation, MPI (host
// buffers) and NCCL (device buffers) stand behind it. Only comm/ includes
// mpi.h or nccl.h.
//
// Contract: every rank calls the same collectives in the same order with the
// same counts. Failures throw; the program's main then aborts every rank.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace xfer {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual int local_rank() const = 0;  // index among the ranks on this node
  virtual int local_size() const = 0;
  virtual std::string name() const = 0;  // "single", "mpi", "nccl"

  // In-place sum over ranks of data in the training backend's memory
  // (host memory for mpi, device memory for nccl): the gradients.
  virtual void allreduce_sum(float* data, size_t count) = 0;
  // In-place sum of a few host values (statistics, flags), on every
  // implementation.
  virtual void allreduce_host_sum(double* data, size_t count) = 0;
  virtual void broadcast(void* data, size_t bytes, int root) = 0;
  virtual void barrier() = 0;
  // Ends every rank of the job (used by main after an error on one rank).
  [[noreturn]] virtual void abort(int code) = 0;

  // Device communicators (nccl) can order a sum behind the work that
  // produces its data instead of having the host wait for that work:
  // enqueue_allreduce_sum sums `data` after everything already enqueued on
  // `stream` (the backend's native stream, Backend::native_stream) and
  // returns at once; wait_enqueued returns when every enqueued sum is done,
  // with the seconds the sums themselves took on the device, and throws if
  // one failed. Only where enqueues_on_device() is true.
  virtual bool enqueues_on_device() const { return false; }
  virtual void enqueue_allreduce_sum(float* data, size_t count, void* stream) {
    throw std::logic_error("enqueue_allreduce_sum on the '" + name() +
                           "' communicator, which has no device queue");
  }
  virtual double wait_enqueued() { return 0; }

  // Bytes this rank has passed to allreduce_sum since construction (the
  // gradient payload; host statistics are not counted), for tests and reports.
  uint64_t bytes_reduced() const { return bytes_reduced_; }

 protected:
  uint64_t bytes_reduced_ = 0;
};

// The implementations; comm/make_communicator.h chooses among them.
std::unique_ptr<Communicator> make_single_communicator();
std::unique_ptr<Communicator> make_mpi_communicator(int* argc, char*** argv);

}  // namespace xfer
