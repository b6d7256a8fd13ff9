// checksum.h: the whole-file CRC-32s that vouch for a data folder.
//
// The shard writer computes the CRC-32 of every shard it wrote, after closing
// it, and keeps it in a sidecar "<shard>.crc32" written before the shard is
// renamed into place; finalizing copies the sidecars (and the CRC of the mean
// it wrote) into manifest.json. Prep therefore never records the checksum of
// a file it did not write itself. The loader, the derive stage and
// xfer_verify_data compare files with what was recorded, so a damaged file
// is found before it is trained on or copied into another folder.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace xfer {

// What was recorded of a file: zlib's CRC-32 of all its bytes and its size.
struct FileSum {
  uint32_t crc32 = 0;
  int64_t bytes = 0;
  bool operator==(const FileSum& o) const { return crc32 == o.crc32 && bytes == o.bytes; }
};

// Reads the whole file; throws naming `path` when it cannot.
FileSum file_checksum(const std::string& path);
FileSum buffer_checksum(const void* data, size_t size);

// "1c291ca3" and back (the manifest's spelling).
std::string crc_hex(uint32_t v);
uint32_t parse_crc_hex(const std::string& s, const std::string& context);

// "" when `path` matches `recorded`, else one line naming the file and both
// checksums: "<path>: checksum mismatch (recorded 1c291ca3, computed
// 5d2e0a11)" (sizes added when they differ), or "<path>: missing (a checksum
// is recorded for it)".
std::string check_file(const std::string& path, const FileSum& recorded);
// The line check_file() gives for a file that does not match.
std::string mismatch_message(const std::string& path, const FileSum& recorded,
                             const FileSum& computed);
// What to do about it, appended where a run stops on it.
extern const char* const kDamagedAdvice;
// Throws check_file()'s line, with kDamagedAdvice.
void verify_file(const std::string& path, const FileSum& recorded);
// As verify_file, for the prep tools, which look at the same files several
// times in one process (finalize, then every derived half): a match is
// remembered for the file as it is now (device, inode, size, mtime), unless
// it was modified in the last seconds (a later change could keep the same
// coarse timestamp).
void verify_file_once(const std::string& path, const FileSum& recorded);

// The sidecar of a shard: "<shard>.crc32", one line of JSON
// {"file": ..., "crc32": ..., "bytes": ...}, written atomically.
std::string sidecar_path(const std::string& file);
void write_sidecar(const std::string& file, const FileSum& sum);
std::optional<FileSum> read_sidecar(const std::string& file);  // nullopt when absent

// Checks files on background threads, in list order, so that a caller can
// start using the first files while the later ones are still being read.
// wait(i) returns once file i matched and throws check_file()'s line when it
// did not. Destroying it stops the threads after the file each is reading.
class BackgroundVerifier {
 public:
  struct Item {
    std::string path;
    FileSum recorded;
  };
  BackgroundVerifier(std::vector<Item> items, int threads, bool remember = false);
  ~BackgroundVerifier();
  BackgroundVerifier(const BackgroundVerifier&) = delete;
  BackgroundVerifier& operator=(const BackgroundVerifier&) = delete;

  void wait(size_t i);
  void wait_all();
  bool all_done() const { return done_ok_.load() == items_.size(); }

 private:
  void run();
  std::vector<Item> items_;
  bool remember_;
  std::vector<std::string> errors_;
  std::vector<char> done_;  // under mu_
  std::atomic<size_t> next_{0}, done_ok_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
};

}  // namespace xfer
