// split_writer.h: writing shard folders, shared by the prep tools: which
// examples a folder keeps, numbered shards that a rerun skips when already
// complete (split halves are views of the store "all": data/view.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/shard_format.h"
#include "data_prep/progress.h"
#include "data_prep/splits.h"

namespace xfer {

// One folder to write: its name and its classes (ascending dataset labels;
// local label i = classes[i]). reduced_k > 0 keeps only the first K training
// examples of each class.
struct HalfSpec {
  std::string folder;
  std::vector<int> classes;
  int reduced_k = 0;
};

// {name}A and {name}B of a split.
std::vector<HalfSpec> halves_of(const ClassSplit& s);
// "all" (reduced_k = 0) or "all-k{K}" over classes 0..num_classes-1.
HalfSpec all_classes(int num_classes, int reduced_k = 0);

// The examples (positions in `labels`, in order) a half keeps from a subset
// whose examples have dataset labels `labels`, and their local labels.
// reduced_k applies when `reduce` is true (the training subset).
void select_examples(const std::vector<int32_t>& labels, const HalfSpec& half, bool reduce,
                     std::vector<int64_t>& keep, std::vector<int32_t>& local);

// Writes shards j (j % parts == part) of `total` examples in shards of
// `shard_size`: shard j gets examples [j*shard_size, ...). A shard an earlier
// run finished is kept when it still matches the checksum recorded for it,
// and written again (saying so on stderr) when it does not. Temporary files
// of these shards are removed first, so the caller must hold the lock that
// covers them (write_lock.h). `produce(first, n, writer)` adds the examples
// (or records them as skipped). Returns the number of shards.
using ShardProducer = std::function<void(int64_t first, int64_t n, ShardWriter& w)>;
int write_planned_shards(const std::string& dir, const ShardMeta& meta, int64_t total,
                         int64_t shard_size, int part, int parts, const ShardProducer& produce,
                         Progress* progress = nullptr);

// Runs fn(i) for i in [0, n) on `threads` threads; the first exception is
// rethrown after all have stopped.
void parallel_for(int64_t n, int threads, const std::function<void(int64_t)>& fn);

}  // namespace xfer
