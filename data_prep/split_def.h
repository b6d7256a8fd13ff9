// split_def.h: split definitions, the small files that say which classes
// (and, for reduced sets, how many images per class) each view of a store
// takes (data/view.h). A definition is a built-in name or a file NAME.split
// of `key = value` lines ('#' starts a comment; an optional "[split]" header):
//
//   random = 0             halves A and B at random with numpy's legacy
//   size_a = 500           generator, exactly as half<seed> (size_a: the size
//                          of A, default half the classes)
//   A = 0-397, 936-958     explicit halves: class indices, ranges, or names
//   B = rest               (a WNID, or a class folder's name); "rest" = the
//                          classes A leaves
//   groups = super.txt     with A/B: group names, looked up in this mapping
//                          file ("class group" lines; the group is the last
//                          word), relative to the split file
//   complete = true        A and B must together cover every class (default)
//   per_class = 25         a reduced set: one view NAME of every class (or of
//   classes = 0-99         `classes`), the first 25 training images of each
//
// Built-in names: half<S> (random = S), natman (ImageNet: natural / man-made),
// dissim (Fashion-MNIST: upper-body garments / the rest), all-k<K>
// (per_class = K). Views are named NAME + "A"/"B", or NAME for reduced sets.
// A class is named by its whole name (a folder's name, even "10"), else by
// its dataset label, else by the first word of exactly one name (a WNID).
#pragma once

#include <string>
#include <vector>

#include "data_prep/view_spec.h"

namespace xfer {

// What a definition is resolved against: the store's classes.
struct StoreClasses {
  std::string dataset;                   // "imagenet", "fashion-mnist", ...
  std::vector<int32_t> class_ids;        // dataset labels, ascending
  std::vector<std::string> class_names;  // in the same order
};

// The built-in definition `name`, or nullopt-like empty views when `name` is
// none of them. Throws when it is one that does not apply to the dataset.
SplitDef builtin_split(const std::string& name, const StoreClasses& store);
// A definition file; each problem one line naming the file (and the class,
// group or line).
SplitDef read_split_file(const std::string& path, const StoreClasses& store);
// A file when `arg` names one (a path, or ends in ".split"), else a built-in;
// "NAME=FILE" reads FILE and names its views NAME (a grid's [splits] line).
SplitDef split_definition(const std::string& arg, const StoreClasses& store);

}  // namespace xfer
