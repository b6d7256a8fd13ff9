// image_codec.h: decoding the dataset's image files and warping them to the
// stored size, as Caffe's convert_imageset did (a bilinear resize that
// ignores the aspect ratio). JPEGs are decoded by libjpeg-turbo whatever
// their colour space (RGB, grayscale, CMYK/YCCK); files that are really PNG
// (ImageNet holds one named .JPEG) are recognised by signature and decoded
// by libpng. Every result is 3-channel RGB.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xfer {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // height*width*3, RGB interleaved
};

// Decodes `data` into `out`; throws std::runtime_error saying what is wrong.
// With min_side > 0, a large JPEG is decoded at a reduced DCT scale (M/8) as
// long as both sides stay at least min_side: the following warp still sees
// more pixels than it writes, and the decoder skips most of its work.
void decode_image(const uint8_t* data, size_t size, RgbImage& out, int min_side = 0);

// Bilinear warp of `in` to out_w x out_h, written planar (CHW, R then G then
// B) into `chw`. Sample positions as OpenCV's INTER_LINEAR (pixel centres).
void resize_to_chw(const RgbImage& in, int out_w, int out_h, uint8_t* chw);

// Decode and warp in one step, what the converter uses. A YCbCr JPEG is
// decoded to its Y, Cb and Cr planes (skipping the full-size chroma
// upsampling and colour conversion), each plane is warped to the output
// size, and the colour is converted there; warp and conversion are both
// linear, so this matches converting first up to rounding and chroma
// interpolation. Other inputs take decode_image + resize_to_chw.
// `fast` = false always takes that exact path and never scales the DCT.
void decode_and_warp(const uint8_t* data, size_t size, int out_w, int out_h, uint8_t* chw,
                     bool fast = true);

// The whole file; throws naming the path when it cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace xfer
