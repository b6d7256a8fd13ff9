// groups.h: which cells make up each of the paper's groups. Everything that
// decides "is this net a baseB / BnB / AnB+ / ..." is here, from the cell id
// fields only (split, halves, n, mode), so ours and the paper's are grouped
// the same way.
#pragma once

#include <set>
#include <string>

#include "analysis/run.h"

namespace xfer {

// The groups of the paper's figure 2. BaseB pools every random-split half
// base; BnB are selffers (source == target), AnB transfers (source != target);
// "+" is fine-tuned, without it the copied layers are frozen. ContinuedB (ours,
// not the paper's) pools the random-split half bases continued for one more
// schedule: a base trained as long as a selffer's copied layers were.
enum class Group { BaseB, BnB, BnBPlus, AnB, AnBPlus, ContinuedB };
inline constexpr Group kTransferGroups[] = {Group::BnB, Group::BnBPlus, Group::AnB, Group::AnBPlus};
const char* label(Group g);

// Whether `c` is in group `g` at `n` layers (n is ignored for BaseB and ContinuedB).
bool in_group(const Cell& c, Group g, int n);

// A split is random ("half<s>"), the whole set ("all"), or dissimilar: any
// other name ("natman" for ImageNet, "dissim" for Fashion-MNIST).
bool is_dissimilar_split(const std::string& split);
// The dissimilar splits present in a data set.
std::set<std::string> dissimilar_splits(const Dataset& ds);
// "natural" / "man-made" for natman, "upper-body" / "other" for dissim, else "A" / "B".
std::string half_label(const std::string& split, char half);

// Plain cells of the 1000-class (or all-class) base, its random-filter
// variants, reduced-volume bases.
bool is_all_base(const Cell& c);
bool is_all_random(const Cell& c, int n);
bool is_half_random(const Cell& c, int n);
bool is_reduced(const Cell& c, int k);
// Any reduced-volume base (all classes, the first K images of each, K > 0).
bool is_reduced_base(const Cell& c);

// One half of a split (random or dissimilar): its base (not reduced), a
// transfer into `target` from `source` at `n` layers in `mode`, and AnB into
// `target` (frozen, from the other half).
bool is_split_base(const Cell& c, const std::string& split, char target);
// The continued base of a split's half `target` (cell.h): that half's base
// trained for one more schedule from its final weights.
bool is_split_continued(const Cell& c, const std::string& split, char target);
bool is_split_transfer(const Cell& c, const std::string& split, char source, char target, int n,
                       TransferMode mode);
bool is_split_anb(const Cell& c, const std::string& split, char target, int n);

// The series of figure 3 bottom (each network minus its target's base) a
// cell is in: "random filters" every random-filter cell, "random" the frozen
// AnB of the random halves, a dissimilar split's name its frozen AnB.
bool in_relative_series(const Cell& c, const std::string& series);

}  // namespace xfer
