// image_folder.h: any dataset kept as image files in class folders, turned
// into the store "all" (every class, every image decoded once, warped to the
// stored size): the listing (train/<class>/*.{jpg,jpeg,png} and val/<class>/
// or a seeded held-out fraction of each class), the checks of the listing,
// the conversion into shards and the finalizing of the store. ImageNet
// (imagenet_prep.h) is this with its own validation labels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/shard_format.h"

namespace xfer {

// One image to convert.
struct ImageItem {
  std::string path;  // absolute or relative to the working directory
  std::string key;   // relative to the source root: "train/<class>/<file>"
  int32_t label = 0; // index of its class
};

// ---------------------------------------------------------------------------
// Listing

// Whether a file name ends in .jpg, .jpeg or .png, in any letter case.
bool is_image_file_name(const std::string& name);

// The class folders under `dir`: every subfolder, sorted by name (bytewise,
// so ImageNet's WNIDs come in their standard order).
std::vector<std::string> sorted_class_folders(const std::string& dir);

// The image files of one class folder, sorted by name; other files are
// ignored. Throws "<dir>: no image file ..." when there is none.
std::vector<std::string> class_image_files(const std::string& dir);

// Appends the images of <root>/<sub>/<classes[c]>/ for every class, in class
// order, then file name; key "<sub>/<class>/<file>", label c.
void list_class_images(const std::string& root, const std::string& sub,
                       const std::vector<std::string>& classes, std::vector<ImageItem>& items);

// Throws when two listed paths are the same file (same device and inode: a
// symbolic or hard link), naming both. Each file is stat'ed, on `threads`
// threads (a cluster file system answers slowly, but in parallel).
void check_distinct_files(const std::vector<ImageItem>& train, const std::vector<ImageItem>& val,
                          int threads);

struct ImageFolderOptions {
  std::string root;           // holds train/ and, optionally, val/
  double val_fraction = 0.1;  // held out of each class when there is no val/
  uint64_t val_seed = 0;      // which images are held out
  int threads = 1;            // for check_distinct_files
};

struct ImageFolderSource {
  std::string root;
  std::vector<std::string> classes;  // folder names, sorted: class c = classes[c]
  std::vector<ImageItem> train, val;  // each in class order, then file name
  bool val_held_out = false;          // no val/ folder: val was taken from train/
};

// Lists <root>/train/<class>/ and <root>/val/<class>/ (the same class folders
// in both), or, without val/, holds out round(n * val_fraction) of each
// class's n images (at most n - 1): the class's files sorted by name, the
// held-out ones picked by a generator seeded from (val_seed, class name), so
// that the pick is the same on every machine and independent of the other
// classes. Throws naming the folder or file for: a missing root or train/, no
// class folder, a class folder without an image file, class folders that
// differ between train/ and val/, the same file listed twice.
ImageFolderSource scan_image_folder(const ImageFolderOptions& o);

// ---------------------------------------------------------------------------
// Converting into the store <out_root>/all

struct ConvertOptions {
  std::string out_root;     // writes <out_root>/all
  std::string dataset;      // the shards' dataset name ("imagenet", a folder's name)
  int size = 256;           // stored side (warped, as convert_imageset)
  int height = 0, width = 0;  // stored height and width where not square (0: size)
  int channels = 3;         // 3: RGB; 1: gray (decode_and_warp_gray)
  int64_t shard_size = 5000;
  int threads = 1;
  int part = 0, parts = 1;  // this process writes shards j with j % parts == part
  bool fast_decode = true;  // DCT-scaled decoding, warp on YCbCr planes (decode_and_warp)
  int stored_height() const { return height > 0 ? height : size; }
  int stored_width() const { return width > 0 ? width : size; }
};

struct ConvertReport {
  int64_t converted = 0;
  std::vector<std::string> skipped;  // "key: reason"
  int train_shards = 0, val_shards = 0;
};

// Writes this part's shards of <out_root>/all (keeping complete ones that
// match their checksums) and <out_root>/all/plan.json, for classes named
// `class_names` (label c = class_names[c]). The caller holds this part's
// lock (write_lock.h). Files that cannot be decoded are skipped and
// reported; the conversion goes on.
ConvertReport convert_image_store(const std::vector<std::string>& class_names,
                                  const std::vector<ImageItem>& train,
                                  const std::vector<ImageItem>& val, const ConvertOptions& o);

// Once every part has finished, before finalizing: throws when a source
// folder (the folder part of the listed keys, e.g. train/<class>) had images
// listed but none of them reached the shards, naming <src_root>/<folder> and
// why its first file was skipped. Reads the keys of every planned shard.
void check_every_folder_converted(const std::string& out_root, const std::string& src_root,
                                  const std::vector<ImageItem>& train,
                                  const std::vector<ImageItem>& val);

// Once every part has finished: checks all planned shards exist and match
// their writers' checksums, and writes the manifest (its "source": `source`,
// a JSON object, with the conversion's plan added as "plan") and mean of
// <out_root>/all.
Manifest finalize_image_store(const std::string& out_root, const std::string& source_json);

// Decodes one file and warps it to height x width, CHW with 3 channels (RGB)
// or 1 (gray); throws on failure.
void load_and_warp(const std::string& path, int height, int width, int channels, bool fast,
                   uint8_t* chw);

}  // namespace xfer
