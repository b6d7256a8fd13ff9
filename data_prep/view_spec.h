// view_spec.h: what makes views (the write side; data/view.h is what a run
// reads of one): a split, by its definition (split_def.h), asks for views of
// a dataset's store, each the store's images of some classes, at most so many
// training images per class. A random or dissimilar split asks for halves A
// and B, a reduced set for one view of every class.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xfer {

// One view: written as view.json's name, class_ids and train_per_class.
struct ViewSpec {
  std::string name;                // its folder under the dataset's root: "half0A", "all-k25"
  std::vector<int32_t> class_ids;  // ascending dataset labels (local label i = class_ids[i])
  int64_t train_per_class = 0;     // 0: every training image; K: the first K of each class
};

// A split: what each of its views records as its split, definition and source.
struct SplitDef {
  std::string name;             // "half0", "natman", the file's stem
  std::string text;             // the definition as written, recorded in each view
  std::vector<ViewSpec> views;  // halves NAME+"A", NAME+"B", or one reduced set NAME
  std::string source;           // what remakes it: xfer_make_views --split SOURCE ("" unknown)
};

// NAME's halves: NAME+"A" of the classes `a`, NAME+"B" of `b`, every image.
SplitDef two_halves(const std::string& name, std::vector<int32_t> a, std::vector<int32_t> b);

}  // namespace xfer
