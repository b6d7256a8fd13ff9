// generality.h: generality measured directly, from the similarity.json files
// of a results directory (xfer_similarity --results; result/similarity_file.h).
//
// For each split: its generality profile, the debiased linear CKA of the two
// bases (trained on disjoint classes) at each transfer boundary n, with its
// floor (each base against its own run's initial weights) and, where the grid
// has replicate seeds, its ceiling (a base against the same half's base of
// another seed), beside the paper's indirect measure at the same n: the cost
// of transferring frozen layers 1..n to the other half (AnB − BnB, both
// directions). And for every transfer cell, how alike its layers are to those
// of the base it copied (source) and the base of the half it trained on (target).
#pragma once

#include <vector>

#include "analysis/diagnostics.h"
#include "analysis/figure_file.h"
#include "analysis/run.h"
#include "analysis/table.h"

namespace xfer {

// 11. The generality profile of every split, by n (1..7 and the logits).
Table generality_table(const std::vector<const Dataset*>& src, Statistic s, Diagnostics& diag);
// 12. Each transfer, random-filter and continued cell against its source and target bases.
Table representations_table(const std::vector<const Dataset*>& src, Statistic s, Diagnostics& diag);

// Figures: `generality` (every split's profile and floor by n, the transfer
// cost AnB − BnB on the right axis) and `generality_heatmap_<split>` (every
// layer of base A against every layer of base B). None without similarities.
std::vector<FigureSpec> generality_figures(const std::vector<const Dataset*>& src, Statistic s);

}  // namespace xfer
