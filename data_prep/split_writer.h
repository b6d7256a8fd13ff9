// split_writer.h: writing shard folders, shared by the prep tools: which
// examples a folder keeps, numbered shards that a rerun skips when already
// complete (split halves are views of the store "all": data/view.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data_prep/shard_writer.h"
#include "data_prep/progress.h"
#include "data_prep/view_spec.h"

namespace xfer {

// "all" (per_class = 0) or "all-k{K}" over classes 0..num_classes-1: what the
// prep tools write as the store (and the tests as folders of their own).
ViewSpec all_classes(int num_classes, int64_t per_class = 0);

// The examples (positions in `labels`, in order) a folder of `view`'s
// classes keeps from a subset whose examples have dataset labels `labels`,
// and their local labels. train_per_class applies when `reduce` is true (the
// training subset).
void select_examples(const std::vector<int32_t>& labels, const ViewSpec& view, bool reduce,
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
