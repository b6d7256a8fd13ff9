// fuzz_similarity_file.cpp: similarity.json through the strict reader the
// analysis uses (a forged matrix, values, counts or identities).
#include "fuzz_input.h"
#include "result/similarity_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = xfer::fuzz::as_file(data, size, "similarity.json");
  try {
    (void)xfer::read_similarity_file(path);
  } catch (const std::exception&) {
  }
  return 0;
}
