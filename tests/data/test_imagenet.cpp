// test_imagenet.cpp: ImageNet preparation on a tiny generated tree of real
// files: RGB, grayscale and CMYK JPEGs, a PNG named .JPEG, a corrupt and an
// empty file; the warp; derived halves; parts; errors; the paper's label order.
#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "data_prep/image_codec.h"
#include "data_prep/imagenet_prep.h"
#include "data_prep/split_views.h"
#include "data_prep/split_writer.h"
#include "data_prep/splits.h"
#include "data_test_util.h"
#include "png_test_util.h"

using namespace xfer;
using namespace xfer::test;

namespace {

struct Rgb {
  uint8_t r, g, b;
};

void write_bytes(const std::string& path, const void* data, size_t n) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
}

// A solid-colour JPEG of w x h in the given pixel format (RGB, GRAY, CMYK).
void write_jpeg(const std::string& path, int w, int h, Rgb c, int pf = TJPF_RGB) {
  const int ps = tjPixelSize[pf];
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * ps);
  for (size_t i = 0; i < static_cast<size_t>(w) * h; ++i) {
    uint8_t* p = px.data() + i * ps;
    if (pf == TJPF_RGB) {
      p[0] = c.r, p[1] = c.g, p[2] = c.b;
    } else if (pf == TJPF_GRAY) {
      p[0] = c.r;
    } else {  // CMYK as Adobe writes it: inverted, 255 = no ink
      const int k = std::max({c.r, c.g, c.b});
      p[0] = static_cast<uint8_t>(k ? c.r * 255 / k : 0);
      p[1] = static_cast<uint8_t>(k ? c.g * 255 / k : 0);
      p[2] = static_cast<uint8_t>(k ? c.b * 255 / k : 0);
      p[3] = static_cast<uint8_t>(k);
    }
  }
  tjhandle tj = tjInitCompress();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  const int samp = pf == TJPF_GRAY ? TJSAMP_GRAY : TJSAMP_444;
  ASSERT_EQ(tjCompress2(tj, px.data(), w, 0, h, pf, &buf, &size, samp, 95, 0), 0)
      << tjGetErrorStr2(tj);
  write_bytes(path, buf, size);
  tjFree(buf);
  tjDestroy(tj);
}

// An RGB PNG of one colour.
void write_solid_png(const std::string& path, int w, int h, Rgb c) {
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * 3);
  for (size_t i = 0; i < px.size(); i += 3) px[i] = c.r, px[i + 1] = c.g, px[i + 2] = c.b;
  write_png(path, w, h, 3, px.data());
}

const std::vector<std::string> kWnids = {"n00000001", "n00000002", "n00000003", "n00000004"};
const Rgb kColours[] = {{200, 30, 40}, {20, 180, 60}, {30, 40, 210}, {120, 120, 20}};

// root/train/<wnid>/*.JPEG (4 per class + the special files in class 1),
// root/val/ILSVRC2012_val_0000000{1..6}.JPEG, root/val.txt.
struct Tree {
  TempDir tmp{"imagenet"};
  std::string root, val_txt;
  Tree() {
    root = tmp.str() + "/ilsvrc";
    for (size_t c = 0; c < kWnids.size(); ++c) {
      const std::string d = root + "/train/" + kWnids[c];
      fs::create_directories(d);
      const int sizes[4][2] = {{64, 48}, {300, 200}, {40, 90}, {700, 530}};
      for (int i = 0; i < 4; ++i)
        write_jpeg(d + "/" + kWnids[c] + "_" + std::to_string(i) + ".JPEG", sizes[i][0],
                   sizes[i][1], kColours[c]);
    }
    const std::string d1 = root + "/train/n00000002";
    write_jpeg(d1 + "/gray.JPEG", 50, 60, {90, 90, 90}, TJPF_GRAY);
    write_jpeg(d1 + "/cmyk.JPEG", 80, 60, {220, 20, 20}, TJPF_CMYK);
    write_solid_png(d1 + "/png.JPEG", 70, 50, {10, 220, 10});
    const char junk[] = "\xFF\xD8\xFF\xE0 this is not really a jpeg at all";
    write_bytes(d1 + "/corrupt.JPEG", junk, sizeof junk);
    write_bytes(d1 + "/empty.JPEG", "", 0);
    fs::create_directories(root + "/val");
    val_txt = tmp.str() + "/val.txt";
    std::ofstream v(val_txt);
    for (int i = 1; i <= 6; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "ILSVRC2012_val_%08d.JPEG", i);
      const int c = (i * 3) % 4;
      write_jpeg(root + "/val/" + name, 120, 100, kColours[c]);
      v << name << ' ' << c << '\n';
    }
  }
};

ImageNetLayoutOptions layout(const Tree& t) {
  ImageNetLayoutOptions o;
  o.root = t.root;
  o.val_labels = t.val_txt;
  return o;
}

ConvertOptions convert_opts(const std::string& out) {
  ConvertOptions c;
  c.out_root = out;
  c.size = 32;
  c.shard_size = 5;
  c.threads = 2;
  return c;
}

// The stored image with `key` in a folder's subset.
std::vector<uint8_t> image_by_key(const std::string& dir, const std::string& subset,
                                  const std::string& key) {
  Manifest m = read_manifest(dir);
  for (const auto& sh : m.subsets[subset].shards) {
    ShardReader r(dir + "/" + sh.file);
    auto keys = r.read_keys();
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) {
        std::vector<uint8_t> img(r.meta().image_bytes());
        r.read_images(static_cast<int64_t>(i), 1, img.data());
        return img;
      }
  }
  return {};
}

void expect_colour(const std::vector<uint8_t>& chw, Rgb c, int tol, const std::string& what) {
  ASSERT_FALSE(chw.empty()) << what << " not found";
  const size_t plane = chw.size() / 3;
  for (size_t p = 0; p < plane; p += 37) {
    EXPECT_NEAR(chw[p], c.r, tol) << what;
    EXPECT_NEAR(chw[plane + p], c.g, tol) << what;
    EXPECT_NEAR(chw[2 * plane + p], c.b, tol) << what;
  }
}

}  // namespace

TEST(ImageNetPrep, WarpKeepsSolidColoursAndSamplesPixelCentres) {
  RgbImage in;
  in.width = 2;
  in.height = 1;
  in.pixels = {0, 0, 0, 200, 100, 40};
  std::vector<uint8_t> out(3 * 4);
  resize_to_chw(in, 4, 1, out.data());
  // OpenCV INTER_LINEAR: x = (o + 0.5) / 2 - 0.5 -> -0.25 (clamped), 0.25, 0.75, 1.25.
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 50);
  EXPECT_EQ(out[2], 150);
  EXPECT_EQ(out[3], 200);
  EXPECT_EQ(out[4 + 2], 75);
  EXPECT_EQ(out[8 + 3], 40);
}

TEST(ImageNetPrep, FastPlanarWarpMatchesTheExactPath) {
  TempDir tmp("fastwarp");
  // A photo-like image: smooth colour gradients, in 4:2:0, 4:4:4 and gray.
  const int w = 613, h = 411;
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = px.data() + (static_cast<size_t>(y) * w + x) * 3;
      p[0] = static_cast<uint8_t>(x * 255 / w);
      p[1] = static_cast<uint8_t>(y * 255 / h);
      p[2] = static_cast<uint8_t>(128 + 100 * std::sin(x * 0.01 + y * 0.02));
    }
  tjhandle tj = tjInitCompress();
  for (int samp : {TJSAMP_420, TJSAMP_444, TJSAMP_422, TJSAMP_GRAY}) {
    unsigned char* buf = nullptr;
    unsigned long size = 0;
    ASSERT_EQ(tjCompress2(tj, px.data(), w, 0, h, TJPF_RGB, &buf, &size, samp, 95, 0), 0);
    std::vector<uint8_t> fast(3 * 64 * 64), exact(3 * 64 * 64);
    decode_and_warp(buf, size, 64, 64, fast.data(), true);
    decode_and_warp(buf, size, 64, 64, exact.data(), false);
    double sum = 0;
    int worst = 0;
    for (size_t i = 0; i < fast.size(); ++i) {
      const int d = std::abs(fast[i] - exact[i]);
      sum += d;
      worst = std::max(worst, d);
    }
    EXPECT_LT(sum / static_cast<double>(fast.size()), 2.0) << "subsampling " << samp;
    EXPECT_LE(worst, 24) << "subsampling " << samp;
    tjFree(buf);
  }
  tjDestroy(tj);
}

TEST(ImageNetPrep, ConvertsEveryKindAndSkipsTheUndecodable) {
  Tree t;
  const std::string out = t.tmp.str() + "/out";
  ImageNetSource src = scan_imagenet(layout(t));
  EXPECT_EQ(src.wnids, kWnids);
  EXPECT_EQ(src.train.size(), 21u);
  EXPECT_EQ(src.val.size(), 6u);
  ConvertReport rep = convert_imagenet(src, convert_opts(out));
  EXPECT_EQ(rep.converted, 19 + 6);
  ASSERT_EQ(rep.skipped.size(), 2u);
  EXPECT_TRUE(contains(rep.skipped[0], "train/n00000002/corrupt.JPEG")) << rep.skipped[0];
  EXPECT_TRUE(contains(rep.skipped[1], "train/n00000002/empty.JPEG")) << rep.skipped[1];
  Manifest all = finalize_imagenet_all(out);
  EXPECT_EQ(all.channels, 3);
  EXPECT_EQ(all.height, 32);
  EXPECT_EQ(all.subsets["train"].num_images, 19);
  EXPECT_EQ(all.subsets["train"].skipped.size(), 2u);
  EXPECT_EQ(all.subsets["train"].class_counts, (std::vector<int64_t>{4, 7, 4, 4}));
  EXPECT_EQ(all.subsets["val"].num_images, 6);
  EXPECT_EQ(all.subsets["train"].shards.size(), 5u);  // 21 planned in shards of 5
  const std::string dir = out + "/all";
  for (size_t c = 0; c < kWnids.size(); ++c)
    for (int i : {0, 3})
      expect_colour(image_by_key(dir, "train", "train/" + kWnids[c] + "/" + kWnids[c] + "_" +
                                                   std::to_string(i) + ".JPEG"),
                    kColours[c], 6, kWnids[c]);
  expect_colour(image_by_key(dir, "train", "train/n00000002/gray.JPEG"), {90, 90, 90}, 3, "gray");
  expect_colour(image_by_key(dir, "train", "train/n00000002/cmyk.JPEG"), {220, 20, 20}, 8, "cmyk");
  expect_colour(image_by_key(dir, "train", "train/n00000002/png.JPEG"), {10, 220, 10}, 0, "png");
  expect_colour(image_by_key(dir, "val", "val/ILSVRC2012_val_00000002.JPEG"), kColours[2], 6, "val");
  // The validation labels came from val.txt.
  ShardReader v(dir + "/val-00000.h5");
  EXPECT_EQ(v.read_labels(), (std::vector<int32_t>{3, 2, 1, 0, 3}));

  // Rerunning converts nothing again.
  const auto t0 = fs::last_write_time(dir + "/train-00000.h5");
  ConvertReport again = convert_imagenet(src, convert_opts(out));
  EXPECT_EQ(again.converted, 0);
  EXPECT_EQ(fs::last_write_time(dir + "/train-00000.h5"), t0);

  // Halves and a reduced set as views of "all": nothing decoded or copied again.
  finalize_imagenet_all(out);
  const StoreClasses classes = store_classes(out);
  const auto halves = make_split_views(out, builtin_split("half0", classes));
  const View& a = halves[0].view;
  const View& b = halves[1].view;
  EXPECT_EQ(a.num_images("train") + b.num_images("train"), 19);
  EXPECT_EQ(a.num_images("val") + b.num_images("val"), 6);
  EXPECT_EQ(a.class_ids.size(), 2u);
  const View k2 = make_split_views(out, builtin_split("all-k2", classes))[0].view;
  EXPECT_EQ(k2.name, "all-k2");
  EXPECT_EQ(k2.class_counts.at("train"), (std::vector<int64_t>{2, 2, 2, 2}));
  EXPECT_EQ(k2.num_images("val"), 6);
  EXPECT_FALSE(fs::exists(out + "/half0A/train-00000.h5"));
}

TEST(ImageNetPrep, PartsWriteDisjointShards) {
  Tree t;
  const std::string out = t.tmp.str() + "/parts";
  ImageNetSource src = scan_imagenet(layout(t));
  ConvertOptions o = convert_opts(out);
  o.parts = 2;
  o.part = 0;
  convert_imagenet(src, o);
  EXPECT_TRUE(fs::exists(out + "/all/train-00000.h5"));
  EXPECT_FALSE(fs::exists(out + "/all/train-00001.h5"));
  std::string e = error_of([&] { finalize_imagenet_all(out); });
  EXPECT_TRUE(contains(e, "train-00001.h5") && contains(e, "missing shard")) << e;
  o.part = 1;
  convert_imagenet(src, o);
  Manifest m = finalize_imagenet_all(out);
  EXPECT_EQ(m.subsets["train"].num_images, 19);
  EXPECT_EQ(m.subsets["val"].num_images, 6);
}

TEST(ImageNetPrep, DevkitGroundTruthGivesTheSameLabels) {
  Tree t;
  // The devkit numbers classes in its own order; here reversed.
  const std::string ids = t.tmp.str() + "/devkit_synsets.txt";
  const std::string gt = t.tmp.str() + "/ILSVRC2012_validation_ground_truth.txt";
  {
    std::ofstream s(ids);
    for (auto it = kWnids.rbegin(); it != kWnids.rend(); ++it) s << *it << '\n';
    std::ofstream g(gt);
    for (int i = 1; i <= 6; ++i) g << (4 - (i * 3) % 4) << '\n';
  }
  ImageNetLayoutOptions o = layout(t);
  const ImageNetSource by_txt = scan_imagenet(o);
  o.val_labels.clear();
  o.val_ground_truth = gt;
  o.devkit_synsets = ids;
  const ImageNetSource by_gt = scan_imagenet(o);
  ASSERT_EQ(by_gt.val.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(by_gt.val[i].label, by_txt.val[i].label);
    EXPECT_EQ(by_gt.val[i].key, by_txt.val[i].key);
  }
  o.devkit_synsets.clear();
  EXPECT_THROW(scan_imagenet(o), std::runtime_error);
}

TEST(ImageNetPrep, Errors) {
  Tree t;
  ImageNetLayoutOptions o = layout(t);
  o.root = t.tmp.str() + "/nowhere";
  std::string e = error_of([&] { scan_imagenet(o); });
  EXPECT_TRUE(contains(e, "nowhere") && contains(e, "missing")) << e;
  // A class the synsets file names but the tree lacks.
  o = layout(t);
  o.synsets = t.tmp.str() + "/synsets.txt";
  {
    std::ofstream s(o.synsets);
    for (const auto& w : kWnids) s << w << '\n';
    s << "n09999999\n";
  }
  e = error_of([&] { scan_imagenet(o); });
  EXPECT_TRUE(contains(e, "n09999999") && contains(e, "missing class folder")) << e;
  // A validation label out of range, and a listed validation file that is absent.
  o = layout(t);
  std::ofstream(t.val_txt, std::ios::app) << "ILSVRC2012_val_00000001.JPEG 4\n";
  e = error_of([&] { scan_imagenet(o); });
  EXPECT_TRUE(contains(e, "val.txt") && contains(e, "out of range")) << e;
  std::ofstream(t.val_txt) << "ILSVRC2012_val_00000099.JPEG 1\n";
  e = error_of([&] { scan_imagenet(o); });
  EXPECT_TRUE(contains(e, "ILSVRC2012_val_00000099.JPEG") && contains(e, "missing")) << e;
}

TEST(ImageNetPrep, ToolRunsAndReports) {
  Tree t;
  const std::string tool = bin_dir() + "/xfer_prep_imagenet";
  if (!fs::exists(tool)) GTEST_SKIP() << tool << " not built";
  std::string out;
  const std::string dest = t.tmp.str() + "/tool";
  ASSERT_EQ(run_command(tool + " --src " + t.root + " --out " + dest + " --val-labels " +
                            t.val_txt + " --seeds 0,1 --reduced 1 --size 24 --shard-size 8 "
                            "--threads 2",
                        &out),
            0)
      << out;
  EXPECT_TRUE(contains(out, "2 skipped")) << out;
  EXPECT_TRUE(contains(out, "corrupt.JPEG")) << out;
  EXPECT_TRUE(fs::exists(dest + "/all/manifest.json"));
  for (const char* f : {"half0A", "half0B", "half1A", "half1B", "all-k1"})
    EXPECT_TRUE(fs::exists(dest + "/" + f + "/view.json")) << f;
  EXPECT_EQ(read_view(dest + "/all-k1").num_images("train"), 4);
  EXPECT_NE(run_command(tool + " --src " + t.tmp.str() + "/nowhere --out " + dest, &out), 0);
  EXPECT_TRUE(contains(out, "nowhere") && contains(out, "missing")) << out;
  ASSERT_EQ(run_command(tool + " --help", &out), 0);
  EXPECT_TRUE(contains(out, "--parts")) << out;
  // Without validation labels every split would have no validation images and
  // each cell would fail only when it first tests: refused unless asked.
  const std::string bare = tool + " --src " + t.root + " --out " + t.tmp.str() + "/noval" +
                           " --seeds 0 --size 24 --shard-size 8 --threads 2";
  EXPECT_NE(run_command(bare, &out), 0);
  EXPECT_TRUE(contains(out, "no validation labels given") && contains(out, "--val-labels")) << out;
  EXPECT_FALSE(fs::exists(t.tmp.str() + "/noval/all/manifest.json"));
  ASSERT_EQ(run_command(bare + " --no-val", &out), 0) << out;
  EXPECT_TRUE(fs::exists(t.tmp.str() + "/noval/half0A/view.json"));
}

TEST(ImageNetPrep, ToolPartsFromSlurmEnvironmentThenDerive) {
  Tree t;
  const std::string tool = bin_dir() + "/xfer_prep_imagenet";
  if (!fs::exists(tool)) GTEST_SKIP() << tool << " not built";
  const std::string dest = t.tmp.str() + "/slurm";
  const std::string args = " --src " + t.root + " --out " + dest + " --val-labels " + t.val_txt +
                           " --size 16 --shard-size 4 --threads 1";
  std::string out;
  // Without --stage, several parts are refused: "all" needs every part first.
  EXPECT_NE(run_command("SLURM_PROCID=0 SLURM_NTASKS=2 " + tool + args, &out), 0);
  EXPECT_TRUE(contains(out, "--stage convert")) << out;
  for (int part : {1, 0, 2}) {
    const int rc = run_command("SLURM_PROCID=" + std::to_string(part) + " SLURM_NTASKS=3 " + tool +
                                   args + " --stage convert",
                               &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_TRUE(contains(out, "part " + std::to_string(part) + "/3")) << out;
  }
  ASSERT_EQ(run_command(tool + args + " --stage derive --seeds 0 --list mine:" + t.tmp.str() +
                            "/a.txt:" + t.tmp.str() + "/b.txt",
                        &out),
            1)
      << out;  // the list files do not exist yet
  EXPECT_TRUE(contains(out, "a.txt")) << out;
  std::ofstream(t.tmp.str() + "/a.txt") << "n00000001\nn00000003\n";
  std::ofstream(t.tmp.str() + "/b.txt") << "1\n3\n";
  ASSERT_EQ(run_command(tool + args + " --stage derive --seeds 0 --list mine:" + t.tmp.str() +
                            "/a.txt:" + t.tmp.str() + "/b.txt",
                        &out),
            0)
      << out;
  Manifest all = read_manifest(dest + "/all");
  EXPECT_EQ(all.subsets["train"].num_images, 19);
  EXPECT_EQ(all.subsets["train"].shards.size(), 6u);
  const View mine = read_view(dest + "/mineA");
  EXPECT_EQ(mine.class_names, (std::vector<std::string>{"n00000001", "n00000003"}));
  EXPECT_EQ(mine.num_images("train"), 8);
  EXPECT_TRUE(fs::exists(dest + "/half0B/mean.h5"));
}

TEST(ImageNetPrep, PaperLabelOrderIsTheSortedFolderOrder) {
  const std::string paper = paper_dir();
  if (paper.empty()) GTEST_SKIP() << "../shared/paper not present";
  TempDir tmp("order");
  std::vector<std::string> wnids;
  {
    std::ifstream in(paper + "/ilsvrc12/synsets.txt");
    std::string w;
    while (in >> w) wnids.push_back(w);
  }
  ASSERT_EQ(wnids.size(), 1000u);
  // Folders created in a shuffled order, one tiny image each.
  std::vector<std::string> shuffled = wnids;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(5));
  const std::string root = tmp.str() + "/ilsvrc";
  for (const auto& w : shuffled) {
    fs::create_directories(root + "/train/" + w);
    write_jpeg(root + "/train/" + w + "/" + w + "_1.JPEG", 8, 8, {1, 2, 3});
  }
  // The first validation images of the real set, with their labels.
  fs::create_directories(root + "/val");
  std::vector<int32_t> want;
  {
    std::ifstream in(paper + "/ilsvrc12/val.txt");
    std::ofstream out(tmp.str() + "/val.txt");
    std::string f;
    int l;
    for (int i = 0; i < 20 && in >> f >> l; ++i) {
      write_jpeg(root + "/val/" + f, 8, 8, {1, 2, 3});
      out << f << ' ' << l << '\n';
      want.push_back(l);
    }
  }
  ImageNetLayoutOptions o;
  o.root = root;
  o.val_labels = tmp.str() + "/val.txt";
  o.words = paper + "/ilsvrc12/synset_words.txt";
  ImageNetSource s = scan_imagenet(o);
  EXPECT_EQ(s.wnids, wnids);
  ASSERT_EQ(s.val.size(), 20u);
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(s.val[i].label, want[i]);
  EXPECT_EQ(s.val[0].label, 65);
  // Natural / man-made boundaries land on the expected classes.
  SplitDef nm = natman_split();
  EXPECT_TRUE(contains(s.names[static_cast<size_t>(nm.views[0].class_ids.front())], "tench"));
  EXPECT_TRUE(contains(s.names[static_cast<size_t>(nm.views[1].class_ids.front())], "abacus"));
  EXPECT_TRUE(contains(s.names[970], "alp"));
  EXPECT_TRUE(contains(s.names[971], "bubble"));
}
