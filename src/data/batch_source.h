// batch_source.h: the contract between the trainer and whatever feeds it
// images. The trainer never knows whether batches come from HDF5 shards or
// from the generated batch; it only sees this interface.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xfer {

// One batch on the host, ready for the network: preprocessed float images
// (crop, mirror, mean subtraction already applied), NCHW, and local labels.
struct HostBatch {
  int n = 0, c = 0, h = 0, w = 0;
  std::vector<float> images;    // n*c*h*w
  std::vector<int32_t> labels;  // n, each in [0, num_classes)
};

// Where a training stream stands, so a checkpoint can resume it exactly.
struct DataPosition {
  int64_t epoch = 0;
  int64_t index = 0;  // next example within this rank's slice of the epoch
};

// Geometry of what a source produces.
struct SourceInfo {
  int channels = 0, height = 0, width = 0;  // after cropping
  int num_classes = 0;                      // labels are 0..num_classes-1
  int64_t num_examples = 0;                 // in the whole subset (all ranks)
  std::vector<std::string> class_names;     // local label order
};

// Training stream: endless, shuffled per epoch (deterministic for a seed and
// epoch), each rank reading a disjoint slice of every epoch's order.
class TrainSource {
 public:
  virtual ~TrainSource() = default;
  virtual SourceInfo info() const = 0;
  // Fills `out` with the next `batch` examples of this rank's stream.
  virtual void next(int batch, HostBatch& out) = 0;
  virtual DataPosition position() const = 0;
  virtual void seek(const DataPosition& pos) = 0;
};

// Validation: one pass over this rank's slice of the subset, centre crop,
// in file order. Calling begin() restarts the pass.
class EvalSource {
 public:
  virtual ~EvalSource() = default;
  virtual SourceInfo info() const = 0;
  virtual void begin() = 0;
  // Fills up to `batch` examples; returns false (and out.n == 0) at the end.
  virtual bool next(int batch, HostBatch& out) = 0;
};

}  // namespace xfer
