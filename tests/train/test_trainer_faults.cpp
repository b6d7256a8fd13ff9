// test_trainer_faults.cpp: the trainer under faults (ctest label "faults"):
// a diverging run stops with its own exit code and a result that says so,
// a NaN score is never a hit on either backend's rule, a full disk while a
// checkpoint is written keeps the previous one, Ctrl-C and SIGHUP checkpoint,
// leftovers of a dead writer are removed, two trainers never share a folder.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "backend/backend.h"
#include "backend/loss_rule.h"
#include "comm/communicator.h"
#include "config/train_config.h"
#include "core/check.h"
#include "io/file_lock.h"
#include "net/checkpoint.h"
#include "net/net_fixtures.h"
#include "tmpfs_mount.h"
#include "train/train_fixtures.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace xfer {
namespace {

using testing::error_of;
using testing::parse_run;
using testing::read_json;
std::vector<std::string> small_args(const std::string& out) { return testing::small_run_args(out); }

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// ---------------------------------------------------------------------------
// Divergence

TEST(TrainerFaults, DivergedRunStopsWithItsOwnExitCodeAndSaysSo) {
  testing::TempDir scratch("diverge");
  const std::string dir = scratch.str();
  auto comm = make_single_communicator();
  auto args = small_args(dir + "/cell");
  for (std::string a : {"--base-lr", "1000"}) args.push_back(a);
  auto cfg = parse_run(args);
  cfg.cell_id = "half0-B-base";
  ASSERT_EQ(run_training(cfg, *comm), kExitDiverged);
  auto r = read_json(dir + "/cell/result.json");
  EXPECT_EQ(r["status"], "diverged");
  EXPECT_EQ(r["finished"], false);
  EXPECT_TRUE(r["statistic"].empty()) << r["statistic"].dump();
  const int64_t at = r["diverged"]["iteration"];
  EXPECT_GT(at, 0);
  EXPECT_LE(at, 24);
  EXPECT_NE(r["diverged"]["what"].get<std::string>().find("loss"), std::string::npos);
  for (const auto& p : r["curve"]) EXPECT_TRUE(p["top1"].is_number()) << r["curve"].dump();
  EXPECT_FALSE(fs::exists(dir + "/cell/final.h5"));
  // Any checkpoint left is one of finite weights from before the divergence.
  if (fs::exists(dir + "/cell/checkpoint.h5")) {
    EXPECT_LT(read_checkpoint_state(dir + "/cell/checkpoint.h5").iteration, at);
  }
}

// A checkpoint whose conv1 holds a NaN: as a base or to resume from, it is
// refused naming the file and the layer; before, such a run trained to
// "finished" with a statistic, ReLU keeping its loss finite.
TEST(TrainerFaults, NonFiniteWeightsAreRefusedWhereTheyEnter) {
  testing::TempDir scratch("nan_weights");
  const std::string dir = scratch.str();
  auto be = make_backend("cpu", 0, 1);
  Net net(*be, net_preset("small"), 2, 10);
  net.init_params(7);
  EXPECT_EQ(net.nonfinite_params(), "");
  const ParamSlot& conv1 = net.slot("conv1");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  be->upload(net.params().data() + conv1.offset + 3, &nan, sizeof nan);
  EXPECT_EQ(net.nonfinite_params(), "nan in conv1");
  TrainState st;
  st.config_hash = "0123456789abcdef";
  save_checkpoint(dir + "/bad.h5", net, st);

  Net other(*be, net_preset("small"), 2, 10);
  const std::string copy_error = error_of([&] { copy_layers(dir + "/bad.h5", other, 3); });
  EXPECT_NE(copy_error.find(dir + "/bad.h5: params of layer 'conv1' hold NaN (element 3 of "), std::string::npos)
      << copy_error;
  EXPECT_NE(error_of([&] { load_checkpoint(dir + "/bad.h5", other); }).find("layer 'conv1' hold NaN"),
            std::string::npos);

  // fc6's bias at infinity: found, and named, where it is.
  Net third(*be, net_preset("small"), 2, 10);
  third.init_params(7);
  const ParamSlot& fc6 = third.slot("fc6");
  const float inf = std::numeric_limits<float>::infinity();
  be->upload(third.params().data() + fc6.offset + fc6.weight_count, &inf, sizeof inf);
  EXPECT_EQ(third.nonfinite_params(), "inf in fc6");
}

// A flat parameter buffer past what an int shape holds (CaffeNet with an fc8
// of 600,000 outputs: 2,515,068,224 parameters) is refused, naming the count,
// before its 9.8 GB are asked for; it used to wrap into a request for 18
// exabytes.
// A CaffeNet with 600,000 fc8 outputs has 2,515,068,224 parameters: its flat
// buffers, fc8's weights alone and every offset below them pass 2^31, where an
// int shape used to wrap into a request for 18 exabytes. Its layout is planned
// exactly, in 64 bits, without allocating it (the peak resident size barely moves).
TEST(TrainerFaults, FlatLayoutPast2To31ParametersIsPlannedWithoutAllocating) {
  const long rss_before = peak_rss_kb();
  const NetLayout l = plan_net(net_preset("caffenet"), 256, 600000);
  EXPECT_LT(peak_rss_kb() - rss_before, 100 * 1024);  // under 100 MB; the buffers alone are 30 GB
  EXPECT_EQ(l.param_count, 2515068224u);
  ASSERT_EQ(l.slots.size(), 8u);
  const ParamSlot& fc8 = l.slots.front();
  EXPECT_EQ(fc8.transfer_index, 8);
  EXPECT_EQ(fc8.weight_count, 2457600000u);  // 600,000 x 4,096
  size_t offset = 0;
  for (const ParamSlot& p : l.slots) {  // contiguous, top layer first
    EXPECT_EQ(p.offset, offset) << p.layer->name();
    offset += p.count();
  }
  EXPECT_EQ(offset, l.param_count);
  EXPECT_GT(l.slots.back().offset, size_t(std::numeric_limits<int>::max()));  // conv1
  EXPECT_EQ(Shape(int64_t(l.param_count)).count(), l.param_count);
  EXPECT_GT(l.bytes(), 3 * l.param_count * sizeof(float));
}

// A net that no machine holds is refused before any of it is allocated, naming
// its size and the backend's (fc8 with 100,000,000 outputs: 4.9 TB of buffers).
TEST(TrainerFaults, NetBeyondTheBackendsMemoryIsRefusedBeforeAllocating) {
  auto be = make_backend("cpu", 0, 1);
  const std::string e = error_of([&] { Net net(*be, net_preset("caffenet"), 1, 100000000); });
  EXPECT_NE(e.find("the network needs 4917.9 GB (409756868224 parameters, fc8 outputs 100000000, batch 1) but the "
                   "cpu backend has "),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("GB: refused before allocating"), std::string::npos) << e;
}

// A layer dimension past the int an op takes is refused naming the layer.
TEST(TrainerFaults, LayerDimensionPastAnIntIsRefusedNamingTheLayer) {
  NetSpec spec = net_preset("small");
  spec.crop = 100000;  // images of 100,000 x 100,000 pixels: fc6 would take more than 2^31 inputs
  const std::string e = error_of([&] { plan_net(spec, 1, 10); });
  EXPECT_NE(e.find("layer fc6: its input size of "), std::string::npos) << e;
  EXPECT_NE(e.find(" is beyond the 2147483647 an op takes"), std::string::npos) << e;
}

TEST(TrainerFaults, NanScoresAreNeverHitsAndKeepTheLossNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // The rule the CUDA kernel runs, on the host.
  EXPECT_FALSE(top_k_hit(rank_contribution(nan, nan), 5));
  EXPECT_FALSE(top_k_hit(rank_contribution(0.1f, nan), 5));
  EXPECT_FALSE(top_k_hit(rank_contribution(nan, 0.9f), 5));
  EXPECT_TRUE(std::isnan(row_loss(nan, 0)));
  EXPECT_TRUE(std::isnan(row_loss(0.5f, kNonFiniteRank)));  // another score of the row is NaN
  EXPECT_FLOAT_EQ(row_loss(0.f, 3), -std::log(FLT_MIN));
  EXPECT_EQ(rank_contribution(0.2f, 0.1f), 1);
  EXPECT_EQ(rank_contribution(0.1f, 0.2f), 0);
  // The CPU backend: a NaN logit row scores zero hits and a NaN loss.
  auto be = make_backend("cpu", 0, 1);
  const int n = 2, k = 10;
  std::vector<float> logits(size_t(n) * k, 0.f);  // CPU backend memory is host memory
  logits[0] = nan;   // row 0: one NaN score
  logits[k + 3] = 5;  // row 1: class 3 wins, finite
  std::vector<int32_t> labels{3, 3};
  LossStats s = be->softmax_loss(logits.data(), labels.data(), n, n, k);
  EXPECT_EQ(s.top1, 1);  // row 1 only
  EXPECT_EQ(s.top5, 1);
  EXPECT_TRUE(std::isnan(s.loss_sum));
}

// ---------------------------------------------------------------------------
// Checkpoints on a full disk, leftovers, two trainers

TEST(TrainerFaults, FullDiskKeepsThePreviousCheckpointAndSaysHowMuchWasNeeded) {
  testing::TmpfsMount disk("ckpt", 8);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  auto be = make_backend("cpu", 0, 1);
  Net net(*be, net_preset("small"), 4, 10);
  net.init_params(1);
  const std::string ckpt = disk.dir() + "/checkpoint.h5";
  TrainState st;
  st.iteration = 8;
  st.config_hash = "h";
  save_checkpoint(ckpt, net, st);
  const auto size = fs::file_size(ckpt);
  // Fill the disk so that less than one more checkpoint fits.
  const auto room = fs::space(disk.dir()).available;
  ASSERT_GT(room, size / 2);
  std::vector<char> junk(room - size / 2, 'x');
  { std::ofstream(disk.dir() + "/filler", std::ios::binary).write(junk.data(), std::streamsize(junk.size())); }
  st.iteration = 16;
  const std::string e = error_of([&] { save_checkpoint(ckpt, net, st); });
  EXPECT_NE(e.find("no space left on device writing " + ckpt), std::string::npos) << e;
  EXPECT_NE(e.find("MB needed"), std::string::npos) << e;
  EXPECT_EQ(read_checkpoint_state(ckpt).iteration, 8);
  for (const auto& f : fs::directory_iterator(disk.dir()))
    EXPECT_EQ(f.path().filename().string().find(".tmp"), std::string::npos) << f.path();
}

TEST(TrainerFaults, LeftoversOfADeadWriterAreRemovedWhenTheRunStartsAgain) {
  testing::TempDir scratch("leftovers");
  const std::string dir = scratch.str();
  fs::create_directories(dir + "/cell");
  for (const char* f : {"checkpoint.h5.tmp.12345", "checkpoint.h5.tmp.otherhost.77", "result.json.tmp.9"})
    std::ofstream(dir + "/cell/" + f) << "partial";
  auto comm = make_single_communicator();
  ASSERT_EQ(run_training(parse_run(small_args(dir + "/cell")), *comm), kExitDone);
  for (const auto& f : fs::directory_iterator(dir + "/cell"))
    EXPECT_EQ(f.path().filename().string().find(".tmp"), std::string::npos) << f.path();
}

TEST(TrainerFaults, ASecondTrainerOnTheSameFolderStopsNamingTheHolder) {
  testing::TempDir scratch("two_trainers");
  const std::string dir = scratch.str();
  fs::create_directories(dir + "/cell");
  auto held = FileLock::try_acquire(dir + "/cell/.lock");  // as a running trainer would
  ASSERT_TRUE(held);
  auto comm = make_single_communicator();
  const std::string e = error_of([&] { run_training(parse_run(small_args(dir + "/cell")), *comm); });
  EXPECT_NE(e.find("is being written by pid " + std::to_string(getpid())), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(dir + "/cell/config.ini"));
}

// ---------------------------------------------------------------------------
// Signals, on the real binary

std::string trainer_binary() { return testing::bin_dir() + "/xfer_train"; }

// Starts xfer_train on a long synthetic run, waits until it trains, sends
// `sig`; returns its exit status.
int signal_a_training(const std::string& out, int sig) {
  const std::string log = out + ".log";
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    (void)f;
    dup2(1, 2);
    auto args = small_args(out);
    args[6] = "100000";   // --max-iter
    args[12] = "100000";  // --snapshot-interval: only the signal writes one
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(trainer_binary().c_str(), argv.data());
    _exit(127);
  }
  for (int i = 0; i < 600; ++i) {  // up to a minute for the first iterations
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    if (text.find("iter 8/") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(TrainerFaults, CtrlCAndHangupCheckpointAndExit75) {
  if (!fs::exists(trainer_binary())) GTEST_SKIP() << "xfer_train not built at " << trainer_binary();
  testing::TempDir scratch("signals");
  const std::string dir = scratch.str();
  for (int sig : {SIGINT, SIGHUP}) {
    const std::string out = dir + "/sig" + std::to_string(sig);
    EXPECT_EQ(signal_a_training(out, sig), kExitStopped) << strsignal(sig);
    ASSERT_TRUE(fs::exists(out + "/checkpoint.h5")) << strsignal(sig);
    EXPECT_GE(read_checkpoint_state(out + "/checkpoint.h5").iteration, 8) << strsignal(sig);
  }
}

}  // namespace
}  // namespace xfer
