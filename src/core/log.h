// log.h: progress and diagnostics on stderr, prefixed with the rank when
// there are several. Only rank 0 prints progress lines (see log_info).
#pragma once

#include <iostream>
#include <sstream>
#include <string>

namespace xfer {

void set_log_rank(int rank, int world);
bool log_is_root();
void log_line(const std::string& s);  // every rank, with its prefix

// A duration for people, the one format of every ETA and elapsed time:
// "7:05" under an hour, "3:07:05" from an hour on (hours keep counting past a
// day); "-" when unknown (negative, or beyond any real run).
std::string format_duration(double seconds);

}  // namespace xfer

#define XFER_LOG(msg)                       \
  do {                                      \
    if (::xfer::log_is_root()) {            \
      std::ostringstream xfer_log_os_;      \
      xfer_log_os_ << msg;                  \
      ::xfer::log_line(xfer_log_os_.str()); \
    }                                       \
  } while (0)
