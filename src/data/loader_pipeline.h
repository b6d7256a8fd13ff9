// loader_pipeline.h: the shard sources' batch pipeline. One reader thread
// plans each batch (a planner the source gives: which examples, which crop,
// which flip) and reads its raw images from the store; worker threads crop,
// mirror and subtract the mean; batches come out in order, `prefetch` ahead.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "data/batch_source.h"
#include "data/shard_store.h"

namespace xfer {

// One example of a batch: where it is in the store, its crop and flip.
struct BatchItem {
  int64_t index = 0;  // example in the store
  int y0 = 0, x0 = 0;
  bool mirror = false;
};

// Preprocessing, as Caffe's data layer: the mean (at the stored image size)
// is subtracted at the same pixel as the image, then the crop is mirrored.
struct CropTransform {
  int c = 0, h = 0, w = 0, crop_h = 0, crop_w = 0;
  const float* mean = nullptr;  // c*h*w
};

// `src` (c*h*w bytes) to `dst` (c*crop_h*crop_w floats).
void transform_item(const CropTransform& t, const uint8_t* src, const BatchItem& it, float* dst);

// Plans job `seq` of the current run: fills items, returns false when the
// run has no such job (end of an evaluation pass). Runs on the reader thread.
// `start` is the run's first rank-local example (training) or unused.
using BatchPlanner =
    std::function<bool(int64_t start, int64_t seq, int batch, std::vector<BatchItem>& items)>;

class LoaderPipeline {
 public:
  LoaderPipeline(const ShardStore& store, CropTransform t, int threads, int prefetch,
                 BatchPlanner planner);
  ~LoaderPipeline();
  LoaderPipeline(const LoaderPipeline&) = delete;
  LoaderPipeline& operator=(const LoaderPipeline&) = delete;

  // Starts a new run of jobs 0, 1, ... of `batch` examples each; anything
  // prepared for an earlier run is dropped.
  void restart(int batch, int64_t start);
  int batch() const { return batch_; }
  // The next job of the current run, or false when the run has ended.
  bool pop(HostBatch& out);

 private:
  struct Job {
    uint64_t generation = 0;
    int64_t seq = 0;
    std::vector<BatchItem> items;
    std::vector<uint8_t> raw;
    HostBatch out;
    std::exception_ptr error;
  };

  void recycle(std::vector<float>&& buf);
  void read_raw(Job& job);
  void reader_loop();
  void worker_loop();
  void run(Job& job, std::vector<float>&& buf);

  const ShardStore& store_;
  CropTransform t_;
  int prefetch_;
  BatchPlanner planner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, run_ended_ = true;
  uint64_t generation_ = 0;
  int batch_ = 0;
  int64_t start_ = 0;
  int64_t planned_ = 0, consumed_ = 0;
  int in_flight_ = 0;
  std::deque<std::unique_ptr<Job>> work_;
  std::map<int64_t, std::unique_ptr<Job>> done_;
  std::vector<std::vector<float>> pool_;
  std::vector<std::vector<uint8_t>> raw_pool_;
  std::thread reader_;
  std::vector<std::thread> workers_;
};

}  // namespace xfer
