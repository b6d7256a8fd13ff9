// splits.h: the class splits of the experiment, computed from their
// definitions: random halves by seed (exactly the paper's, via numpy's legacy
// generator), ImageNet's natural / man-made halves, Fashion-MNIST's
// upper-body garments / the rest, and splits read from class-list files.
// Class indices are into the dataset's label order (sorted WNIDs for
// ImageNet); each half is ascending, as in the paper's split files.
#pragma once

#include <string>
#include <vector>

#include "data_prep/view_spec.h"

namespace xfer {

// Each returns the split NAME (views NAME+"A" and NAME+"B", every image of
// their classes); its text, source and (for a store whose labels are not its
// positions) the labels are the caller's to set.

// The paper's random halves: numpy.random.seed([seed]); A = sorted(first
// `size_a` of permutation(num_classes)); B = the rest. size_a < 0 means half.
SplitDef random_halves(int seed, int num_classes = 1000, int size_a = -1);

// ImageNet (1000 classes): A = natural (449), B = man-made (551), as in the
// paper's release (natural = 0-397, 936-958, 970, 972-998).
SplitDef natman_split();

// Fashion-MNIST: A = upper-body garments (T-shirt/top, Pullover, Dress, Coat,
// Shirt = 0, 2, 3, 4, 6), B = the rest (1, 5, 7, 8, 9).
SplitDef fmnist_dissim_split();

// A class-list file: one class per line, either a 0-based index or a name
// (e.g. a WNID) looked up in `class_names`; blank lines and '#' comments are
// ignored. Throws naming the file and line on anything else.
std::vector<int> read_class_list(const std::string& path,
                                 const std::vector<std::string>& class_names);

// Two class-list files as a split; the halves must be disjoint and non-empty.
SplitDef split_from_files(const std::string& name, const std::string& file_a,
                          const std::string& file_b,
                          const std::vector<std::string>& class_names);

// Writes a half as the paper's files do: one index per line.
void write_class_list(const std::string& path, const std::vector<int>& classes);

}  // namespace xfer
