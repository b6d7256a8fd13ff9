// tables.h: the paper's tables, built from one data set or from several side
// by side (ours beside the paper's). Every builder takes the sources in column
// order; with two, a difference column (first minus second) is added where the
// table holds group means. Each group has mean, std, count and, after all of
// those, its 95% confidence interval (Student t; none for one network): new
// columns go at the end of a row, so existing ones keep their places. Empty
// groups stay empty and are named in `diag`.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "analysis/diagnostics.h"
#include "analysis/run.h"
#include "analysis/table.h"

namespace xfer {

using Sources = std::vector<const Dataset*>;

// 1. Figure 2 as a table: baseB (n = 0), then BnB, BnB+, AnB, AnB+ for n = 1..7.
Table main_table(const Sources& src, Statistic s, Diagnostics& diag);
// 2. Table 1: the boost of AnB+ over baseB and over BnB+, pooled over n in 1-7, 3-7, 5-7;
// then AnB+'s std and interval and the Welch p-values of both boosts.
Table boost_table(const Sources& src, Statistic s, Diagnostics& diag);
// 3. Each dissimilar split (natural / man-made): each target's base and the transfers into it.
Table dissimilar_table(const Sources& src, Statistic s, Diagnostics& diag);
// 4. Random filters: all-random-n{n} against all-base (and half ones against the half bases).
Table random_table(const Sources& src, Statistic s, Diagnostics& diag);
// 5. The relative panel: AnB minus the base of its own target, random and dissimilar splits,
// and random filters minus the base of the same classes.
Table relative_table(const Sources& src, Statistic s, Diagnostics& diag);
// The series of the relative panel present in `ds`: "random", each dissimilar split, "random filters".
std::vector<std::string> relative_series(const Dataset& ds);
// One point of a series: each net at `n` minus its base (nets without a base
// are left out and, with `diag`, named), by cell id.
std::vector<std::pair<std::string, double>> relative_values(const Dataset& ds, Statistic s, const std::string& series,
                                                            int n, Diagnostics* diag);
// 6. Reduced volume: images per class K against accuracy.
Table reduced_table(const Sources& src, Statistic s, Diagnostics& diag);
// 7. Figure 2's decomposition: co-adaptation (baseB - BnB) and specificity (BnB - AnB),
// then the Welch p-value of each.
Table decomposition_table(const Sources& src, Statistic s, Diagnostics& diag);

// 8. The paper's effects as paired differences over units (effects.h): each
// transfer network minus its own target's base (and AnB − BnB, BnB+ − BnB), by
// n, with its unit count, 95% interval, paired t p, Holm p over the seven n,
// exact sign-flip p and the verdict; "too few to test" below 3 units.
Table effects_table(const Sources& src, Statistic s, Diagnostics& diag);

// 9. Each network's own uncertainty, by group: the test-set sampling error of
// one network's statistic (binomial on the images its tests scored) and how far
// the paper's mean of the 10 best tests sits above the final test.
Table uncertainty_table(const Sources& src, Statistic s, Diagnostics& diag);

// The grid's bn axis (data sets split by split_by_batch_norm, results_dir.h):
// each cell with its copied stages' batch normalisation trained minus the same
// cell with it frozen, by group and n, paired t and Holm over n. No rows
// unless `src` holds both a "train" and a "frozen" data set.
Table batch_norm_table(const Sources& src, Statistic s, Diagnostics& diag);

// 10. Each network: its statistic with its Wilson interval (binomial on the
// images each test scored) and its last weights' test on the whole
// validation set, where the result records one.
Table networks_table(const Sources& src, Statistic s, Diagnostics& diag);

// 11, 12: generality measured directly (generality.h): each split's profile
// and each transfer cell's similarity to its bases.

// All twelve, in that order.
std::vector<Table> all_tables(const Sources& src, Statistic s, Diagnostics& diag);

// The cells of `expected` that `ds` has no finished run for.
std::vector<std::string> missing_cells(const Dataset& ds, const std::vector<std::string>& expected);

}  // namespace xfer
