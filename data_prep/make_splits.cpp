// make_splits.cpp (xfer_make_splits): prints, writes or checks the class
// lists of a split: the paper's random halves from their seeds, ImageNet's
// natural / man-made halves, Fashion-MNIST's dissimilar halves.
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>

#include "core/provenance.h"
#include "io/h5.h"  // h5_library_versions
#include "core/cli.h"
#include "data/fmnist_idx.h"
#include "data/splits.h"

namespace po = boost::program_options;
using namespace xfer;

namespace {

std::vector<int> read_indices(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open reference class list");
  std::vector<int> v;
  int x;
  while (in >> x) v.push_back(x);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (xfer::print_version_if_asked(argc, argv, "xfer_make_splits", xfer::h5_library_versions())) return 0;
  std::string dataset, split, seeds, out, check, names_file;
  int num_classes = 0, size_a = -1;
  po::options_description desc(
      "xfer_make_splits: the class lists of the experiment's splits\n\nOptions");
  cli::add_common_options(desc);
  desc.add_options()(
      "dataset", po::value(&dataset)->default_value("imagenet"), "imagenet or fmnist")(
      "split", po::value(&split)->default_value("half"),
      "half (random halves by seed), natman (ImageNet) or dissim (Fashion-MNIST)")(
      "seeds", po::value(&seeds)->default_value("0-3"), "seeds of random halves, e.g. 0-3")(
      "num-classes", po::value(&num_classes)->default_value(0),
      "classes to split (0: 1000 for imagenet, 10 for fmnist)")(
      "size-a", po::value(&size_a)->default_value(-1), "classes in half A (-1: half)")(
      "names", po::value(&names_file),
      "class names file (synset_words.txt) to print names beside indices")(
      "out", po::value(&out), "write <out>/<split>{A,B}_classes.txt, one index per line")(
      "check", po::value(&check),
      "compare with the paper's files in this folder (half<s>{A,B}_classes.txt, "
      "half_nat_idx.txt/half_man_idx.txt); exit 1 on any difference");
  return cli::run_tool("xfer_make_splits", [&]() -> int {
    po::variables_map vm;
    if (!cli::parse(argc, argv, desc, vm)) return 0;
    if (dataset != "imagenet" && dataset != "fmnist")
      throw cli::UsageError("--dataset must be imagenet or fmnist");
    if (num_classes == 0) num_classes = dataset == "imagenet" ? 1000 : 10;
    std::vector<std::string> names;
    if (dataset == "fmnist") names = fmnist_class_names();
    if (!names_file.empty()) {
      std::ifstream in(names_file);
      if (!in) throw std::runtime_error(names_file + ": cannot open");
      std::string line;
      while (std::getline(in, line)) names.push_back(line);
    }
    std::vector<ClassSplit> splits;
    if (split == "half") {
      for (int s : cli::parse_int_list(seeds, "--seeds"))
        splits.push_back(random_halves(s, num_classes, size_a));
    } else if (split == "natman") {
      if (num_classes != 1000) throw cli::UsageError("--split natman splits the 1000 ImageNet classes");
      splits.push_back(natman_split());
    } else if (split == "dissim") {
      if (num_classes != 10) throw cli::UsageError("--split dissim splits the 10 Fashion-MNIST classes");
      splits.push_back(fmnist_dissim_split());
    } else {
      throw cli::UsageError("--split must be half, natman or dissim");
    }
    int mismatches = 0;
    for (const auto& s : splits) {
      for (int h = 0; h < 2; ++h) {
        const auto& v = h == 0 ? s.a : s.b;
        const std::string tag = s.name + (h == 0 ? "A" : "B");
        std::cout << "# " << tag << " (" << v.size() << " classes)\n";
        for (int c : v) {
          std::cout << c;
          if (static_cast<size_t>(c) < names.size()) std::cout << ' ' << names[static_cast<size_t>(c)];
          std::cout << '\n';
        }
        if (!out.empty()) write_class_list(out + "/" + tag + "_classes.txt", v);
        if (!check.empty()) {
          std::string ref = check + "/" + tag + "_classes.txt";
          if (s.name == "natman") ref = check + (h == 0 ? "/half_nat_idx.txt" : "/half_man_idx.txt");
          const bool same = read_indices(ref) == v;
          std::cerr << (same ? "match   " : "DIFFERS ") << tag << " vs " << ref << '\n';
          mismatches += same ? 0 : 1;
        }
      }
    }
    return mismatches == 0 ? 0 : 1;
  });
}
