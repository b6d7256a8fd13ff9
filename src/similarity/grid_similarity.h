// grid_similarity.h: `xfer_similarity --results R`: the similarity.json of
// every finished cell of a grid's results (result/similarity_file.h).
//
// Per split and replicate seed, the bases' Grams (and those of each base's
// initial weights) are computed once and kept; each other cell is streamed
// against them. Every network sees the same images: the first N validation
// images of the grid's store (the store of its views, so both halves' classes),
// or of --data. A cell whose similarity.json already names the same images and
// the same networks (run identity and checkpoint checksum of each) is kept; a
// retrained cell or base is recomputed. A comparison whose other network is
// missing (its base not finished) is left out, said in one line.
#pragma once

#include <string>

#include "similarity/representations.h"

namespace xfer {

struct GridSimilarityOptions {
  std::string results;
  SimilarityImages images;  // images.dir "": the store of the grid's data
  std::string backend = "cpu";
  int threads = 0;  // 0: every core this process may use
};

struct GridSimilarityCount {
  int computed = 0, kept = 0, failed = 0, comparisons_left_out = 0;
};

GridSimilarityCount compute_grid_similarity(const GridSimilarityOptions& o);

}  // namespace xfer
