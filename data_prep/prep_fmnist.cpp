// prep_fmnist.cpp (xfer_prep_fmnist): Fashion-MNIST's IDX files to the
// embedded default dataset: the store `all` (every image once, in shards),
// then views of it (data/view.h): random halves by seed, the dissimilar split
// (upper-body garments / the rest) and reduced-volume sets. Images stay
// 1x28x28; t10k is the validation set.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/cli.h"
#include "core/exit_codes.h"
#include "data_prep/fmnist_idx.h"
#include "data_prep/split_views.h"
#include "data_prep/split_writer.h"
#include "data_prep/tool_main.h"
#include "data_prep/write_lock.h"

namespace po = boost::program_options;
using namespace xfer;

namespace {

struct Options {
  std::string src, out, seeds, reduced;
  std::vector<std::string> splits;
  int64_t shard_size = 10000;
  bool no_dissim = false;
};

po::options_description describe(Options& o) {
  po::options_description desc(
      "xfer_prep_fmnist: convert Fashion-MNIST to an HDF5 store and views of it\n"
      "Writes the store <out>/all (shards) and the views <out>/{half<s>A, half<s>B, dissimA,\n"
      "dissimB, all-k<K>} (view.json and mean.h5 each); finished shards and current views\n"
      "are kept when rerun (shards written again when they no longer match their checksums).\n"
      "One process at a time writes an output root (<out>/.lock).\n\nOptions");
  cli::add_common_options(desc);
  desc.add_options()(
      "src", po::value(&o.src)->default_value("/usr/share/datasets/fashion-mnist"),
      "folder of {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")(
      "out", po::value(&o.out)->default_value("data/fmnist"), "output root")(
      "seeds", po::value(&o.seeds)->default_value("0"),
      "random-half seeds, e.g. 0 or 0-3 or 0,2 (numpy legacy seeding, as the paper)")(
      "reduced", po::value(&o.reduced)->default_value("25"),
      "reduced-volume views all-k<K>: first K training images per class (\"\" for none)")(
      "shard-size", po::value(&o.shard_size)->default_value(10000), "images per shard")(
      "no-dissim", po::bool_switch(&o.no_dissim), "skip dissimA/dissimB")(
      "split", po::value(&o.splits)->composing(),
      "more views: a split name or a NAME.split definition file (data_prep/README.md); repeatable");
  return desc;
}

// The training (0) and t10k (1) subsets, checked against each other.
struct Dataset {
  IdxImages images[2];
  std::vector<int32_t> labels[2];
};

Dataset read_dataset(const std::string& src) {
  auto find = [&](const std::string& stem) {
    const std::string gz = src + "/" + stem + ".gz";
    return std::filesystem::exists(gz) ? gz : src + "/" + stem;
  };
  std::error_code ec;
  if (!std::filesystem::is_directory(src, ec))
    throw std::runtime_error(src + ": missing Fashion-MNIST directory "
                             "(Debian: apt install dataset-fashion-mnist)");
  Dataset d;
  const char* stems[2] = {"train", "t10k"};
  for (int sub = 0; sub < 2; ++sub) {
    d.images[sub] = read_idx_images(find(std::string(stems[sub]) + "-images-idx3-ubyte"));
    d.labels[sub] = read_idx_labels(find(std::string(stems[sub]) + "-labels-idx1-ubyte"));
  }
  for (int sub = 0; sub < 2; ++sub)
    if (static_cast<int64_t>(d.labels[sub].size()) != d.images[sub].count)
      throw std::runtime_error(src + ": image and label files disagree on the count");
  if (d.images[0].rows != d.images[1].rows || d.images[0].cols != d.images[1].cols)
    throw std::runtime_error(src + ": train and t10k image sizes differ");
  for (int sub = 0; sub < 2; ++sub)
    for (auto l : d.labels[sub])
      if (l < 0 || l > 9)
        throw std::runtime_error(find(std::string(stems[sub]) + "-labels-idx1-ubyte") +
                                 ": label out of range");
  return d;
}

// The store's examples of each subset, planned before writing so that the
// progress bar knows the total.
struct Plan {
  ViewSpec view;  // every class, every image
  std::vector<int64_t> keep[2];
  std::vector<int32_t> local[2];
};

Plan plan_store(const Dataset& d) {
  Plan p{all_classes(10), {}, {}};
  for (int sub = 0; sub < 2; ++sub) select_examples(d.labels[sub], p.view, sub == 0, p.keep[sub], p.local[sub]);
  return p;
}

Manifest write_folder(const Plan& p, const Dataset& d, const Options& o, Progress& progress) {
  const std::string dir = o.out + "/" + p.view.name;
  for (int sub = 0; sub < 2; ++sub) {
    const IdxImages& im = d.images[sub];
    const auto& labels = d.labels[sub];
    const size_t bytes = static_cast<size_t>(im.rows) * im.cols;
    ShardMeta meta;
    meta.dataset = "fashion-mnist";
    meta.split = p.view.name;
    meta.subset = sub == 0 ? "train" : "val";
    meta.channels = 1;
    meta.height = im.rows;
    meta.width = im.cols;
    for (int c : p.view.class_ids) {
      meta.class_ids.push_back(c);
      meta.class_names.push_back(fmnist_class_names()[static_cast<size_t>(c)]);
    }
    const auto& keep = p.keep[sub];
    const auto& local = p.local[sub];
    const std::string prefix = sub == 0 ? "train:" : "t10k:";
    write_planned_shards(
        dir, meta, static_cast<int64_t>(keep.size()), o.shard_size, 0, 1,
        [&](int64_t first, int64_t n, ShardWriter& w) {
          for (int64_t i = first; i < first + n; ++i) {
            const int64_t e = keep[static_cast<size_t>(i)];
            w.add(im.pixels.data() + static_cast<size_t>(e) * bytes,
                  local[static_cast<size_t>(i)], labels[static_cast<size_t>(e)],
                  prefix + std::to_string(e));
          }
          progress.add(n);
        },
        &progress);
  }
  nlohmann::json src = {{"dataset", "Fashion-MNIST"}, {"src", o.src}};
  src["reduced_k"] = p.view.train_per_class;  // the manifest's key, kept
  return finalize_split_dir(dir, src.dump(), -1, -1);
}

int run(const Options& o) {
  if (o.shard_size <= 0) throw cli::UsageError("--shard-size must be positive");
  const std::vector<int> seed_list = cli::parse_int_list(o.seeds, "--seeds");
  const std::vector<int> reduced_list = cli::parse_int_list(o.reduced, "--reduced");
  for (int k : reduced_list)
    if (k <= 0) throw cli::UsageError("--reduced: K must be positive, got " + std::to_string(k));
  // Before any work, so that a second conversion into this root stops at once.
  const RootWriteLock lock = lock_data_root(o.out);

  const auto t0 = std::chrono::steady_clock::now();
  const Dataset d = read_dataset(o.src);
  const Plan store = plan_store(d);
  Progress progress("fashion-mnist", static_cast<int64_t>(store.keep[0].size() + store.keep[1].size()));
  write_folder(store, d, o, progress);
  progress.finish();
  std::vector<std::string> named = o.splits;
  if (!o.no_dissim) named.insert(named.begin(), "dissim");
  const auto views = make_views_and_report(o.out, split_args(seed_list, named, reduced_list));
  std::printf("wrote the store and %zu views under %s in %.2f s\n", views.size(), o.out.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return kExitDone;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  return prep_tool_main(argc, argv, "xfer_prep_fmnist", [&] { return describe(o); }, [&] { return run(o); });
}
