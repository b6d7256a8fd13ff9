// fuzz_idx.cpp: a (Fashion-)MNIST IDX file of images and one of labels.
#include "data_prep/fmnist_idx.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = xfer::fuzz::as_file(data, size, "images-idx3-ubyte");
  try {
    (void)xfer::read_idx_images(path);
  } catch (const std::exception&) {
  }
  try {
    (void)xfer::read_idx_labels(path);
  } catch (const std::exception&) {
  }
  return 0;
}
