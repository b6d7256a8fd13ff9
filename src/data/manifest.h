// manifest.h: <dir>/manifest.json, what a split-half folder holds and vouches
// for: the dataset and split, image size, classes, every shard with its image
// count, size and CRC-32, and the mean image's checksum. JSON only (no HDF5),
// so the grid can read it to identify data without linking the shard code.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data/checksum.h"

namespace xfer {

// The HDF5 files (shards, mean.h5): their layout has not changed since 1.
inline constexpr int kShardSchemaVersion = 1;
// manifest.json and view.json. 2: every shard lists its class counts, so a
// view (view.h) opens only the shards holding its classes. Version 1
// folders are still read as plain folders; a view needs a version 2 store.
inline constexpr int kDataSchemaVersion = 2;

struct ManifestShard {
  std::string file;  // relative to the folder
  int64_t num_images = 0;
  int64_t bytes = 0;
  uint32_t crc32 = 0;  // of the whole file (zlib's CRC-32), from its writer's sidecar
  // (local label, images) of every label the shard holds, ascending; empty
  // in version 1 manifests.
  std::vector<std::pair<int32_t, int64_t>> class_counts;
  FileSum sum() const { return {crc32, bytes}; }
};

struct ManifestSubset {
  int64_t num_images = 0;
  std::vector<int64_t> class_counts;  // per local label
  std::vector<ManifestShard> shards;  // in index order
  std::vector<std::string> skipped;   // "key: reason"
};

struct Manifest {
  int schema_version = kDataSchemaVersion;
  std::string dataset, split;
  int channels = 0, height = 0, width = 0;
  std::vector<int32_t> class_ids;
  std::vector<std::string> class_names;
  std::map<std::string, ManifestSubset> subsets;  // "train", "val"
  std::string mean_file = "mean.h5";
  int64_t mean_num_images = 0;
  std::optional<FileSum> mean_sum;  // absent in manifests of older versions
  std::string source_json = "{}";  // free-form description of the input
};

// Reads and checks <dir>/manifest.json (missing folder, missing file, bad
// JSON, unknown schema version: each a message naming the path). Versions 1
// and 2 are read.
Manifest read_manifest(const std::string& dir);
// Written whole to a temporary name, fsynced, then renamed.
void write_manifest(const std::string& dir, const Manifest& m);

// What identifies the data, whatever folder holds it: the dataset, the split,
// the image size, the classes and the checksum of every shard and of the
// mean, as 16 hex digits. A copy of the folder elsewhere has the same
// identity; a folder converted again from other images does not. Where the
// input came from (the manifest's "source") is not part of it.
std::string data_identity(const Manifest& m);

// Every file the manifest vouches for (the shards of `subset`, or of all
// subsets when empty, then the mean when its checksum is recorded), as
// paths under `dir` with their recorded checksums.
struct RecordedFile {
  std::string path;
  FileSum sum;
};
std::vector<RecordedFile> recorded_files(const std::string& dir, const Manifest& m,
                                         const std::string& subset = "");

}  // namespace xfer
