// fuzz_split_def.cpp: a split definition file (data_prep/README.md) against a
// six-class store, and a group mapping file it may name.
#include "data_prep/split_def.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const xfer::StoreClasses store{"fuzz", {0, 1, 2, 3, 4, 5}, {"cat", "dog", "oak", "saw", "car", "bus"}};
  // The same bytes as the mapping file a "groups = map.txt" line names.
  xfer::fuzz::as_file(data, size, "map.txt");
  try {
    (void)xfer::read_split_file(xfer::fuzz::as_file(data, size, "f.split"), store);
  } catch (const std::exception&) {
  }
  return 0;
}
