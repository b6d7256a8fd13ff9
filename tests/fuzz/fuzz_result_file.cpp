// fuzz_result_file.cpp: result.json through the analysis' strict reader and
// the grid's lenient one.
#include "fuzz_input.h"
#include "result/result_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = xfer::fuzz::as_file(data, size, "result.json");
  xfer::ResultProblem problem;
  try {
    (void)xfer::parse_result_file(path, problem);
  } catch (const std::exception&) {
  }
  try {
    (void)xfer::read_result_summary(path);
  } catch (const std::exception&) {
  }
  return 0;
}
