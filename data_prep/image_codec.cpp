// image_codec.cpp: JPEG (TurboJPEG) and PNG (libpng) decoding and the warp.
#include "data_prep/image_codec.h"

#include <atomic>

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace xfer {

namespace {

// One TurboJPEG decompressor per thread; handles are not shareable.
struct TjHandle {
  tjhandle h = tjInitDecompress();
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
};

std::atomic<int64_t> g_max_pixels{kDefaultMaxPixels};

// The header's size against the bound, before anything is allocated.
void check_pixels(const char* format, int64_t w, int64_t h) {
  if (w > 0 && h > 0 && w * h <= g_max_pixels.load()) return;
  if (w <= 0 || h <= 0) throw std::runtime_error(std::string(format) + ": empty image");
  throw std::runtime_error(std::string(format) + ": the header claims " + std::to_string(w) + " x " +
                           std::to_string(h) + " pixels, above --max-pixels " + std::to_string(g_max_pixels.load()) +
                           ": not decoded");
}

// What a decode call said. Fatal errors, and a file that ends before its
// image does (TurboJPEG warns and fills the rest with gray, so half a photo
// would enter the store), refuse the file; other warnings (extraneous bytes
// before a marker, common in ImageNet) leave the image as decoded.
void check_decoded(tjhandle tj, int rc, const char* what) {
  if (rc == 0) return;
  const std::string msg = tjGetErrorStr2(tj);
  if (tjGetErrorCode(tj) == TJERR_FATAL || msg.find("Premature end") != std::string::npos)
    throw std::runtime_error(std::string(what) + ": " + msg);
}

tjhandle thread_decoder() {
  thread_local TjHandle handle;
  if (!handle.h) throw std::runtime_error("cannot create a TurboJPEG decompressor");
  return handle.h;
}

bool is_png(const uint8_t* d, size_t n) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return n >= 8 && std::memcmp(d, sig, 8) == 0;
}

// Adobe's APP14 marker says the CMYK samples are stored inverted (what
// Photoshop and libjpeg write); without it they are plain.
bool has_adobe_marker(const uint8_t* d, size_t n) {
  size_t i = 2;
  while (i + 4 <= n && d[i] == 0xFF) {
    const uint8_t marker = d[i + 1];
    if (marker == 0xDA || marker == 0xD9) break;  // start of scan / end
    const size_t len = (static_cast<size_t>(d[i + 2]) << 8) | d[i + 3];
    if (marker == 0xEE && len >= 7 && i + 9 <= n && std::memcmp(d + i + 4, "Adobe", 5) == 0)
      return true;
    i += 2 + len;
  }
  return false;
}

void decode_png(const uint8_t* data, size_t size, RgbImage& out) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, data, size))
    throw std::runtime_error(std::string("PNG: ") + img.message);
  if (int64_t(img.width) * img.height > g_max_pixels.load() || img.width == 0 || img.height == 0) {
    png_image_free(&img);
    check_pixels("PNG", img.width, img.height);
  }
  img.format = PNG_FORMAT_RGB;
  out.width = static_cast<int>(img.width);
  out.height = static_cast<int>(img.height);
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  // Transparent parts go onto white, as most viewers show them.
  png_color white{255, 255, 255};
  if (!png_image_finish_read(&img, &white, out.pixels.data(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    throw std::runtime_error("PNG: " + msg);
  }
}

// The smallest DCT-scaled size with both sides >= min_side (0: no scaling).
void scaled_size(int w, int h, int min_side, int& sw, int& sh) {
  sw = w;
  sh = h;
  if (min_side <= 0) return;
  int nf = 0;
  tjscalingfactor* f = tjGetScalingFactors(&nf);
  for (int i = 0; f && i < nf; ++i) {
    // Only 1/2, 1/4, 1/8: libjpeg-turbo has SIMD for these; its other
    // M/8 scalings run plain C and end up slower than a full decode.
    if (f[i].num != 1 || (f[i].denom != 2 && f[i].denom != 4 && f[i].denom != 8)) continue;
    const int cw = TJSCALED(w, f[i]), ch = TJSCALED(h, f[i]);
    if (cw >= min_side && ch >= min_side && cw * ch < sw * sh) {
      sw = cw;
      sh = ch;
    }
  }
}

void decode_jpeg(const uint8_t* data, size_t size, RgbImage& out, int min_side) {
  tjhandle tj = thread_decoder();
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &w, &h, &subsamp,
                          &colorspace) != 0)
    throw std::runtime_error(std::string("JPEG header: ") + tjGetErrorStr2(tj));
  check_pixels("JPEG", w, h);
  int sw = w, sh = h;
  scaled_size(w, h, min_side, sw, sh);
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  out.width = sw;
  out.height = sh;
  out.pixels.resize(static_cast<size_t>(sw) * sh * 3);
  if (!cmyk) {
    check_decoded(tj,
                  tjDecompress2(tj, data, static_cast<unsigned long>(size), out.pixels.data(), sw, 0, sh, TJPF_RGB, 0),
                  "JPEG");
    return;
  }
  // libjpeg cannot convert CMYK to RGB itself.
  std::vector<uint8_t> buf(static_cast<size_t>(sw) * sh * 4);
  check_decoded(tj, tjDecompress2(tj, data, static_cast<unsigned long>(size), buf.data(), sw, 0, sh, TJPF_CMYK, 0),
                "JPEG (CMYK)");
  const bool inverted = has_adobe_marker(data, size);
  const size_t n = static_cast<size_t>(sw) * sh;
  for (size_t i = 0; i < n; ++i) {
    int c = buf[4 * i], m = buf[4 * i + 1], y = buf[4 * i + 2], k = buf[4 * i + 3];
    if (!inverted) {
      c = 255 - c;
      m = 255 - m;
      y = 255 - y;
      k = 255 - k;
    }
    // Now 255 means no ink: RGB = (1 - C)(1 - K) in stored terms.
    out.pixels[3 * i] = static_cast<uint8_t>((c * k + 127) / 255);
    out.pixels[3 * i + 1] = static_cast<uint8_t>((m * k + 127) / 255);
    out.pixels[3 * i + 2] = static_cast<uint8_t>((y * k + 127) / 255);
  }
}

}  // namespace

void set_max_pixels(int64_t n) {
  if (n < 1) throw std::invalid_argument("--max-pixels must be at least 1, got " + std::to_string(n));
  g_max_pixels.store(n);
}

int64_t max_pixels() { return g_max_pixels.load(); }

void decode_image(const uint8_t* data, size_t size, RgbImage& out, int min_side) {
  if (size < 4) throw std::runtime_error("file too short to be an image");
  if (is_png(data, size)) {
    decode_png(data, size, out);
  } else if (data[0] == 0xFF && data[1] == 0xD8) {
    decode_jpeg(data, size, out, min_side);
  } else {
    throw std::runtime_error("neither JPEG nor PNG");
  }
}

namespace {

constexpr int kBits = 11;  // fixed-point weights, as OpenCV's
constexpr int kOne = 1 << kBits;

// Source index and weight of the next sample for each output position, with
// OpenCV INTER_LINEAR's pixel-centre mapping and edge clamping.
void linear_coeffs(int in_n, int out_n, std::vector<int>& idx, std::vector<int>& wt) {
  idx.resize(static_cast<size_t>(out_n));
  wt.resize(static_cast<size_t>(out_n));
  const double scale = static_cast<double>(in_n) / out_n;
  for (int o = 0; o < out_n; ++o) {
    double s = (o + 0.5) * scale - 0.5;
    int i0 = static_cast<int>(std::floor(s));
    double f = s - i0;
    if (i0 < 0) {
      i0 = 0;
      f = 0;
    }
    if (i0 >= in_n - 1) {
      i0 = in_n - 1;
      f = 0;
    }
    idx[static_cast<size_t>(o)] = i0;
    wt[static_cast<size_t>(o)] = static_cast<int>(std::lround(f * kOne));
  }
}

// Bilinear warp of one 8-bit plane (w x h, row stride `stride`) to ow x oh.
// Vertical blend first, over whole source rows with 7-bit weights in 16-bit
// lanes (vectorises even on plain SSE2), then the horizontal gather on one
// row per output row with 11-bit weights.
void resize_plane(const uint8_t* src, int w, int h, int stride, int ow, int oh, uint8_t* dst) {
  constexpr int kVBits = 7, kVOne = 1 << kVBits;
  thread_local std::vector<int> xi, xw, yi, yw;
  thread_local std::vector<uint16_t> tmp;
  linear_coeffs(w, ow, xi, xw);
  linear_coeffs(h, oh, yi, yw);
  tmp.resize(static_cast<size_t>(w));
  constexpr int kShift = kVBits + kBits;
  for (int y = 0; y < oh; ++y) {
    const int y0 = yi[static_cast<size_t>(y)];
    const int y1 = y0 + 1 < h ? y0 + 1 : y0;
    const auto b1 = static_cast<uint16_t>((yw[static_cast<size_t>(y)] + (1 << (kBits - kVBits - 1))) >>
                                          (kBits - kVBits));
    const auto b0 = static_cast<uint16_t>(kVOne - b1);
    const uint8_t* ra = src + static_cast<size_t>(y0) * stride;
    const uint8_t* rb = src + static_cast<size_t>(y1) * stride;
    uint16_t* t = tmp.data();
    for (int x = 0; x < w; ++x)
      t[x] = static_cast<uint16_t>(ra[x] * b0 + rb[x] * b1);  // <= 255 * 128
    uint8_t* d = dst + static_cast<size_t>(y) * ow;
    for (int x = 0; x < ow; ++x) {
      const int i0 = xi[static_cast<size_t>(x)], w1 = xw[static_cast<size_t>(x)];
      const int i1 = i0 + 1 < w ? i0 + 1 : i0;
      d[x] = static_cast<uint8_t>((t[i0] * (kOne - w1) + t[i1] * w1 + (1 << (kShift - 1))) >> kShift);
    }
  }
}

uint8_t clamp8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

// JFIF YCbCr -> RGB in place over three planes (libjpeg's constants).
void ycc_to_rgb(uint8_t* p0, uint8_t* p1, uint8_t* p2, size_t n) {
  constexpr int kS = 16, kHalf = 1 << (kS - 1);
  constexpr int kCr_r = 91881, kCb_g = 22554, kCr_g = 46802, kCb_b = 116130;  // x 2^16
  for (size_t i = 0; i < n; ++i) {
    const int y = p0[i] << kS, cb = p1[i] - 128, cr = p2[i] - 128;
    p0[i] = clamp8((y + kCr_r * cr + kHalf) >> kS);
    p1[i] = clamp8((y - kCb_g * cb - kCr_g * cr + kHalf) >> kS);
    p2[i] = clamp8((y + kCb_b * cb + kHalf) >> kS);
  }
}

}  // namespace

void resize_to_chw(const RgbImage& in, int out_w, int out_h, uint8_t* chw) {
  const int iw = in.width, ih = in.height;
  if (iw <= 0 || ih <= 0 || in.pixels.size() < static_cast<size_t>(iw) * ih * 3)
    throw std::runtime_error("resize: empty input image");
  std::vector<int> xi, xw, yi, yw;
  linear_coeffs(iw, out_w, xi, xw);
  linear_coeffs(ih, out_h, yi, yw);
  // Horizontal pass of a source row into planar fixed-point (3 x out_w).
  std::vector<int> rows[2] = {std::vector<int>(3 * static_cast<size_t>(out_w)),
                              std::vector<int>(3 * static_cast<size_t>(out_w))};
  int row_of[2] = {-1, -1};
  auto hpass = [&](int sy, std::vector<int>& dst) {
    const uint8_t* src = in.pixels.data() + static_cast<size_t>(sy) * iw * 3;
    int* r = dst.data();
    int* g = r + out_w;
    int* b = g + out_w;
    for (int x = 0; x < out_w; ++x) {
      const int i0 = xi[static_cast<size_t>(x)], w1 = xw[static_cast<size_t>(x)], w0 = kOne - w1;
      const int i1 = std::min(i0 + 1, iw - 1);
      const uint8_t* p0 = src + 3 * i0;
      const uint8_t* p1 = src + 3 * i1;
      r[x] = p0[0] * w0 + p1[0] * w1;
      g[x] = p0[1] * w0 + p1[1] * w1;
      b[x] = p0[2] * w0 + p1[2] * w1;
    }
  };
  auto row = [&](int sy) -> const int* {
    for (int k = 0; k < 2; ++k)
      if (row_of[k] == sy) return rows[k].data();
    // Replace the slot not holding sy-1 (rows are visited in order).
    int k = (row_of[0] == sy - 1) ? 1 : 0;
    hpass(sy, rows[k]);
    row_of[k] = sy;
    return rows[k].data();
  };
  const size_t plane = static_cast<size_t>(out_w) * out_h;
  for (int y = 0; y < out_h; ++y) {
    const int y0 = yi[static_cast<size_t>(y)], w1 = yw[static_cast<size_t>(y)], w0 = kOne - w1;
    const int y1 = std::min(y0 + 1, ih - 1);
    const int* a = row(y0);
    const int* b = row(y1);
    for (int c = 0; c < 3; ++c) {
      const int* ra = a + static_cast<size_t>(c) * out_w;
      const int* rb = b + static_cast<size_t>(c) * out_w;
      uint8_t* dst = chw + c * plane + static_cast<size_t>(y) * out_w;
      for (int x = 0; x < out_w; ++x) {
        // 255 * 2^11 * 2^11 < 2^31: int32 is enough, and vectorises.
        const int v = ra[x] * w0 + rb[x] * w1;
        dst[x] = static_cast<uint8_t>((v + (1 << (2 * kBits - 1))) >> (2 * kBits));
      }
    }
  }
}

void decode_and_warp(const uint8_t* data, size_t size, int out_w, int out_h, uint8_t* chw,
                     bool fast) {
  const bool jpeg = size >= 4 && data[0] == 0xFF && data[1] == 0xD8;
  tjhandle tj = jpeg && fast ? thread_decoder() : nullptr;
  int w = 0, h = 0, subsamp = 0, colorspace = -1;
  if (tj && tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &w, &h, &subsamp,
                                &colorspace) != 0)
    throw std::runtime_error(std::string("JPEG header: ") + tjGetErrorStr2(tj));
  if (tj) check_pixels("JPEG", w, h);
  const bool planar = tj && w > 0 && h > 0 &&
                      (colorspace == TJCS_YCbCr || colorspace == TJCS_GRAY) &&
                      subsamp >= 0 && subsamp < TJ_NUMSAMP;
  if (!planar) {
    thread_local RgbImage img;
    decode_image(data, size, img, fast ? std::min(out_w, out_h) : 0);
    resize_to_chw(img, out_w, out_h, chw);
    return;
  }
  int sw = w, sh = h;
  scaled_size(w, h, std::min(out_w, out_h), sw, sh);
  const size_t plane = static_cast<size_t>(out_w) * out_h;
  thread_local std::vector<uint8_t> buf;
  if (colorspace == TJCS_GRAY) {
    buf.resize(static_cast<size_t>(sw) * sh);
    check_decoded(tj, tjDecompress2(tj, data, static_cast<unsigned long>(size), buf.data(), sw, 0, sh, TJPF_GRAY, 0),
                  "JPEG");
    resize_plane(buf.data(), sw, sh, sw, out_w, out_h, chw);
    std::memcpy(chw + plane, chw, plane);
    std::memcpy(chw + 2 * plane, chw, plane);
    return;
  }
  int pw[3], ph[3];
  size_t total = 0;
  for (int c = 0; c < 3; ++c) {
    pw[c] = tjPlaneWidth(c, sw, subsamp);
    ph[c] = tjPlaneHeight(c, sh, subsamp);
    if (pw[c] <= 0 || ph[c] <= 0) throw std::runtime_error("JPEG: bad plane size");
    total += static_cast<size_t>(pw[c]) * ph[c];
  }
  buf.resize(total);
  unsigned char* planes[3] = {buf.data(), buf.data() + static_cast<size_t>(pw[0]) * ph[0],
                              buf.data() + static_cast<size_t>(pw[0]) * ph[0] +
                                  static_cast<size_t>(pw[1]) * ph[1]};
  check_decoded(tj, tjDecompressToYUVPlanes(tj, data, static_cast<unsigned long>(size), planes, sw, pw, sh, 0), "JPEG");
  // Luma: the image's own sw x sh (the plane may be padded); chroma: the
  // whole plane, which covers the same area at lower resolution.
  resize_plane(planes[0], sw, sh, pw[0], out_w, out_h, chw);
  for (int c = 1; c < 3; ++c)
    resize_plane(planes[c], pw[c], ph[c], pw[c], out_w, out_h, chw + c * plane);
  ycc_to_rgb(chw, chw + plane, chw + 2 * plane, plane);
}

namespace {

// Warps one plane to ow x oh; a plane already at that size is copied as it
// is (the warp would give the same bytes, but a copy says so plainly).
void warp_plane(const uint8_t* src, int w, int h, int stride, int ow, int oh, uint8_t* dst) {
  if (w == ow && h == oh) {
    for (int y = 0; y < h; ++y)
      std::memcpy(dst + static_cast<size_t>(y) * ow, src + static_cast<size_t>(y) * stride,
                  static_cast<size_t>(w));
    return;
  }
  resize_plane(src, w, h, stride, ow, oh, dst);
}

// A PNG whose pixels are gray (no colour flag), read as one 8-bit plane;
// false when it has colour. Transparency goes onto white, as decode_png.
bool decode_gray_png(const uint8_t* data, size_t size, std::vector<uint8_t>& px, int& w, int& h) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, data, size))
    throw std::runtime_error(std::string("PNG: ") + img.message);
  if (int64_t(img.width) * img.height > g_max_pixels.load() || img.width == 0 || img.height == 0) {
    png_image_free(&img);
    check_pixels("PNG", img.width, img.height);
  }
  if (img.format & PNG_FORMAT_FLAG_COLOR) {
    png_image_free(&img);
    return false;
  }
  img.format = PNG_FORMAT_GRAY;
  w = static_cast<int>(img.width);
  h = static_cast<int>(img.height);
  px.resize(PNG_IMAGE_SIZE(img));
  png_color white{255, 255, 255};
  if (!png_image_finish_read(&img, &white, px.data(), 0, nullptr)) {
    std::string msg = img.message;
    png_image_free(&img);
    throw std::runtime_error("PNG: " + msg);
  }
  return true;
}

}  // namespace

void decode_and_warp_gray(const uint8_t* data, size_t size, int out_w, int out_h, uint8_t* out,
                          bool fast) {
  thread_local std::vector<uint8_t> plane;
  int w = 0, h = 0;
  if (is_png(data, size) && decode_gray_png(data, size, plane, w, h)) {
    warp_plane(plane.data(), w, h, w, out_w, out_h, out);
    return;
  }
  const bool jpeg = size >= 4 && data[0] == 0xFF && data[1] == 0xD8;
  if (jpeg) {
    tjhandle tj = thread_decoder();
    int subsamp = 0, colorspace = -1;
    if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &w, &h, &subsamp,
                            &colorspace) != 0)
      throw std::runtime_error(std::string("JPEG header: ") + tjGetErrorStr2(tj));
    check_pixels("JPEG", w, h);
    // Gray JPEGs always (their values are the image); YCbCr ones when fast.
    if (colorspace == TJCS_GRAY || (fast && colorspace == TJCS_YCbCr)) {
      int sw = w, sh = h;
      scaled_size(w, h, fast ? std::min(out_w, out_h) : 0, sw, sh);
      plane.resize(static_cast<size_t>(sw) * sh);
      check_decoded(
          tj, tjDecompress2(tj, data, static_cast<unsigned long>(size), plane.data(), sw, 0, sh, TJPF_GRAY, 0), "JPEG");
      warp_plane(plane.data(), sw, sh, sw, out_w, out_h, out);
      return;
    }
  }
  // Colour (RGB PNG, CMYK JPEG, any JPEG when exact): luma of the RGB pixels.
  thread_local RgbImage img;
  decode_image(data, size, img, fast ? std::min(out_w, out_h) : 0);
  const size_t n = static_cast<size_t>(img.width) * img.height;
  plane.resize(n);
  const uint8_t* p = img.pixels.data();
  for (size_t i = 0; i < n; ++i, p += 3)
    plane[i] = static_cast<uint8_t>((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
  warp_plane(plane.data(), img.width, img.height, img.width, out_w, out_h, out);
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error(path + ": cannot open");
  const std::streamsize n = in.tellg();
  if (n < 0) throw std::runtime_error(path + ": cannot read size");
  std::vector<uint8_t> buf(static_cast<size_t>(n));
  in.seekg(0);
  if (n > 0 && !in.read(reinterpret_cast<char*>(buf.data()), n))
    throw std::runtime_error(path + ": read failed");
  return buf;
}

}  // namespace xfer
