// split_views.h: making the views a split definition asks for (split_def.h)
// of a dataset's store, <root>/all: each is made when missing or no longer
// current (another store, other classes), and kept as it is otherwise.
#pragma once

#include <string>
#include <vector>

#include "data/view.h"
#include "data_prep/split_def.h"

namespace xfer {

// The classes of the store <root>/all, to resolve definitions against.
StoreClasses store_classes(const std::string& root);

struct ViewOutcome {
  std::string folder;
  enum class Kind { Made, Current, OwnShards } kind = Kind::Made;
  View view;  // when Made or Current
};

// The views of `def` under `root`. A folder that holds shards of its own (a
// half copied out of `all` by an older version) is left as it is, and keeps
// working as before: it is reported, not replaced. The caller holds the
// root's write lock (write_lock.h).
std::vector<ViewOutcome> make_split_views(const std::string& root, const SplitDef& def);

// One line per outcome, as the tools print them: folder, train and val
// images, classes.
void print_views(const std::vector<ViewOutcome>& done);

// The prep tools' split options as definitions xfer_make_views takes:
// half<S> for each of --seeds, then --split's names or files, then all-k<K>
// for each of --reduced.
std::vector<std::string> split_args(const std::vector<int>& seeds, const std::vector<std::string>& splits,
                                    const std::vector<int>& reduced);

// Makes the views of each definition (split_args) and of `extra`, then
// prints the store and every view; returns the views.
std::vector<ViewOutcome> make_views_and_report(const std::string& root, const std::vector<std::string>& defs,
                                               const std::vector<SplitDef>& extra = {});

}  // namespace xfer
