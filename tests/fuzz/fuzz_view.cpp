// fuzz_view.cpp: a view's view.json, read alone and resolved against a real
// (generated) store the way a run opens it.
#include "data/view.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = xfer::fuzz::as_file(data, size, "half0A/view.json");
  const std::string dir = std::filesystem::path(file).parent_path().string();
  try {
    (void)xfer::read_view(dir);
  } catch (const std::exception&) {
  }
  try {
    (void)xfer::open_data_folder(dir);  // its store ../all is absent here: refused, naming it
  } catch (const std::exception&) {
  }
  return 0;
}
