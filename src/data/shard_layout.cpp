// shard_layout.cpp: untimed datasets and raw image offsets (see shard_layout.h).
#include "data/shard_layout.h"

namespace xfer {

H5Id untimed_dcpl(const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id dcpl = XFER_H5_OPEN(H5Pcreate(H5P_DATASET_CREATE), Plist, context);
  XFER_H5_CHECK(H5Pset_obj_track_times(dcpl, false), context);
  return dcpl;
}

H5Id write_untimed_dataset(hid_t loc, const char* name, hid_t ftype, hid_t mtype,
                           const std::vector<hsize_t>& dims, const void* data,
                           const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id space = XFER_H5_OPEN(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                            Dataspace, context);
  H5Id d = XFER_H5_OPEN(H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, untimed_dcpl(context),
                                   H5P_DEFAULT),
                        Dataset, context + " dataset " + name);
  XFER_H5_CHECK(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), context + " dataset " + name);
  return d;
}

namespace {

// The chunked case of raw_offsets: one address lookup per chunk of rows.
std::vector<int64_t> chunk_offsets(hid_t images, hid_t dcpl, const ShardMeta& meta,
                                   const std::vector<int64_t>& idx) {
  hsize_t cdims[4] = {0, 0, 0, 0};
  if (H5Pget_chunk(dcpl, 4, cdims) != 4 || static_cast<int>(cdims[1]) != meta.channels ||
      static_cast<int>(cdims[2]) != meta.height || static_cast<int>(cdims[3]) != meta.width)
    return {};
  const auto bytes = static_cast<int64_t>(meta.image_bytes());
  const auto rows = static_cast<int64_t>(cdims[0]);
  std::vector<int64_t> out;
  int64_t cached_first = -1;
  haddr_t cached_addr = HADDR_UNDEF;
  for (int64_t i : idx) {
    const int64_t first = i - i % rows;
    if (first != cached_first) {
      hsize_t coord[4] = {static_cast<hsize_t>(first), 0, 0, 0};
      unsigned mask = 0;
      hsize_t size = 0;
      cached_addr = HADDR_UNDEF;
      if (H5Dget_chunk_info_by_coord(images, coord, &mask, &cached_addr, &size) < 0 ||
          cached_addr == HADDR_UNDEF || mask != 0) {
        H5Eclear2(H5E_DEFAULT);
        return {};
      }
      cached_first = first;
    }
    out.push_back(static_cast<int64_t>(cached_addr) + (i - first) * bytes);
  }
  return out;
}

}  // namespace

std::vector<int64_t> raw_offsets(hid_t images, int64_t n, const ShardMeta& meta,
                                 const std::vector<int64_t>& which, const std::string& context) {
  H5Lock lock(h5_mutex());
  std::vector<int64_t> all;
  if (which.empty())
    for (int64_t i = 0; i < n; ++i) all.push_back(i);
  const std::vector<int64_t>& idx = which.empty() ? all : which;
  H5Id dcpl = XFER_H5_OPEN(H5Dget_create_plist(images), Plist, context);
  const H5D_layout_t layout = H5Pget_layout(dcpl);
  if (layout == H5D_CONTIGUOUS) {
    const haddr_t base = H5Dget_offset(images);
    if (base == HADDR_UNDEF) return {};
    std::vector<int64_t> out;
    const auto bytes = static_cast<int64_t>(meta.image_bytes());
    for (int64_t i : idx) out.push_back(static_cast<int64_t>(base) + i * bytes);
    return out;
  }
  if (layout != H5D_CHUNKED || H5Pget_nfilters(dcpl) != 0) return {};
  return chunk_offsets(images, dcpl, meta, idx);
}

}  // namespace xfer
