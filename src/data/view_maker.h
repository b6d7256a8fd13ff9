// view_maker.h: making a view (view.h) of a dataset's store: its classes are
// resolved against the store, the images it selects are read once to count
// them per class and to compute their mean, and mean.h5 then view.json are
// written beside each other in the view's folder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/view.h"

namespace xfer {

struct ViewRequest {
  std::string root;             // the dataset's folder, holding the store and the views
  std::string store = "all";    // the store's folder under root
  std::string name;             // the view's folder under root: "half0A"
  std::string split;            // the definition it comes from: "half0"
  std::string definition;       // that definition in words
  std::vector<int32_t> class_ids;  // dataset labels (any order; stored ascending)
  int64_t train_per_class = 0;  // 0: every training image; K: the first K of each class
  std::string source;           // what remakes it (xfer_make_views --split SOURCE), "" when none
};

// Whether `dir` holds shards of its own (a manifest.json): the store, or a
// half an older version copied out of it. Such a folder is never made a view.
bool holds_own_shards(const std::string& dir);

// Whether the view in root/name is already what `r` asks for, of the store
// as it is now (then make_view has nothing to do).
bool view_is_current(const ViewRequest& r);

// Makes root/name. Throws one line naming the class or file: a class the
// store does not have, a class named twice, a class with no training image,
// a store of an older version, a folder holding its own shards. The caller
// holds the root's write lock (write_lock.h).
View make_view(const ViewRequest& r);

}  // namespace xfer
