// test_prep_images.cpp: xfer_prep_images run as a process: Fashion-MNIST
// exported as PNG class folders gives back the idx files' pixels and classes;
// luma, extensions, non-square sizes; the seeded held-out share per class;
// and every bad input refused in one line naming the folder or file
// (suite PrepImagesBadInput, also labelled faults).
#include <gtest/gtest.h>
#include <turbojpeg.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "data/view.h"
#include "data_prep/fmnist_idx.h"
#include "data_test_util.h"
#include "png_test_util.h"

using namespace xfer;
using namespace xfer::test;

namespace {

const char* kFmnist = "/usr/share/datasets/fashion-mnist";

std::string tool() { return bin_dir() + "/xfer_prep_images"; }

// A gray w x h PNG whose every pixel is v.
void write_solid(const std::string& path, uint8_t v, int w = 4, int h = 4) {
  std::vector<uint8_t> px(static_cast<size_t>(w) * h, v);
  write_png(path, w, h, 1, px.data());
}

// Every stored image of one subset of <out>/all, by key.
struct Stored {
  std::vector<uint8_t> pixels;
  int32_t label = 0;
};
std::map<std::string, Stored> read_store(const std::string& all_dir, const std::string& subset) {
  std::map<std::string, Stored> out;
  Manifest m = read_manifest(all_dir);
  for (const auto& sh : m.subsets[subset].shards) {
    ShardReader r(all_dir + "/" + sh.file);
    const auto keys = r.read_keys();
    const auto labels = r.read_labels();
    const size_t bytes = r.meta().image_bytes();
    std::vector<uint8_t> buf(bytes * keys.size());
    if (!keys.empty()) r.read_images(0, static_cast<int64_t>(keys.size()), buf.data());
    for (size_t i = 0; i < keys.size(); ++i)
      out[keys[i]] = {std::vector<uint8_t>(buf.begin() + static_cast<std::ptrdiff_t>(i * bytes),
                                           buf.begin() + static_cast<std::ptrdiff_t>((i + 1) * bytes)),
                      labels[i]};
  }
  return out;
}

size_t lines_in(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

// Fashion-MNIST's first images of train and t10k, written as PNG class
// folders <src>/{train,val}/<class>/<index>.png ('/' in a class name is '_').
struct FmnistPng {
  IdxImages idx[2];
  std::vector<int32_t> lab[2];
  std::vector<std::string> folder;  // class folder of each Fashion-MNIST label
  FmnistPng(const std::string& src, const int64_t take[2]) {
    idx[0] = read_idx_images(std::string(kFmnist) + "/train-images-idx3-ubyte.gz");
    idx[1] = read_idx_images(std::string(kFmnist) + "/t10k-images-idx3-ubyte.gz");
    lab[0] = read_idx_labels(std::string(kFmnist) + "/train-labels-idx1-ubyte.gz");
    lab[1] = read_idx_labels(std::string(kFmnist) + "/t10k-labels-idx1-ubyte.gz");
    for (std::string n : fmnist_class_names()) {
      std::replace(n.begin(), n.end(), '/', '_');
      folder.push_back(n);
    }
    const char* sub[2] = {"train", "val"};
    for (int s = 0; s < 2; ++s)
      for (int64_t i = 0; i < take[s]; ++i)
        write_png(src + "/" + sub[s] + "/" + folder[static_cast<size_t>(lab[s][static_cast<size_t>(i)])] + "/" +
                      std::to_string(i) + ".png",
                  28, 28, 1, idx[s].pixels.data() + static_cast<size_t>(i) * 28 * 28);
  }
};

TEST(PrepImages, FashionMnistAsPngFoldersGivesTheIdxImagesAndClasses) {
  if (!fs::exists(std::string(kFmnist) + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << kFmnist << " absent (Debian: apt install dataset-fashion-mnist)";
  const int64_t take[2] = {2000, 500};
  TempDir tmp("prep_images_fmnist");
  const std::string src = tmp.str() + "/fmnist-png", out = tmp.str() + "/out";
  const FmnistPng png(src, take);
  const auto& idx = png.idx;
  const auto& lab = png.lab;
  const auto& folder = png.folder;
  const char* sub[2] = {"train", "val"};
  const size_t px = 28 * 28;
  std::string log;
  ASSERT_EQ(run_command(tool() + " --src " + src + "/ --out " + out +
                            " --size 28 --channels 1 --threads 2 --shard-size 700",
                        &log),
            0)
      << log;
  const Manifest m = read_manifest(out + "/all");
  EXPECT_EQ(m.dataset, "fmnist-png");  // the source folder's name
  EXPECT_EQ(m.channels, 1);
  EXPECT_EQ(m.height, 28);
  EXPECT_EQ(m.width, 28);
  std::vector<std::string> sorted = folder;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(m.class_names, sorted);
  for (int s = 0; s < 2; ++s) {
    const auto stored = read_store(out + "/all", sub[s]);
    ASSERT_EQ(static_cast<int64_t>(stored.size()), take[s]) << sub[s];
    std::set<int64_t> seen;
    for (const auto& [key, img] : stored) {
      // "<subset>/<class>/<index>.png": the index is the idx file's.
      const std::string file = fs::path(key).filename().string();
      const int64_t i = std::stoll(file.substr(0, file.find('.')));
      ASSERT_TRUE(i >= 0 && i < take[s]) << key;
      seen.insert(i);
      const std::string want = folder[static_cast<size_t>(lab[s][static_cast<size_t>(i)])];
      EXPECT_EQ(key, std::string(sub[s]) + "/" + want + "/" + file);
      EXPECT_EQ(m.class_names[static_cast<size_t>(img.label)], want) << key;
      ASSERT_TRUE(std::equal(img.pixels.begin(), img.pixels.end(),
                             idx[s].pixels.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(i) * px)))
          << key << ": pixels differ from the idx file's";
    }
    EXPECT_EQ(static_cast<int64_t>(seen.size()), take[s]);
  }
}

TEST(PrepImages, LumaExtensionsAndNonSquareSizes) {
  TempDir tmp("prep_images_rgb");
  const std::string src = tmp.str() + "/colours", out = tmp.str() + "/out";
  // A colour PNG at the stored size: each pixel's luma, exactly.
  const int w = 6, h = 4;
  std::vector<uint8_t> rgb(static_cast<size_t>(w) * h * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 37 + 11) % 256);
  write_png(src + "/train/b/colour.PNG", w, h, 3, rgb.data());
  write_solid(src + "/train/a/one.Png", 77, w, h);
  write_solid(src + "/train/a/two.png", 78, w, h);
  write_text(src + "/train/a/README.txt", "not an image");
  write_text(src + "/train/b/.DS_Store", "");
  write_solid(src + "/val/a/x.png", 10, w, h);
  write_solid(src + "/val/b/y.png", 20, w, h);
  std::string log;
  ASSERT_EQ(run_command(tool() + " --src " + src + " --out " + out +
                            " --height 4 --width 6 --channels 1 --dataset mine --threads 2",
                        &log),
            0)
      << log;
  const Manifest m = read_manifest(out + "/all");
  EXPECT_EQ(m.dataset, "mine");
  EXPECT_EQ(m.height, 4);
  EXPECT_EQ(m.width, 6);
  EXPECT_EQ(m.class_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(m.subsets.at("train").class_counts, (std::vector<int64_t>{2, 1}));
  const auto train = read_store(out + "/all", "train");
  ASSERT_EQ(train.size(), 3u);
  const auto& colour = train.at("train/b/colour.PNG").pixels;
  for (size_t p = 0; p < static_cast<size_t>(w) * h; ++p) {
    const int want = (299 * rgb[3 * p] + 587 * rgb[3 * p + 1] + 114 * rgb[3 * p + 2] + 500) / 1000;
    EXPECT_EQ(colour[p], want) << "pixel " << p;
  }
  EXPECT_EQ(train.at("train/a/one.Png").pixels, std::vector<uint8_t>(static_cast<size_t>(w) * h, 77));

  // RGB: a gray source is the same value in all three planes; warped to 8x8.
  ASSERT_EQ(run_command(tool() + " --src " + src + " --out " + tmp.str() + "/rgb --size 8", &log), 0) << log;
  const auto val = read_store(tmp.str() + "/rgb/all", "val");
  EXPECT_EQ(val.at("val/b/y.png").pixels, std::vector<uint8_t>(3 * 8 * 8, 20));
  EXPECT_EQ(read_manifest(tmp.str() + "/rgb/all").dataset, "colours");

  // Usage errors exit 2.
  EXPECT_EQ(run_command(tool() + " --src " + src + " --out " + out + " --height 4", &log), 2) << log;
  EXPECT_EQ(run_command(tool() + " --src " + src + " --out " + out + " --channels 2", &log), 2) << log;
  EXPECT_EQ(run_command(tool() + " --src " + src + " --out " + out + " --val-fraction 1", &log), 2) << log;
}

namespace {

// <root>/train/<class>/<i>.png for each class's count; pixel value = i.
void write_classes(const std::string& root, const std::map<std::string, int>& counts) {
  for (const auto& [c, n] : counts)
    for (int i = 0; i < n; ++i) write_solid(root + "/train/" + c + "/" + std::to_string(100 + i) + ".png",
                                            static_cast<uint8_t>(i));
}

std::set<std::string> keys_of(const std::map<std::string, Stored>& m) {
  std::set<std::string> k;
  for (const auto& [key, img] : m) k.insert(key);
  return k;
}

}  // namespace

TEST(PrepImages, HeldOutShareIsPerClassSeededAndDeterministic) {
  TempDir tmp("prep_images_heldout");
  const std::string src = tmp.str() + "/src";
  const std::map<std::string, int> counts = {{"ant", 10}, {"bee", 7}, {"cat", 1}, {"dog", 25}};
  write_classes(src, counts);
  const std::string base = tool() + " --src " + src + " --size 4 --channels 1 --threads 2 --shard-size 6";
  std::string log;
  ASSERT_EQ(run_command(base + " --out " + tmp.str() + "/a --val-fraction 0.2 --val-seed 3", &log), 0) << log;
  ASSERT_EQ(run_command(base + " --out " + tmp.str() + "/b --val-fraction 0.2 --val-seed 3", &log), 0) << log;
  ASSERT_EQ(run_command(base + " --out " + tmp.str() + "/c --val-fraction 0.2 --val-seed 4", &log), 0) << log;
  ASSERT_EQ(run_command(base + " --out " + tmp.str() + "/d", &log), 0) << log;  // 0.1, seed 0
  const Manifest a = read_manifest(tmp.str() + "/a/all");
  // round(n * 0.2), at most n - 1: 10 -> 2, 7 -> 1, 1 -> 0, 25 -> 5.
  EXPECT_EQ(a.subsets.at("val").class_counts, (std::vector<int64_t>{2, 1, 0, 5}));
  EXPECT_EQ(a.subsets.at("train").class_counts, (std::vector<int64_t>{8, 6, 1, 20}));
  EXPECT_EQ(read_manifest(tmp.str() + "/d/all").subsets.at("val").class_counts,
            (std::vector<int64_t>{1, 1, 0, 3}));  // round(2.5) = 3
  const auto va = read_store(tmp.str() + "/a/all", "val"), ta = read_store(tmp.str() + "/a/all", "train");
  // Held-out images keep their train/ keys; train and val together are every file, once.
  std::set<std::string> every = keys_of(ta);
  for (const auto& k : keys_of(va)) EXPECT_TRUE(every.insert(k).second) << k << " in both subsets";
  EXPECT_EQ(every.size(), 43u);
  for (const auto& k : every) EXPECT_EQ(k.rfind("train/", 0), 0u) << k;
  // The same seed picks the same images; another seed others.
  EXPECT_EQ(keys_of(va), keys_of(read_store(tmp.str() + "/b/all", "val")));
  EXPECT_NE(keys_of(va), keys_of(read_store(tmp.str() + "/c/all", "val")));
  // The same pick again keeps everything.
  ASSERT_EQ(run_command(base + " --out " + tmp.str() + "/b --val-fraction 0.2 --val-seed 3", &log), 0) << log;
  EXPECT_TRUE(contains(log, "0 images converted")) << log;
  // A class added does not change another class's pick.
  write_classes(src, {{"eel", 12}});
  ASSERT_EQ(run_command(base + " --out " + tmp.str() + "/e --val-fraction 0.2 --val-seed 3", &log), 0) << log;
  std::set<std::string> ve;
  for (const auto& k : keys_of(read_store(tmp.str() + "/e/all", "val")))
    if (k.rfind("train/eel/", 0) != 0) ve.insert(k);
  EXPECT_EQ(ve, keys_of(va));
  // Rerunning into a store made with another pick would mix two listings.
  EXPECT_EQ(run_command(base + " --out " + tmp.str() + "/a --val-fraction 0.2 --val-seed 4", &log), 1) << log;
  EXPECT_TRUE(contains(log, "holds other images") && contains(log, tmp.str() + "/a/all")) << log;
}

// ---------------------------------------------------------------------------
// Bad input: exit 1, one line naming the folder or file.

namespace {

// A valid two-class tree with val/.
std::string good_tree(const TempDir& tmp) {
  const std::string src = tmp.str() + "/src";
  for (const char* sub : {"train", "val"})
    for (const char* c : {"a", "b"})
      for (int i = 0; i < 2; ++i) write_solid(src + "/" + sub + "/" + c + "/" + std::to_string(i) + ".png", 50);
  return src;
}

// Runs the tool on `src`; expects exit 1, `parts` in the output, one line
// when `one_line`, and no store finalized.
void expect_refused(const std::string& src, const std::string& out, const std::vector<std::string>& parts,
                    bool one_line = true) {
  std::string log;
  EXPECT_EQ(run_command(tool() + " --src " + src + " --out " + out + " --size 4 --threads 2", &log), 1) << log;
  for (const auto& p : parts) EXPECT_TRUE(contains(log, p)) << "wanted '" << p << "' in: " << log;
  if (one_line) {
    EXPECT_EQ(lines_in(log), 1u) << log;
    EXPECT_FALSE(fs::exists(out)) << "written before the check failed";
  }
  EXPECT_FALSE(fs::exists(out + "/all/manifest.json"));
}

}  // namespace

TEST(PrepImagesBadInput, MissingSourceOrTrainFolder) {
  TempDir tmp("prep_images_missing");
  expect_refused(tmp.str() + "/nowhere", tmp.str() + "/out", {tmp.str() + "/nowhere", "missing"});
  fs::create_directories(tmp.str() + "/notrain/val/a");
  expect_refused(tmp.str() + "/notrain", tmp.str() + "/out", {tmp.str() + "/notrain/train", "missing"});
  fs::create_directories(tmp.str() + "/noclass/train");
  expect_refused(tmp.str() + "/noclass", tmp.str() + "/out", {tmp.str() + "/noclass/train", "no class folders"});
}

TEST(PrepImagesBadInput, ClassFolderWithoutAnImageFile) {
  TempDir tmp("prep_images_empty");
  const std::string src = good_tree(tmp);
  write_text(src + "/train/c/notes.txt", "no images here");
  write_solid(src + "/val/c/0.png", 1);
  expect_refused(src, tmp.str() + "/out", {src + "/train/c", "no image file"});
  // The same in val/.
  fs::remove(src + "/val/c/0.png");
  write_solid(src + "/train/c/0.png", 1);
  expect_refused(src, tmp.str() + "/out", {src + "/val/c", "no image file"});
}

TEST(PrepImagesBadInput, TrainAndValWithDifferentClassFolders) {
  TempDir tmp("prep_images_classes");
  const std::string src = good_tree(tmp);
  write_solid(src + "/val/zebra/0.png", 1);
  expect_refused(src, tmp.str() + "/out", {src + "/val/zebra", "train/ does not have"});
  fs::remove_all(src + "/val/zebra");
  fs::remove_all(src + "/val/b");
  expect_refused(src, tmp.str() + "/out", {src + "/val/b", "missing"});
}

TEST(PrepImagesBadInput, TheSameFileTwice) {
  TempDir tmp("prep_images_links");
  std::string src = good_tree(tmp);
  // A symbolic link in another class.
  fs::create_symlink(src + "/train/a/0.png", src + "/train/b/link.png");
  expect_refused(src, tmp.str() + "/out", {src + "/train/a/0.png", src + "/train/b/link.png", "same file"});
  fs::remove(src + "/train/b/link.png");
  // A hard link across train/ and val/.
  fs::create_hard_link(src + "/train/b/1.png", src + "/val/a/hard.png");
  expect_refused(src, tmp.str() + "/out", {src + "/train/b/1.png", src + "/val/a/hard.png", "same file"});
}

TEST(PrepImagesBadInput, ClassFolderWithNoReadableImage) {
  TempDir tmp("prep_images_unreadable");
  const std::string src = good_tree(tmp);
  // One unreadable file among good ones is skipped and named ...
  write_text(src + "/train/a/broken.jpg", "\xFF\xD8\xFF\xE0 not really a JPEG");
  std::string log;
  ASSERT_EQ(run_command(tool() + " --src " + src + " --out " + tmp.str() + "/ok --size 4", &log), 0) << log;
  EXPECT_TRUE(contains(log, "1 skipped") && contains(log, "train/a/broken.jpg")) << log;
  const Manifest m = read_manifest(tmp.str() + "/ok/all");
  ASSERT_EQ(m.subsets.at("train").skipped.size(), 1u);
  EXPECT_TRUE(contains(m.subsets.at("train").skipped[0], "train/a/broken.jpg"));
  // ... but a class none of whose images decodes is refused before finalizing.
  for (int i = 0; i < 2; ++i) write_text(src + "/train/b/" + std::to_string(i) + ".png", "not a png");
  expect_refused(src, tmp.str() + "/out", {src + "/train/b", "no readable image"}, /*one_line=*/false);
  EXPECT_EQ(run_command(tool() + " --src " + src + " --out " + tmp.str() + "/out --size 4", &log), 1);
  EXPECT_TRUE(contains(log.substr(log.rfind('\n', log.size() - 2) + 1), src + "/train/b")) << "last line: " << log;
}

// A decompression bomb: a 16 x 16 progressive JPEG whose frame header is
// rewritten to claim 65,500 x 65,500 pixels (a few hundred bytes; decoded, its
// coefficients alone would take 19 GB). Run under a 3 GB address-space limit,
// so that a regression fails this test, not the machine: the file is skipped
// and named before any decoding, like an undecodable one, and the rest kept.
TEST(PrepImagesBadInput, DecompressionBombIsSkippedBeforeDecoding) {
  TempDir tmp("prep_images_bomb");
  const std::string src = good_tree(tmp);
  tjhandle tj = tjInitCompress();
  std::vector<uint8_t> px(16 * 16, 128);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  ASSERT_EQ(tjCompress2(tj, px.data(), 16, 0, 16, TJPF_GRAY, &buf, &size, TJSAMP_GRAY, 90, TJFLAG_PROGRESSIVE), 0);
  std::vector<uint8_t> jpeg(buf, buf + size);
  tjFree(buf);
  tjDestroy(tj);
  bool patched = false;
  for (size_t i = 2; i + 9 < jpeg.size() && !patched; ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC2) {  // SOF2: length, precision, height, width
      jpeg[i + 5] = jpeg[i + 7] = 0xFF;
      jpeg[i + 6] = jpeg[i + 8] = 0xDC;  // 0xFFDC = 65,500
      patched = true;
    }
  ASSERT_TRUE(patched);
  std::ofstream(src + "/train/a/bomb.jpg", std::ios::binary)
      .write(reinterpret_cast<const char*>(jpeg.data()), static_cast<std::streamsize>(jpeg.size()));
  std::string log;
  ASSERT_EQ(run_command(xfer::testing::memory_limit_prefix(3000) + tool() + " --src " + src + " --out " + tmp.str() + "/out --size 4 --seeds ''",
                        &log),
            0)
      << log;
  EXPECT_TRUE(contains(log, "1 skipped") && contains(log, "train/a/bomb.jpg")) << log;
  const Manifest m = read_manifest(tmp.str() + "/out/all");
  ASSERT_EQ(m.subsets.at("train").skipped.size(), 1u);
  EXPECT_TRUE(contains(m.subsets.at("train").skipped[0],
                       "JPEG: the header claims 65500 x 65500 pixels, above --max-pixels 100000000: not decoded"))
      << m.subsets.at("train").skipped[0];
  EXPECT_EQ(run_command(tool() + " --src " + src + " --out " + tmp.str() + "/out2 --max-pixels 0", &log), 2) << log;
  EXPECT_TRUE(contains(log, "--max-pixels must be at least 1, got 0")) << log;
}

// A JPEG cut in half: TurboJPEG warns and fills the missing half with gray;
// the file is skipped and named instead (exact and fast decoding alike).
TEST(PrepImagesBadInput, TruncatedJpegIsSkippedNotHalfStored) {
  TempDir tmp("prep_images_truncated");
  const std::string src = good_tree(tmp);
  tjhandle tj = tjInitCompress();
  std::vector<uint8_t> px(64 * 64 * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 2654435761u) >> 7);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  ASSERT_EQ(tjCompress2(tj, px.data(), 64, 0, 64, TJPF_RGB, &buf, &size, TJSAMP_420, 90, 0), 0);
  std::ofstream(src + "/train/b/half.jpg", std::ios::binary).write(reinterpret_cast<const char*>(buf),
                                                                     static_cast<std::streamsize>(size / 2));
  tjFree(buf);
  tjDestroy(tj);
  for (const char* exact : {"", " --exact-decode"}) {
    const std::string out = tmp.str() + "/out" + (*exact ? "-exact" : "");
    std::string log;
    ASSERT_EQ(run_command(tool() + " --src " + src + " --out " + out + " --size 4 --seeds ''" + exact, &log), 0) << log;
    const Manifest m = read_manifest(out + "/all");
    ASSERT_EQ(m.subsets.at("train").skipped.size(), 1u) << log;
    EXPECT_TRUE(contains(m.subsets.at("train").skipped[0], "train/b/half.jpg: JPEG: Premature end of JPEG file"))
        << m.subsets.at("train").skipped[0];
  }
}

// No val/ and a held-out share that rounds to no image of any class: refused
// at prep, naming the folder, not when a trainer finds no validation image.
TEST(PrepImagesBadInput, HeldOutShareThatHoldsOutNothing) {
  TempDir tmp("prep_images_no_val");
  const std::string src = good_tree(tmp);
  fs::remove_all(src + "/val");
  expect_refused(src, tmp.str() + "/out", {src + "/train", "--val-fraction 0.1 holds out no image of any class"});
  std::string log;
  EXPECT_EQ(run_command(tool() + " --src " + src + " --out " + tmp.str() + "/ok --size 4 --val-fraction 0.5 --seeds ''",
                        &log),
            0)
      << log;
}

namespace {

// The README's path for one's own images, end to end with the real tools:
// image folders -> xfer_prep_images (the store) -> a split definition file
// named in the grid config -> xfer_grid run (which makes the split's views)
// -> xfer_tables. Short training: the path is tested, not the numbers.
TEST(OwnData, PrepareDefineRunTabulate) {
  if (!fs::exists(std::string(kFmnist) + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << kFmnist << " absent (Debian: apt install dataset-fashion-mnist)";
  const int64_t take[2] = {1200, 300};
  TempDir tmp("own_data");
  const std::string src = tmp.str() + "/images", data = tmp.str() + "/data", results = tmp.str() + "/results";
  const FmnistPng png(src, take);
  std::string log;
  ASSERT_EQ(run_command(tool() + " --src " + src + " --out " + data + " --size 28 --channels 1 --seeds ''", &log), 0)
      << log;
  write_text(tmp.str() + "/garments.split", "# upper-body garments / the rest\nA = T-shirt_top, Pullover, Dress, Coat, Shirt\nB = rest\n");
  const std::string sets =
      " --set splits.garments=" + tmp.str() + "/garments.split --set base.splits=garments"
      " --set transfer.all.splits=garments --set transfer.all.n=1,7 --set solver.max_iter=40"
      " --set solver.lr_step=30 --set solver.test_interval=10 --set solver.snapshot_interval=20";
  ASSERT_EQ(run_command(bin_dir() + "/xfer_grid run --preset own-data --data " + data + " --results " + results +
                            sets + " -j 2 --quiet",
                        &log),
            0)
      << log;
  // The grid made the split's views from its definition: no image copied.
  const View a = read_view(data + "/garmentsA");
  EXPECT_EQ(a.class_names, (std::vector<std::string>{"Coat", "Dress", "Pullover", "Shirt", "T-shirt_top"}));
  EXPECT_EQ(a.split, "garments");
  EXPECT_FALSE(fs::exists(data + "/garmentsB/manifest.json"));
  for (const char* cell : {"garments-B-base", "garments-A-base", "garments-AB-n1-frozen", "garments-BB-n7-finetune"})
    EXPECT_TRUE(fs::exists(results + "/" + cell + "/result.json")) << cell;
  ASSERT_EQ(run_command(bin_dir() + "/xfer_tables --results " + results + " --table main table1", &log), 0) << log;
  EXPECT_TRUE(contains(log, "AnB")) << log;
}

}  // namespace
