// image_codec.h: decoding the dataset's image files and warping them to the
// stored size, as Caffe's convert_imageset did (a bilinear resize that
// ignores the aspect ratio). JPEGs are decoded by libjpeg-turbo whatever
// their colour space (RGB, grayscale, CMYK/YCCK); files that are really PNG
// (ImageNet holds one named .JPEG) are recognised by signature and decoded
// by libpng. Results are 3-channel RGB, or one gray plane where asked
// (decode_and_warp_gray).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xfer {

// Images whose header claims more pixels than this are refused before any
// decoding: a 259 KB progressive JPEG can claim 65,500 x 65,500, and its
// decoder would hold every DCT coefficient of that image (19 GB) at once. The
// default covers real photographs (a 61-megapixel camera, a 100-megapixel
// medium format back); the tools' --max-pixels changes it. Decoding one image
// then needs at most about 7 bytes a pixel (the RGB image, the CMYK buffer or
// a JPEG's coefficients), 700 MB at the default, per decoding thread.
constexpr int64_t kDefaultMaxPixels = 100'000'000;
void set_max_pixels(int64_t n);  // throws std::invalid_argument below 1
int64_t max_pixels();

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

// decode_and_warp's one-channel form: the image's luma warped to
// out_w x out_h, one plane into `out`. A gray source (gray JPEG, gray PNG)
// keeps its own values, and at the stored size comes out exactly, with no
// resampling. A colour source becomes gray pixel by pixel, Y = (299 R +
// 587 G + 114 B + 500) / 1000 (ITU-R 601 luma, rounded), before the warp;
// with `fast`, a YCbCr JPEG is decoded straight to its Y channel, the luma
// its encoder computed with those same weights, at a reduced DCT scale as
// decode_and_warp.
void decode_and_warp_gray(const uint8_t* data, size_t size, int out_w, int out_h, uint8_t* out,
                          bool fast = true);

// The whole file; throws naming the path when it cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace xfer
