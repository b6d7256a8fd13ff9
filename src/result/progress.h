// progress.h: progress.json, how far a running trainer is. Rank 0 rewrites it
// (atomically) in its output folder at every display interval and when a
// session starts or stops, so the grid can show a cell's iteration and ETA
// without reading the trainer's log. Fields: iteration, max_iter, rate
// (iterations per second this session; 0 until measured), eta_s (seconds to
// max_iter at that rate; -1 when unknown) and updated (when it was written,
// seconds since the Unix epoch).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace xfer {

inline constexpr const char* kProgressFileName = "progress.json";

struct Progress {
  int64_t iteration = 0;
  int64_t max_iter = 0;
  double rate = 0;
  double eta_s = -1;
  double updated = 0;
};

// `rate` is the session's pace so far (0 when unknown); the ETA follows from it.
Progress progress_now(int64_t iteration, int64_t max_iter, double rate);

std::string progress_to_json(const Progress& p);
void write_progress(const std::string& path, const Progress& p);  // atomic

// The file's progress; std::nullopt, never an exception, when it is missing,
// unreadable, not JSON or lacks a field: then no progress is known.
std::optional<Progress> read_progress(const std::string& path);

// Seconds left at `now` (seconds since the epoch): the ETA written less the
// time since it was written, never below 0; -1 when unknown.
double seconds_left(const Progress& p, double now);

// Seconds since the Unix epoch, with the fraction.
double epoch_seconds();

}  // namespace xfer
