// test_faults_views.cpp: bad views and stores, each refused in one line
// naming the file or the class: a store that changed since the view was
// made, a class the store lacks or named twice, a class with no training
// image, an older version's store, a folder of its own shards, a missing
// store, a damaged view.json or mean.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "views_fixture.h"

namespace xfer::test {
namespace {

TEST_F(Views, FaultStoreChangedSinceTheViewWasMade) {
  make_view(root(), {"test", "", {}, "test=/defs/test.split"}, {"viewA", {100, 102}, 0});
  // The store converted again from other images: its identity changes.
  fs::remove_all(root() + "/all");
  make_synthetic_folder(root(), "all", 91, 30, kClasses);
  const std::string e = error_of([&] { read_all(root() + "/viewA", "train"); });
  EXPECT_TRUE(contains(e, root() + "/viewA/view.json: the store " + root() + "/all changed since this view was made")) << e;
  EXPECT_TRUE(contains(e, "make the view again: xfer_make_views --data " + root() + " --split test=/defs/test.split")) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_FALSE(view_is_current(root(), {"viewA", {100, 102}, 0}));
  make("viewA", {100, 102});  // made again, it opens
  EXPECT_EQ(read_all(root() + "/viewA", "train").labels.size(), 36u);
}

TEST_F(Views, FaultClassTheStoreDoesNotHave) {
  const std::string e = error_of([&] { make("viewA", {100, 107}); });
  EXPECT_TRUE(contains(e, root() + "/viewA: split test names class 107, which the store " + root() +
                              "/all does not have")) << e;
  EXPECT_FALSE(fs::exists(root() + "/viewA/view.json"));
}

TEST_F(Views, FaultClassNamedTwice) {
  const std::string e = error_of([&] { make("viewA", {100, 102, 100}); });
  EXPECT_TRUE(contains(e, "names class 100 twice")) << e;
}

TEST_F(Views, FaultClassWithNoTrainingImage) {
  TempDir t("views_empty");
  ShardMeta meta{"synthetic", "all", "train", 3, 8, 8, {0, 1, 2}, {"a", "b", "c"}};
  write_planned_shards(t.str() + "/all", meta, 20, 10, 0, 1, [&](int64_t first, int64_t n, ShardWriter& w) {
    for (int64_t i = first; i < first + n; ++i) w.add(synthetic_image(i, 8, 8).data(), static_cast<int32_t>(i % 2), 0, "k");
  });
  finalize_split_dir(t.str() + "/all", "{}");
  const std::string e = error_of([&] { make_view(t.str(), {"bc", "", {}, ""}, {"bc", {1, 2}, 0}); });
  EXPECT_TRUE(contains(e, t.str() + "/bc: class c (2) has no training image in " + t.str() + "/all")) << e;
  EXPECT_FALSE(fs::exists(t.str() + "/bc"));
}

TEST_F(Views, FaultStoreOfAnOlderVersionSaysWhatToRun) {
  const std::string identity = data_folder_identity(root() + "/all");
  auto j = nlohmann::json::parse(read_file(root() + "/all/manifest.json"));
  j["schema_version"] = 1;
  for (auto& sh : j["subsets"]["train"]["shards"]) sh.erase("class_counts");
  std::ofstream(root() + "/all/manifest.json") << j.dump();
  const std::string e = error_of([&] { make("viewA", {100}); });
  EXPECT_TRUE(contains(e, root() + "/all/manifest.json: schema version 1")) << e;
  EXPECT_TRUE(contains(e, "rerun the prep tool that made it")) << e;
  // As a folder of its own shards, the older store still trains as it is,
  // with the same identity (rewriting its manifest leaves cells done).
  EXPECT_EQ(read_all(root() + "/all", "train").labels.size(), 90u);
  EXPECT_EQ(data_folder_identity(root() + "/all"), identity);
}

TEST_F(Views, FaultFolderHoldingItsOwnShardsIsNotReplaced) {
  const std::string before = read_file(root() + "/copyA/manifest.json");
  const std::string e = error_of([&] { make("copyA", {100}); });
  EXPECT_TRUE(contains(e, root() + "/copyA: holds shards of its own")) << e;
  EXPECT_EQ(read_file(root() + "/copyA/manifest.json"), before);
}

// Numbers in a manifest that no writer gives: a fractional class id (read
// as 8 before), a negative count, a side of a million pixels. Each refused
// naming the file and the field.
TEST_F(Views, FaultManifestNumbersOutOfKind) {
  const std::string path = root() + "/all/manifest.json";
  const nlohmann::json good = nlohmann::json::parse(read_file(path));
  auto refusal = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = good;
    edit(j);
    std::ofstream(path) << j.dump(1);
    return error_of([&] { read_manifest(root() + "/all"); });
  };
  std::string e = refusal([](nlohmann::json& j) { j["class_ids"][0] = 8.9; });
  EXPECT_TRUE(contains(e, path + ": bad manifest: class_ids[0] is 8.9, not a whole number")) << e;
  e = refusal([](nlohmann::json& j) { j["subsets"]["train"]["num_images"] = -5; });
  EXPECT_TRUE(contains(e, "train.num_images is -5, outside 0..")) << e;
  e = refusal([](nlohmann::json& j) { j["height"] = 1000000; });
  EXPECT_TRUE(contains(e, "height is 1000000, outside 1..65535")) << e;
  // A shard's class count past any integer (found by fuzz_manifest): refused, not converted.
  e = refusal([](nlohmann::json& j) { j["subsets"]["train"]["shards"][0]["class_counts"][0][1] = 1.00089e51; });
  EXPECT_TRUE(contains(e, "class_counts[0] count is 1.00089e+51, not a whole number")) << e;
  e = refusal([](nlohmann::json& j) { j["subsets"]["train"]["shards"][0]["class_counts"][0] = 7; });
  EXPECT_TRUE(contains(e, "class_counts[0] is 7, not [class, count]")) << e;
  std::ofstream(path) << good.dump(1);
  EXPECT_EQ(error_of([&] { read_manifest(root() + "/all"); }), "");
}

TEST_F(Views, FaultMissingStoreOrDamagedView) {
  make("viewA", {100, 102});
  std::string e = error_of([&] { read_all(root() + "/nope", "train"); });
  EXPECT_TRUE(contains(e, root() + "/nope: missing data directory")) << e;
  std::ofstream(root() + "/afile") << "not a folder";
  e = error_of([&] { read_all(root() + "/afile", "train"); });
  EXPECT_TRUE(contains(e, root() + "/afile: a file, not a data directory")) << e;
  std::ofstream(root() + "/viewA/view.json") << "{\"schema_version\": 2";
  e = error_of([&] { read_all(root() + "/viewA", "train"); });
  EXPECT_TRUE(contains(e, root() + "/viewA/view.json: bad view definition")) << e;
  make("viewB", {101});
  fs::rename(root() + "/all", root() + "/moved");
  e = error_of([&] { read_all(root() + "/viewB", "train"); });
  EXPECT_TRUE(contains(e, root() + "/viewB/view.json: its store " + root() + "/all is missing")) << e;
}

TEST_F(Views, FaultDamagedMeanIsRefused) {
  make("viewA", {100, 102});
  {
    std::fstream f(root() + "/viewA/mean.h5", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-8, std::ios::end);
    f.put('\x5a');
  }
  const std::string e = error_of([&] { read_mean_image(root() + "/viewA"); });
  EXPECT_TRUE(contains(e, root() + "/viewA/mean.h5")) << e;
  EXPECT_TRUE(contains(e, "checksum")) << e;
}

}  // namespace
}  // namespace xfer::test
