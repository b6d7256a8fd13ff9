// view_maker.h: making a view (data/view.h) of a dataset's store <root>/all:
// its classes are resolved against the store, the images it selects are read
// once to count them per class and to compute their mean, and mean.h5 then
// view.json are written beside each other in the view's folder <root>/NAME.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/view.h"
#include "data_prep/view_spec.h"

namespace xfer {

// The store's folder under a dataset's root.
inline constexpr const char* kStoreFolder = "all";

// Whether `dir` holds shards of its own (a manifest.json): the store, or a
// half an older version copied out of it. Such a folder is never made a view.
bool holds_own_shards(const std::string& dir);

// Whether the view in root/v.name is already `v` (its classes, in any
// order, and per-class limit) of the store as it is now (then make_view has
// nothing to do).
bool view_is_current(const std::string& root, const ViewSpec& v);

// Makes root/v.name, recording `split`'s name, text and source. Throws one
// line naming the class or file: a class the store does not have, a class
// named twice, a class with no training image, a store of an older version,
// a folder holding its own shards. The caller holds the root's write lock
// (write_lock.h).
View make_view(const std::string& root, const SplitDef& split, const ViewSpec& v);

}  // namespace xfer
