// fmnist_idx.cpp: IDX reading through zlib (which reads plain files too).
#include "data/fmnist_idx.h"

#include <zlib.h>

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
  im.pixels.resize(static_cast<size_t>(im.count) * im.rows * im.cols);
  read_exact(g, im.pixels.data(), im.pixels.size(), path);
  return im;
}

std::vector<int32_t> read_idx_labels(const std::string& path) {
  GzFile g;
  open_gz(g, path);
  const uint32_t magic = read_be32(g, path);
  if (magic != 0x00000801)
    throw std::runtime_error(path + ": not an IDX label file (magic " + std::to_string(magic) + ")");
  const uint32_t n = read_be32(g, path);
  std::vector<uint8_t> raw(n);
  read_exact(g, raw.data(), raw.size(), path);
  return std::vector<int32_t>(raw.begin(), raw.end());
}

const std::vector<std::string>& fmnist_class_names() {
  static const std::vector<std::string> names = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace xfer
