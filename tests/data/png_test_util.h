// png_test_util.h: writing a PNG for the tests that decode images (link png).
#pragma once

#include <gtest/gtest.h>
#include <png.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace xfer::test {

// An 8-bit PNG of w x h, gray (1 channel) or RGB (3), interleaved pixels;
// the folders above it are made.
inline void write_png(const std::string& path, int w, int h, int channels, const uint8_t* px) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  ASSERT_NE(png_image_write_to_file(&img, path.c_str(), 0, px, 0, nullptr), 0) << path << ": " << img.message;
}

}  // namespace xfer::test
