// view.h: a split as a view of its dataset's one store. The store (e.g.
// data/fmnist/all) holds every image once, in shards (shard_format.h); a
// split half or a reduced set is a small folder (e.g. data/fmnist/half0A)
// holding only
//   view.json  what the view selects, resolved against the store: the store's
//              folder and identity, the classes (labels remapped to 0..K-1 in
//              ascending order), at most how many training images per class,
//              and how many images of each class that gives;
//   mean.h5    the mean of the training images it selects, computed once when
//              the view was made (shard_format.h's mean format).
// A run that names a folder opens it through open_data_folder(): a view is
// resolved against its store, which must still be the store it was made
// from (compared by identity, i.e. by the checksums its manifest records,
// never by time stamps); a folder of its own shards (the store itself, or a
// half copied by an older version) is read as it is. JSON only, like the
// manifest, so the grid can identify data without the shard code.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/checksum.h"
#include "data/manifest.h"

namespace xfer {

struct View {
  int schema_version = kDataSchemaVersion;
  std::string name;            // the folder's name: "half0A", "all-k25"
  std::string split;           // the split definition it comes from: "half0", "all-k25", "mine"
  std::string definition;      // that definition in words, as written when the view was made
  std::string source;          // what remakes it: xfer_make_views --split SOURCE ("": its prep tool)
  std::string store = "../all";  // the store's folder, relative to the view's
  std::string store_identity;  // data_identity() of the store the view was made from
  std::vector<int32_t> class_ids;        // the store's dataset labels, ascending
  std::vector<std::string> class_names;  // in local label order
  int64_t train_per_class = 0;  // 0: every training image; K: a class's first K in store order
  std::map<std::string, std::vector<int64_t>> class_counts;  // per subset, per local label
  std::string mean_file = "mean.h5";
  FileSum mean_sum;
  int64_t mean_num_images = 0;
  int64_t num_images(const std::string& subset) const;
};

// Whether <dir>/view.json exists.
bool is_view_folder(const std::string& dir);
// Reads and checks <dir>/view.json; each problem is one line naming the file.
View read_view(const std::string& dir);
// Written whole to a temporary name, fsynced, then renamed: the last file a
// view's maker writes, so a folder with a view.json is a finished view.
void write_view(const std::string& dir, const View& v);
// The view's store folder: `dir`/v.store, with symlinks resolved.
std::string store_folder(const std::string& dir, const View& v);

// What a run reads when it names a data folder.
struct DataFolder {
  std::string dir;        // as named
  std::string store_dir;  // where the shards are: dir itself unless a view
  Manifest store;         // the manifest of store_dir
  bool is_view = false;
  View view;              // when is_view
  std::vector<int32_t> class_ids;        // of the folder (the view's, or the store's)
  std::vector<std::string> class_names;
  // The folder's local label of each store label, -1 for classes it leaves out.
  std::vector<int32_t> local_of_store_label;
  // Training images taken per class (0: all); the validation set is whole.
  int64_t per_class_limit(const std::string& subset) const;
  // Whether a store shard gives the folder any image, by the class counts
  // the store's manifest records (version 2 stores): it holds one of its
  // classes whose `quota` (per local label: images still to take) is not
  // used up; takes what the shard gives from `quota`.
  bool gives(const ManifestShard& sh, std::vector<int64_t>& quota) const;
  // mean.h5 of the folder and the checksum recorded for it (none: older data).
  std::string mean_path() const;
  const FileSum* mean_sum() const;
};

// Opens `dir` as above. For a view: the store must exist, be a version 2
// store, still have the identity the view recorded, and hold every class the
// view names. Throws one line naming the file and, for a changed store, what
// to run.
DataFolder open_data_folder(const std::string& dir);
// The folder view `v` (in `dir`) gives of `store` (in `store_dir`): what
// open_data_folder returns once it has read and checked both; make_view
// uses it for the view it is making.
DataFolder resolve_view(const std::string& dir, View v, Manifest store, const std::string& store_dir);

// What identifies the data a folder gives a run, wherever it lies: a plain
// folder's data_identity(); for a view, the store's identity, the classes,
// the per-class limit, the counts and the mean's checksum.
std::string view_identity(const View& v);
std::string data_folder_identity(const std::string& dir);

}  // namespace xfer
