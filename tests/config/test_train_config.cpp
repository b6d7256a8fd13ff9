// test_train_config.cpp: the trainer's option table and what is made from
// it: --help, config.ini (to_ini) read back by the parser, the trainer
// arguments the grid passes, and the run identity (what it ignores, what
// changes it, and its text, which finished results were hashed with).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "config/run_identity.h"
#include "config/train_config.h"
#include "core/rng.h"

namespace fs = std::filesystem;

namespace xfer {
namespace {

std::optional<TrainConfig> parse(std::vector<std::string> extra) {
  std::vector<std::string> args{"xfer_train"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  return parse_train_config(int(argv.size()), argv.data());
}

// A configuration far from the defaults: every option given, numbers that
// need all 17 digits.
std::vector<std::string> full_args() {
  return {"--network", "small", "--data", "/data/half0B", "--out", "/results/x", "--cell-id", "half0-AB-n3-frozen",
          "--backend", "cuda", "--base", "/results/half0-A-base/final.h5", "--transfer-n", "3",
          "--transfer-mode", "frozen", "--fc8-outputs", "12", "--dropout-ratio", "0.25",
          "--base-lr", "0.30000000000000004", "--gamma", "0.5", "--lr-step", "70", "--max-iter", "300",
          "--momentum", "0.85", "--weight-decay", "0.0004", "--batch", "32", "--test-interval", "20",
          "--test-start", "100", "--snapshot-interval", "40", "--seed", "18446744073709551615",
          "--threads", "3", "--loader-threads", "4", "--display", "5", "--resume", "0", "--tf32", "1",
          "--stop-after", "7", "--test-batches", "2", "--synthetic-classes", "5", "--synthetic-train", "64",
          "--synthetic-val", "16"};
}

TEST(TrainConfig, EveryOptionAppearsInHelp) {
  std::ostringstream captured;
  std::streambuf* old = std::cout.rdbuf(captured.rdbuf());
  std::optional<TrainConfig> c;
  try {
    c = parse({"--help"});
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  EXPECT_FALSE(c);
  const std::string help = captured.str();
  const std::vector<std::string> names = train_option_names();
  EXPECT_EQ(names.size(), 32u);
  for (const auto& name : names) EXPECT_NE(help.find("--" + name + " "), std::string::npos) << name << "\n" << help;
  EXPECT_NE(help.find("1.." + std::to_string(kMaxTransferLayer)), std::string::npos) << help;
}

TEST(TrainConfig, TheTestConfigurationGivesEveryOption) {
  const std::vector<std::string> args = full_args();
  for (const auto& name : train_option_names()) {
    if (name == "bn") continue;  // networks with batch normalisation only: BatchNormIsInTheIdentityOfItsNetworksOnly
    EXPECT_NE(std::find(args.begin(), args.end(), "--" + name), args.end()) << name;
  }
}

TEST(TrainConfig, ToIniReadsBackAsTheSameConfiguration) {
  const TrainConfig c = *parse(full_args());
  EXPECT_EQ(c.transfer_mode, TransferMode::Frozen);
  EXPECT_EQ(c.solver.base_lr, 0.30000000000000004);
  EXPECT_EQ(c.seed, 18446744073709551615ull);
  EXPECT_FALSE(c.resume);
  const fs::path file = fs::temp_directory_path() / ("xfer_test_config_" + std::to_string(getpid()) + ".ini");
  std::ofstream(file) << c.to_ini();
  const TrainConfig back = *parse({"--config", file.string()});
  fs::remove(file);
  EXPECT_EQ(back.to_ini(), c.to_ini());
  EXPECT_EQ(back.solver.base_lr, c.solver.base_lr);  // exactly: 17 digits
  EXPECT_EQ(back.solver.weight_decay, c.solver.weight_decay);
  EXPECT_EQ(back.transfer_mode, c.transfer_mode);
  EXPECT_EQ(back.base, c.base);
  EXPECT_EQ(back.seed, c.seed);
  EXPECT_EQ(back.resume, c.resume);
  EXPECT_EQ(run_identity(back, "d", "b"), run_identity(c, "d", "b"));
  // Every option is in config.ini, once, in the table's order; --bn only
  // for a network with batch normalisation.
  std::istringstream ini(c.to_ini());
  std::vector<std::string> keys, want = train_option_names();
  for (std::string line; std::getline(ini, line);) keys.push_back(line.substr(0, line.find(" = ")));
  want.erase(std::find(want.begin(), want.end(), "bn"));
  EXPECT_EQ(keys, want);
}

// --bn is part of what defines a run of a network with batch normalisation
// (its default, frozen, included), and absent from the identity and the
// config.ini of every other network, whose existing cells keep their identity.
TEST(RunIdentity, BatchNormIsInTheIdentityOfItsNetworksOnly) {
  std::vector<std::string> args = full_args();
  args[1] = "resnet-small";
  const TrainConfig frozen = *parse(args);
  EXPECT_EQ(frozen.bn, "frozen");
  EXPECT_NE(identity_text(frozen, "d", "b").find("\nfc8-outputs 12\nbn frozen\ndropout-ratio 0.25\n"), std::string::npos)
      << identity_text(frozen, "d", "b");
  args.insert(args.end(), {"--bn", "train"});
  const TrainConfig train = *parse(args);
  EXPECT_NE(run_identity(train, "d", "b"), run_identity(frozen, "d", "b"));
  const fs::path file = fs::temp_directory_path() / ("xfer_test_bn_" + std::to_string(getpid()) + ".ini");
  std::ofstream(file) << train.to_ini();
  const TrainConfig back = *parse({"--config", file.string()});
  fs::remove(file);
  EXPECT_EQ(back.bn, "train");
  EXPECT_EQ(run_identity(back, "d", "b"), run_identity(train, "d", "b"));
  EXPECT_EQ(parse(full_args())->bn, "");
  EXPECT_EQ(identity_text(*parse(full_args()), "d", "b").find("bn"), std::string::npos);
}

TEST(TrainConfig, TheDefaultsReadBackToo) {
  const TrainConfig c = *parse({});
  const fs::path file = fs::temp_directory_path() / ("xfer_test_defaults_" + std::to_string(getpid()) + ".ini");
  std::ofstream(file) << c.to_ini();
  const TrainConfig back = *parse({"--config", file.string()});
  fs::remove(file);
  EXPECT_EQ(back.to_ini(), c.to_ini());
  EXPECT_TRUE(back.data.empty());
  EXPECT_TRUE(back.base.empty());
}

TEST(TrainConfig, SolverOptionsOverrideThePresetsDefaults) {
  const TrainConfig small = *parse({"--network", "small"});
  EXPECT_EQ(small.solver.max_iter, net_preset("small").solver.max_iter);
  const TrainConfig caffenet = *parse({"--network", "caffenet", "--max-iter", "17"});
  EXPECT_EQ(caffenet.solver.max_iter, 17);
  EXPECT_EQ(caffenet.solver.lr_step, net_preset("caffenet").solver.lr_step);
}

TEST(TrainConfig, TrainArgsAreTheOptionsNamedParsedBackToTheSameValues) {
  const TrainConfig c = *parse(full_args());
  const std::vector<std::string> args =
      train_args(c, {"network", "transfer-mode", "transfer-n", "base", "base-lr", "gamma", "max-iter", "seed"});
  EXPECT_EQ(args, (std::vector<std::string>{"--network", "small", "--transfer-mode", "frozen", "--transfer-n", "3",
                                            "--base", "/results/half0-A-base/final.h5", "--base-lr", "0.3",
                                            "--gamma", "0.5", "--max-iter", "300", "--seed",
                                            "18446744073709551615"}));
  EXPECT_THROW(train_args(c, {"no-such-option"}), std::exception);
}

TEST(RunIdentity, IgnoresPathsThreadsAndHowOftenItPrints) {
  const TrainConfig c = *parse(full_args());
  const std::string id = run_identity(c, "data-id", "base-id");
  TrainConfig moved = c;
  moved.data = "/elsewhere/half0B";  // same data identity: moved, not changed
  moved.out = "/other/results/x";
  moved.base = "/other/results/half0-A-base/final.h5";
  moved.cell_id = "renamed";
  moved.backend = "cpu";
  moved.threads = 16;
  moved.loader_threads = 1;
  moved.display = 100;
  moved.resume = true;
  moved.stop_after = 0;
  moved.solver.snapshot_interval = 1000;
  EXPECT_EQ(run_identity(moved, "data-id", "base-id"), id);
  // The generated batch's options define only the generated batch.
  moved.synthetic_classes = 3;
  EXPECT_EQ(run_identity(moved, "data-id", "base-id"), id);
}

TEST(RunIdentity, ChangesWithWhatDefinesTheRun) {
  const TrainConfig c = *parse(full_args());
  const std::string id = run_identity(c, "data-id", "base-id");
  EXPECT_NE(run_identity(c, "other-data", "base-id"), id);
  EXPECT_NE(run_identity(c, "data-id", "other-base"), id);
  auto changed = [&](auto change) {
    TrainConfig o = c;
    change(o);
    return run_identity(o, "data-id", "base-id") != id;
  };
  EXPECT_TRUE(changed([](TrainConfig& o) { o.solver.base_lr = 0.3; }));
  EXPECT_TRUE(changed([](TrainConfig& o) { o.solver.momentum = 0.9; }));
  EXPECT_TRUE(changed([](TrainConfig& o) { o.solver.test_start = 0; }));
  EXPECT_TRUE(changed([](TrainConfig& o) { o.solver.batch = 64; }));
  EXPECT_TRUE(changed([](TrainConfig& o) { o.transfer_mode = TransferMode::Finetune; }));
  EXPECT_TRUE(changed([](TrainConfig& o) { o.transfer_n = 4; }));
  EXPECT_TRUE(changed([](TrainConfig& o) { o.seed = 2; }));
  EXPECT_TRUE(changed([](TrainConfig& o) { o.tf32 = false; }));
  EXPECT_TRUE(changed([](TrainConfig& o) { o.test_batches = 0; }));
  TrainConfig generated = c;
  generated.data.clear();
  const std::string gid = run_identity(generated, "generated", "base-id");
  generated.synthetic_classes = 3;
  EXPECT_NE(run_identity(generated, "generated", "base-id"), gid);
}

// Finished results and checkpoints carry the hash of this text: a change to
// it makes every existing cell stale.
TEST(RunIdentity, TheTextIsTheOneExistingResultsWereHashedWith) {
  const TrainConfig c = *parse(full_args());
  EXPECT_EQ(identity_text(c, "data-id", "base-id"),
            "network small\ndata data-id\nbase base-id\ntransfer 3 frozen\nfc8-outputs 12\n"
            "dropout-ratio 0.25\nsolver 0.30000000000000004 0.5 70 300 0.84999999999999998 "
            "0.00040000000000000002 32 20 100\nseed 18446744073709551615\ntf32 1\ntest-batches 2");
  const TrainConfig d = *parse({});
  EXPECT_EQ(identity_text(d, "generated", ""),
            "network small\ndata generated\nbase \ntransfer 0 none\nfc8-outputs 0\ndropout-ratio -1\n"
            "solver " + [] {
              const SolverSpec s = net_preset("small").solver;
              std::ostringstream o;
              o.precision(17);
              o << s.base_lr << ' ' << s.gamma << ' ' << s.lr_step << ' ' << s.max_iter << ' ' << s.momentum << ' '
                << s.weight_decay << ' ' << s.batch << ' ' << s.test_interval << ' ' << s.test_start;
              return o.str();
            }() + "\nseed 1\ntf32 0\ntest-batches 0\ngenerated 10 2048 512");
  EXPECT_EQ(run_identity(d, "generated", ""), fnv1a_hex(identity_text(d, "generated", "")));
}

TEST(TrainConfig, BadOptionsAreRefusedWithWhatToChange) {
  auto expect_refused = [](std::vector<std::string> extra, const std::string& needle) {
    try {
      parse(extra);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_refused({"--network", "vgg"}, "unknown network preset 'vgg'");
  expect_refused({"--batch", "0"}, "--batch must be positive");
  expect_refused({"--transfer-mode", "frozen", "--transfer-n", "3"}, "needs --base");
  expect_refused({"--transfer-mode", "frozen", "--transfer-n", "9", "--base", "x.h5"}, "--transfer-n must be in 1..7");
  expect_refused({"--transfer-mode", "melted"}, "--transfer-mode must be none, frozen, finetune, random or continue, got 'melted'");
  expect_refused({"--momentum", "1.5"}, "--momentum must be in [0, 1)");
  expect_refused({"--base", "x.h5"}, "--base is only used with --transfer-mode frozen, finetune or continue");
  expect_refused({"--no-such-option"}, "unrecognised option");
  expect_refused({"--transfer-mode", "continue"}, "--transfer-mode continue needs --base");
  expect_refused({"--transfer-mode", "continue", "--transfer-n", "7", "--base", "x.h5"},
                 "--transfer-n is not used with --transfer-mode continue");
}

// A continued base takes every layer from --base and no layer count.
TEST(TrainConfig, ContinueNeedsABaseAndNoLayerCount) {
  const TrainConfig c = *parse({"--transfer-mode", "continue", "--base", "x.h5"});
  EXPECT_EQ(c.transfer_mode, TransferMode::Continue);
  EXPECT_EQ(c.transfer_n, 0);
  EXPECT_EQ(parse_transfer_mode("continue"), TransferMode::Continue);
  EXPECT_TRUE(copies_layers(TransferMode::Continue));
  EXPECT_FALSE(freezes_layers(TransferMode::Continue));
}

}  // namespace
}  // namespace xfer
