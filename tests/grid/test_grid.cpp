// test_grid.cpp: the grid presets enumerate the cells they promise, with
// dependencies on exactly their bases; configs check their keys; overrides and
// the resolved INI give back the same grid.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <set>

#include "config/train_config.h"
#include "grid/cell_trainer.h"
#include "grid/grid_keys.h"
#include "grid/grid.h"
#include "grid/grid_config.h"

namespace xfer {
namespace {

std::string grids_dir() {
  const char* src = std::getenv("XFER_SOURCE_DIR");
  return std::string(src ? src : ".") + "/jobs/grids";
}

Grid preset(const std::string& name, const std::vector<std::string>& sets = {}) {
  return enumerate_grid(load_grid_config(preset_path(name, grids_dir()), sets));
}

std::map<std::string, int> count_by(const Grid& g) {
  std::map<std::string, int> m;
  for (const auto& c : g.cells) {
    switch (c.cell.kind) {
      case CellKind::Base: m[c.cell.reduced_k ? "reduced" : "base"]++; break;
      case CellKind::Transfer: m[to_string(c.cell.mode)]++; break;
      case CellKind::Random: m["random"]++; break;
      case CellKind::Continued: m["continued"]++; break;
    }
  }
  return m;
}

TEST(Grid, PaperPresetIsTheReleasedGrid) {
  Grid g = preset("paper");
  ASSERT_EQ(g.cells.size(), 170u);
  auto m = count_by(g);
  EXPECT_EQ(m["base"], 11);       // half0..3 A/B, natman A/B, all
  EXPECT_EQ(m["reduced"], 12);
  EXPECT_EQ(m["frozen"], 84 + 14);
  EXPECT_EQ(m["finetune"], 42);
  EXPECT_EQ(m["random"], 7);
  for (const char* id : {"half0-A-base", "half3-B-base", "natman-A-base", "all-base",
                         "all-base-k1300", "half2-AA-n1-frozen", "half3-BA-n7-frozen",
                         "natman-AB-n4-frozen", "half1-AB-n7-finetune", "all-random-n7"})
    EXPECT_NE(g.find(id), nullptr) << id;
  for (const char* id : {"half2-AB-n1-finetune", "natman-AA-n1-frozen", "half0-BB-n1-frozen",
                         "half0-A-random-n1", "natman-AB-n1-finetune"})
    EXPECT_EQ(g.find(id), nullptr) << id;
  EXPECT_EQ(g.config.fc8_outputs, 1000);
  EXPECT_EQ(g.config.backend, "cuda");
  const GridCell* k = g.find("all-base-k25");
  EXPECT_EQ(k->solver.max_iter, 200000);
  EXPECT_EQ(k->solver.lr_step, 64000);
  EXPECT_DOUBLE_EQ(k->solver.base_lr, 0.0125);
  EXPECT_EQ(g.find("half0-A-base")->solver.max_iter, 450000);
}

TEST(Grid, TransfersDependOnExactlyTheirBaseWhichComesFirst) {
  for (const char* name : {"paper", "complete", "fashion-mnist", "fashion-mnist-converged", "fashion-mnist-resnet",
                           "resnet-imagenet"}) {
    Grid g = preset(name);
    std::set<std::string> ids;
    for (const auto& c : g.cells) {
      EXPECT_TRUE(ids.insert(c.id).second) << "duplicate " << c.id;
      EXPECT_EQ(parse_cell_id(c.id).value().id(), c.id);
      if (c.cell.needs_base()) {  // a transfer or a continued base
        ASSERT_EQ(c.deps.size(), 1u) << c.id;
        const GridCell& base = g.cells[c.deps[0]];
        EXPECT_EQ(base.id, c.cell.base_of_source().id());
        EXPECT_LT(base.index, c.index);
      } else {
        EXPECT_TRUE(c.deps.empty()) << c.id;
      }
      EXPECT_EQ(g.cells[c.index].id, c.id);
      EXPECT_GT(c.cost_hours, 0);
    }
  }
}

TEST(Grid, CompleteAndFashionMnistCoverEveryDirectionAndMode) {
  Grid c = preset("complete");
  for (const char* id : {"half3-BB-n7-finetune-s2", "natman-BA-n1-finetune-s1", "natman-B-random-n3",
                         "half0-A-random-n7-s2", "all-random-n1-s1", "half2-B-base-s2"})
    EXPECT_NE(c.find(id), nullptr) << id;
  EXPECT_EQ(c.config.seeds.size(), 3u);

  Grid f = preset("fashion-mnist");
  EXPECT_EQ(f.config.network, "small");
  EXPECT_EQ(f.config.backend, "cpu");
  std::set<std::string> splits;
  for (const auto& cell : f.cells) splits.insert(cell.cell.split);
  EXPECT_EQ(splits, (std::set<std::string>{"half0", "half1", "dissim"}));
  for (const char* id : {"dissim-A-base", "half0-AA-n7-frozen", "half1-BA-n4-finetune", "dissim-AB-n3-frozen",
                         "dissim-BA-n1-frozen", "half0-B-random-n3"})
    EXPECT_NE(f.find(id), nullptr) << id;
  EXPECT_NE(f.find("half0-BB-n4-finetune"), nullptr);  // both selffer targets
  // The dissimilar split as the paper ran it: bases and frozen transfers only.
  for (const char* id : {"dissim-AB-n3-finetune", "dissim-AA-n3-frozen", "dissim-A-random-n2",
                         "half0-A-random-n2", "dissim-AB-n2-frozen", "half0-B-random-n2"})
    EXPECT_EQ(f.find(id), nullptr) << id;
  // 6 bases, 56 on each of half0 and half1 (4 units a group), 8 dissim, 4 random, 6 continued.
  EXPECT_EQ(f.cells.size(), 136u);
  EXPECT_EQ(count_by(f)["continued"], 6);
  EXPECT_EQ(f.find("dissim-AB-n3-frozen")->cell.data_name(), "dissimB");

  // The converged study: half0 and half1 both ways (4 units from two
  // independent splits), bases, BnB, BnB+, AnB, AnB+, continued bases.
  Grid conv = preset("fashion-mnist-converged");
  EXPECT_EQ(conv.cells.size(), 120u);  // 4 bases, 112 transfers, 4 continued
  EXPECT_EQ(count_by(conv)["continued"], 4);
  EXPECT_NE(conv.find("half1-BA-n7-finetune"), nullptr);
  // The paper had no continued bases: its presets have none.
  for (const char* name : {"paper", "complete"}) EXPECT_EQ(count_by(preset(name))["continued"], 0) << name;
  for (const char* id : {"half0-A-base", "half0-BB-n7-frozen", "half0-AB-n1-finetune", "half0-BA-n4-frozen"})
    EXPECT_NE(conv.find(id), nullptr) << id;
}

// The residual presets: n counts the network's stages, and every transfer and
// random cell is there once per value of the bn axis, which its id and its
// trainer arguments carry; the bases copy nothing and have none.
TEST(Grid, ResidualPresetsCrossTheBatchNormAxis) {
  Grid r = preset("resnet-imagenet");
  EXPECT_EQ(r.config.network, "resnet18");
  EXPECT_EQ(r.cells.size(), 174u);  // 4 bases, 2 splits x 4 directions x 2 modes x 2 bn x 5 n, 2 bn x 5 random
  auto m = count_by(r);
  EXPECT_EQ(m["base"], 4);
  EXPECT_EQ(m["frozen"], 80);
  EXPECT_EQ(m["finetune"], 80);
  EXPECT_EQ(m["random"], 10);
  for (const char* id : {"half0-AB-n5-frozen-bnfrozen", "half1-BB-n1-finetune-bntrain", "half0-B-random-n5-bntrain",
                         "half1-A-base"})
    EXPECT_NE(r.find(id), nullptr) << id;
  for (const char* id : {"half0-AB-n6-frozen-bnfrozen", "half0-AB-n3-frozen", "half0-A-base-bnfrozen"})
    EXPECT_EQ(r.find(id), nullptr) << id;
  EXPECT_EQ(r.find("half0-A-base")->solver.max_iter, 225000);
  EXPECT_DOUBLE_EQ(r.find("half0-A-base")->solver.base_lr, 0.1);

  Grid f = preset("fashion-mnist-resnet");
  EXPECT_EQ(f.config.network, "resnet-small");
  EXPECT_EQ(f.cells.size(), 140u);  // 4 bases, 2 x 4 x 2 x 2 x 4 transfers, 2 x 4 random
  int n_max = 0;
  std::set<std::string> bn;
  for (const auto& c : f.cells) {
    n_max = std::max(n_max, c.cell.n);
    if (c.cell.kind != CellKind::Base) bn.insert(c.cell.bn);
    else EXPECT_EQ(c.cell.bn, "") << c.id;
  }
  EXPECT_EQ(n_max, 4);
  EXPECT_EQ(bn, (std::set<std::string>{"frozen", "train"}));

  const RunPaths paths{"/r", "/d", "/bin/xfer_train"};
  auto args_of = [&](const char* id) {
    const std::vector<std::string> a = trainer_args(f, *f.find(id), paths, 1);
    return std::string(" ") + std::accumulate(a.begin(), a.end(), std::string(), [](std::string x, const std::string& y) {
      return x + y + " ";
    });
  };
  EXPECT_NE(args_of("half0-AB-n2-finetune-bntrain").find(" --bn train "), std::string::npos);
  EXPECT_NE(args_of("half0-B-random-n3-bnfrozen").find(" --bn frozen "), std::string::npos);
  EXPECT_EQ(args_of("half0-A-base").find("--bn"), std::string::npos);
  // CaffeNet's cells are as they were: no bn anywhere.
  for (const auto& c : preset("fashion-mnist").cells) EXPECT_EQ(c.cell.bn, "") << c.id;
}

// n beyond the network's units, and the bn axis on a network without batch
// normalisation, are refused naming the key and why.
TEST(Grid, LayerCountsAndBatchNormFollowTheNetwork) {
  auto error_of = [](const std::string& name, const std::vector<std::string>& sets) -> std::string {
    try {
      load_grid_config(preset_path(name, grids_dir()), sets);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  const std::string beyond = error_of("fashion-mnist-resnet", {"transfer.all.n=1-5"});
  EXPECT_NE(beyond.find("transfer.all.n"), std::string::npos) << beyond;
  EXPECT_NE(beyond.find("resnet-small's 4 transfer units"), std::string::npos) << beyond;
  EXPECT_NE(error_of("resnet-imagenet", {"random.halves.n=6"}).find("random.halves.n"), std::string::npos);
  EXPECT_EQ(error_of("resnet-imagenet", {"transfer.all.n=5"}), "");
  EXPECT_EQ(error_of("fashion-mnist", {"transfer.all.n=7"}), "");
  const std::string no_bn = error_of("fashion-mnist", {"transfer.all.bn=train"});
  EXPECT_NE(no_bn.find("transfer.all.bn"), std::string::npos) << no_bn;
  EXPECT_NE(no_bn.find("network small has no batch normalisation"), std::string::npos) << no_bn;
  EXPECT_NE(error_of("fashion-mnist-resnet", {"transfer.all.bn=eval"}).find("'eval' is not frozen | train"),
            std::string::npos);
  EXPECT_NE(error_of("fashion-mnist-resnet", {"transfer.all.bn="}).find("needs frozen and/or train"),
            std::string::npos);
  // Without the key a network with batch normalisation freezes it, as torchvision does.
  const GridConfig c = parse_grid_config({{"grid.network", "resnet-small"}, {"transfer.t.splits", "half0"},
                                          {"random.r.splits", "all"}});
  EXPECT_EQ(c.transfers.at(0).bn, (std::vector<std::string>{"frozen"}));
  EXPECT_EQ(c.transfers.at(0).n, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(c.randoms.at(0).bn, (std::vector<std::string>{"frozen"}));
  EXPECT_EQ(c.resolved.at("transfer.t.bn"), "frozen");
  EXPECT_EQ(c.resolved.at("transfer.t.n"), "1-4");
  const GridConfig caffenet = parse_grid_config({{"grid.network", "caffenet"}, {"transfer.t.splits", "half0"}});
  EXPECT_EQ(caffenet.transfers.at(0).bn, (std::vector<std::string>{""}));
  EXPECT_EQ(caffenet.transfers.at(0).n.size(), 7u);
}

TEST(Grid, EveryCellGetsTheSolverSectionIncludingWhereTestsStart) {
  Grid g = preset("fashion-mnist", {"solver.max_iter=300", "solver.test_from=0.7"});
  const RunPaths paths{"/r", "/d", "/bin/xfer_train"};
  for (const auto& c : g.cells) {
    const auto args = trainer_args(g, c, paths, 1);
    auto value_of = [&](const std::string& flag) {
      auto it = std::find(args.begin(), args.end(), flag);
      return it == args.end() || it + 1 == args.end() ? std::string("(none)") : *(it + 1);
    };
    EXPECT_EQ(value_of("--max-iter"), "300") << c.id;
    EXPECT_EQ(value_of("--test-start"), "210") << c.id;
  }
}

TEST(Grid, OverridesShrinkTheGridAndResolveRoundTrips) {
  Grid g = preset("fashion-mnist", {"base.splits=half0", "transfer.all.splits=half0", "transfer.dissim.splits=",
                                    "transfer.all.directions=AB", "transfer.all.n=1-2",
                                    "random.halves.splits=half0", "random.halves.halves=B",
                                    "random.halves.n=1", "solver.max_iter=7"});
  std::vector<std::string> ids;
  for (const auto& c : g.cells) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"half0-A-base", "half0-B-base", "half0-AB-n1-frozen",
                                           "half0-AB-n2-frozen", "half0-AB-n1-finetune",
                                           "half0-AB-n2-finetune", "half0-A-base-continued",
                                           "half0-B-base-continued", "half0-B-random-n1"}));
  EXPECT_EQ(g.cells[0].solver.max_iter, 7);

  auto dir = std::filesystem::temp_directory_path() / ("xfer_grid_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string file = (dir / "resolved.ini").string();
  std::ofstream(file) << to_ini(g.config);
  Grid back = enumerate_grid(load_grid_config(file, {}));
  ASSERT_EQ(back.cells.size(), g.cells.size());
  for (size_t i = 0; i < g.cells.size(); ++i) EXPECT_EQ(back.cells[i].id, g.cells[i].id);
  EXPECT_EQ(back.cells[0].solver.max_iter, 7);
  std::filesystem::remove_all(dir);
}

// [base] continued: one continued base per half base of a split and seed, after
// the transfers, on the bases' schedule, depending on exactly its base; the
// trainer is told to copy every layer from that base's final weights.
TEST(Grid, ContinuedBasesFollowTheTransfersAndDependOnTheirBase) {
  Grid g = preset("fashion-mnist", {"grid.seeds=0,1", "transfer.all.n=1", "transfer.dissim.n=1",
                                    "random.halves.n=1", "solver.max_iter=300"});
  int last_transfer = -1, first_random = 1 << 30;
  std::vector<std::string> continued;
  for (const auto& c : g.cells) {
    if (c.cell.kind == CellKind::Transfer && c.cell.seed == 0) last_transfer = c.index;
    if (c.cell.kind == CellKind::Random && c.cell.seed == 0) first_random = std::min(first_random, c.index);
    if (c.cell.kind != CellKind::Continued) continue;
    continued.push_back(c.id);
    ASSERT_EQ(c.deps.size(), 1u) << c.id;
    EXPECT_EQ(g.cells[c.deps[0]].id, c.cell.base_of_source().id());
    EXPECT_EQ(c.solver.max_iter, 300) << c.id;
    EXPECT_EQ(c.cell.data_name(), g.cells[c.deps[0]].cell.data_name());
  }
  EXPECT_EQ(continued, (std::vector<std::string>{"half0-A-base-continued", "half0-B-base-continued",
                                                 "half1-A-base-continued", "half1-B-base-continued",
                                                 "dissim-A-base-continued", "dissim-B-base-continued",
                                                 "half0-A-base-continued-s1", "half0-B-base-continued-s1",
                                                 "half1-A-base-continued-s1", "half1-B-base-continued-s1",
                                                 "dissim-A-base-continued-s1", "dissim-B-base-continued-s1"}));
  EXPECT_LT(last_transfer, g.find("half0-A-base-continued")->index);
  EXPECT_LT(g.find("dissim-B-base-continued")->index, first_random);

  const RunPaths paths{"/r", "/d", "/bin/xfer_train"};
  const auto args = trainer_args(g, *g.find("half0-B-base-continued-s1"), paths, 1);
  auto value_of = [&](const std::string& flag) {
    auto it = std::find(args.begin(), args.end(), flag);
    return it == args.end() || it + 1 == args.end() ? std::string("(none)") : *(it + 1);
  };
  EXPECT_EQ(value_of("--transfer-mode"), "continue");
  EXPECT_EQ(value_of("--transfer-n"), "(none)");
  EXPECT_EQ(value_of("--base"), "/r/half0-B-base-s1/final.h5");
  EXPECT_EQ(value_of("--data"), "/d/half0B");
  EXPECT_EQ(value_of("--seed"), "1");
  EXPECT_EQ(value_of("--cell-id"), "half0-B-base-continued-s1");
  // The trainer accepts exactly these arguments.
  std::vector<const char*> argv{"xfer_train"};
  for (const auto& a : args) argv.push_back(a.c_str());
  EXPECT_EQ(parse_train_config(int(argv.size()), argv.data())->transfer_mode, TransferMode::Continue);

  EXPECT_EQ(preset("fashion-mnist", {"base.continued=false"}).cells.size(), 130u);
  EXPECT_NE(format_summary(g).find("base-continued"), std::string::npos);
}

TEST(Grid, BadConfigsSayWhichKey) {
  auto error_of = [](const std::vector<std::string>& sets) -> std::string {
    try {
      load_grid_config(preset_path("fashion-mnist", grids_dir()), sets);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of({"solver.max_iters=5"}).find("solver.max_iters"), std::string::npos);
  EXPECT_NE(error_of({"transfer.all.n=0-3"}).find("transfer.all.n"), std::string::npos);
  EXPECT_NE(error_of({"transfer.all.directions=AC"}).find("AC"), std::string::npos);
  EXPECT_NE(error_of({"transfer.all.modes=melted"}).find("melted"), std::string::npos);
  EXPECT_NE(error_of({"solver.batch=x"}).find("solver.batch"), std::string::npos);
  EXPECT_NE(error_of({"bogus.key=1"}).find("bogus"), std::string::npos);
  EXPECT_NE(error_of({"nodot"}).find("nodot"), std::string::npos);
  EXPECT_EQ(error_of({"solver.batch=32"}), "");
  EXPECT_NE(error_of({"solver.test_from=1"}).find("solver.test_from"), std::string::npos);
  EXPECT_NE(error_of({"base.continued=maybe"}).find("base.continued"), std::string::npos);
}

// Each value the trainer refuses is refused by the grid, naming the key: a grid
// that lists and plans must not fail at every cell's start on the cluster.
TEST(Grid, RefusesWhatTheTrainerRefusesNamingTheKey) {
  auto error_of = [](const std::string& set) -> std::string {
    try {
      load_grid_config(preset_path("fashion-mnist", grids_dir()), {set});
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"solver.lr_step", "0"},         {"solver.test_interval", "0"}, {"solver.snapshot_interval", "0"},
      {"solver.max_iter", "0"},        {"solver.base_lr", "0"},       {"solver.gamma", "0"},
      {"solver.gamma", "1.5"},         {"solver.batch", "0"},         {"solver.reduced.lr_step", "0"},
      {"solver.reduced.snapshot_interval", "-2"}, {"solver.lr_step", "7.5"},  {"solver.threads", "-1"},
      {"slurm.ranks", "0"},            {"slurm.cpus_per_rank", "0"},  {"grid.fc8_outputs", "-1"},
      {"grid.images_per_sec", "0"},    {"grid.backend", "tpu"},       {"slurm.launcher", "ssh"},
  };
  for (const auto& [key, value] : refused) {
    const std::string why = error_of(key + "=" + value);
    EXPECT_NE(why.find(key), std::string::npos) << key << "=" << value << " gave: '" << why << "'";
  }
  // ...and the same words the trainer uses for its own option.
  EXPECT_NE(error_of("solver.lr_step=0").find("must be positive, got 0"), std::string::npos);
  for (const char* ok : {"solver.lr_step=1", "solver.gamma=1", "solver.threads=0", "grid.fc8_outputs=0"})
    EXPECT_EQ(error_of(ok), "") << ok;
}

// The [solver] rows are the trainer's own: every solver option of xfer_train
// is a grid key with the trainer's help and range, or one of the three the
// grid leaves to the trainer (documented in grid_keys.cpp).
TEST(GridKeys, SolverRowsAreTheTrainersOptions) {
  for (const std::string& option : solver_option_names()) {
    std::string key = option;
    std::replace(key.begin(), key.end(), '-', '_');
    const GridKey* k = find_grid_key("solver", key);
    if (option == "test-start" || option == "momentum" || option == "weight-decay") {
      EXPECT_EQ(k, nullptr) << option;
      continue;
    }
    ASSERT_NE(k, nullptr) << option << " has no [solver] key";
    EXPECT_EQ(k->help, train_option_help(option));
    for (const SolverRule& r : solver_rules()) {
      if (option == r.option) {
        EXPECT_EQ(k->range, r.range) << option;
      }
    }
    EXPECT_EQ(find_grid_key("solver.reduced", key), k);
  }
  const std::string keys = format_grid_keys("table");
  for (const GridKey& k : grid_keys()) EXPECT_NE(keys.find("  " + k.key + " ("), std::string::npos) << k.key;
}

// Every key of every preset is a row of the table, and `get` answers each
// with what the grid resolved, defaults included.
TEST(GridKeys, EveryPresetKeyIsInTheTableAndResolves) {
  for (const std::string& name : list_presets(grids_dir())) {
    const GridConfig c = load_grid_config(preset_path(name, grids_dir()), {});
    for (const auto& [full, value] : c.raw) {
      const auto [section, key] = section_and_key(full);
      EXPECT_NE(find_grid_key(section, key), nullptr) << name << ": " << full;
      EXPECT_TRUE(c.resolved.count(full)) << name << ": " << full << " not resolved";
    }
    EXPECT_EQ(c.resolved.at("grid.results"), c.results) << name;
    EXPECT_EQ(c.resolved.at("grid.backend"), c.backend) << name;
    EXPECT_EQ(c.resolved.at("solver.max_iter"), std::to_string(c.solver.max_iter)) << name;
  }
  EXPECT_EQ(list_presets(grids_dir()),
            (std::vector<std::string>{"complete", "fashion-mnist", "fashion-mnist-converged", "fashion-mnist-resnet",
                                      "own-data", "paper", "resnet-imagenet"}));
}

}  // namespace
}  // namespace xfer
