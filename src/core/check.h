// check.h: errors. Library code throws xfer::Error with a message that says
// what failed (XFER_CHECK_STATUS adds the call as written), file:line, host
// and rank; a program's main reports it and ends
// every rank (see apps/), so one failing rank never leaves the others hanging.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace xfer {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where this process runs, for messages: set once the communicator knows.
void set_error_context(int rank, int world);
std::string error_context();  // "host h, rank r/R"
// This machine's name (gethostname), for messages, lock files and records.
std::string this_host();

[[noreturn]] void throw_error(const char* file, int line, const std::string& what);

}  // namespace xfer

// Fails with a message when `cond` is false. The message is streamed:
//   XFER_CHECK(n > 0, "batch must be positive, got " << n);
#define XFER_CHECK(cond, msg)                                        \
  do {                                                               \
    if (!(cond)) {                                                   \
      std::ostringstream xfer_check_os_;                             \
      xfer_check_os_ << msg;                                         \
      ::xfer::throw_error(__FILE__, __LINE__, xfer_check_os_.str()); \
    }                                                                \
  } while (0)

#define XFER_FAIL(msg) XFER_CHECK(false, msg)

// Checks a call into a C library that reports failure as a status code, and
// names the library, the call as written and the library's own words for
// the status (then file:line, host and rank, as every error). The library's
// check header declares, for its status type, the overloads
// xfer::status::ok(status) and xfer::status::text(status) (see
// backend/cuda/cuda_check.h); its macro is then one line:
//   #define XFER_CUDA(call) XFER_CHECK_STATUS("CUDA", call)
#define XFER_CHECK_STATUS(library, call)                                                  \
  do {                                                                                    \
    const auto xfer_status_ = (call);                                                     \
    if (!::xfer::status::ok(xfer_status_))                                                \
      XFER_FAIL(library " call " #call " failed: " << ::xfer::status::text(xfer_status_)); \
  } while (0)
