// fmnist_idx.h: reading the IDX files of (Fashion-)MNIST, gzipped or not,
// and the Fashion-MNIST class names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xfer {

struct IdxImages {
  int64_t count = 0;
  int rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count*rows*cols
};

// Throws naming the file on a missing file, a wrong magic number or a file
// shorter than its header says.
IdxImages read_idx_images(const std::string& path);
std::vector<int32_t> read_idx_labels(const std::string& path);

// "T-shirt/top", "Trouser", ... in label order 0..9.
const std::vector<std::string>& fmnist_class_names();

}  // namespace xfer
