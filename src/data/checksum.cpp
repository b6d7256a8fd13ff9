// checksum.cpp: CRC-32s of data files, their sidecars, and checking files
// against what was recorded (see checksum.h).
#include "data/checksum.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <tuple>

#include "io/atomic_file.h"

namespace xfer {

namespace {

uint32_t crc_update(uint32_t crc, const void* data, size_t size) {
  uLong c = crc;
  const auto* p = static_cast<const Bytef*>(data);
  while (size > 0) {  // zlib takes at most 4 GiB per call
    const auto n = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    c = crc32(c, p, n);
    p += n;
    size -= n;
  }
  return static_cast<uint32_t>(c);
}

// Returns nullopt when `stop` was raised before the end.
std::optional<FileSum> checksum_until(const std::string& path, const std::atomic<bool>* stop) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open for checksum: " + std::strerror(errno));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<char> buf(size_t{4} << 20);
  FileSum s;
  s.crc32 = static_cast<uint32_t>(crc32(0L, Z_NULL, 0));
  for (;;) {
    if (stop && stop->load()) {
      ::close(fd);
      return std::nullopt;
    }
    const ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int e = errno;
      ::close(fd);
      throw std::runtime_error(path + ": read error during checksum: " + std::strerror(e));
    }
    if (got == 0) break;
    s.crc32 = crc_update(s.crc32, buf.data(), static_cast<size_t>(got));
    s.bytes += got;
  }
  ::close(fd);
  return s;
}

// Files already found to match in this process, by what identifies their
// present content.
using FileKey = std::tuple<std::string, dev_t, ino_t, off_t, int64_t>;
std::mutex& remembered_mutex() {
  static std::mutex mu;
  return mu;
}
std::map<FileKey, FileSum>& remembered() {
  static std::map<FileKey, FileSum> m;
  return m;
}

std::optional<FileKey> key_of(const std::string& path, bool* settled) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  const int64_t mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  // File timestamps tick coarsely (a few ms): a file written within the last
  // seconds may change again without its mtime moving, so it is not remembered.
  *settled = st.st_mtim.tv_sec + 2 < std::time(nullptr);
  return FileKey{path, st.st_dev, st.st_ino, st.st_size, mtime_ns};
}

}  // namespace

FileSum file_checksum(const std::string& path) { return *checksum_until(path, nullptr); }

FileSum buffer_checksum(const void* data, size_t size) {
  FileSum s;
  s.crc32 = crc_update(static_cast<uint32_t>(crc32(0L, Z_NULL, 0)), data, size);
  s.bytes = static_cast<int64_t>(size);
  return s;
}

std::string crc_hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

uint32_t parse_crc_hex(const std::string& s, const std::string& context) {
  size_t used = 0;
  unsigned long v = 0;
  try {
    v = std::stoul(s, &used, 16);
  } catch (const std::logic_error&) {
    used = 0;
  }
  if (s.size() != 8 || used != s.size() || v > 0xffffffffUL)
    throw std::runtime_error(context + ": crc32 '" + s + "' is not 8 hex digits");
  return static_cast<uint32_t>(v);
}

const char* const kDamagedAdvice =
    "; rerun the prep tool that made the folder: it converts damaged or missing files again";

std::string mismatch_message(const std::string& path, const FileSum& recorded,
                             const FileSum& now) {
  std::string m = path + ": checksum mismatch (recorded " + crc_hex(recorded.crc32) + ", computed " +
                  crc_hex(now.crc32);
  if (now.bytes != recorded.bytes)
    m += "; " + std::to_string(now.bytes) + " bytes, " + std::to_string(recorded.bytes) +
         " recorded" + (now.bytes < recorded.bytes ? ": truncated" : "");
  return m + ")";
}

std::string check_file(const std::string& path, const FileSum& recorded) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return path + ": missing (a checksum is recorded for it)";
  const FileSum now = file_checksum(path);
  return now == recorded ? std::string() : mismatch_message(path, recorded, now);
}

void verify_file(const std::string& path, const FileSum& recorded) {
  const std::string bad = check_file(path, recorded);
  if (!bad.empty()) throw std::runtime_error(bad + kDamagedAdvice);
}

void verify_file_once(const std::string& path, const FileSum& recorded) {
  bool settled = false;
  const auto key = key_of(path, &settled);
  if (key) {
    std::lock_guard<std::mutex> lk(remembered_mutex());
    auto it = remembered().find(*key);
    if (it != remembered().end() && it->second == recorded) return;
  }
  verify_file(path, recorded);
  if (key && settled) {
    std::lock_guard<std::mutex> lk(remembered_mutex());
    remembered()[*key] = recorded;
  }
}

// ---------------------------------------------------------------------------
// Sidecars

std::string sidecar_path(const std::string& file) { return file + ".crc32"; }

void write_sidecar(const std::string& file, const FileSum& sum) {
  const std::string name = file.substr(file.find_last_of('/') + 1);
  const nlohmann::json j = {{"file", name}, {"crc32", crc_hex(sum.crc32)}, {"bytes", sum.bytes}};
  write_file_atomic(sidecar_path(file), j.dump() + "\n");
}

std::optional<FileSum> read_sidecar(const std::string& file) {
  const std::string path = sidecar_path(file);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    FileSum s;
    s.crc32 = parse_crc_hex(j.at("crc32").get<std::string>(), path);
    s.bytes = j.at("bytes").get<int64_t>();
    return s;
  } catch (const std::exception& e) {
    // Sidecars are written atomically: a bad one was damaged like a shard.
    throw std::runtime_error(path + ": unreadable checksum sidecar (" + e.what() +
                             "); remove it and the shard beside it, then convert again");
  }
}

// ---------------------------------------------------------------------------
// BackgroundVerifier

BackgroundVerifier::BackgroundVerifier(std::vector<Item> items, int threads, bool remember)
    : items_(std::move(items)), remember_(remember), errors_(items_.size()), done_(items_.size(), 0) {
  const int n = static_cast<int>(std::min<size_t>(items_.size(), static_cast<size_t>(std::max(1, threads))));
  for (int t = 0; t < n; ++t) threads_.emplace_back([this] { run(); });
}

BackgroundVerifier::~BackgroundVerifier() {
  stop_ = true;
  for (auto& t : threads_) t.join();
}

void BackgroundVerifier::run() {
  for (;;) {
    const size_t i = next_.fetch_add(1);
    if (i >= items_.size() || stop_) return;
    const Item& it = items_[i];
    std::string error;
    try {
      if (remember_) {
        verify_file_once(it.path, it.recorded);
      } else {
        struct stat st {};
        if (::stat(it.path.c_str(), &st) != 0) {
          error = it.path + ": missing (a checksum is recorded for it)";
        } else {
          auto now = checksum_until(it.path, &stop_);
          if (!now) return;  // stopping
          if (!(*now == it.recorded))
            error = mismatch_message(it.path, it.recorded, *now) + kDamagedAdvice;
        }
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      errors_[i] = error;
      done_[i] = 1;
      if (error.empty()) ++done_ok_;
    }
    cv_.notify_all();
  }
}

void BackgroundVerifier::wait(size_t i) {
  if (all_done()) return;
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [&] { return done_[i] != 0; });
  if (!errors_[i].empty()) throw std::runtime_error(errors_[i]);
}

void BackgroundVerifier::wait_all() {
  for (size_t i = 0; i < items_.size(); ++i) wait(i);
}

}  // namespace xfer
