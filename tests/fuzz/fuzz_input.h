// fuzz_input.h: what the fuzz targets share. Each target hands libFuzzer's
// bytes to one reader of outside input, as a file where the reader takes a
// path, and accepts any std::exception as a refusal: a crash, an
// AddressSanitizer or UndefinedBehaviorSanitizer report, a hang or a leak is
// a finding. Files go under /dev/shm (memory) when it exists, one folder per
// process.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace xfer::fuzz {

inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path root = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::filesystem::path d = root / ("xfer_fuzz_" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// `data` written to <scratch>/<name>; returns its path.
inline std::string as_file(const uint8_t* data, size_t size, const std::string& name) {
  const std::filesystem::path p = scratch() / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                              static_cast<std::streamsize>(size));
  return p.string();
}

}  // namespace xfer::fuzz
