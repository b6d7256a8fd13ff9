// imagenet_prep.h: ILSVRC2012 in its standard layout turned into the "all"
// shard folder (every class, 3x256x256), from which the split halves are
// derived (split_writer.h) without decoding again.
//
// Input: <root>/train/<wnid>/*.JPEG and <root>/val/*.JPEG with validation
// labels from a val.txt of "file label" lines (label = index in the class
// order), or from the devkit's ILSVRC2012_validation_ground_truth.txt (one
// ILSVRC2012_ID per line for val images 1..50000) together with a list of the
// WNIDs in ILSVRC2012_ID order (the devkit's meta.mat, exported as text).
// The class order is the sorted WNIDs (or a synsets.txt that says so).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/shard_format.h"

namespace xfer {

struct ImageNetLayoutOptions {
  std::string root;             // holds train/ and val/
  std::string synsets;          // optional: class order, one WNID per line
  std::string words;            // optional: "wnid name, name" lines for class names
  std::string val_labels;       // val.txt: "file label"
  std::string val_ground_truth; // devkit ground truth (with devkit_synsets)
  std::string devkit_synsets;   // WNIDs in ILSVRC2012_ID order
};

struct ImageNetItem {
  std::string path;  // absolute or relative to the working directory
  std::string key;   // relative to the root: "train/n01440764/x.JPEG"
  int32_t label = 0;
};

struct ImageNetSource {
  std::vector<std::string> wnids, names;
  std::vector<ImageNetItem> train, val;  // train: class order, then file name
};

// Lists the dataset; throws naming what is missing (train folder, a class
// folder the synsets file names, a validation label file or image).
ImageNetSource scan_imagenet(const ImageNetLayoutOptions& o);

struct ConvertOptions {
  std::string out_root;   // writes <out_root>/all
  int size = 256;         // stored side (warped, as convert_imageset)
  int64_t shard_size = 5000;
  int threads = 1;
  int part = 0, parts = 1;  // this process writes shards j with j % parts == part
  bool fast_decode = true;  // DCT-scaled decoding, warp on YCbCr planes (decode_and_warp)
};

struct ConvertReport {
  int64_t converted = 0;
  std::vector<std::string> skipped;  // "key: reason"
  int train_shards = 0, val_shards = 0;
};

// Writes this part's shards of <out_root>/all (keeping complete ones that
// match their checksums) and <out_root>/all/plan.json. The caller holds this
// part's lock (write_lock.h). Files that cannot be decoded are skipped and
// reported; the conversion goes on.
ConvertReport convert_imagenet(const ImageNetSource& src, const ConvertOptions& o);

// Once every part has finished: checks all planned shards exist and match
// their writers' checksums, and writes the manifest and mean of <out_root>/all.
Manifest finalize_imagenet_all(const std::string& out_root);

// Decodes one file and warps it to size x size, CHW; throws on failure.
void load_and_warp(const std::string& path, int size, bool fast, uint8_t* chw);

}  // namespace xfer
