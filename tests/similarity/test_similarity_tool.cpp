// test_similarity_tool.cpp: xfer_similarity on real networks and data:
// Fashion-MNIST converted by xfer_prep_fmnist, two bases and a frozen transfer
// trained by xfer_train. The tool's CKA against the trainer's own forward pass
// and the plain formula; the boundary is the transfer's cut; the same digits
// for the same threads; every bad input named in one line; the grid mode's
// files, its cache, a missing base, and the analysis refusing a stale file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "data/shard_source.h"
#include "data/data_test_util.h"
#include "net/checkpoint.h"
#include "similarity/plain_cka.h"

namespace fs = std::filesystem;

namespace xfer {
namespace {

const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

using Pair = std::pair<int, int>;

// The CSV's CKA by (layer_a, layer_b).
std::map<Pair, double> parse_csv(const std::string& csv) {
  std::map<Pair, double> m;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "net_a,net_b,layer_a,layer_b,images,cka");
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    if (f.size() == 6) m[{std::stoi(f[2]), std::stoi(f[3])}] = std::stod(f[5]);
  }
  return m;
}

class SimilarityTool : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(kFashion)) return;
    scratch_ = new testing::TempDir("similarity");
    const std::string d = dir(), bin = testing::bin_dir();
    ASSERT_EQ(sh(bin + "/xfer_prep_fmnist --out " + d + "/data"), 0);
    const std::string common = " --network small --threads 1 --max-iter 60 --batch 32 --test-interval 30 "
                               "--test-batches 4 --display 60";
    ASSERT_EQ(sh(bin + "/xfer_train" + common + " --data " + d + "/data/half0A --cell-id half0-A-base --out " +
                 d + "/R/half0-A-base"), 0);
    ASSERT_EQ(sh(bin + "/xfer_train" + common + " --data " + d + "/data/half0B --cell-id half0-B-base --out " +
                 d + "/R/half0-B-base"), 0);
    ASSERT_EQ(sh(bin + "/xfer_train" + common + " --data " + d + "/data/half0B --cell-id half0-AB-n3-frozen --out " +
                 d + "/R/half0-AB-n3-frozen --base " + d + "/R/half0-A-base/final.h5 --transfer-n 3 "
                 "--transfer-mode frozen"), 0);
  }
  static void TearDownTestSuite() {
    delete scratch_;
    scratch_ = nullptr;
  }
  void SetUp() override {
    if (!fs::exists(kFashion)) GTEST_SKIP() << kFashion << " is absent (apt-get install dataset-fashion-mnist)";
  }
  static int sh(const std::string& cmd) { return testing::run_command(cmd, nullptr); }
  static std::string dir() { return scratch_->str(); }
  static std::string net(const std::string& cell) { return dir() + "/R/" + cell + "/final.h5"; }
  // xfer_similarity with `args`; its exit status, stdout and stderr.
  static testing::Outcome similarity(const std::string& args) {
    return testing::run_command(testing::bin_dir() + "/xfer_similarity " + args);
  }
  static testing::TempDir* scratch_;
};
testing::TempDir* SimilarityTool::scratch_ = nullptr;

// The representations at every boundary of the first `images` validation
// images of `data`, minibatch by minibatch, by the trainer's Net forward.
std::vector<std::vector<std::vector<float>>> trainer_representations(const std::string& ckpt, const std::string& data,
                                                                     int images, int batch) {
  const TrainState st = read_checkpoint_state(ckpt);
  auto be = make_backend("cpu", 0, 1);
  Net net(*be, net_preset(st.preset), batch, st.num_outputs);
  load_checkpoint(ckpt, net);
  ShardSourceOptions o;
  o.dir = data;
  o.subset = "val";
  o.crop = net.spec().crop;
  o.mirror = false;
  o.mean = MeanImage{st.mean_c, st.mean_h, st.mean_w, st.mean};
  auto src = open_eval_shards(o);
  std::vector<std::vector<std::vector<float>>> out;  // [minibatch][boundary][image * features]
  HostBatch b;
  for (int done = 0; done < images; done += batch) {
    EXPECT_TRUE(src->next(batch, b));
    std::fill(b.labels.begin(), b.labels.end(), 0);
    PassContext test;
    test.train = false;
    net.forward(b, test);
    std::vector<std::vector<float>> layers;
    for (int n = 1; n <= net.boundary_count(); ++n) {
      std::vector<float> v(net.boundary(n).count());
      be->download(v.data(), net.boundary(n).data(), v.size() * sizeof(float));
      layers.push_back(std::move(v));
    }
    out.push_back(std::move(layers));
  }
  return out;
}

TEST_F(SimilarityTool, MatchesTheTrainersForwardPassAndThePlainFormula) {
  const int images = 100, batch = 50;
  const std::string data = dir() + "/data/all";
  const testing::Outcome r = similarity(net("half0-A-base") + " " + net("half0-B-base") + " --data " + data +
                                     " --images 100 --batch 50 --format csv --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto tool = parse_csv(r.out);
  ASSERT_EQ(tool.size(), 64u);
  const auto a = trainer_representations(net("half0-A-base"), data, images, batch);
  const auto b = trainer_representations(net("half0-B-base"), data, images, batch);
  // What fc6 receives: pool5's 64 x 3 x 3; what fc8 receives: fc7's 256; the logits: 5.
  EXPECT_EQ(a[0][4].size(), size_t(batch) * 576);
  EXPECT_EQ(a[0][6].size(), size_t(batch) * 256);
  EXPECT_EQ(a[0][7].size(), size_t(batch) * 5);
  for (int la : {1, 3, 5, 8})
    for (int lb : {1, 4, 7, 8}) {
      test::PlainCkaSums s;
      for (size_t m = 0; m < a.size(); ++m) {
        const int da = int(a[m][la - 1].size() / batch), db = int(b[m][lb - 1].size() / batch);
        s.add(a[m][la - 1], da, b[m][lb - 1], db, batch);
      }
      EXPECT_NEAR(tool.at({la, lb}), s.cka(), 1e-5) << "layers " << la << ", " << lb;
    }
}

TEST_F(SimilarityTool, AFrozenTransferIsItsSourceUpToItsCut) {
  const testing::Outcome r = similarity(net("half0-A-base") + " " + net("half0-AB-n3-frozen") + " --data " + dir() +
                                     "/data/all --images 200 --batch 100 --format csv");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto m = parse_csv(r.out);
  for (int n = 1; n <= 3; ++n) EXPECT_NEAR(m.at({n, n}), 1.0, 1e-9) << "boundary " << n;
  for (int n = 4; n <= 8; ++n) EXPECT_LT(m.at({n, n}), 0.9999) << "boundary " << n;
}

TEST_F(SimilarityTool, TheSameThreadsGiveTheSameDigitsOthersAgreeWithin1e6) {
  const std::string args = net("half0-A-base") + " " + net("half0-B-base") + " --data " + dir() +
                           "/data/all --images 200 --batch 40 --format csv --threads ";
  const testing::Outcome one = similarity(args + "1"), again = similarity(args + "1"), two = similarity(args + "2");
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_EQ(one.out, again.out);
  const auto a = parse_csv(one.out), b = parse_csv(two.out);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, v] : a) EXPECT_NEAR(v, b.at(k), 1e-6);
}

// ---------------------------------------------------------------------------
// Bad input: one line naming what is wrong.

void expect_error(const testing::Outcome& r, int code, const std::vector<std::string>& parts) {
  EXPECT_EQ(r.code, code) << r.out << r.err;
  for (const auto& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << "'" << p << "' not in: " << r.err;
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
}

TEST_F(SimilarityTool, RefusesNetworksOfDifferentInputsNamingBoth) {
  const std::string other = dir() + "/other_input.h5";
  fs::copy_file(net("half0-B-base"), other, fs::copy_options::overwrite_existing);
  const std::string py = test::python_with("h5py");
  if (py.empty()) GTEST_SKIP() << "no python3 with h5py";
  ASSERT_EQ(sh(py + " -c \"import h5py; f = h5py.File('" + other + "', 'r+'); f.attrs['preset'] = 'caffenet'\""), 0);
  expect_error(similarity(net("half0-A-base") + " " + other + " --data " + dir() + "/data/all"), 1,
               {net("half0-A-base") + " (preset small) takes 1x24x24", other + " (preset caffenet) takes 3x227x227",
                "cannot see the same images"});
}

TEST_F(SimilarityTool, RefusesAFolderWhoseImagesDoNotFitTheNetwork) {
  test::make_synthetic_folder(dir(), "rgb", 16, 40, 3, 28, 28);
  expect_error(similarity(net("half0-A-base") + " " + net("half0-B-base") + " --data " + dir() + "/rgb --images 20 --batch 10"),
               1, {dir() + "/rgb: mean image is 1x28x28, the images are 3x28x28", "(preset small) takes 1x24x24 crops"});
}

TEST_F(SimilarityTool, SaysHowManyImagesTheFolderHas) {
  expect_error(similarity(net("half0-A-base") + " " + net("half0-B-base") + " --data " + dir() +
                          "/data/all --images 20000 --batch 500"),
               1, {dir() + "/data/all has 10000 validation images; --images 20000 asks for more"});
}

TEST_F(SimilarityTool, NamesADamagedCheckpoint) {
  const std::string cut = dir() + "/cut.h5";
  fs::copy_file(net("half0-B-base"), cut, fs::copy_options::overwrite_existing);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  const testing::Outcome r = similarity(net("half0-A-base") + " " + cut + " --data " + dir() + "/data/all");
  expect_error(r, 1, {cut});
}

TEST_F(SimilarityTool, RefusesMinibatchesTooSmallForTheEstimator) {
  const std::string nets = net("half0-A-base") + " " + net("half0-B-base") + " --data " + dir() + "/data/all";
  expect_error(similarity(nets + " --images 100 --batch 3"), 2, {"--batch 3: the unbiased HSIC needs minibatches of 4"});
  expect_error(similarity(nets + " --images 102 --batch 50"), 1,
               {"--images 102 leaves a last minibatch of 2 images (of 50)"});
}

// ---------------------------------------------------------------------------
// A grid's results.

TEST_F(SimilarityTool, ResultsFolderCachesRecomputesAndLeavesOutWhatIsMissing) {
  const std::string R = dir() + "/grid";
  fs::remove_all(R);
  fs::copy(dir() + "/R", R, fs::copy_options::recursive);
  const std::string args = "--results " + R + " --images 100 --batch 50";
  testing::Outcome r = similarity(args);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3 computed, 0 kept"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("on the first 100 validation images of " + fs::canonical(dir() + "/data/all").string()),
            std::string::npos) << r.out;
  for (const char* c : {"half0-A-base", "half0-B-base", "half0-AB-n3-frozen"})
    EXPECT_TRUE(fs::exists(R + "/" + c + "/similarity.json")) << c;
  r = similarity(args);
  EXPECT_NE(r.out.find("0 computed, 3 kept"), std::string::npos) << r.out;

  // The analysis prints the profile from those files.
  testing::Outcome t = testing::run_command(testing::bin_dir() + "/xfer_tables --results " + R + " --table generality representations");
  ASSERT_EQ(t.code, 0) << t.out << t.err;
  EXPECT_NE(t.out.find("| half0 | 1 | 100 |"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("| half0-AB-n3-frozen | 3 | 1.0000 |"), std::string::npos) << t.out;

  // Another image count is another measurement: recomputed, never mixed.
  r = similarity("--results " + R + " --images 150 --batch 50");
  EXPECT_NE(r.out.find("3 computed, 0 kept"), std::string::npos) << r.out;

  // A result retrained since (its identity changed): its comparisons are stale, left out by name.
  const std::string result = R + "/half0-B-base/result.json";
  std::ifstream in(result);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  in.close();
  const std::string hash = nlohmann::json::parse(text)["config_hash"];
  text.replace(text.find(hash), hash.size(), "0123456789abcdef");
  std::ofstream(result) << text;
  t = testing::run_command(testing::bin_dir() + "/xfer_tables --results " + R + " --table generality");
  EXPECT_NE(t.err.find("its other_base comparison with half0-B-base is stale (half0-B-base was trained again since)"),
            std::string::npos) << t.err;
  EXPECT_EQ(t.out.find("| half0 | 1 |"), std::string::npos) << t.out;

  // A base missing: its pairs left out, each said in one line; the rest computed.
  fs::remove_all(R + "/half0-B-base");
  r = similarity("--results " + R + " --images 100 --batch 50");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("half0-A-base: no finished half0-B-base: its other_base comparison is left out"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("half0-AB-n3-frozen: no finished half0-B-base: its target_base comparison is left out"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 comparison(s) left out"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace xfer
