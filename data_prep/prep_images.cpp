// prep_images.cpp (xfer_prep_images): any image-folder dataset,
// <src>/train/<class>/*.{jpg,jpeg,png} with <src>/val/<class>/ or a seeded
// held-out fraction of each class, into the store <out>/all: every image
// decoded once and warped to the stored size (as xfer_prep_imagenet), RGB or
// gray. Class names are the folder names, in sorted order. The listing is
// checked before anything is written; a class folder none of whose images
// could be decoded is refused before the store is finalized. The views of
// the splits asked for are made from the store (data/view.h). Holds the
// root's lock (<out>/.lock, data_prep/write_lock.h) while writing.
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/cli.h"
#include "data_prep/image_codec.h"
#include "core/exit_codes.h"
#include "core/cpus.h"
#include "data_prep/image_folder.h"
#include "data_prep/split_views.h"
#include "data_prep/tool_main.h"
#include "data_prep/write_lock.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace xfer;

namespace {

struct Options {
  ImageFolderOptions folder;
  // Side 0 until given, so that --size and --height/--width can be told apart.
  ConvertOptions conv = [] {
    ConvertOptions c;
    c.size = 0;
    return c;
  }();
  bool exact_decode = false;
  int64_t max_pixels = kDefaultMaxPixels;
  std::string seeds, reduced;
  std::vector<std::string> splits;
};

po::options_description describe(Options& o) {
  po::options_description desc(
      "xfer_prep_images: convert an image-folder dataset to the HDF5 store <out>/all and views of it\n"
      "Reads <src>/train/<class>/*.{jpg,jpeg,png} (any letter case; other files are ignored)\n"
      "and <src>/val/<class>/..., or holds out --val-fraction of each class when there is no\n"
      "val/. Classes are the folder names, sorted. Finished shards are kept when rerun.\n"
      "Then makes the views of the splits asked for (--seeds, --split, --reduced).\n\n"
      "Options");
  cli::add_common_options(desc);
  desc.add_options()(
      "src", po::value(&o.folder.root)->required(), "the dataset folder, holding train/ and perhaps val/")(
      "out", po::value(&o.conv.out_root)->required(), "output root (writes <out>/all)")(
      "dataset", po::value(&o.conv.dataset), "dataset name in the shards (default: the --src folder's name)")(
      "size", po::value(&o.conv.size), "stored side, square (default 256)")(
      "height", po::value(&o.conv.height), "stored height (with --width, instead of --size)")(
      "width", po::value(&o.conv.width), "stored width (with --height)")(
      "channels", po::value(&o.conv.channels)->default_value(3), "3 (RGB) or 1 (gray: luma of colour images)")(
      "val-fraction", po::value(&o.folder.val_fraction)->default_value(0.1, "0.1"),
      "without val/: the share of each class's images held out for validation, in [0, 1)")(
      "val-seed", po::value(&o.folder.val_seed)->default_value(0), "without val/: which images are held out")(
      "threads", po::value(&o.conv.threads)->default_value(usable_cpus()),
      "decoding threads (default: the CPUs this process may use)")(
      "shard-size", po::value(&o.conv.shard_size)->default_value(5000), "images per shard")(
      "exact-decode", po::bool_switch(&o.exact_decode),
      "decode every JPEG at full size, then warp (default: large ones at a reduced DCT scale)")(
      "max-pixels", po::value(&o.max_pixels)->default_value(kDefaultMaxPixels),
      "images whose header claims more pixels are skipped, named, before any decoding")(
      "seeds", po::value(&o.seeds)->default_value("0"), "views half<s>A/B: random halves by seed (\"\" none)")(
      "split", po::value(&o.splits)->composing(),
      "more views: a split name or a NAME.split definition file (data_prep/README.md); repeatable")(
      "reduced", po::value(&o.reduced)->default_value(""), "views all-k<K>: the first K training images per class");
  return desc;
}

void check_usage(Options& o) {
  ConvertOptions& c = o.conv;
  if ((c.height > 0) != (c.width > 0) || c.height < 0 || c.width < 0)
    throw cli::UsageError("--height and --width go together, both positive");
  if (c.height > 0 && c.size > 0) throw cli::UsageError("give --size or --height with --width, not both");
  if (c.height == 0 && c.size == 0) c.size = 256;
  if (c.size < 0) throw cli::UsageError("--size must be positive");
  if (c.channels != 1 && c.channels != 3) throw cli::UsageError("--channels must be 3 or 1");
  if (c.shard_size <= 0 || c.threads <= 0)
    throw cli::UsageError("--shard-size and --threads must be positive");
  if (!(o.folder.val_fraction >= 0 && o.folder.val_fraction < 1))
    throw cli::UsageError("--val-fraction must be in [0, 1)");
  o.folder.threads = c.threads;
  c.fast_decode = !o.exact_decode;
  try {
    set_max_pixels(o.max_pixels);
  } catch (const std::invalid_argument& e) {
    throw cli::UsageError(e.what());
  }
  if (c.dataset.empty()) {
    fs::path p = fs::absolute(o.folder.root).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    c.dataset = p.filename().string();
  }
}

// What the manifest records of the source.
std::string source_record(const Options& o, const ImageFolderSource& src) {
  nlohmann::json s = {{"dataset", o.conv.dataset}, {"src", o.folder.root}, {"channels", o.conv.channels}};
  if (src.val_held_out)
    s["validation"] = {{"held_out_fraction", o.folder.val_fraction}, {"seed", o.folder.val_seed}};
  else
    s["validation"] = "val/";
  return s.dump();
}

// Lists and checks the source, then writes and finalizes the store
// <out>/all, then the views asked for.
int run(Options& o) {
  check_usage(o);
  const std::vector<std::string> defs = split_args(cli::parse_int_list(o.seeds, "--seeds"), o.splits,
                                                   cli::parse_int_list(o.reduced, "--reduced"));
  // The listing and its checks come first: bad input writes nothing.
  const ImageFolderSource src = scan_image_folder(o.folder);
  std::fprintf(stderr, "%s: %zu classes, %zu training and %zu validation images (%s)\n",
               o.conv.dataset.c_str(), src.classes.size(), src.train.size(), src.val.size(),
               src.val_held_out ? "held out of train/" : "val/");
  const RootWriteLock lock = lock_data_root(o.conv.out_root);
  const ConvertReport rep = convert_image_store(src.classes, src.train, src.val, o.conv);
  std::printf("%lld images converted, %zu skipped\n", static_cast<long long>(rep.converted),
              rep.skipped.size());
  for (const auto& s : rep.skipped) std::printf("  skipped %s\n", s.c_str());
  check_every_folder_converted(o.conv.out_root, src.root, src.train, src.val);
  finalize_image_store(o.conv.out_root, source_record(o, src));
  make_views_and_report(o.conv.out_root, defs);
  return kExitDone;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  return prep_tool_main(argc, argv, "xfer_prep_images", [&] { return describe(o); }, [&] { return run(o); });
}
