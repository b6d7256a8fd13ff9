// fuzz_caffe_log.cpp: a Caffe training log, as text and (gzip magic first)
// through the file reader that inflates it.
#include "analysis/caffe_log.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  xfer::Diagnostics diag;
  try {
    (void)xfer::parse_caffe_log(std::string_view(reinterpret_cast<const char*>(data), size),
                                "140403_063910_half0A.o1", diag);
    (void)xfer::read_caffe_log_file(xfer::fuzz::as_file(data, size, "140403_063910_half0A.o1.gz"), diag);
  } catch (const std::exception&) {
  }
  return 0;
}
