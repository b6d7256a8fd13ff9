// fmnist_idx.cpp: IDX reading through zlib (which reads plain files too).
#include "data_prep/fmnist_idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace xfer {

namespace {

struct GzFile {
  gzFile f = nullptr;
  ~GzFile() {
    if (f) gzclose(f);
  }
};

void open_gz(GzFile& g, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw std::runtime_error(path + ": missing IDX file");
  g.f = gzopen(path.c_str(), "rb");
  if (!g.f) throw std::runtime_error(path + ": cannot open");
  gzbuffer(g.f, 1 << 20);
}

void read_exact(GzFile& g, void* out, size_t n, const std::string& path) {
  auto* p = static_cast<uint8_t*>(out);
  while (n > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
    const int got = gzread(g.f, p, chunk);
    if (got <= 0) throw std::runtime_error(path + ": truncated IDX file");
    p += got;
    n -= static_cast<size_t>(got);
  }
}

// The most payload bytes (after a header of `header` bytes) the file can
// hold: exactly what follows the header in a plain file; for a gzipped one,
// what deflate's largest ratio (1032:1) allows. Checked against what the
// header claims before allocating, so a damaged count is an error naming the
// file rather than std::bad_alloc.
void check_claim(const std::string& path, uint64_t header, uint64_t count, uint64_t item_bytes,
                 const char* what) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return;  // read_exact reports what is missing
  unsigned char magic[2] = {0, 0};
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    if (std::fread(magic, 1, 2, f) != 2) magic[0] = 0;
    std::fclose(f);
  }
  const bool gz = magic[0] == 0x1f && magic[1] == 0x8b;
  const uint64_t limit = gz ? size * 1032 : (size > header ? size - header : 0);
  const uint64_t claimed = count * item_bytes;  // < 2^32 * 2^24: no overflow
  if (claimed <= limit) return;
  throw std::runtime_error(path + ": damaged IDX header: it claims " + std::to_string(count) + " " +
                           what + " (" + std::to_string(claimed) + " bytes), but the file" +
                           (gz ? " (gzipped, " : " (") + std::to_string(size) +
                           " bytes) can hold at most " + std::to_string(limit));
}

// Reads `n` payload bytes, growing the buffer as data arrives: even a count
// that passed check_claim costs no more memory than the file really holds.
std::vector<uint8_t> read_payload(GzFile& g, uint64_t n, const std::string& path,
                                  const std::string& claim) {
  std::vector<uint8_t> out;
  while (out.size() < n) {
    const size_t at = out.size();
    const size_t take = static_cast<size_t>(std::min<uint64_t>(uint64_t{64} << 20, n - at));
    out.resize(at + take);
    try {
      read_exact(g, out.data() + at, take, path);
    } catch (const std::runtime_error&) {
      throw std::runtime_error(path + ": truncated IDX file (the header claims " + claim + ")");
    }
  }
  return out;
}

uint32_t read_be32(GzFile& g, const std::string& path) {
  uint8_t b[4];
  read_exact(g, b, 4, path);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  GzFile g;
  open_gz(g, path);
  const uint32_t magic = read_be32(g, path);
  if (magic != 0x00000803)
    throw std::runtime_error(path + ": not an IDX image file (magic " + std::to_string(magic) + ")");
  IdxImages im;
  im.count = read_be32(g, path);
  im.rows = static_cast<int>(read_be32(g, path));
  im.cols = static_cast<int>(read_be32(g, path));
  if (im.rows <= 0 || im.cols <= 0 || im.rows > 4096 || im.cols > 4096)
    throw std::runtime_error(path + ": implausible image size");
  check_claim(path, 16, static_cast<uint64_t>(im.count),
              static_cast<uint64_t>(im.rows) * static_cast<uint64_t>(im.cols), "images");
  im.pixels = read_payload(g, static_cast<uint64_t>(im.count) * im.rows * im.cols, path,
                           std::to_string(im.count) + " images of " + std::to_string(im.rows) +
                               "x" + std::to_string(im.cols));
  return im;
}

std::vector<int32_t> read_idx_labels(const std::string& path) {
  GzFile g;
  open_gz(g, path);
  const uint32_t magic = read_be32(g, path);
  if (magic != 0x00000801)
    throw std::runtime_error(path + ": not an IDX label file (magic " + std::to_string(magic) + ")");
  const uint32_t n = read_be32(g, path);
  check_claim(path, 8, n, 1, "labels");
  const auto raw = read_payload(g, n, path, std::to_string(n) + " labels");
  return std::vector<int32_t>(raw.begin(), raw.end());
}

const std::vector<std::string>& fmnist_class_names() {
  static const std::vector<std::string> names = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace xfer
