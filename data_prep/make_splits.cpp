// make_splits.cpp (xfer_make_splits): prints, writes or checks the class
// lists of a split: the paper's random halves from their seeds, ImageNet's
// natural / man-made halves, Fashion-MNIST's dissimilar halves.
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>

#include "core/cli.h"
#include "core/exit_codes.h"
#include "data_prep/fmnist_idx.h"
#include "data_prep/splits.h"
#include "data_prep/tool_main.h"

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

struct Options {
  std::string dataset, split, seeds, out, check, names_file;
  int num_classes = 0, size_a = -1;
};

po::options_description describe(Options& o) {
  po::options_description desc(
      "xfer_make_splits: the class lists of the experiment's splits\n\nOptions");
  cli::add_common_options(desc);
  desc.add_options()(
      "dataset", po::value(&o.dataset)->default_value("imagenet"), "imagenet or fmnist")(
      "split", po::value(&o.split)->default_value("half"),
      "half (random halves by seed), natman (ImageNet) or dissim (Fashion-MNIST)")(
      "seeds", po::value(&o.seeds)->default_value("0-3"), "seeds of random halves, e.g. 0-3")(
      "num-classes", po::value(&o.num_classes)->default_value(0),
      "classes to split (0: 1000 for imagenet, 10 for fmnist)")(
      "size-a", po::value(&o.size_a)->default_value(-1), "classes in half A (-1: half)")(
      "names", po::value(&o.names_file),
      "class names file (synset_words.txt) to print names beside indices")(
      "out", po::value(&o.out), "write <out>/<split>{A,B}_classes.txt, one index per line")(
      "check", po::value(&o.check),
      (std::string("compare with the paper's files in this folder (half<s>{A,B}_classes.txt, "
                   "half_nat_idx.txt/half_man_idx.txt); exit ") +
       std::to_string(kExitError) + " on any difference")
          .c_str());
  return desc;
}

std::vector<std::string> class_names(const Options& o) {
  std::vector<std::string> names;
  if (o.dataset == "fmnist") names = fmnist_class_names();
  if (!o.names_file.empty()) {
    std::ifstream in(o.names_file);
    if (!in) throw std::runtime_error(o.names_file + ": cannot open");
    std::string line;
    while (std::getline(in, line)) names.push_back(line);
  }
  return names;
}

std::vector<SplitDef> chosen_splits(const Options& o) {
  std::vector<SplitDef> splits;
  if (o.split == "half") {
    for (int s : cli::parse_int_list(o.seeds, "--seeds"))
      splits.push_back(random_halves(s, o.num_classes, o.size_a));
  } else if (o.split == "natman") {
    if (o.num_classes != 1000) throw cli::UsageError("--split natman splits the 1000 ImageNet classes");
    splits.push_back(natman_split());
  } else if (o.split == "dissim") {
    if (o.num_classes != 10) throw cli::UsageError("--split dissim splits the 10 Fashion-MNIST classes");
    splits.push_back(fmnist_dissim_split());
  } else {
    throw cli::UsageError("--split must be half, natman or dissim");
  }
  return splits;
}

// Prints one half (and writes or checks it as asked); false when it differs
// from the paper's file.
bool emit_half(const Options& o, const SplitDef& s, int h, const std::vector<std::string>& names) {
  const auto& v = s.views[static_cast<size_t>(h)].class_ids;
  const std::string& tag = s.views[static_cast<size_t>(h)].name;
  std::cout << "# " << tag << " (" << v.size() << " classes)\n";
  for (int c : v) {
    std::cout << c;
    if (static_cast<size_t>(c) < names.size()) std::cout << ' ' << names[static_cast<size_t>(c)];
    std::cout << '\n';
  }
  if (!o.out.empty()) write_class_list(o.out + "/" + tag + "_classes.txt", v);
  if (o.check.empty()) return true;
  std::string ref = o.check + "/" + tag + "_classes.txt";
  if (s.name == "natman") ref = o.check + (h == 0 ? "/half_nat_idx.txt" : "/half_man_idx.txt");
  const bool same = read_indices(ref) == v;
  std::cerr << (same ? "match   " : "DIFFERS ") << tag << " vs " << ref << '\n';
  return same;
}

int run(Options& o) {
  if (o.dataset != "imagenet" && o.dataset != "fmnist")
    throw cli::UsageError("--dataset must be imagenet or fmnist");
  if (o.num_classes == 0) o.num_classes = o.dataset == "imagenet" ? 1000 : 10;
  const std::vector<std::string> names = class_names(o);
  int mismatches = 0;
  for (const auto& s : chosen_splits(o))
    for (int h = 0; h < 2; ++h) mismatches += emit_half(o, s, h, names) ? 0 : 1;
  return mismatches == 0 ? kExitDone : kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  return prep_tool_main(argc, argv, "xfer_make_splits", [&] { return describe(o); }, [&] { return run(o); });
}
