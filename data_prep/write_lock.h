// write_lock.h: who may write under a data root (e.g. data/fmnist,
// data/imagenet), so that two conversions never write the same files.
//
// <root>/.lock                  the root lock: one writer of everything under
//                               the root (xfer_prep_fmnist, xfer_prep_imagenet
//                               --stage derive or all)
// <root>/.lock.part-K-of-N      one per convert part (xfer_prep_imagenet
//                               --stage convert --part K --parts N), so that
//                               the parts of one srun write disjoint shards
//                               side by side
//
// The root lock's holder also takes every part lock present, so it never
// runs beside a convert part; a convert part checks that no one holds the
// root lock. A refused process exits at once with "<root> is being written by
// pid P on host H (lock <file>)". Locks are flock(2) (io/file_lock.h): the
// kernel drops them when the holder dies, so a killed run never blocks the
// next one, which then removes the temporary files the dead one left.
#pragma once

#include <string>
#include <vector>

#include "io/file_lock.h"

namespace xfer {

struct RootWriteLock {
  std::vector<FileLock> locks;  // the root lock, then the part locks
};

// Takes <root>/.lock and every part lock (creating the root folder), then
// removes the temporary files dead writers left in the root and its data
// folders, saying how many on stderr. Throws when any is held.
RootWriteLock lock_data_root(const std::string& root);

// Takes <root>/.lock.part-K-of-N; throws when it is held, or when the root
// lock stays held (a derive is running).
FileLock lock_convert_part(const std::string& root, int part, int parts);

// Removes the temporary files ("<name>.tmp*", old and new style) in `dir`
// that other writers left; only under a lock that excludes every writer of
// `dir`. Returns how many.
int remove_stale_temps_in(const std::string& dir);

}  // namespace xfer
