// prep_fmnist.cpp (xfer_prep_fmnist): Fashion-MNIST's IDX files to shard
// folders, the embedded default dataset: random halves by seed, the
// dissimilar split (upper-body garments / the rest), all classes, and
// reduced-volume folders. Images stay 1x28x28; t10k is the validation set.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/cli.h"
#include "data/write_lock.h"
#include "data_prep/fmnist_idx.h"
#include "data_prep/split_writer.h"
#include "data_prep/tool_main.h"

namespace po = boost::program_options;
using namespace xfer;

namespace {

struct Options {
  std::string src, out, seeds, reduced;
  int64_t shard_size = 10000;
  bool no_dissim = false;
};

po::options_description describe(Options& o) {
  po::options_description desc(
      "xfer_prep_fmnist: convert Fashion-MNIST to HDF5 shard folders\n"
      "Writes <out>/{all, half<s>A, half<s>B, dissimA, dissimB, all-k<K>}; finished shards\n"
      "are kept when rerun (and written again when they no longer match their checksums).\n"
      "One process at a time writes an output root (<out>/.lock).\n\nOptions");
  cli::add_common_options(desc);
  desc.add_options()(
      "src", po::value(&o.src)->default_value("/usr/share/datasets/fashion-mnist"),
      "folder of {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")(
      "out", po::value(&o.out)->default_value("data/fmnist"), "output root")(
      "seeds", po::value(&o.seeds)->default_value("0"),
      "random-half seeds, e.g. 0 or 0-3 or 0,2 (numpy legacy seeding, as the paper)")(
      "reduced", po::value(&o.reduced)->default_value("25"),
      "reduced-volume folders all-k<K>: first K training images per class (\"\" for none)")(
      "shard-size", po::value(&o.shard_size)->default_value(10000), "images per shard")(
      "no-dissim", po::bool_switch(&o.no_dissim), "skip dissimA/dissimB");
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

// A folder and the examples of each subset it keeps, planned before writing
// so that the progress bar knows the total.
struct Plan {
  HalfSpec half;
  std::vector<int64_t> keep[2];
  std::vector<int32_t> local[2];
};

std::vector<Plan> plan_folders(const Dataset& d, const std::vector<int>& seeds,
                               const std::vector<int>& reduced, bool dissim) {
  std::vector<HalfSpec> folders{all_classes(10)};
  for (int s : seeds)
    for (auto& h : halves_of(random_halves(s, 10))) folders.push_back(h);
  if (dissim)
    for (auto& h : halves_of(fmnist_dissim_split())) folders.push_back(h);
  for (int k : reduced) folders.push_back(all_classes(10, k));
  std::vector<Plan> plans;
  for (const auto& h : folders) {
    Plan p{h, {}, {}};
    for (int sub = 0; sub < 2; ++sub) select_examples(d.labels[sub], h, sub == 0, p.keep[sub], p.local[sub]);
    plans.push_back(std::move(p));
  }
  return plans;
}

Manifest write_folder(const Plan& p, const Dataset& d, const Options& o, Progress& progress) {
  const std::string dir = o.out + "/" + p.half.folder;
  for (int sub = 0; sub < 2; ++sub) {
    const IdxImages& im = d.images[sub];
    const auto& labels = d.labels[sub];
    const size_t bytes = static_cast<size_t>(im.rows) * im.cols;
    ShardMeta meta;
    meta.dataset = "fashion-mnist";
    meta.split = p.half.folder;
    meta.subset = sub == 0 ? "train" : "val";
    meta.channels = 1;
    meta.height = im.rows;
    meta.width = im.cols;
    for (int c : p.half.classes) {
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
  src["reduced_k"] = p.half.reduced_k;
  return finalize_split_dir(dir, src.dump(), -1, -1);
}

void print_summary(const std::vector<Manifest>& done, const std::string& out, double secs) {
  std::printf("%-10s %7s %7s %6s  classes\n", "folder", "train", "val", "K");
  for (const auto& m : done) {
    std::string names;
    for (const auto& n : m.class_names) names += (names.empty() ? "" : ", ") + n;
    auto count = [&](const char* s) {
      auto it = m.subsets.find(s);
      return it == m.subsets.end() ? int64_t{0} : it->second.num_images;
    };
    std::printf("%-10s %7lld %7lld %6zu  %s\n", m.split.c_str(),
                static_cast<long long>(count("train")), static_cast<long long>(count("val")),
                m.class_ids.size(), names.c_str());
  }
  std::printf("wrote %zu folders under %s in %.2f s\n", done.size(), out.c_str(), secs);
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
  const std::vector<Plan> plans = plan_folders(d, seed_list, reduced_list, !o.no_dissim);
  int64_t total = 0;
  for (const auto& p : plans) total += static_cast<int64_t>(p.keep[0].size() + p.keep[1].size());
  Progress progress("fashion-mnist", total);
  std::vector<Manifest> done;
  for (const auto& p : plans) done.push_back(write_folder(p, d, o, progress));
  progress.finish();
  print_summary(done, o.out,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  return prep_tool_main(argc, argv, "xfer_prep_fmnist", [&] { return describe(o); }, [&] { return run(o); });
}
