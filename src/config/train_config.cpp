// train_config.cpp: the trainer's options.
#include "config/train_config.h"

#include <boost/program_options.hpp>

#include <iostream>
#include <sstream>

#include "core/check.h"
#include "core/cli.h"
#include "config/fidelity.h"

namespace po = boost::program_options;

namespace xfer {

namespace {

// Solver options default to the preset's values, so they have no default here.
struct SolverOverrides {
  std::optional<double> base_lr, gamma, momentum, weight_decay;
  std::optional<int> lr_step, max_iter, batch, test_interval, test_start, snapshot_interval;
};

template <class T>
void take(const po::variables_map& vm, const char* name, std::optional<T>& v) {
  if (vm.count(name)) v = vm[name].as<T>();
}

}  // namespace

std::optional<TrainConfig> parse_train_config(int argc, const char* const* argv) {
  TrainConfig c;
  po::options_description general("General");
  cli::add_common_options(general);
  general.add_options()
      ("fidelity", "print where this system deliberately differs from the paper, and exit")
      ("network", po::value(&c.network)->default_value(c.network), "network preset (and its solver defaults): caffenet | small")
      ("data", po::value(&c.data), "split-half shard folder (train-*.h5, val-*.h5, mean.h5); omit to train on a generated batch")
      ("out", po::value(&c.out)->default_value(c.out), "output folder: config.ini, checkpoint.h5, final.h5, result.json")
      ("cell-id", po::value(&c.cell_id), "grid cell id recorded in the result (e.g. half0-AB-n3-frozen)")
      ("backend", po::value(&c.backend)->default_value(c.backend), "cpu | cuda");
  po::options_description transfer("Transfer");
  transfer.add_options()
      ("base", po::value(&c.base), "base checkpoint to copy layers from (frozen / finetune)")
      ("transfer-n", po::value(&c.transfer_n)->default_value(c.transfer_n), "layers 1..n copied (or left random), 1..7")
      ("transfer-mode", po::value(&c.transfer_mode)->default_value(c.transfer_mode), "none | frozen | finetune | random")
      ("dropout-ratio", po::value(&c.dropout_ratio)->default_value(c.dropout_ratio), "dropout ratio of fc6/fc7; <0 = the preset's (0.5)")
      ("fc8-outputs", po::value(&c.fc8_outputs)->default_value(c.fc8_outputs), "fc8 outputs; 0 = number of classes (the paper used 1000 for 500-class nets)");
  SolverOverrides s;
  po::options_description solver("Solver (defaults: the preset's; caffenet = the paper's)");
  solver.add_options()
      ("base-lr", po::value<double>(), "base learning rate")
      ("gamma", po::value<double>(), "learning rate factor every lr-step iterations")
      ("lr-step", po::value<int>(), "iterations between learning-rate drops")
      ("max-iter", po::value<int>(), "iterations to train")
      ("momentum", po::value<double>(), "momentum")
      ("weight-decay", po::value<double>(), "weight decay")
      ("batch", po::value<int>(), "global batch (split across ranks)")
      ("test-interval", po::value<int>(), "iterations between validations")
      ("test-start", po::value<int>(), "first iteration validated (0: from the start; the last is always validated)")
      ("snapshot-interval", po::value<int>(), "iterations between checkpoints");
  po::options_description run("Run");
  run.add_options()
      ("seed", po::value(&c.seed)->default_value(c.seed), "run seed (initialisation, data order, dropout)")
      ("threads", po::value(&c.threads)->default_value(c.threads), "CPU threads for the backend; 0 = all cores")
      ("loader-threads", po::value(&c.loader_threads)->default_value(c.loader_threads), "threads preparing batches")
      ("display", po::value(&c.display)->default_value(c.display), "iterations between progress lines")
      ("resume", po::value(&c.resume)->default_value(c.resume), "resume from <out>/checkpoint.h5 when it exists")
      ("tf32", po::value(&c.tf32)->default_value(c.tf32), "TF32 math for convolutions and GEMMs (CUDA)")
      ("stop-after", po::value(&c.stop_after)->default_value(c.stop_after), "act as if SIGUSR1 arrived after this iteration (preemption drills); 0 = never")
      ("test-batches", po::value(&c.test_batches)->default_value(c.test_batches), "validation batches per test; 0 = the whole set")
      ("synthetic-classes", po::value(&c.synthetic_classes)->default_value(c.synthetic_classes), "classes of the generated batch")
      ("synthetic-train", po::value(&c.synthetic_train)->default_value(c.synthetic_train), "training examples of the generated batch")
      ("synthetic-val", po::value(&c.synthetic_val)->default_value(c.synthetic_val), "validation examples of the generated batch");
  po::options_description all("xfer_train: trains one network of the experiment\n\nOptions");
  all.add(general).add(transfer).add(solver).add(run);

  po::variables_map vm;
  if (!cli::parse(argc, argv, all, vm)) return std::nullopt;
  if (vm.count("version")) return std::nullopt;  // printed by main, which sees every library
  if (vm.count("fidelity")) {
    for (const auto& d : deviations()) std::cout << "- " << d.what << "\n  Why: " << d.why << "\n";
    return std::nullopt;
  }
  take(vm, "base-lr", s.base_lr);
  take(vm, "gamma", s.gamma);
  take(vm, "lr-step", s.lr_step);
  take(vm, "max-iter", s.max_iter);
  take(vm, "momentum", s.momentum);
  take(vm, "weight-decay", s.weight_decay);
  take(vm, "batch", s.batch);
  take(vm, "test-interval", s.test_interval);
  take(vm, "test-start", s.test_start);
  take(vm, "snapshot-interval", s.snapshot_interval);

  try {
    c.solver = net_preset(c.network).solver;
  } catch (const Error& e) {
    throw cli::UsageError(std::string("--network: ") + e.what());
  }
  auto& sv = c.solver;
  if (s.base_lr) sv.base_lr = *s.base_lr;
  if (s.gamma) sv.gamma = *s.gamma;
  if (s.lr_step) sv.lr_step = *s.lr_step;
  if (s.max_iter) sv.max_iter = *s.max_iter;
  if (s.momentum) sv.momentum = *s.momentum;
  if (s.weight_decay) sv.weight_decay = *s.weight_decay;
  if (s.batch) sv.batch = *s.batch;
  if (s.test_interval) sv.test_interval = *s.test_interval;
  if (s.test_start) sv.test_start = *s.test_start;
  if (s.snapshot_interval) sv.snapshot_interval = *s.snapshot_interval;
  try {
    c.validate();
  } catch (const Error& e) {
    throw cli::UsageError(e.what());
  }
  return c;
}

void TrainConfig::validate() const {
  net_preset(network);  // throws naming the known presets
  XFER_CHECK(backend == "cpu" || backend == "cuda", "--backend must be cpu or cuda, got '" << backend << "'");
  XFER_CHECK(transfer_mode == "none" || transfer_mode == "frozen" || transfer_mode == "finetune" ||
                 transfer_mode == "random",
             "--transfer-mode must be none, frozen, finetune or random, got '" << transfer_mode << "'");
  if (transfer_mode != "none") {
    XFER_CHECK(transfer_n >= 1 && transfer_n <= kMaxTransferLayer,
               "--transfer-n must be in 1.." << kMaxTransferLayer << " with --transfer-mode "
                                             << transfer_mode << ", got " << transfer_n);
  }
  if (transfer_mode == "frozen" || transfer_mode == "finetune") {
    XFER_CHECK(!base.empty(), "--transfer-mode " << transfer_mode << " needs --base <checkpoint>");
  } else {
    XFER_CHECK(base.empty(), "--base is only used with --transfer-mode frozen or finetune");
  }
  XFER_CHECK(dropout_ratio < 1, "--dropout-ratio must be below 1, got " << dropout_ratio);
  XFER_CHECK(fc8_outputs >= 0, "--fc8-outputs must be 0 (= classes) or positive, got " << fc8_outputs);
  XFER_CHECK(solver.base_lr > 0, "--base-lr must be positive, got " << solver.base_lr);
  XFER_CHECK(solver.gamma > 0 && solver.gamma <= 1, "--gamma must be in (0, 1], got " << solver.gamma);
  XFER_CHECK(solver.lr_step > 0, "--lr-step must be positive, got " << solver.lr_step);
  XFER_CHECK(solver.max_iter > 0, "--max-iter must be positive, got " << solver.max_iter);
  XFER_CHECK(solver.momentum >= 0 && solver.momentum < 1, "--momentum must be in [0, 1), got " << solver.momentum);
  XFER_CHECK(solver.weight_decay >= 0, "--weight-decay must be >= 0, got " << solver.weight_decay);
  XFER_CHECK(solver.batch > 0, "--batch must be positive, got " << solver.batch);
  XFER_CHECK(solver.test_interval > 0, "--test-interval must be positive, got " << solver.test_interval);
  XFER_CHECK(solver.test_start >= 0 && solver.test_start <= solver.max_iter,
             "--test-start must be in 0..max-iter (" << solver.max_iter << "), got " << solver.test_start);
  XFER_CHECK(solver.snapshot_interval > 0, "--snapshot-interval must be positive, got " << solver.snapshot_interval);
  XFER_CHECK(threads >= 0, "--threads must be >= 0, got " << threads);
  XFER_CHECK(loader_threads >= 1, "--loader-threads must be >= 1, got " << loader_threads);
  XFER_CHECK(display > 0, "--display must be positive, got " << display);
  XFER_CHECK(stop_after >= 0, "--stop-after must be >= 0, got " << stop_after);
  XFER_CHECK(test_batches >= 0, "--test-batches must be >= 0, got " << test_batches);
  XFER_CHECK(!out.empty(), "--out must name a folder");
  if (data.empty()) {
    XFER_CHECK(synthetic_classes >= 2 && synthetic_train > 0 && synthetic_val > 0,
               "the generated batch needs at least 2 classes and some examples");
  }
}

std::string TrainConfig::to_ini() const {
  std::ostringstream o;
  o.precision(17);
  o << "network = " << network << "\n"
    << "data = " << data << "\n"
    << "out = " << out << "\n"
    << "cell-id = " << cell_id << "\n"
    << "backend = " << backend << "\n"
    << "base = " << base << "\n"
    << "transfer-n = " << transfer_n << "\n"
    << "transfer-mode = " << transfer_mode << "\n"
    << "fc8-outputs = " << fc8_outputs << "\n"
    << "dropout-ratio = " << dropout_ratio << "\n"
    << "base-lr = " << solver.base_lr << "\n"
    << "gamma = " << solver.gamma << "\n"
    << "lr-step = " << solver.lr_step << "\n"
    << "max-iter = " << solver.max_iter << "\n"
    << "momentum = " << solver.momentum << "\n"
    << "weight-decay = " << solver.weight_decay << "\n"
    << "batch = " << solver.batch << "\n"
    << "test-interval = " << solver.test_interval << "\n"
    << "test-start = " << solver.test_start << "\n"
    << "snapshot-interval = " << solver.snapshot_interval << "\n"
    << "seed = " << seed << "\n"
    << "threads = " << threads << "\n"
    << "loader-threads = " << loader_threads << "\n"
    << "display = " << display << "\n"
    << "resume = " << resume << "\n"
    << "tf32 = " << tf32 << "\n"
    << "stop-after = " << stop_after << "\n"
    << "test-batches = " << test_batches << "\n"
    << "synthetic-classes = " << synthetic_classes << "\n"
    << "synthetic-train = " << synthetic_train << "\n"
    << "synthetic-val = " << synthetic_val << "\n";
  return o.str();
}

}  // namespace xfer
