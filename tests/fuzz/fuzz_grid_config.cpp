// fuzz_grid_config.cpp: a grid config, read and enumerated into cells.
#include "fuzz_input.h"
#include "grid/grid.h"
#include "grid/grid_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)xfer::enumerate_grid(xfer::load_grid_config(xfer::fuzz::as_file(data, size, "grid.ini"), {}));
  } catch (const std::exception&) {
  }
  return 0;
}
