// fuzz_manifest.cpp: a data folder's manifest.json.
#include "data/manifest.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = xfer::fuzz::as_file(data, size, "store/manifest.json");
  try {
    (void)xfer::read_manifest(std::filesystem::path(file).parent_path().string());
  } catch (const std::exception&) {
  }
  return 0;
}
