// shard_layout.h: how shards and the mean image lie in their HDF5 files, the
// parts the shard writer, the shard reader and the mean share (shard_format.h
// holds the format itself).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/shard_format.h"
#include "io/h5.h"

namespace xfer {

// Dataset creation properties without modification times, so that writing
// the same shard or mean twice gives the same bytes (and the same checksum).
H5Id untimed_dcpl(const std::string& context);
// A whole dataset of shape `dims` (file type `ftype`) created with
// untimed_dcpl() and written from `data` (memory type `mtype`); returned open.
H5Id write_untimed_dataset(hid_t loc, const char* name, hid_t ftype, hid_t mtype,
                           const std::vector<hsize_t>& dims, const void* data,
                           const std::string& context);

// Where the raw bytes of image i of a [N,C,H,W] uint8 dataset lie in its
// file, for the images listed in `which` (all when empty); an empty result
// when they are not stored raw (filters, other chunk shapes, unallocated).
// HDF5 1.10 looks a chunk up by walking the index, so asking for every image
// costs O(N^2): the writer does it once and stores the answer.
std::vector<int64_t> raw_offsets(hid_t images, int64_t n, const ShardMeta& meta,
                                 const std::vector<int64_t>& which, const std::string& context);

}  // namespace xfer
