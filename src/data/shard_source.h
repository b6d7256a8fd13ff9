// shard_source.h: the trainer's sources over HDF5 shards (shard_format.h).
//
// Training order. Epoch e is a permutation P_e of the subset, the same on
// every rank (seeded by the run seed and e). The epochs are concatenated
// into one global stream S = P_0 P_1 ...; rank r of R takes the stream
// positions r, r+R, r+2R, ... So when every rank asks for batch b = B/R, the
// ranks' k-th batches together are exactly S[kB, (k+1)B), the k-th batch one
// rank would see with batch B, and every epoch is covered exactly once across
// ranks (an epoch's last batch may run into the next epoch, as in Caffe).
// The crop offset and mirror flip of an example depend only on (seed, epoch,
// position in P_e), so R ranks produce the very same preprocessed images as
// one rank, and a run resumed by seek(position()) repeats itself exactly.
//
// Preprocessing, as Caffe's data layer: out = image - mean, with the mean
// taken at the same pixel as the image (the crop window of the stored-size
// mean), then the crop is mirrored. Training crops at random, evaluation
// takes the centre crop and never mirrors.
//
// Validation: rank r reads the contiguous block [r*N/R, (r+1)*N/R) of the
// subset in file order, so the ranks together cover it exactly once.
//
// Threads: HDF5 is called only from the thread that opens the source (and,
// as everywhere, only under h5_mutex(); io/h5.h). Small subsets (up to 2 GiB, or
// $XFER_DATA_MEMORY_MB) are read into memory when opened; for larger ones
// the opening thread asks HDF5 where each image lies in its file, and one
// reader thread reads them with pread(), so no background thread enters the
// (not thread-safe) HDF5 library while the trainer writes a checkpoint.
// `threads` workers crop, mirror and subtract the mean of whole batches,
// `prefetch` batches ahead, assuming the next call asks for the same batch
// size as the last (another size, or a seek, restarts the prefetch there).
//
// Verification: every shard of the subset is checked against the CRC-32 the
// manifest records for it before any of its images or labels reach a batch,
// once per open. Small subsets are checked while they are opened; for large
// ones a few background threads read the shards while the caller goes on,
// and the reader thread waits for a shard's check before its first read.
// read_mean_image checks mean.h5 the same way. A mismatch throws one line
// naming the file and both checksums.
//
// Errors (std::runtime_error, naming the path): missing folder or manifest,
// a shard or mean that does not match its recorded checksum,
// unreadable or truncated shard, wrong schema version, label out of range,
// image size that disagrees with the manifest or the mean, empty subset,
// crop larger than the image.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/batch_source.h"
#include "data/shard_format.h"  // MeanImage, read_mean_image

namespace xfer {

struct ShardSourceOptions {
  std::string dir;          // split-half folder, e.g. data/fmnist/half0A (holds manifest, mean, train-*.h5, val-*.h5)
  std::string subset = "train";   // "train" or "val"
  int crop = 0;             // square crop side; 0 = the full stored image
  bool mirror = true;       // random horizontal flips (training only)
  MeanImage mean;           // subtracted before cropping-aligned; empty = read the dir's own mean
  uint64_t seed = 0;        // run seed; per-rank streams derive from it
  int rank = 0, world = 1;  // this rank's disjoint slice of every epoch
  int threads = 2;          // background prefetch/augment threads
  int prefetch = 4;         // batches prepared ahead
  bool verify = true;       // check the shards' checksums; off only to measure what that costs
};

std::unique_ptr<TrainSource> open_train_shards(const ShardSourceOptions&);
std::unique_ptr<EvalSource> open_eval_shards(const ShardSourceOptions&);  // centre crop, no mirror

}  // namespace xfer
