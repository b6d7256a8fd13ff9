// trainer.cpp: the training loop of one run.
#include "train/trainer.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>

#include "backend/backend.h"
#include "config/run_identity.h"
#include "core/cpus.h"
#include "core/check.h"
#include "core/log.h"
#include "core/rng.h"
#include "io/atomic_file.h"
#include "io/file_lock.h"
#include "net/checkpoint.h"
#include "net/net.h"
#include "result/progress.h"
#include "result/result_file.h"
#include "solver/sgd.h"
#include "train/buffer_sync.h"
#include "train/data_sources.h"
#include "train/gradient_sync.h"
#include "train/provenance.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

// Training batches whose statistics a random-filter control's batch
// normalisations take before they are frozen (buffer_sync.h): with momentum
// 0.1, the initial values weigh 0.9^100 (3e-5) after them.
constexpr int kRecalibrationBatches = 100;

std::atomic<bool> g_stop{false};
// The first SIGINT asks for a checkpoint like SIGTERM; a second one, while
// that is under way, ends the process at once (a user who insists).
extern "C" void on_stop_signal(int sig) {
  if (sig == SIGINT && g_stop.load()) {
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
  g_stop.store(true);
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Top-1/top-5/loss over this run's whole validation slice, summed over ranks.
CurvePoint evaluate(Net& net, EvalSource& eval, Communicator& comm, int max_batches, int64_t iter) {
  HostBatch b;
  double sums[4] = {0, 0, 0, 0};  // loss, top1, top5, count
  eval.begin();
  PassContext ctx;
  ctx.train = false;
  int batches = 0;
  while ((max_batches == 0 || batches < max_batches) && eval.next(net.batch(), b)) {
    LossStats s = net.forward(b, ctx);
    sums[0] += s.loss_sum;
    sums[1] += double(s.top1);
    sums[2] += double(s.top5);
    sums[3] += double(s.count);
    ++batches;
  }
  comm.allreduce_host_sum(sums, 4);
  XFER_CHECK(sums[3] > 0, "the validation set is empty");
  return {iter, sums[1] / sums[3], sums[2] / sums[3], sums[0] / sums[3], static_cast<int64_t>(sums[3])};
}

uint64_t dropout_seed_for(const TrainConfig& cfg, const Communicator& comm) {
  return derive_seed(cfg.seed, 3, comm.rank());
}

// What a result file says about the run besides its curve.
struct RunSummary {
  const TrainConfig& cfg;
  std::string backend;
  bool tf32;
  int classes, outputs, ranks;
};

// result.json: finished when `diverged` is empty, else diverged (no statistic).
void write_run_result(const std::string& path, const RunSummary& s, const TrainState& st,
                      const std::vector<CurvePoint>& curve, const std::string& diverged,
                      const SyncStats& ss, int64_t session_iters, double train_s,
                      const std::optional<CurvePoint>& full_test = std::nullopt) {
  RunResult r;
  r.cell_id = s.cfg.cell_id;
  r.preset = s.cfg.network;
  r.config_hash = st.config_hash;  // the run identity
  r.backend = s.backend;
  r.num_classes = s.classes;
  r.num_outputs = s.outputs;
  r.ranks = s.ranks;
  r.status = diverged.empty() ? RunStatus::Finished : RunStatus::Diverged;
  r.diverged_iteration = diverged.empty() ? -1 : st.iteration;
  r.diverged_what = diverged;
  r.tf32 = s.tf32;
  r.provenance_json = provenance_json(s.ranks);
  r.iterations = st.iteration;
  r.curve = curve;
  r.full_test = full_test;
  r.images_per_s = session_iters > 0 ? session_iters * double(s.cfg.solver.batch) / train_s : 0;
  r.wall_s = st.wall_s;
  if (ss.steps > 0 && session_iters > 0) {
    r.comm_bytes_per_step = double(ss.bytes) / ss.steps;
    r.comm_s_per_step = ss.comm_s / ss.steps;
    r.comm_hidden_fraction = ss.hidden_fraction();
    r.step_s = train_s / session_iters;
  }
  write_result_file(path, r);
}

// "loss nan", "test loss inf": what made a run diverge, or "" when `v` is finite.
std::string non_finite(const char* what, double v) {
  if (std::isfinite(v)) return "";
  return std::string(what) + (std::isnan(v) ? " nan" : " inf");
}

// Rank 0 owns the output folder while it trains: a second trainer on the same
// --out stops at once naming the holder, and temporary files of a writer that
// died (a kill -9 inside a 455 MB checkpoint write) are removed.
std::optional<FileLock> claim_output(const fs::path& out, bool root) {
  if (!root) return std::nullopt;
  fs::create_directories(out);
  FileLock lock = FileLock::acquire_or_throw((out / ".lock").string(), out.string());
  int removed = 0;
  for (const char* f : {"checkpoint.h5", "final.h5", "result.json", "progress.json", "config.ini"})
    removed += remove_stale_temps((out / f).string());
  if (removed) XFER_LOG("removed " << removed << " temporary file(s) left in " << out << " by a dead writer");
  return lock;
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  // Ctrl-C and a closed terminal would otherwise lose up to a snapshot
  // interval (10,000 iterations in the paper); all of them checkpoint.
  for (int sig : {SIGUSR1, SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
}

void request_stop() { g_stop.store(true); }

namespace {

// One run from setup to its result: run_training's phases (setup, resume,
// the loop, tests, finish) and what they share. Members are declared in the
// order the run makes them, so they are destroyed as its locals were (the
// gradient sync before the net it reduces, the output lock last).
struct Training {
  Training(const TrainConfig& c, Communicator& cm) : cfg(c), comm(cm) {}
  int run();

  void setup();
  void open_output();
  void build_net();
  void resume_or_transfer();
  int loop();
  std::optional<int> stop_or_diverge();
  void train_step();
  void display();
  void note_progress(double rate);
  bool test();  // false when a weight or the test loss is not finite
  void save(const std::string& path);
  int finish_diverged();
  int finish();

  const TrainConfig& cfg;
  Communicator& comm;
  NetSpec spec;
  int world = 1;
  int local_batch = 0;
  bool root = false;
  fs::path out;
  std::string ckpt_path, final_path, result_path, progress_path;
  std::optional<FileLock> out_lock;
  bool resuming = false;
  TrainState base_state;
  std::string identity;
  DataSources data;
  int classes = 0, outputs = 0;
  std::unique_ptr<Backend> be;
  std::unique_ptr<Net> net;
  int frozen = 0;
  TrainState st;
  std::vector<CurvePoint> curve;
  std::unique_ptr<SgdSolver> solver;
  uint64_t dropout_seed = 0;
  std::unique_ptr<GradientSync> sync;
  float scale = 1.f;
  int64_t max_iter = 0;
  HostBatch batch;
  double window_loss = 0;
  int window_n = 0;
  Clock::time_point t_session;
  double train_s = 0;
  int64_t session_iters = 0;
  std::string diverged;  // what went non-finite on this rank, "" while all is well
  std::optional<RunSummary> summary;
};

int Training::run() {
  setup();
  resume_or_transfer();
  return loop();
}

void Training::setup() {
  spec = net_preset(cfg.network);
  spec.solver = cfg.solver;
  if (cfg.dropout_ratio >= 0)
    for (auto& l : spec.layers)
      if (l.type == LayerType::Dropout) l.dropout_ratio = float(cfg.dropout_ratio);
  world = comm.size();
  XFER_CHECK(cfg.solver.batch % world == 0,
             "--batch " << cfg.solver.batch << " must divide evenly over " << world << " ranks");
  local_batch = cfg.solver.batch / world;
  root = comm.rank() == 0;
  open_output();
  build_net();
}

void Training::open_output() {
  out = fs::path(cfg.out);
  ckpt_path = (out / "checkpoint.h5").string();
  final_path = (out / "final.h5").string();
  result_path = (out / kResultFileName).string();
  progress_path = (out / kProgressFileName).string();
  // A resume takes everything from the checkpoint; a transfer takes the
  // base's mean image, as the paper did.
  out_lock = claim_output(out, root);
  resuming = cfg.resume && fs::exists(ckpt_path);
  if (!cfg.base.empty()) base_state = read_checkpoint_state(cfg.base);
  identity = run_identity(cfg, data_identity_of(cfg), base_state.config_hash);
  if (resuming) {
    base_state = read_checkpoint_state(ckpt_path);
    XFER_CHECK(base_state.config_hash == identity,
               ckpt_path << " was written by a run with another configuration (identity "
                         << base_state.config_hash << ", this run " << identity
                         << "); remove it or choose another --out");
  }
  // Only now: a refused resume must not overwrite the folder's configuration.
  if (root) write_file_atomic((out / "config.ini").string(), cfg.to_ini());
}

void Training::build_net() {
  data = open_data_sources(cfg, spec, comm, base_state.mean, base_state.mean_c,
                           base_state.mean_h, base_state.mean_w);
  classes = data.info.num_classes;
  outputs = cfg.fc8_outputs > 0 ? cfg.fc8_outputs : classes;
  XFER_CHECK(outputs >= classes, "--fc8-outputs " << outputs << " is fewer than the data's "
                                                  << classes << " classes");

  if (world > 1)  // every rank: where it runs and which device it takes there
    log_line("placed on " + error_context() + ", node-local rank " +
             std::to_string(comm.local_rank()) + " of " + std::to_string(comm.local_size()));
  if (cfg.threads > usable_cpus())
    log_line("--threads " + std::to_string(cfg.threads) + " is more than the " + std::to_string(usable_cpus()) +
             " cores this process may use: its threads will take turns on them");
  be = make_backend(cfg.backend, comm.local_rank(), cfg.threads);
  be->set_tf32(cfg.tf32);
  net = std::make_unique<Net>(*be, spec, local_batch, outputs);
  net->init_params(derive_seed(cfg.seed, 1));
  if (freezes_layers(cfg.transfer_mode)) frozen = cfg.transfer_n;
  net->set_frozen(frozen);
  // The copied (or random) layers' batch normalisations behave as --bn says;
  // the layers trained from scratch always use batch statistics.
  if (!cfg.bn.empty() && cfg.transfer_n > 0) net->set_bn_mode(cfg.transfer_n, parse_bn_mode(cfg.bn));
}

void Training::resume_or_transfer() {
  st.config_ini = cfg.to_ini();
  st.config_hash = identity;
  st.cell_id = cfg.cell_id;
  st.provenance_json = provenance_json(world);
  // Every draw is counter-based (initialisation per layer from the seed,
  // dropout from (seed, rank, iteration), crops and order from (seed, epoch,
  // position)), so these seeds and the data position are the whole RNG state.
  st.rng = {cfg.seed, dropout_seed_for(cfg, comm), derive_seed(cfg.seed, 2), 0};
  st.mean = data.mean;
  st.mean_c = data.mean_c;
  st.mean_h = data.mean_h;
  st.mean_w = data.mean_w;
  if (resuming) {
    TrainState r = load_checkpoint(ckpt_path, *net);
    st.iteration = r.iteration;
    st.wall_s = r.wall_s;
    curve = curve_from_json(r.curve_json);
    data.train->seek(r.data);
    XFER_LOG("resuming " << ckpt_path << " at iteration " << r.iteration);
  } else if (cfg.transfer_mode == TransferMode::Continue) {
    copy_all_layers(cfg.base, *net);
    XFER_LOG("continuing " << cfg.base << ": every layer copied, fc8 included, all trained");
  } else if (copies_layers(cfg.transfer_mode)) {
    copy_layers(cfg.base, *net, cfg.transfer_n);
    XFER_LOG("copied layers 1.." << cfg.transfer_n << " from " << cfg.base << " ("
                                 << to_string(cfg.transfer_mode) << ")");
  } else if (cfg.transfer_mode == TransferMode::Random && cfg.bn == "frozen") {
    recalibrate_frozen_bn(*net, comm, cfg.transfer_n, kRecalibrationBatches, [&]() -> const HostBatch& {
      data.train->next(local_batch, batch);
      return batch;
    });
    XFER_LOG("random layers 1.." << cfg.transfer_n << ": batch normalisation statistics of "
                                 << kRecalibrationBatches << " training batches, then frozen");
  }
  XFER_LOG("net " << spec.preset << ": " << net->param_count() << " parameters, "
                  << net->trainable_count() << " trainable (frozen layers 1.." << frozen << "), "
                  << classes << " classes, " << outputs << " outputs, batch " << cfg.solver.batch
                  << " over " << world << " rank(s), backend " << be->name());

  solver = std::make_unique<SgdSolver>(*net, cfg.solver);
  dropout_seed = dropout_seed_for(cfg, comm);
  sync = std::make_unique<GradientSync>(comm, *net);
  scale = 1.f / float(cfg.solver.batch);
  max_iter = cfg.solver.max_iter;
  t_session = Clock::now();
  summary.emplace(RunSummary{cfg, be->name(), be->tf32(), classes, outputs, world});
  note_progress(0);  // where this session starts; its pace is not known yet
}

void Training::save(const std::string& path) {
  average_buffers(*net, comm);  // every rank: a collective
  if (!root) return;
  st.data = data.train->position();
  st.curve_json = curve_to_json(curve);
  save_checkpoint(path, *net, st);
}

int Training::finish_diverged() {
  // The last good checkpoint is kept: a checkpoint of NaN weights is worth nothing.
  if (diverged.empty()) diverged = "loss not finite on another rank";
  st.wall_s += seconds_since(t_session);
  if (root) write_run_result(result_path, *summary, st, curve, diverged, sync->stats(), 0, 0);
  XFER_LOG("diverged at iteration " << st.iteration << " (" << diverged << ")");
  comm.barrier();
  return kExitDiverged;
}

int Training::loop() {
  while (st.iteration < max_iter) {
    if (std::optional<int> rc = stop_or_diverge()) return *rc;
    train_step();
    if (st.iteration % cfg.display == 0 || st.iteration == max_iter) display();
    if (!diverged.empty()) continue;  // stop at the top, together with every rank
    if ((st.iteration >= cfg.solver.test_start && st.iteration % cfg.solver.test_interval == 0) ||
        st.iteration == max_iter) {
      if (!test()) return finish_diverged();
    }
    if (st.iteration % cfg.solver.snapshot_interval == 0 && st.iteration < max_iter) {
      const double w = st.wall_s;
      st.wall_s += seconds_since(t_session);
      save(ckpt_path);
      st.wall_s = w;
    }
  }
  return finish();
}

// Every rank must agree to stop, or a collective would hang; a rank whose
// last loss was not finite stops them all. nullopt: go on.
std::optional<int> Training::stop_or_diverge() {
  if (cfg.stop_after > 0 && st.iteration == cfg.stop_after && session_iters > 0) g_stop.store(true);
  double flags[2] = {g_stop.load() ? 1.0 : 0.0, diverged.empty() ? 0.0 : 1.0};
  if (world > 1) comm.allreduce_host_sum(flags, 2);
  if (flags[1] > 0) return finish_diverged();
  if (flags[0] > 0) {
    st.wall_s += seconds_since(t_session);
    save(ckpt_path);
    note_progress(0);
    comm.barrier();
    XFER_LOG("stopped by signal at iteration " << st.iteration << "; checkpoint " << ckpt_path);
    return kExitStopped;
  }
  return std::nullopt;
}

void Training::train_step() {
  auto t0 = Clock::now();
  data.train->next(local_batch, batch);
  PassContext ctx{true, dropout_seed, uint64_t(st.iteration)};
  LossStats ls = net->forward(batch, ctx);
  net->backward(scale);  // buckets of gradients are reduced as they complete
  sync->finish_step();
  solver->update(st.iteration);
  ++st.iteration;
  ++session_iters;
  train_s += seconds_since(t0);
  window_loss += ls.loss_sum / std::max<int64_t>(ls.count, 1);
  ++window_n;
  diverged = non_finite("loss", ls.loss_sum);
}

void Training::display() {
  const double ips = session_iters * double(cfg.solver.batch) / std::max(train_s, 1e-9);
  const double eta = (max_iter - st.iteration) * cfg.solver.batch / std::max(ips, 1e-9);
  char line[256];
  std::snprintf(line, sizeof(line), "iter %lld/%lld loss %.4f lr %g %.1f img/s ETA %s",
                (long long)st.iteration, (long long)max_iter, window_loss / window_n,
                solver->learning_rate(st.iteration - 1), ips, format_duration(eta).c_str());
  XFER_LOG(line);
  note_progress(ips / cfg.solver.batch);
  window_loss = 0;
  window_n = 0;
}

// For the grid's status; a failed write costs the status a number, not the run.
void Training::note_progress(double rate) {
  if (!root) return;
  try {
    write_progress(progress_path, progress_now(st.iteration, max_iter, rate));
  } catch (const std::exception& e) {
    XFER_LOG("progress not recorded: " << e.what());
  }
}

bool Training::test() {
  average_buffers(*net, comm);  // every rank tests with the same statistics
  // Every rank holds the same weights (the gradients are reduced), so every
  // rank reaches the same verdict.
  diverged = net->nonfinite_params();
  if (!diverged.empty()) {
    diverged = "weights " + diverged;  // "weights nan in conv1"
    return false;
  }
  CurvePoint p = evaluate(*net, *data.eval, comm, cfg.test_batches, st.iteration);
  char line[160];
  std::snprintf(line, sizeof(line), "test iter %lld top1 %.4f top5 %.4f loss %.4f",
                (long long)p.iteration, p.top1, p.top5, p.loss);
  XFER_LOG(line);
  // The sums are reduced over ranks, so every rank sees the same value.
  diverged = non_finite("test loss", p.loss);
  if (!diverged.empty()) return false;
  curve.push_back(p);
  return true;
}

int Training::finish() {
  {
    double flag = diverged.empty() ? 0.0 : 1.0;  // the last step's loss
    if (world > 1) comm.allreduce_host_sum(&flag, 1);
    if (flag > 0) return finish_diverged();
  }
  // Once, on every validation image (test-batches 0): what the paper's
  // statistic, the mean of the 10 best subset tests, is measured against.
  std::optional<CurvePoint> full = evaluate(*net, *data.eval, comm, 0, st.iteration);
  if (std::string bad = non_finite("full test loss", full->loss); !bad.empty()) {
    XFER_LOG(bad << ": the test on the whole validation set is not recorded");
    full.reset();
  } else {
    XFER_LOG("full test: top1 " << full->top1 << " on " << full->images << " images");
  }
  st.wall_s += seconds_since(t_session);
  save(final_path);
  save(ckpt_path);
  if (root) {
    write_run_result(result_path, *summary, st, curve, "", sync->stats(), session_iters, train_s, full);
    XFER_LOG("done: top-1 " << (curve.empty() ? 0 : curve.back().top1) << ", paper statistic "
                            << curve_statistic(curve, Statistic::Top10) << "; " << result_path);
  }
  comm.barrier();
  return kExitDone;
}

}  // namespace

int run_training(const TrainConfig& cfg, Communicator& comm) {
  g_stop.store(false);
  Training t(cfg, comm);
  return t.run();
}

}  // namespace xfer
