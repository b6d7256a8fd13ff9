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

#include "core/provenance.h"
#include "io/h5.h"  // h5_library_versions
#include "core/cli.h"
#include "data/fmnist_idx.h"
#include "data/split_writer.h"
#include "data/write_lock.h"

namespace po = boost::program_options;
using namespace xfer;

namespace {

struct Options {
  std::string src, out, seeds, reduced;
  int64_t shard_size = 10000;
  bool dissim = true;
};

}  // namespace

int main(int argc, char** argv) {
  if (xfer::print_version_if_asked(argc, argv, "xfer_prep_fmnist", xfer::h5_library_versions())) return 0;
  Options o;
  po::options_description desc(
      "xfer_prep_fmnist: convert Fashion-MNIST to HDF5 shard folders\n"
      "Writes <out>/{all, half<s>A, half<s>B, dissimA, dissimB, all-k<K>}; finished shards\n"
      "are kept when rerun (and written again when they no longer match their checksums).\n"
      "One process at a time writes an output root (<out>/.lock).\n\nOptions");
  bool no_dissim = false;
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
      "no-dissim", po::bool_switch(&no_dissim), "skip dissimA/dissimB");
  return cli::run_tool("xfer_prep_fmnist", [&]() -> int {
    po::variables_map vm;
    if (!cli::parse(argc, argv, desc, vm)) return 0;
    o.dissim = !no_dissim;
    if (o.shard_size <= 0) throw cli::UsageError("--shard-size must be positive");
    const std::vector<int> seed_list = cli::parse_int_list(o.seeds, "--seeds");
    const std::vector<int> reduced_list = cli::parse_int_list(o.reduced, "--reduced");
    for (int k : reduced_list)
      if (k <= 0) throw cli::UsageError("--reduced: K must be positive, got " + std::to_string(k));
    // Before any work, so that a second conversion into this root stops at once.
    const RootWriteLock lock = lock_data_root(o.out);

    const auto t0 = std::chrono::steady_clock::now();
    auto find = [&](const std::string& stem) {
      const std::string gz = o.src + "/" + stem + ".gz";
      return std::filesystem::exists(gz) ? gz : o.src + "/" + stem;
    };
    std::error_code ec;
    if (!std::filesystem::is_directory(o.src, ec))
      throw std::runtime_error(o.src + ": missing Fashion-MNIST directory "
                               "(Debian: apt install dataset-fashion-mnist)");
    const IdxImages train = read_idx_images(find("train-images-idx3-ubyte"));
    const auto train_labels = read_idx_labels(find("train-labels-idx1-ubyte"));
    const IdxImages val = read_idx_images(find("t10k-images-idx3-ubyte"));
    const auto val_labels = read_idx_labels(find("t10k-labels-idx1-ubyte"));
    if (static_cast<int64_t>(train_labels.size()) != train.count ||
        static_cast<int64_t>(val_labels.size()) != val.count)
      throw std::runtime_error(o.src + ": image and label files disagree on the count");
    if (train.rows != val.rows || train.cols != val.cols)
      throw std::runtime_error(o.src + ": train and t10k image sizes differ");
    for (auto l : train_labels)
      if (l < 0 || l > 9) throw std::runtime_error(find("train-labels-idx1-ubyte") + ": label out of range");
    for (auto l : val_labels)
      if (l < 0 || l > 9) throw std::runtime_error(find("t10k-labels-idx1-ubyte") + ": label out of range");

    std::vector<HalfSpec> folders{all_classes(10)};
    for (int s : seed_list)
      for (auto& h : halves_of(random_halves(s, 10))) folders.push_back(h);
    if (o.dissim)
      for (auto& h : halves_of(fmnist_dissim_split())) folders.push_back(h);
    for (int k : reduced_list) folders.push_back(all_classes(10, k));

    // Plan everything first so the progress bar knows the total.
    struct Plan {
      HalfSpec half;
      std::vector<int64_t> keep[2];
      std::vector<int32_t> local[2];
    };
    std::vector<Plan> plans;
    int64_t total = 0;
    for (const auto& h : folders) {
      Plan p{h, {}, {}};
      select_examples(train_labels, h, true, p.keep[0], p.local[0]);
      select_examples(val_labels, h, false, p.keep[1], p.local[1]);
      total += static_cast<int64_t>(p.keep[0].size() + p.keep[1].size());
      plans.push_back(std::move(p));
    }
    Progress progress("fashion-mnist", total);
    const size_t bytes = static_cast<size_t>(train.rows) * train.cols;
    nlohmann::json source = {{"dataset", "Fashion-MNIST"}, {"src", o.src}};
    std::vector<Manifest> done;
    for (const auto& p : plans) {
      const std::string dir = o.out + "/" + p.half.folder;
      for (int sub = 0; sub < 2; ++sub) {
        const IdxImages& im = sub == 0 ? train : val;
        const auto& labels = sub == 0 ? train_labels : val_labels;
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
      nlohmann::json src = source;
      src["reduced_k"] = p.half.reduced_k;
      done.push_back(finalize_split_dir(dir, src.dump(), -1, -1));
    }
    progress.finish();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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
    std::printf("wrote %zu folders under %s in %.2f s\n", done.size(), o.out.c_str(), secs);
    return 0;
  });
}
