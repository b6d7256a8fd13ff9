// make_views.cpp (xfer_make_views): makes the views a split definition asks
// for (data_prep/split_def.h) of a dataset's store <data>/all: a built-in
// name (half<S>, natman, dissim, all-k<K>) or a NAME.split file. Each view is
// a folder of two small files; a view already current is kept.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "core/cli.h"
#include "core/exit_codes.h"
#include "data_prep/split_views.h"
#include "data_prep/tool_main.h"
#include "data_prep/write_lock.h"

namespace po = boost::program_options;
using namespace xfer;

namespace {

// The root's write lock, waiting up to `seconds` for its holder (two grids
// starting on one root make their views in turn).
RootWriteLock lock_root_waiting(const std::string& root, int seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    try {
      return lock_data_root(root);
    } catch (const std::runtime_error&) {
      if (std::chrono::steady_clock::now() >= until) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

struct Options {
  std::string data;
  std::vector<std::string> splits;
  int wait = 0;
};

po::options_description describe(Options& o) {
  po::options_description desc(
      "xfer_make_views --data ROOT --split NAME|FILE...: views of the store ROOT/all\n"
      "Each split makes ROOT/<name>A and ROOT/<name>B (or ROOT/<name> for a reduced set):\n"
      "view.json (the classes, per-class limit and store identity) and mean.h5. Built-in\n"
      "names: half<S>, natman, dissim, all-k<K>; a file NAME.split defines any other\n"
      "(see data_prep/README.md). One process at a time writes a root (ROOT/.lock).\n\nOptions");
  cli::add_common_options(desc);
  desc.add_options()("data", po::value(&o.data)->default_value("data/fmnist"),
                     "the dataset's folder (holds the store `all`)")(
      "split", po::value(&o.splits)->multitoken(), "split names, definition files, or NAME=FILE (views named NAME)")(
      "wait", po::value(&o.wait)->default_value(0),
      "seconds to wait for another writer of the root to finish (0: stop at once, naming it)");
  return desc;
}

int run(const Options& o) {
  if (o.splits.empty()) throw cli::UsageError("--split: give at least one split (name or file)");
  const RootWriteLock lock = lock_root_waiting(o.data, o.wait);
  const auto t0 = std::chrono::steady_clock::now();
  const StoreClasses classes = store_classes(o.data);
  std::vector<ViewOutcome> done;
  for (const auto& s : o.splits)
    for (auto& v : make_split_views(o.data, split_definition(s, classes))) done.push_back(std::move(v));
  std::printf("%-10s %7s %7s %6s  classes\n", "view", "train", "val", "K");
  print_views(done);
  std::printf("%zu views under %s in %.2f s\n", done.size(), o.data.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return kExitDone;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  return prep_tool_main(argc, argv, "xfer_make_views", [&] { return describe(o); }, [&] { return run(o); });
}
