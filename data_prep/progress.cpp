// progress.cpp: the progress bar of progress.h.
#include "data_prep/progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/log.h"  // format_duration

namespace xfer {

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total) {
  start_ = std::chrono::steady_clock::now();
  last_draw_.store(start_.time_since_epoch().count());
  tty_ = isatty(fileno(stderr)) != 0;
}

Progress::~Progress() { finish(); }

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::add(int64_t n) {
  done_.fetch_add(n);
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  const std::chrono::steady_clock::duration since(now - last_draw_.load());
  if (std::chrono::duration<double>(since).count() < (tty_ ? 0.2 : 10.0)) return;
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  last_draw_.store(now);
  draw(false);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  const int64_t done = done_.load();
  const double el = elapsed_s();
  const double rate = el > 0 ? static_cast<double>(done) / el : 0.0;
  const double frac = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : -1.0;
  constexpr int kWidth = 28;
  std::string bar(kWidth, ' ');
  int filled = static_cast<int>(frac * kWidth + 0.5);
  for (int i = 0; i < filled && i < kWidth; ++i) bar[static_cast<size_t>(i)] = '#';
  char line[256];
  std::snprintf(line, sizeof line, "%s [%s] %lld/%lld %5.1f%% %.0f %s/s %s %s", label_.c_str(),
                bar.c_str(), static_cast<long long>(done), static_cast<long long>(total_),
                100.0 * frac, rate, unit_.c_str(), final ? "elapsed" : "ETA",
                format_duration(final ? el : eta).c_str());
  if (tty_)
    std::fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
  else
    std::fprintf(stderr, "%s\n", line);
  std::fflush(stderr);
}

}  // namespace xfer
