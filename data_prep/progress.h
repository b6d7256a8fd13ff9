// progress.h: a progress bar for the data tools, with rate and ETA, on
// stderr. On a terminal it redraws one line; in a log file (a SLURM job) it
// prints a line every few seconds instead. Thread-safe: workers call add().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace xfer {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "img");
  ~Progress();
  void add(int64_t n = 1);
  // Prints the final line (total, rate, elapsed); idempotent.
  void finish();
  int64_t done() const { return done_.load(); }
  double elapsed_s() const;

 private:
  void draw(bool final);
  std::string label_, unit_;
  int64_t total_;
  std::atomic<int64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  // Read by every adding thread before the lock (most adds draw nothing), so
  // atomic: the time of the last draw, in steady_clock ticks.
  std::atomic<std::chrono::steady_clock::rep> last_draw_{0};
  std::mutex mu_;
  bool tty_ = false, finished_ = false;
};

}  // namespace xfer
