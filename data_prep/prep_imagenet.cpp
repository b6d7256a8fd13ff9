// prep_imagenet.cpp (xfer_prep_imagenet): ILSVRC2012 to HDF5 shard folders.
// Stage "convert" decodes every image once into <out>/all (3x256x256, warped
// as Caffe's convert_imageset), on all cores, and can be split over several
// processes (--part/--parts, taken from SLURM_PROCID/SLURM_NTASKS under
// srun) that write disjoint shards. Stage "derive" (one process, after every
// part has finished) writes the manifest and mean of "all" and makes the
// requested views of it (data/view.h; no image is copied): half<s>A/B,
// natmanA/B, all-k<K>, halves given as class-list files, and any split
// definition (--split). Each convert part holds its own lock
// (<out>/.lock.part-K-of-N), derive and all hold the root's (<out>/.lock):
// see data_prep/write_lock.h.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include "core/cpus.h"
#include "core/cli.h"
#include "data_prep/image_codec.h"
#include "core/exit_codes.h"
#include "data_prep/imagenet_prep.h"
#include "data_prep/split_views.h"
#include "data_prep/split_writer.h"
#include "data_prep/splits.h"
#include "data_prep/tool_main.h"
#include "data_prep/write_lock.h"

namespace po = boost::program_options;
using namespace xfer;

namespace {

struct Options {
  ImageNetLayoutOptions layout;
  ConvertOptions conv;
  std::string stage, seeds, reduced;
  std::vector<std::string> lists, splits;
  bool natman = false, exact_decode = false, no_val = false;
  int64_t max_pixels = kDefaultMaxPixels;
};

po::options_description describe(Options& o) {
  po::options_description desc(
      "xfer_prep_imagenet: convert ILSVRC2012 to HDF5 shard folders\n\nOptions");
  cli::add_common_options(desc);
  desc.add_options()(
      "src", po::value(&o.layout.root)->required(), "ImageNet root holding train/<wnid>/ and val/")(
      "out", po::value(&o.conv.out_root)->required(), "output root (e.g. data/imagenet)")(
      "synsets", po::value(&o.layout.synsets),
      "class order, one WNID per line (default: sorted train/ folders, the standard order)")(
      "words", po::value(&o.layout.words), "synset_words.txt, for readable class names")(
      "val-labels", po::value(&o.layout.val_labels), "val.txt: '<file> <label>' lines")(
      "val-ground-truth", po::value(&o.layout.val_ground_truth),
      "devkit ILSVRC2012_validation_ground_truth.txt (needs --devkit-synsets)")(
      "devkit-synsets", po::value(&o.layout.devkit_synsets),
      "WNIDs in ILSVRC2012_ID order (from the devkit's meta.mat), one per line")(
      "stage", po::value(&o.stage)->default_value("all"),
      "convert (decode into all/), derive (manifest of all/, then the halves), or all (both)")(
      "seeds", po::value(&o.seeds)->default_value("0"), "random-half seeds, e.g. 0-3 (\"\" none)")(
      "natman", po::bool_switch(&o.natman), "write natmanA (natural) / natmanB (man-made)")(
      "no-val", po::bool_switch(&o.no_val), "convert without validation labels (the folders get no val subset)")(
      "reduced", po::value(&o.reduced)->default_value(""),
      "reduced-volume views all-k<K>, e.g. 1,2,5,10,25,50,100,250,500,750,1000,1300")(
      "list", po::value(&o.lists)->composing(),
      "a split from class-list files NAME:A.txt:B.txt (indices or WNIDs); repeatable")(
      "split", po::value(&o.splits)->composing(),
      "more views: a split name or a NAME.split definition file (data_prep/README.md); repeatable")(
      "size", po::value(&o.conv.size)->default_value(256), "stored image side")(
      "shard-size", po::value(&o.conv.shard_size)->default_value(5000),
      "images per shard (5000 x 192 KiB = 0.94 GiB)")(
      "threads", po::value(&o.conv.threads)->default_value(usable_cpus()),
      "decoding threads (default: the CPUs this process may use)")(
      "part", po::value(&o.conv.part)->default_value(cli::env_int("SLURM_PROCID", 0)),
      "this process's part (default $SLURM_PROCID)")(
      "parts", po::value(&o.conv.parts)->default_value(cli::env_int("SLURM_NTASKS", 1)),
      "number of processes converting (default $SLURM_NTASKS)")(
      "exact-decode", po::bool_switch(&o.exact_decode),
      "decode every JPEG to RGB at full size, then warp (default: large ones at a reduced DCT scale, warped on their YCbCr planes)")(
      "max-pixels", po::value(&o.max_pixels)->default_value(kDefaultMaxPixels),
      "images whose header claims more pixels are skipped, named, before any decoding");
  return desc;
}

void check_usage(const Options& o) {
  const ConvertOptions& conv = o.conv;
  if (o.stage != "convert" && o.stage != "derive" && o.stage != "all")
    throw cli::UsageError("--stage must be convert, derive or all");
  if (o.stage == "all" && conv.parts > 1)
    throw cli::UsageError("--parts > 1: run --stage convert in every part, then --stage "
                             "derive once");
  if (conv.shard_size <= 0 || conv.size <= 0 || conv.threads <= 0)
    throw cli::UsageError("--size, --shard-size and --threads must be positive");
  if (conv.parts < 1 || conv.part < 0 || conv.part >= conv.parts)
    throw cli::UsageError("--part " + std::to_string(conv.part) + " outside 0.." +
                             std::to_string(conv.parts - 1));
}

// The splits given as class-list files, NAME:A.txt:B.txt.
std::vector<SplitDef> list_splits(const Options& o, const std::vector<std::string>& wnids) {
  std::vector<SplitDef> out;
  for (const auto& l : o.lists) {
    auto c1 = l.find(':'), c2 = l.find(':', c1 == std::string::npos ? 0 : c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos)
      throw std::runtime_error("--list '" + l + "': expected NAME:A.txt:B.txt");
    SplitDef s = split_from_files(l.substr(0, c1), l.substr(c1 + 1, c2 - c1 - 1), l.substr(c2 + 1), wnids);
    s.text = "A = " + l.substr(c1 + 1, c2 - c1 - 1) + "\nB = " + l.substr(c2 + 1) + "\n";
    // No xfer_make_views line remakes it (source ""): it is remade by this tool's --list.
    out.push_back(std::move(s));
  }
  return out;
}

void print_skipped(const Manifest& all) {
  for (const auto& [name, sub] : all.subsets)
    for (const auto& s : sub.skipped) std::printf("skipped (%s) %s\n", name.c_str(), s.c_str());
}

int run(Options& o) {
  o.conv.fast_decode = !o.exact_decode;
  try {
    set_max_pixels(o.max_pixels);
  } catch (const std::invalid_argument& e) {
    throw cli::UsageError(e.what());
  }
  check_usage(o);
  const ConvertOptions& conv = o.conv;
  const std::vector<int> seed_list = cli::parse_int_list(o.seeds, "--seeds");
  const std::vector<int> reduced_list = cli::parse_int_list(o.reduced, "--reduced");
  for (int r : reduced_list)
    if (r <= 0) throw cli::UsageError("--reduced: K must be positive, got " + std::to_string(r));

  // Before the (long) listing, so that a clashing run stops at once: a
  // convert part locks its own shards, derive and all lock the whole root.
  std::optional<FileLock> part_lock;
  std::optional<RootWriteLock> root_lock;
  if (o.stage == "convert")
    part_lock.emplace(lock_convert_part(conv.out_root, conv.part, conv.parts));
  else
    root_lock.emplace(lock_data_root(conv.out_root));

  // The class list is needed in both stages (split files name WNIDs).
  const ImageNetSource src = scan_imagenet(o.layout);
  std::fprintf(stderr, "%d classes, %zu training and %zu validation images\n",
               static_cast<int>(src.wnids.size()), src.train.size(), src.val.size());
  // Every cell would fail when it first tests, hours into a cluster job.
  if (src.val.empty() && !o.no_val)
    throw std::runtime_error(
        "no validation labels given: pass --val-labels val.txt (ILSVRC2012's auxiliary "
        "files) or --val-ground-truth with --devkit-synsets; without them no split gets "
        "validation images (--no-val converts anyway)");
  // A linked image would be stored twice, once in each of its folders' classes.
  check_distinct_files(src.train, src.val, conv.threads);
  if (o.stage != "derive") {
    const ConvertReport rep = convert_imagenet(src, conv);
    std::printf("part %d/%d: %lld images converted, %zu skipped\n", conv.part, conv.parts,
                static_cast<long long>(rep.converted), rep.skipped.size());
    for (const auto& s : rep.skipped) std::printf("  skipped %s\n", s.c_str());
    if (o.stage == "convert") return kExitDone;
  }

  check_every_folder_converted(conv.out_root, o.layout.root, src.train, src.val);
  const Manifest all = finalize_imagenet_all(conv.out_root);
  std::vector<std::string> named = o.splits;
  if (o.natman) named.insert(named.begin(), "natman");
  make_views_and_report(conv.out_root, split_args(seed_list, named, reduced_list), list_splits(o, src.wnids));
  print_skipped(all);
  return kExitDone;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  return prep_tool_main(argc, argv, "xfer_prep_imagenet", [&] { return describe(o); }, [&] { return run(o); });
}
