// fuzz_image.cpp: an image file (JPEG, PNG, or anything) through the
// converter's decode-and-warp, colour and gray, fast and exact: the header
// check (--max-pixels) comes before any decoding.
#include "data_prep/image_codec.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A bound low enough that a header's claim cannot take the fuzzer's memory
  // (the default, 100 megapixels, is tested in PrepImagesBadInput).
  static const bool bounded = (xfer::set_max_pixels(1 << 20), true);
  (void)bounded;
  uint8_t out[3 * 8 * 8];
  for (bool fast : {true, false}) {
    try {
      xfer::decode_and_warp(data, size, 8, 8, out, fast);
    } catch (const std::exception&) {
    }
    try {
      xfer::decode_and_warp_gray(data, size, 8, 8, out, fast);
    } catch (const std::exception&) {
    }
  }
  return 0;
}
