// imagenet_prep.h: ILSVRC2012 in its standard layout turned into the "all"
// shard folder (every class, 3x256x256), from which the split halves are
// derived (split_writer.h) without decoding again. The training images are
// an image folder's (image_folder.h); only the validation labels are
// ImageNet's own.
//
// Input: <root>/train/<wnid>/*.JPEG (any *.jpg, *.jpeg, *.png) and <root>/val/*.JPEG with validation
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
#include "data_prep/image_folder.h"

namespace xfer {

struct ImageNetLayoutOptions {
  std::string root;             // holds train/ and val/
  std::string synsets;          // optional: class order, one WNID per line
  std::string words;            // optional: "wnid name, name" lines for class names
  std::string val_labels;       // val.txt: "file label"
  std::string val_ground_truth; // devkit ground truth (with devkit_synsets)
  std::string devkit_synsets;   // WNIDs in ILSVRC2012_ID order
};

struct ImageNetSource {
  std::vector<std::string> wnids, names;
  std::vector<ImageItem> train, val;  // train: class order, then file name
};

// Lists the dataset; throws naming what is missing (train folder, a class
// folder the synsets file names, a validation label file or image).
ImageNetSource scan_imagenet(const ImageNetLayoutOptions& o);

// The image-folder conversion (image_folder.h) as ImageNet's: dataset
// "imagenet", RGB, the WNIDs' names as class names.
ConvertReport convert_imagenet(const ImageNetSource& src, const ConvertOptions& o);

// finalize_image_store with ImageNet's source record.
Manifest finalize_imagenet_all(const std::string& out_root);

}  // namespace xfer
