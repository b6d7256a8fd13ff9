// loader_pipeline.cpp: LoaderPipeline and the crop of one example (see
// loader_pipeline.h).
#include "data/loader_pipeline.h"

#include <algorithm>

namespace xfer {

void transform_item(const CropTransform& t, const uint8_t* src, const BatchItem& it, float* dst) {
  for (int c = 0; c < t.c; ++c) {
    for (int y = 0; y < t.crop_h; ++y) {
      const size_t off = (static_cast<size_t>(c) * t.h + it.y0 + y) * t.w + it.x0;
      const uint8_t* s = src + off;
      const float* m = t.mean + off;
      float* d = dst + (static_cast<size_t>(c) * t.crop_h + y) * t.crop_w;
      const int n = t.crop_w;
      // Forward (vectorises), then flipped in cache: faster than writing backwards.
      for (int x = 0; x < n; ++x) d[x] = static_cast<float>(s[x]) - m[x];
      if (it.mirror) std::reverse(d, d + n);
    }
  }
}

LoaderPipeline::LoaderPipeline(const ShardStore& store, CropTransform t, int threads, int prefetch,
                               BatchPlanner planner)
    : store_(store), t_(t), prefetch_(std::max(1, prefetch)), planner_(std::move(planner)) {
  reader_ = std::thread([this] { reader_loop(); });
  for (int i = 0; i < std::max(1, threads); ++i) workers_.emplace_back([this] { worker_loop(); });
}

LoaderPipeline::~LoaderPipeline() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  reader_.join();
  for (auto& w : workers_) w.join();
}

void LoaderPipeline::restart(int batch, int64_t start) {
  std::lock_guard<std::mutex> lk(mu_);
  ++generation_;
  batch_ = batch;
  start_ = start;
  planned_ = 0;
  consumed_ = 0;
  in_flight_ = 0;
  run_ended_ = false;
  work_.clear();
  done_.clear();
  cv_.notify_all();
}

bool LoaderPipeline::pop(HostBatch& out) {
  std::unique_ptr<Job> job;
  {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return done_.count(consumed_) || (run_ended_ && planned_ <= consumed_); });
    auto it = done_.find(consumed_);
    if (it == done_.end()) return false;
    job = std::move(it->second);
    done_.erase(it);
    ++consumed_;
    --in_flight_;
  }
  cv_.notify_all();
  if (job->error) std::rethrow_exception(job->error);
  // Hand the caller's old buffer back to the pool instead of freeing it.
  std::swap(out, job->out);
  recycle(std::move(job->out.images));
  return true;
}

void LoaderPipeline::recycle(std::vector<float>&& buf) {
  std::lock_guard<std::mutex> lk(mu_);
  if (buf.capacity() > 0 && pool_.size() < static_cast<size_t>(prefetch_ + 2))
    pool_.push_back(std::move(buf));
}

// The raw images of a planned job, from the store (reader thread).
void LoaderPipeline::read_raw(Job& job) {
  try {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (!raw_pool_.empty()) {
        job.raw = std::move(raw_pool_.back());
        raw_pool_.pop_back();
      }
    }
    job.raw.resize(job.items.size() * store_.image_bytes());
    for (size_t i = 0; i < job.items.size(); ++i)
      store_.read(job.items[i].index, job.raw.data() + i * store_.image_bytes());
  } catch (...) {
    job.error = std::current_exception();
  }
}

void LoaderPipeline::reader_loop() {
  for (;;) {
    auto job = std::make_unique<Job>();
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || (!run_ended_ && in_flight_ < prefetch_); });
      if (stop_) return;
      job->generation = generation_;
      job->seq = planned_;
      const int batch = batch_;
      const int64_t start = start_;
      lk.unlock();
      bool more = false;
      try {
        more = planner_(start, job->seq, batch, job->items);
      } catch (...) {
        job->error = std::current_exception();
        more = true;
      }
      lk.lock();
      if (job->generation != generation_) continue;
      if (!more) {
        run_ended_ = true;
        cv_.notify_all();
        continue;
      }
      ++planned_;
      ++in_flight_;
    }
    // In-memory subsets need no reading: the workers crop from memory.
    if (!job->error && !store_.memory_image(0)) read_raw(*job);
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (job->generation != generation_) continue;
      work_.push_back(std::move(job));
    }
    cv_.notify_all();
  }
}

void LoaderPipeline::worker_loop() {
  for (;;) {
    std::unique_ptr<Job> job;
    std::vector<float> buf;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !work_.empty(); });
      if (stop_) return;
      job = std::move(work_.front());
      work_.pop_front();
      if (!pool_.empty()) {
        buf = std::move(pool_.back());
        pool_.pop_back();
      }
    }
    if (!job->error) {
      try {
        run(*job, std::move(buf));
      } catch (...) {
        job->error = std::current_exception();
      }
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (job->raw.capacity() > 0 && raw_pool_.size() < static_cast<size_t>(prefetch_ + 2))
        raw_pool_.push_back(std::move(job->raw));
      if (job->generation != generation_) continue;
      done_[job->seq] = std::move(job);
    }
    cv_.notify_all();
  }
}

void LoaderPipeline::run(Job& job, std::vector<float>&& buf) {
  HostBatch& b = job.out;
  b.n = static_cast<int>(job.items.size());
  b.c = t_.c;
  b.h = t_.crop_h;
  b.w = t_.crop_w;
  const size_t per = static_cast<size_t>(t_.c) * t_.crop_h * t_.crop_w;
  b.images = std::move(buf);
  b.images.resize(per * static_cast<size_t>(b.n));
  b.labels.resize(static_cast<size_t>(b.n));
  for (int i = 0; i < b.n; ++i) {
    const BatchItem& it = job.items[static_cast<size_t>(i)];
    const uint8_t* src = job.raw.empty()
                             ? store_.memory_image(it.index)
                             : job.raw.data() + static_cast<size_t>(i) * store_.image_bytes();
    transform_item(t_, src, it, b.images.data() + per * static_cast<size_t>(i));
    b.labels[static_cast<size_t>(i)] = store_.label(it.index);
  }
}

}  // namespace xfer
