// bench_step.cpp: xfer_bench_step, the time of one training step (forward,
// backward, SGD update) of a preset on a backend, on generated data, and of
// frozen nets at n = 1..7 (which must get cheaper as n grows: no backward
// below the lowest trainable layer). bench/run_cpu_bench.sh prints it beside
// PyTorch running the same network.
#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "backend/backend.h"
#include "core/cli.h"
#include "data/synthetic_source.h"
#include "net/net.h"
#include "solver/sgd.h"

namespace po = boost::program_options;
using namespace xfer;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Timing {
  double fwd = 0, bwd = 0, upd = 0;
  double step() const { return fwd + bwd + upd; }
};

Timing time_steps(Backend& be, const NetSpec& spec, int batch, int outputs, int frozen, int warmup,
                  int iters) {
  Net net(be, spec, batch, outputs);
  net.init_params(1);
  net.set_frozen(frozen);
  SgdSolver solver(net, spec.solver);
  SyntheticOptions o;
  o.channels = spec.channels;
  o.size = spec.crop;
  o.classes = std::min(outputs, 10);
  o.examples = batch;
  auto src = make_synthetic_train(o);
  HostBatch b;
  src->next(batch, b);
  Timing t;
  for (int i = 0; i < warmup + iters; ++i) {
    auto t0 = Clock::now();
    net.forward(b, PassContext{true, 1, uint64_t(i)});
    be.synchronize();
    auto t1 = Clock::now();
    net.backward(1.f / batch);
    be.synchronize();
    auto t2 = Clock::now();
    solver.update(i);
    be.synchronize();
    if (i >= warmup) {
      t.fwd += std::chrono::duration<double, std::milli>(t1 - t0).count();
      t.bwd += std::chrono::duration<double, std::milli>(t2 - t1).count();
      t.upd += ms_since(t2);
    }
  }
  t.fwd /= iters;
  t.bwd /= iters;
  t.upd /= iters;
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  std::string preset = "caffenet", backend = "cpu", frozen_list = "0";
  int batch = 32, threads = 2, warmup = 2, iters = 5, outputs = 0;
  bool tf32 = false;
  po::options_description opts("xfer_bench_step: time one training step\n\nOptions");
  cli::add_common_options(opts);
  opts.add_options()
      ("network", po::value(&preset)->default_value(preset), "network preset: caffenet | small")
      ("backend", po::value(&backend)->default_value(backend), "cpu | cuda")
      ("batch", po::value(&batch)->default_value(batch), "batch")
      ("threads", po::value(&threads)->default_value(threads), "CPU threads")
      ("warmup", po::value(&warmup)->default_value(warmup), "untimed steps first")
      ("iters", po::value(&iters)->default_value(iters), "timed steps")
      ("fc8-outputs", po::value(&outputs)->default_value(outputs), "fc8 outputs (0: 1000 for caffenet, 10 for small)")
      ("frozen", po::value(&frozen_list)->default_value(frozen_list), "comma-separated frozen layer counts, e.g. 0,1,2,3,4,5,6,7")
      ("tf32", po::value(&tf32)->default_value(tf32), "TF32 math (cuda)");
  return cli::run_tool("xfer_bench_step", [&]() -> int {
    po::variables_map vm;
    if (!cli::parse(argc, argv, opts, vm)) return 0;
    if (batch <= 0 || iters <= 0 || warmup < 0) throw cli::UsageError("--batch and --iters must be positive");
    NetSpec spec = net_preset(preset);
    if (outputs == 0) outputs = preset == "caffenet" ? 1000 : 10;
    auto be = make_backend(backend, 0, threads);
    be->set_tf32(tf32);
    std::printf("# preset %s, backend %s, batch %d, threads %d, %d timed steps after %d warm-up\n",
                preset.c_str(), backend.c_str(), batch, threads, iters, warmup);
    std::printf("%-8s %10s %10s %10s %10s %12s\n", "frozen", "fwd_ms", "bwd_ms", "update_ms", "step_ms",
                "images/s");
    for (int n : cli::parse_int_list(frozen_list, "--frozen")) {
      Timing t = time_steps(*be, spec, batch, outputs, n, warmup, iters);
      std::printf("%-8d %10.2f %10.2f %10.2f %10.2f %12.1f\n", n, t.fwd, t.bwd, t.upd, t.step(),
                  batch * 1000.0 / t.step());
      std::fflush(stdout);
    }
    return 0;
  });
}
